/*
 * The access log: nginx combined format, true byte counts, escaping, and
 * reopening after logrotate renamed the file (SIGUSR1 and SIGHUP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define EXE "/app.exe/5F3E2A1B6000/app.exe"

static struct daemon srv;

/*
 * One worker: each worker buffers its lines and writes them 100 ms after
 * the first, so with several workers lines are in order per worker only,
 * and "the last line" would not name the last request.
 */
static int
setup(void **state)
{
    static const char *const one_worker[] = {"--workers", "1", NULL};

    (void)state;
    fixture_make(&srv);
    daemon_start(&srv, one_worker);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/* The last line of text (which ends in '\n'), copied into buf. */
static const char *
last_line(const char *text, char *buf, size_t len)
{
    size_t n = strlen(text);
    const char *start;

    assert_true(n > 0 && text[n - 1] == '\n');
    start = text + n - 1;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(text + n - 1 - start), start);
    return buf;
}

static void
expect_line(const char *line, const char *pattern)
{
    regex_t re;

    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, line, 0, NULL, 0) != 0)
        fail_msg("log line\n  %s\ndoes not match\n  %s", line, pattern);
    regfree(&re);
}

struct log_case {
    const char *name;
    const char *method;
    const char *target;
    const char *const *hdrs;
    const char *pattern; /* what the line after the peer must match */
};

static const char *const ua_ref[] = {"User-Agent: sym\"bol\\ client",
                                     "Referer: http://ref.example/x", NULL};
static const char *const no_ua[] = {"User-Agent:", NULL};

/* The date: [24/Nov/2026:13:35:51 +0000] */
#define DATE                                                                   \
    "\\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000\\]"

static const struct log_case cases[] = {
    {"hit counts the body", "GET", EXE, no_ua,
     "^127\\.0\\.0\\.1 - - " DATE " \"GET " EXE
     " HTTP/1\\.1\" 200 70000 \"-\" \"-\"$"},
    {"HEAD sends no body", "HEAD", EXE, no_ua,
     "\"HEAD " EXE " HTTP/1\\.1\" 200 0 \"-\" \"-\"$"},
    {"miss counts the short body", "GET", "/nope", no_ua,
     "\"GET /nope HTTP/1\\.1\" 404 10 \"-\" \"-\"$"},
    {"empty file", "GET",
     "/empty.pdb/00000000000000000000000000000000/empty.pdb", no_ua,
     "\" 200 0 \"-\" \"-\"$"},
    {"quote and backslash escaped", "GET", EXE, ua_ref,
     "\" 200 70000 \"http://ref\\.example/x\" "
     "\"sym\\\\x22bol\\\\x5C client\"$"},
    {"control and 8-bit bytes escaped", "GET", "/a\x01\"b\xc3\xa9", no_ua,
     "\"GET /a\\\\x01\\\\x22b\\\\xC3\\\\xA9 HTTP/1\\.1\" 400 [0-9]+ "},
    {"405", "POST", EXE, no_ua, "\"POST " EXE " HTTP/1\\.1\" 405 43 "},
};

static void
test_lines(void **state)
{
    int n = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct log_case *c = &cases[i];
        char line[4096], *text;
        struct resp r;

        assert_int_equal(
            http_request(&srv, c->method, c->target, c->hdrs, false, &r), 0);
        resp_free(&r);
        text = access_log_lines(srv.access_log, ++n);
        last_line(text, line, sizeof(line));
        print_message("%s: %s\n", c->name, line);
        expect_line(line, c->pattern);
        free(text);
    }
}

/* Rename, signal, and the next line lands in a new file of that name. */
static void
rotate_with(int sig, const char *marker)
{
    char rotated[256], target[64], *old, *fresh;
    size_t before;
    struct resp r;

    old = slurp(srv.access_log, &before);
    assert_non_null(old);
    free(old);
    snprintf(rotated, sizeof(rotated), "%s.1", srv.access_log);
    assert_int_equal(rename(srv.access_log, rotated), 0);
    daemon_signal_and_wait(&srv, sig, "access log reopened");
    snprintf(target, sizeof(target), "/%s", marker);
    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    resp_free(&r);
    fresh = access_log_lines(srv.access_log, 1);
    assert_non_null(strstr(fresh, target));
    assert_int_equal(strchr(fresh, '\n')[1], '\0');
    free(fresh);
    old = slurp(rotated, NULL);
    assert_non_null(old);
    assert_int_equal(strlen(old), before);
    assert_null(strstr(old, marker));
    free(old);
    remove(rotated);
}

static void
test_reopen_sigusr1(void **state)
{
    (void)state;
    rotate_with(SIGUSR1, "after-usr1");
}

static void
test_reopen_sighup(void **state)
{
    (void)state;
    rotate_with(SIGHUP, "after-hup");
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_reopen_sigusr1),
        cmocka_unit_test(test_reopen_sighup),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
