/* Unit tests for include/util/file.h, in a scratch directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

static char scratch[] = "/tmp/symsrvd-test-file.XXXXXX";

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch) >= (int)sizeof(cmd))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

static void
join(char *out, size_t len, const char *name)
{
    assert_int_equal(file_path_join(out, len, scratch, "/", name), 0);
}

static void
test_buf_grows_and_terminates(void **state)
{
    struct file_buf b = {0};

    (void)state;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(file_buf_str(&b, "0123456789"), 0);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.p[b.len], '\0');
    assert_memory_equal(b.p + 9990, "0123456789", 10);
    file_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

static void
test_path_join_bounds(void **state)
{
    char out[8];

    (void)state;
    assert_int_equal(file_path_join(out, sizeof(out), "ab", "/", "cd"), 0);
    assert_string_equal(out, "ab/cd");
    assert_int_equal(file_path_join(out, sizeof(out), "abc", "", ".x"), 0);
    assert_string_equal(out, "abc.x");
    /* Seven bytes fit with the NUL; eight do not. */
    assert_int_equal(file_path_join(out, sizeof(out), "abc", "/", "def"), 0);
    errno = 0;
    assert_int_equal(file_path_join(out, sizeof(out), "abcd", "/", "efg"), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

/* The new bytes replace the old, and no temporary is left beside them. */
static void
test_write_atomic_replaces(void **state)
{
    char path[PATH_MAX];
    struct file_buf b = {0};
    DIR *d;
    struct dirent *de;
    int entries = 0;

    (void)state;
    join(path, sizeof(path), "f.txt");
    assert_int_equal(file_write_atomic(path, "old bytes", 9), 0);
    assert_int_equal(file_write_atomic(path, "new", 3), 0);
    assert_int_equal(file_read_all(path, false, &b), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.p, "new", 3);
    file_buf_free(&b);
    d = opendir(scratch);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp.") != NULL)
            entries++;
    closedir(d);
    assert_int_equal(entries, 1);
    unlink(path);
}

/* A failed write leaves the old file and no temporary. */
static void
test_write_atomic_failure_keeps_old(void **state)
{
    char path[PATH_MAX];

    (void)state;
    join(path, sizeof(path), "missing-dir/f.txt");
    errno = 0;
    assert_int_equal(file_write_atomic(path, "x", 1), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_read_all_missing(void **state)
{
    char path[PATH_MAX];
    struct file_buf b = {0};

    (void)state;
    join(path, sizeof(path), "nothing-here");
    assert_int_equal(file_read_all(path, true, &b), 0);
    assert_int_equal(b.len, 0);
    errno = 0;
    assert_int_equal(file_read_all(path, false, &b), -1);
    assert_int_equal(errno, ENOENT);
}

static void
test_mkdirs_and_empty(void **state)
{
    char path[PATH_MAX], top[PATH_MAX];
    struct stat st;

    (void)state;
    join(path, sizeof(path), "a/b/c");
    assert_int_equal(file_mkdirs(path, strlen(scratch)), 0);
    assert_string_equal(path + strlen(scratch), "/a/b/c"); /* restored */
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(file_mkdirs(path, strlen(scratch)), 0); /* exists */
    assert_true(file_dir_is_empty(path));
    join(top, sizeof(top), "a");
    assert_false(file_dir_is_empty(top));
    join(top, sizeof(top), "no-such-dir");
    assert_false(file_dir_is_empty(top));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_terminates),
        cmocka_unit_test(test_path_join_bounds),
        cmocka_unit_test(test_write_atomic_replaces),
        cmocka_unit_test(test_write_atomic_failure_keeps_old),
        cmocka_unit_test(test_read_all_missing),
        cmocka_unit_test(test_mkdirs_and_empty),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
