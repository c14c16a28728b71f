/* Unit tests for accesslog_format() in include/accesslog.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/accesslog.h"

/* accesslog_format() may write ACCESSLOG_LINE_MAX bytes; the rest is kept. */
#define GUARD 64
#define CANARY 0x5A

#define HUGE_FIELD (100 * 1024)

struct line_case {
    const char *name;
    struct accesslog_entry e;
    const char *want;
};

static const struct line_case line_cases[] = {
    {"normal request",
     {"192.0.2.7", 784111777, "GET", "/app.pdb/0123ABCD1/app.pdb", "HTTP/1.1",
      200, 512, "https://example.org/", "Microsoft-Symbol-Server/10.0", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] "
     "\"GET /app.pdb/0123ABCD1/app.pdb HTTP/1.1\" 200 512 "
     "\"https://example.org/\" \"Microsoft-Symbol-Server/10.0\"\n"},
    {"absent referer and user agent",
     {"192.0.2.7", 784111777, "GET", "/a", "HTTP/1.1", 404, 10, NULL, NULL,
      NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a HTTP/1.1\" 404 10 "
     "\"-\" \"-\"\n"},
    {"empty referer and user agent",
     {"192.0.2.7", 784111777, "GET", "/a", "HTTP/1.1", 404, 10, "", "", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a HTTP/1.1\" 404 10 "
     "\"-\" \"-\"\n"},
    {"referer present, user agent absent",
     {"192.0.2.7", 0, "GET", "/a", "HTTP/1.0", 200, 1, "http://r/", NULL, NULL},
     "192.0.2.7 - - [01/Jan/1970:00:00:00 +0000] \"GET /a HTTP/1.0\" 200 1 "
     "\"http://r/\" \"-\"\n"},
    {"IPv6 peer",
     {"::1", 1709251199, "HEAD", "/", "HTTP/1.1", 304, 0, NULL, "curl/7.88.1",
      NULL},
     "::1 - - [29/Feb/2024:23:59:59 +0000] \"HEAD / HTTP/1.1\" 304 0 \"-\" "
     "\"curl/7.88.1\"\n"},
    {"quote and backslash",
     {"192.0.2.7", 784111777, "GET", "/a\"b\\c", "HTTP/1.1", 400, 5,
      "\"quoted\"", "say \"hi\" \\o/", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] "
     "\"GET /a\\x22b\\x5Cc HTTP/1.1\" 400 5 \"\\x22quoted\\x22\" "
     "\"say \\x22hi\\x22 \\x5Co/\"\n"},
    {"control bytes",
     {"192.0.2.7", 784111777, "GET", "/a\tb\r\n\x1b[0m\x01", "HTTP/1.1", 400, 5,
      "\x1f", "x\x7f", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] "
     "\"GET /a\\x09b\\x0D\\x0A\\x1B[0m\\x01 HTTP/1.1\" 400 5 \"\\x1F\" "
     "\"x\\x7F\"\n"},
    {"8-bit bytes, upper-case hex",
     {"192.0.2.7", 784111777, "GET", "/caf\xc3\xa9", "HTTP/1.1", 404, 9,
      "\x80\xff", "\xfe\xab\xcd", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] "
     "\"GET /caf\\xC3\\xA9 HTTP/1.1\" 404 9 \"\\x80\\xFF\" "
     "\"\\xFE\\xAB\\xCD\"\n"},
    {"spaces kept",
     {"192.0.2.7", 784111777, "GET", "/a b", "HTTP/1.1", 400, 5, "http://r/ x",
      "Mozilla/5.0 (X11; Linux x86_64)", NULL},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a b HTTP/1.1\" 400 5 "
     "\"http://r/ x\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"},
    {"escapes in method, protocol and peer",
     {"1.2.3.4\n", 784111777, "G\"T", "/", "HTTP/1.1\x7f", 405, 0, "-", "-",
      NULL},
     "1.2.3.4\\x0A - - [06/Nov/1994:08:49:37 +0000] "
     "\"G\\x22T / HTTP/1.1\\x7F\" 405 0 \"-\" \"-\"\n"},
    {"largest byte count",
     {"10.0.0.5", 253402300799, "GET", "/big", "HTTP/1.1", 206, UINT64_MAX,
      NULL, "ua", NULL},
     "10.0.0.5 - - [31/Dec/9999:23:59:59 +0000] \"GET /big HTTP/1.1\" 206 "
     "18446744073709551615 \"-\" \"ua\"\n"},
    {"time before the epoch",
     {"10.0.0.5", -1, "GET", "/", "HTTP/1.1", 200, 0, NULL, NULL, NULL},
     "10.0.0.5 - - [01/Jan/1970:00:00:00 +0000] \"GET / HTTP/1.1\" 200 0 "
     "\"-\" \"-\"\n"},
    {"status 500",
     {"10.0.0.5", 784111777, "GET", "/", "HTTP/1.1", 500, 16, NULL, NULL, NULL},
     "10.0.0.5 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 500 16 "
     "\"-\" \"-\"\n"},
    {"authenticated user",
     {"192.0.2.7", 784111777, "GET", "/a", "HTTP/1.1", 200, 1, NULL, NULL,
      "alice"},
     "192.0.2.7 - alice [06/Nov/1994:08:49:37 +0000] \"GET /a HTTP/1.1\" 200 "
     "1 \"-\" \"-\"\n"},
    {"user with a space, a quote, a control and an 8-bit byte",
     {"192.0.2.7", 784111777, "GET", "/a", "HTTP/1.1", 200, 1, NULL, NULL,
      "a b\"\n\xc3"},
     "192.0.2.7 - a\\x20b\\x22\\x0A\\xC3 [06/Nov/1994:08:49:37 +0000] "
     "\"GET /a HTTP/1.1\" 200 1 \"-\" \"-\"\n"},
    {"empty user is -",
     {"192.0.2.7", 784111777, "GET", "/a", "HTTP/1.1", 200, 1, NULL, NULL, ""},
     "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a HTTP/1.1\" 200 1 "
     "\"-\" \"-\"\n"},
};

/*
 * Formats e into a guarded buffer and NUL-terminates the line; checks that
 * nothing past ACCESSLOG_LINE_MAX was written. Caller frees.
 */
static char *
format_line(const struct accesslog_entry *e, size_t *len)
{
    char *buf = malloc(ACCESSLOG_LINE_MAX + GUARD);

    assert_non_null(buf);
    memset(buf, CANARY, ACCESSLOG_LINE_MAX + GUARD);
    *len = accesslog_format(buf, e);
    assert_true(*len <= ACCESSLOG_LINE_MAX);
    for (size_t i = ACCESSLOG_LINE_MAX; i < ACCESSLOG_LINE_MAX + GUARD; i++)
        assert_int_equal((unsigned char)buf[i], CANARY);
    /* One line: a newline at the end and nowhere else, no NUL. */
    assert_true(*len > 0);
    assert_int_equal(buf[*len - 1], '\n');
    assert_null(memchr(buf, '\n', *len - 1));
    assert_null(memchr(buf, '\0', *len));
    if (*len < ACCESSLOG_LINE_MAX + GUARD)
        buf[*len] = '\0';
    return buf;
}

static void
test_line_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
        const struct line_case *c = &line_cases[i];
        size_t len;
        char *line = format_line(&c->e, &len);

        if (len != strlen(c->want) || memcmp(line, c->want, len) != 0) {
            print_error("%s:\n got  %s want %s", c->name, line, c->want);
            failures++;
        }
        free(line);
    }
    assert_int_equal(failures, 0);
}

/* n copies of c, NUL-terminated; caller frees. */
static char *
repeat(const char *prefix, char c, size_t n)
{
    size_t plen = strlen(prefix);
    char *s = malloc(plen + n + 1);

    assert_non_null(s);
    memcpy(s, prefix, plen);
    memset(s + plen, c, n);
    s[plen + n] = '\0';
    return s;
}

/* Skips lit at *p; false if *p does not start with it. */
static bool
eat(const char **p, const char *lit)
{
    size_t n = strlen(lit);

    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Skips repeats of unit at *p and returns how many. */
static size_t
eat_run(const char **p, const char *unit)
{
    size_t n = 0;

    while (eat(p, unit))
        n++;
    return n;
}

/* A 100 KB target is cut with "...", and the rest of the line follows. */
static void
test_long_target_cut(void **state)
{
    char *target = repeat("/", 'a', HUGE_FIELD);
    struct accesslog_entry e = {"192.0.2.7", 784111777, "GET", target,
                                "HTTP/1.1",  200,       5,     NULL,
                                "ua",        NULL};
    size_t len, kept;
    char *line = format_line(&e, &len);
    const char *p = line;

    (void)state;
    assert_true(len < ACCESSLOG_LINE_MAX);
    assert_true(eat(&p, "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /"));
    kept = eat_run(&p, "a");
    /* A useful amount is kept: at least half the line. */
    assert_true(kept >= ACCESSLOG_LINE_MAX / 2);
    assert_true(kept < HUGE_FIELD);
    assert_string_equal(p, "... HTTP/1.1\" 200 5 \"-\" \"ua\"\n");
    free(line);
    free(target);
}

/*
 * A field of escapes is cut between two escapes, never inside one, whatever
 * the plain bytes before them shift the escapes by.
 */
static void
test_escape_never_split(void **state)
{
    static const char *const shifts[] = {"/", "/a", "/ab", "/abc"};

    (void)state;
    for (size_t s = 0; s < 4; s++) {
        char *target = repeat(shifts[s], '"', HUGE_FIELD);
        char *ua = repeat(shifts[s] + 1, '\x01', HUGE_FIELD);
        struct accesslog_entry e = {"192.0.2.7", 784111777, "GET", target,
                                    "HTTP/1.1",  200,       5,     "-",
                                    ua,          NULL};
        size_t len, n;
        char *line = format_line(&e, &len);
        const char *p = line;

        assert_true(
            eat(&p, "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET "));
        assert_true(eat(&p, shifts[s]));
        n = eat_run(&p, "\\x22");
        assert_true(n > 0);
        assert_true(eat(&p, "... HTTP/1.1\" 200 5 \"-\" \""));
        assert_true(eat(&p, shifts[s] + 1));
        n = eat_run(&p, "\\x01");
        assert_true(n > 0);
        assert_string_equal(p, "...\"\n");
        free(line);
        free(ua);
        free(target);
    }
}

/*
 * Every field at once far too long: each is cut at an escape with "...",
 * and the line keeps its shape and fits.
 */
static void
test_all_fields_huge(void **state)
{
    char *big = repeat("", '\x01', HUGE_FIELD);
    struct accesslog_entry e = {big, 784111777, big, big, big,
                                200, 5,         big, big, big};
    size_t len;
    char *line = format_line(&e, &len);
    const char *p = line;

    (void)state;
    assert_true(len < ACCESSLOG_LINE_MAX);
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "... - "));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "... [06/Nov/1994:08:49:37 +0000] \""));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "... "));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "... "));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "...\" 200 5 \""));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_true(eat(&p, "...\" \""));
    assert_true(eat_run(&p, "\\x01") > 0);
    assert_string_equal(p, "...\"\n");
    free(line);
    free(big);
}

/* Longest status and byte count with long headers: still one whole line. */
static void
test_long_headers_with_big_numbers(void **state)
{
    char *ref = repeat("", 'r', HUGE_FIELD);
    char *ua = repeat("", '\xff', HUGE_FIELD);
    char *target = repeat("/", '\\', HUGE_FIELD);
    struct accesslog_entry e = {"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]",
                                784111777,
                                "PATCH",
                                target,
                                "HTTP/1.1",
                                -2147483647 - 1,
                                UINT64_MAX,
                                ref,
                                ua,
                                NULL};
    size_t len;
    char *line = format_line(&e, &len);
    const char *p = line;

    (void)state;
    assert_true(len < ACCESSLOG_LINE_MAX);
    assert_true(eat(&p, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff] - - "
                        "[06/Nov/1994:08:49:37 +0000] \"PATCH /"));
    assert_true(eat_run(&p, "\\x5C") > 0);
    assert_true(eat(&p, "... HTTP/1.1\" -2147483648 18446744073709551615 \""));
    assert_true(eat_run(&p, "r") > 0);
    assert_true(eat(&p, "...\" \""));
    assert_true(eat_run(&p, "\\xFF") > 0);
    assert_string_equal(p, "...\"\n");
    free(line);
    free(target);
    free(ua);
    free(ref);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_table),
        cmocka_unit_test(test_long_target_cut),
        cmocka_unit_test(test_escape_never_split),
        cmocka_unit_test(test_all_fields_huge),
        cmocka_unit_test(test_long_headers_with_big_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
