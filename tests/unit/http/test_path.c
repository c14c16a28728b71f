/* Unit tests for include/http/path.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http/path.h"

/* A string literal and its length, so that targets may hold a raw NUL. */
#define T(s) s, sizeof(s) - 1

/* out[] is this big; bytes from outsz up must survive each call. */
#define OUT_BUF 512
#define DEFAULT_OUTSZ 256
#define CANARY 0xA5

struct canon_case {
    const char *name;
    const char *target;
    size_t len;
    size_t outsz; /* 0: DEFAULT_OUTSZ */
    enum path_rc rc;
    const char *want; /* the canonical path when rc is PATH_OK */
};

static const struct canon_case canon_cases[] = {
    /* Climbing above the root, in every spelling. */
    {"root parent", T("/.."), 0, PATH_BAD, NULL},
    {"root parent, slash", T("/../"), 0, PATH_BAD, NULL},
    {"parent then name", T("/../a"), 0, PATH_BAD, NULL},
    {"one down two up", T("/a/../.."), 0, PATH_BAD, NULL},
    {"two down three up", T("/a/b/../../.."), 0, PATH_BAD, NULL},
    {"dot then parent", T("/./.."), 0, PATH_BAD, NULL},
    {"encoded parent", T("/%2e%2e/x"), 0, PATH_BAD, NULL},
    {"encoded parent, mixed case, encoded slash", T("/%2E%2e%2f.."), 0,
     PATH_BAD, NULL},
    {"encoded parents inside", T("/a/%2e%2e%2f%2e%2e/b"), 0, PATH_BAD, NULL},
    {"parent, encoded slash", T("/..%2f"), 0, PATH_BAD, NULL},
    {"half-encoded parent", T("/.%2e/"), 0, PATH_BAD, NULL},
    {"encoded parent first half", T("/%2e./x"), 0, PATH_BAD, NULL},
    {"encoded slashes climb", T("/a%2F..%2F..%2Fb"), 0, PATH_BAD, NULL},
    {"absolute-form climbs", T("http://h/../x"), 0, PATH_BAD, NULL},
    /* Decoded exactly once: %25 is '%', and what follows is a name. */
    {"double-encoded parent", T("/%252e%252e"), 0, PATH_OK, "%2e%2e"},
    {"double-encoded parent, then name", T("/%252e%252e/x"), 0, PATH_OK,
     "%2e%2e/x"},
    {"double-encoded parent inside", T("/a/%252e%252e%252fb"), 0, PATH_OK,
     "a/%2e%2e%2fb"},
    {"double-encoded NUL", T("/a%2500"), 0, PATH_OK, "a%00"},
    /* NUL, raw or encoded. */
    {"encoded NUL", T("/%00"), 0, PATH_BAD, NULL},
    {"encoded NUL inside", T("/a%00b"), 0, PATH_BAD, NULL},
    {"raw NUL inside", T("/a\0b"), 0, PATH_BAD, NULL},
    {"raw NUL in query", T("/a?b\0"), 0, PATH_BAD, NULL},
    /* Control bytes, raw or encoded. */
    {"raw LF", T("/a\nb"), 0, PATH_BAD, NULL},
    {"raw CR", T("/a\r"), 0, PATH_BAD, NULL},
    {"raw tab", T("/a\tb"), 0, PATH_BAD, NULL},
    {"raw DEL", T("/a\x7f"), 0, PATH_BAD, NULL},
    {"raw space", T("/a b"), 0, PATH_BAD, NULL},
    {"encoded LF", T("/a%0ab"), 0, PATH_BAD, NULL},
    {"encoded CR", T("/a%0D"), 0, PATH_BAD, NULL},
    {"encoded unit separator", T("/%1f"), 0, PATH_BAD, NULL},
    {"encoded DEL", T("/%7f"), 0, PATH_BAD, NULL},
    {"encoded DEL, upper case", T("/%7F"), 0, PATH_BAD, NULL},
    {"encoded tab", T("/a%09"), 0, PATH_BAD, NULL},
    {"encoded space is a name byte", T("/a%20b"), 0, PATH_OK, "a b"},
    /* Bytes from 0x80 up: never raw, fine encoded. */
    {"raw 0x80", T("/a\x80"), 0, PATH_BAD, NULL},
    {"raw UTF-8", T("/caf\xc3\xa9"), 0, PATH_BAD, NULL},
    {"raw 0xff", T("/\xff"), 0, PATH_BAD, NULL},
    {"encoded UTF-8", T("/caf%C3%A9.pdb"), 0, PATH_OK, "caf\xc3\xa9.pdb"},
    {"encoded UTF-8, lower case", T("/%c3%a9"), 0, PATH_OK, "\xc3\xa9"},
    {"encoded 0xff", T("/%ff"), 0, PATH_OK, "\xff"},
    /* Backslash, raw or encoded. */
    {"raw backslash", T("/a\\b"), 0, PATH_BAD, NULL},
    {"raw backslash parent", T("/..\\x"), 0, PATH_BAD, NULL},
    {"encoded backslash", T("/a%5cb"), 0, PATH_BAD, NULL},
    {"encoded backslash, upper case", T("/%5C..%5Cx"), 0, PATH_BAD, NULL},
    /* Malformed escapes. */
    {"lone percent", T("/%"), 0, PATH_BAD, NULL},
    {"one hex digit", T("/%4"), 0, PATH_BAD, NULL},
    {"no hex digits", T("/%zz"), 0, PATH_BAD, NULL},
    {"first digit not hex", T("/%g0"), 0, PATH_BAD, NULL},
    {"second digit not hex", T("/%4g"), 0, PATH_BAD, NULL},
    {"trailing percent", T("/a%"), 0, PATH_BAD, NULL},
    {"trailing one digit", T("/a%2"), 0, PATH_BAD, NULL},
    {"percent before query", T("/a%?b"), 0, PATH_BAD, NULL},
    {"percent percent", T("/%%41"), 0, PATH_BAD, NULL},
    {"sign in escape", T("/%+1"), 0, PATH_BAD, NULL},
    /* Fragments. */
    {"fragment", T("/a#b"), 0, PATH_BAD, NULL},
    {"fragment only", T("/#"), 0, PATH_BAD, NULL},
    {"fragment in query", T("/a?b#c"), 0, PATH_BAD, NULL},
    {"encoded hash is a name byte", T("/a%23b"), 0, PATH_OK, "a#b"},
    /* Target forms. */
    {"empty target", T(""), 0, PATH_BAD, NULL},
    {"relative", T("a/b"), 0, PATH_BAD, NULL},
    {"asterisk-form", T("*"), 0, PATH_BAD, NULL},
    {"query only", T("?a"), 0, PATH_BAD, NULL},
    {"authority-form", T("host:80"), 0, PATH_BAD, NULL},
    {"absolute-form", T("http://host/a/b"), 0, PATH_OK, "a/b"},
    {"absolute-form, https, port, query", T("HTTPS://h:8080/x?q"), 0, PATH_OK,
     "x"},
    {"absolute-form, no path", T("http://host"), 0, PATH_OK, ""},
    {"absolute-form, no path, query", T("http://host?a=/b"), 0, PATH_OK, ""},
    {"absolute-form, userinfo", T("http://u@h/a"), 0, PATH_OK, "a"},
    {"other scheme", T("ftp://h/x"), 0, PATH_BAD, NULL},
    {"scheme with one slash", T("http:/x"), 0, PATH_BAD, NULL},
    {"scheme without colon", T("http//h/x"), 0, PATH_BAD, NULL},
    {"space in authority", T("http://h st/a"), 0, PATH_BAD, NULL},
    {"control byte in authority", T("http://h\x01/a"), 0, PATH_BAD, NULL},
    {"8-bit byte in authority", T("http://h\xc3\xa9/a"), 0, PATH_BAD, NULL},
    {"backslash in authority", T("http://h\\..\\/a"), 0, PATH_BAD, NULL},
    {"fragment in authority", T("http://h#/a"), 0, PATH_BAD, NULL},
    /* The query: dropped, checked only for raw bytes. */
    {"query with parents", T("/a/b?x=../.."), 0, PATH_OK, "a/b"},
    {"query escapes not decoded", T("/a?%00"), 0, PATH_OK, "a"},
    {"query malformed escape", T("/a?%zz%"), 0, PATH_OK, "a"},
    {"query raw space", T("/a?b c"), 0, PATH_BAD, NULL},
    {"query raw 8-bit", T("/a?\xc3\xa9"), 0, PATH_BAD, NULL},
    {"empty query", T("/a?"), 0, PATH_OK, "a"},
    {"root with query", T("/?x"), 0, PATH_OK, ""},
    {"second question mark", T("/a?b?c"), 0, PATH_OK, "a"},
    {"encoded question mark is a name byte", T("/a%3Fb"), 0, PATH_OK, "a?b"},
    /* Dot and empty segments. */
    {"root", T("/"), 0, PATH_OK, ""},
    {"empty and dot segments", T("//a///b/./c/"), 0, PATH_OK, "a/b/c"},
    {"dot", T("/."), 0, PATH_OK, ""},
    {"dot slash", T("/./"), 0, PATH_OK, ""},
    {"trailing dot", T("/a/."), 0, PATH_OK, "a"},
    {"encoded dot", T("/a/%2e/b"), 0, PATH_OK, "a/b"},
    {"three dots is a name", T("/a/.../b"), 0, PATH_OK, "a/.../b"},
    {"dot-dot prefix is a name", T("/a/..b"), 0, PATH_OK, "a/..b"},
    {"dot-dot suffix is a name", T("/b../a"), 0, PATH_OK, "b../a"},
    {"leading-dot name kept", T("/.git/config"), 0, PATH_OK, ".git/config"},
    /* ".." that stays inside. */
    {"parent inside", T("/a/b/../c"), 0, PATH_OK, "a/c"},
    {"back to root", T("/a/.."), 0, PATH_OK, ""},
    {"back to root, slash", T("/a/../"), 0, PATH_OK, ""},
    {"encoded parent inside", T("/a/%2E%2E/b"), 0, PATH_OK, "b"},
    {"parents in turn", T("/a/../b/../c"), 0, PATH_OK, "c"},
    {"two up", T("/a/b/c/../../d"), 0, PATH_OK, "a/d"},
    {"long segment dropped", T("/abcdef/../g"), 0, PATH_OK, "g"},
    {"parent after dots", T("/a/./b/./../c"), 0, PATH_OK, "a/c"},
    /* "%2F" decodes to a separator. */
    {"encoded slash", T("/a%2Fb"), 0, PATH_OK, "a/b"},
    {"encoded slashes, lower case", T("/a%2f%2fb"), 0, PATH_OK, "a/b"},
    {"encoded slash parent", T("/a%2f..%2fb"), 0, PATH_OK, "b"},
    {"letters decoded", T("/%41pp.pdb"), 0, PATH_OK, "App.pdb"},
    {"store path", T("/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb"), 0,
     PATH_OK, "app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb"},
    /* Output size: outsz - 1 bytes fit, one more does not. */
    {"fills outsz - 1", T("/abcd"), 5, PATH_OK, "abcd"},
    {"one past outsz - 1", T("/abcde"), 5, PATH_TOO_LONG, NULL},
    {"two segments fill", T("/ab/cd"), 6, PATH_OK, "ab/cd"},
    {"two segments, one past", T("/ab/cd"), 5, PATH_TOO_LONG, NULL},
    {"trailing slash fills", T("/abcd/"), 5, PATH_OK, "abcd"},
    {"decoded bytes count once", T("/%41%42%43%44"), 5, PATH_OK, "ABCD"},
    {"decoded bytes, one past", T("/%41%42%43%44%45"), 5, PATH_TOO_LONG, NULL},
    {"outsz 1, root", T("/"), 1, PATH_OK, ""},
    {"outsz 1, empty segments", T("///"), 1, PATH_OK, ""},
    {"outsz 1, absolute-form root", T("http://h"), 1, PATH_OK, ""},
    {"outsz 1, one byte", T("/a"), 1, PATH_TOO_LONG, NULL},
    {"outsz 2, one byte", T("/a"), 2, PATH_OK, "a"},
    {"outsz 2, two bytes", T("/ab"), 2, PATH_TOO_LONG, NULL},
    {"outsz 2, two segments", T("/a/b"), 2, PATH_TOO_LONG, NULL},
    {"outsz 2, bad wins when seen first", T("/%00"), 2, PATH_BAD, NULL},
    /*
     * path.h: each segment takes room while it is read, "." and ".."
     * included, even one that a later ".." drops.
     */
    {"dot segment needs room", T("/abcd/."), 6, PATH_TOO_LONG, NULL},
    {"dot segment has room", T("/abcd/."), 7, PATH_OK, "abcd"},
    {"dropped segment needs room", T("/abcd/../b"), 3, PATH_TOO_LONG, NULL},
    {"dropped segment has room", T("/abcd/../b"), 8, PATH_OK, "b"},
    {"parent needs room", T("/a/.."), 4, PATH_TOO_LONG, NULL},
    {"parent has room", T("/a/.."), 5, PATH_OK, ""},
};

static unsigned
check_canon(const struct canon_case *c)
{
    char out[OUT_BUF];
    size_t outsz = c->outsz != 0 ? c->outsz : DEFAULT_OUTSZ;
    size_t outlen = (size_t)-1;
    enum path_rc rc;
    unsigned failures = 0;

    memset(out, CANARY, sizeof(out));
    rc = path_canonicalize(c->target, c->len, out, outsz, &outlen);
    if (rc != c->rc) {
        print_error("%s: rc %d, want %d\n", c->name, (int)rc, (int)c->rc);
        failures++;
    } else if (rc == PATH_OK &&
               (strcmp(out, c->want) != 0 || outlen != strlen(out))) {
        print_error("%s: \"%s\" (outlen %zu), want \"%s\"\n", c->name, out,
                    outlen, c->want);
        failures++;
    }
    for (size_t i = outsz; i < sizeof(out); i++) {
        if ((unsigned char)out[i] != CANARY) {
            print_error("%s: wrote out[%zu], past outsz %zu\n", c->name, i,
                        outsz);
            failures++;
            break;
        }
    }
    return failures;
}

static void
test_canonicalize_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++)
        failures += check_canon(&canon_cases[i]);
    assert_int_equal(failures, 0);
}

/* Only target[0..len) is read: a longer string is not looked at past len. */
static void
test_len_bounds_the_target(void **state)
{
    const char target[] = "/a/b\0/../../etc";
    char out[64];
    size_t outlen = 0;

    (void)state;
    assert_int_equal(
        path_canonicalize("/a/b/../../..", 4, out, sizeof(out), &outlen),
        PATH_OK);
    assert_string_equal(out, "a/b");
    assert_int_equal(outlen, 3);
    assert_int_equal(path_canonicalize(target, 4, out, sizeof(out), &outlen),
                     PATH_OK);
    assert_string_equal(out, "a/b");
    assert_int_equal(path_canonicalize(target, sizeof(target) - 1, out,
                                       sizeof(out), &outlen),
                     PATH_BAD);
    /* An escape cut by len is malformed, not read past len. */
    assert_int_equal(path_canonicalize("/a%41", 4, out, sizeof(out), &outlen),
                     PATH_BAD);
}

/* "/" followed by n copies of c, NUL-terminated; caller frees. */
static char *
repeat_target(char c, size_t n)
{
    char *t = malloc(n + 2);

    assert_non_null(t);
    t[0] = '/';
    memset(t + 1, c, n);
    t[n + 1] = '\0';
    return t;
}

static void
test_long_targets(void **state)
{
    const size_t outsz = 4096;
    char *out = malloc(outsz);
    char *t;
    size_t outlen = 0;

    (void)state;
    assert_non_null(out);

    /* A single segment exactly outsz - 1 bytes long fits. */
    t = repeat_target('a', outsz - 1);
    assert_int_equal(path_canonicalize(t, strlen(t), out, outsz, &outlen),
                     PATH_OK);
    assert_int_equal(outlen, outsz - 1);
    assert_int_equal(strlen(out), outsz - 1);
    assert_memory_equal(out, t + 1, outsz - 1);
    free(t);

    /* One byte more does not. */
    t = repeat_target('a', outsz);
    assert_int_equal(path_canonicalize(t, strlen(t), out, outsz, &outlen),
                     PATH_TOO_LONG);
    free(t);

    /* 100 KB of one segment. */
    t = repeat_target('b', 100 * 1024);
    assert_int_equal(path_canonicalize(t, strlen(t), out, outsz, &outlen),
                     PATH_TOO_LONG);
    free(t);

    /* 100 KB of slashes canonicalises to a short path. */
    t = repeat_target('/', 100 * 1024);
    t[100 * 1024] = 'z';
    assert_int_equal(path_canonicalize(t, strlen(t), out, outsz, &outlen),
                     PATH_OK);
    assert_string_equal(out, "z");
    assert_int_equal(outlen, 1);
    free(t);

    /* 100 KB of "./" is the root. */
    t = repeat_target('.', 100 * 1024);
    for (size_t i = 2; i <= 100 * 1024; i += 2)
        t[i] = '/';
    assert_int_equal(path_canonicalize(t, strlen(t), out, outsz, &outlen),
                     PATH_OK);
    assert_string_equal(out, "");
    assert_int_equal(outlen, 0);
    free(t);

    /* 100 KB of "%2e%2e/" after one segment still climbs out. */
    {
        const char unit[] = "%2e%2e/";
        size_t n = 100 * 1024 / (sizeof(unit) - 1);
        size_t len = 2 + n * (sizeof(unit) - 1);

        t = malloc(len + 1);
        assert_non_null(t);
        memcpy(t, "/a/", 3);
        for (size_t i = 0; i < n; i++)
            memcpy(t + 3 + i * (sizeof(unit) - 1), unit, sizeof(unit) - 1);
        t[len] = '\0';
        assert_int_equal(path_canonicalize(t, len, out, outsz, &outlen),
                         PATH_BAD);
        free(t);
    }
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonicalize_table),
        cmocka_unit_test(test_len_bounds_the_target),
        cmocka_unit_test(test_long_targets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
