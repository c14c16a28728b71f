/*
 * beneath_open(): the EAGAIN that openat2(RESOLVE_BENEATH) returns when a
 * rename anywhere races a walk through "..". The test is linked with
 * -Wl,--wrap=syscall, so every syscall() of beneath.c comes here first and
 * a chosen number of openat2 calls fail with EAGAIN before the real one.
 */
#define _GNU_SOURCE /* syscall() */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/beneath.h"

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);

static int eagain_left; /* openat2 calls still to fail */
static int openat2_calls;

long
__wrap_syscall(long nr, ...)
{
    va_list ap;
    long a, b, c, d;

    va_start(ap, nr);
    a = va_arg(ap, long);
    b = va_arg(ap, long);
    c = va_arg(ap, long);
    d = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_openat2) {
        openat2_calls++;
        if (eagain_left > 0) {
            eagain_left--;
            errno = EAGAIN;
            return -1;
        }
    }
    return __real_syscall(nr, a, b, c, d);
}

static int
open_tmp(int eagains)
{
    eagain_left = eagains;
    openat2_calls = 0;
    return beneath_open(AT_FDCWD, "", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A few races: the open still succeeds. */
static void
test_eagain_retried(void **state)
{
    int fd;

    (void)state;
    fd = open_tmp(3);
    assert_true(fd >= 0);
    assert_int_equal(openat2_calls, 4);
    close(fd);
    fd = open_tmp(BENEATH_TRIES - 1);
    assert_true(fd >= 0);
    close(fd);
}

/* A storm: bounded, and EAGAIN reaches the caller. */
static void
test_eagain_bounded(void **state)
{
    (void)state;
    assert_int_equal(open_tmp(1000), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(openat2_calls, BENEATH_TRIES);
}

/* Other errors are not retried. */
static void
test_other_error_once(void **state)
{
    (void)state;
    eagain_left = 0;
    openat2_calls = 0;
    assert_int_equal(beneath_open(AT_FDCWD, "no-such-file-here", O_RDONLY), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(openat2_calls, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eagain_retried),
        cmocka_unit_test(test_eagain_bounded),
        cmocka_unit_test(test_other_error_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
