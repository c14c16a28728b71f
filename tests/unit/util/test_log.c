/*
 * util/log.c: the line each function writes to stderr, with and without
 * the journal's priority prefix, debug lines only when verbose, errno kept.
 * stderr is pointed at a scratch file around each call and put back before
 * anything is checked, so that cmocka's own messages still show.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

struct capture {
    int file;  /* the scratch file stderr points at */
    int saved; /* the real stderr */
};

static void
capture_begin(struct capture *c)
{
    char path[] = "/tmp/test_log.XXXXXX";

    c->file = mkstemp(path);
    assert_true(c->file != -1);
    unlink(path);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved != -1);
    assert_true(dup2(c->file, STDERR_FILENO) != -1);
}

/* Puts stderr back; what was written meanwhile into buf. */
static void
capture_end(struct capture *c, char *buf, size_t len)
{
    ssize_t n;

    assert_true(dup2(c->saved, STDERR_FILENO) != -1);
    close(c->saved);
    n = pread(c->file, buf, len - 1, 0);
    close(c->file);
    assert_true(n >= 0);
    buf[n] = '\0';
}

/* JOURNAL_STREAM naming fd's device and inode, plus ino_delta. */
static void
set_journal_stream(int fd, unsigned ino_delta)
{
    struct stat st;
    char v[64];

    assert_int_equal(fstat(fd, &st), 0);
    assert_true(snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev,
                         (uintmax_t)st.st_ino + ino_delta) < (int)sizeof(v));
    assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

static int
reset(void **state)
{
    (void)state;
    unsetenv("JOURNAL_STREAM");
    log_set_verbose(0);
    log_init("symsrvd");
    return 0;
}

/* One line of each level, as the daemon's stderr shows them. */
static void
log_each_level(void)
{
    errno = EACCES;
    log_warn("open %s", "a.pdb");
    log_warnx("bad %d", 7);
    log_info("listening on %s", "http://127.0.0.1:8080");
    log_debug("lookup %s", "a.pdb");
}

static void
test_plain_lines(void **state)
{
    struct capture c;
    char out[4096];

    (void)state;
    capture_begin(&c);
    log_init("symsrvd");
    log_each_level();
    capture_end(&c, out, sizeof(out));
    assert_string_equal(out, "symsrvd: open a.pdb: Permission denied\n"
                             "symsrvd: bad 7\n"
                             "symsrvd: listening on http://127.0.0.1:8080\n");
}

static void
test_progname(void **state)
{
    struct capture c;
    char out[256];

    (void)state;
    capture_begin(&c);
    log_init("symsrv");
    log_warnx("store: %s", "no such directory");
    capture_end(&c, out, sizeof(out));
    assert_string_equal(out, "symsrv: store: no such directory\n");
}

/* JOURNAL_STREAM names stderr itself: priorities, no name. */
static void
test_journal_prefixes(void **state)
{
    struct capture c;
    char out[4096];

    (void)state;
    capture_begin(&c);
    set_journal_stream(STDERR_FILENO, 0);
    log_init("symsrvd");
    log_set_verbose(1);
    log_each_level();
    capture_end(&c, out, sizeof(out));
    assert_string_equal(out, "<4>open a.pdb: Permission denied\n"
                             "<4>bad 7\n"
                             "<6>listening on http://127.0.0.1:8080\n"
                             "<7>lookup a.pdb\n");
}

/*
 * JOURNAL_STREAM inherited by a process whose stderr goes elsewhere (the
 * integration tests' daemons, a redirected symsrv), or not a
 * "device:inode" at all: plain lines.
 */
static void
test_journal_stream_elsewhere(void **state)
{
    static const char *const bad[] = {
        "",      ":",    "1:", ":1",   "1:2x",
        "1:2:3", "-1:2", "x",  "1 :2", "99999999999999999999999:1"};
    struct capture c;
    char out[256];
    int other;

    (void)state;
    other = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(other != -1);
    for (int i = 0; i < 3 + (int)(sizeof(bad) / sizeof(bad[0])); i++) {
        capture_begin(&c);
        if (i == 0)
            set_journal_stream(STDERR_FILENO, 1); /* another inode */
        else if (i == 1)
            set_journal_stream(other, 0); /* another file */
        else if (i == 2)
            unsetenv("JOURNAL_STREAM");
        else
            setenv("JOURNAL_STREAM", bad[i - 3], 1);
        log_init("symsrvd");
        log_warnx("w");
        capture_end(&c, out, sizeof(out));
        if (strcmp(out, "symsrvd: w\n") != 0)
            fail_msg("case %d (JOURNAL_STREAM %s): got '%s'", i,
                     i < 3 ? "computed" : bad[i - 3], out);
    }
    close(other);
}

static void
test_debug_only_when_verbose(void **state)
{
    struct capture c;
    char out[256];

    (void)state;
    capture_begin(&c);
    log_init("symsrvd");
    log_debug("hidden %d", 1);
    log_set_verbose(1);
    log_debug("shown %d", 2);
    log_set_verbose(0);
    log_debug("hidden %d", 3);
    capture_end(&c, out, sizeof(out));
    assert_string_equal(out, "symsrvd: shown 2\n");
}

static void
test_errno_preserved(void **state)
{
    struct capture c;
    char out[1024];

    (void)state;
    capture_begin(&c);
    log_set_verbose(1);
    errno = ENOENT;
    log_init("symsrvd");
    assert_int_equal(errno, ENOENT);
    log_warn("a");
    assert_int_equal(errno, ENOENT);
    log_warnx("b");
    assert_int_equal(errno, ENOENT);
    log_info("c");
    assert_int_equal(errno, ENOENT);
    log_debug("d");
    assert_int_equal(errno, ENOENT);
    /* A failed write(2) must not leak its errno either. */
    close(STDERR_FILENO);
    log_warnx("to a closed stderr");
    assert_int_equal(errno, ENOENT);
    capture_end(&c, out, sizeof(out));
    assert_string_equal(out, "symsrvd: a: No such file or directory\n"
                             "symsrvd: b\nsymsrvd: c\nsymsrvd: d\n");
}

/* A line longer than the buffer is cut, still one line. */
static void
test_long_line_cut(void **state)
{
    struct capture c;
    char big[3000], out[4096];

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    capture_begin(&c);
    errno = EIO;
    log_warn("%s", big);
    capture_end(&c, out, sizeof(out));
    assert_int_equal(strlen(out), 1023);
    assert_memory_equal(out, "symsrvd: xxx", 12);
    assert_int_equal(out[1021], 'x');
    assert_int_equal(out[1022], '\n');
}

/* fatal() and fatalx(): priority 3 in the journal, and exit status 1. */
static void
test_fatal_exits(void **state)
{
    static const char *const want[] = {
        "<3>gone: Input/output error\n", "<3>gone\n",
        "symsrvd: gone: Input/output error\n", "symsrvd: gone\n"};
    struct capture c;
    char out[256];

    (void)state;
    for (int i = 0; i < 4; i++) {
        pid_t pid;
        int status;

        capture_begin(&c);
        if (i < 2)
            set_journal_stream(STDERR_FILENO, 0);
        else
            unsetenv("JOURNAL_STREAM");
        pid = fork();
        if (pid == 0) {
            log_init("symsrvd");
            errno = EIO;
            if (i % 2 == 0)
                fatal("gone");
            fatalx("gone");
        }
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        capture_end(&c, out, sizeof(out));
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        assert_string_equal(out, want[i]);
    }
}

/* The warning budget, step by step with explicit times: 3 a second. */
static void
test_limit_steps(void **state)
{
    static const struct {
        long long now;
        bool admit;
        unsigned dropped_before;
    } steps[] = {
        {100, true, 0},  {100, true, 0},  {100, true, 0},
        {100, false, 0}, {100, false, 0}, /* 2 dropped in second 100 */
        {101, true, 2},                   /* a new second says so once */
        {101, true, 0},  {101, true, 0},  {101, false, 0},
        {105, true, 1},  {99, true, 0}, /* the clock went back: new too */
    };
    struct log_limit l = {.per_second = 3};
    struct log_limit unlimited = {.per_second = 0};

    (void)state;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned dropped = 99;
        bool ok = log_limit_admit(&l, steps[i].now, &dropped);

        if (ok != steps[i].admit || dropped != steps[i].dropped_before)
            fail_msg("step %zu (t=%lld): admit %d dropped %u, want %d %u", i,
                     steps[i].now, ok, dropped, steps[i].admit,
                     steps[i].dropped_before);
    }
    for (int i = 0; i < 1000; i++) {
        unsigned dropped;

        assert_true(log_limit_admit(&unlimited, 7, &dropped));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_lines, reset),
        cmocka_unit_test_setup(test_progname, reset),
        cmocka_unit_test_setup(test_journal_prefixes, reset),
        cmocka_unit_test_setup(test_journal_stream_elsewhere, reset),
        cmocka_unit_test_setup(test_debug_only_when_verbose, reset),
        cmocka_unit_test_setup(test_errno_preserved, reset),
        cmocka_unit_test_setup(test_long_line_cut, reset),
        cmocka_unit_test_setup(test_fatal_exits, reset),
        cmocka_unit_test(test_limit_steps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
