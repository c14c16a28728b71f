/* Unit tests for include/remote/txnfile.h: hostile lines first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/txnfile.h"

struct txn_case {
    const char *in;
    size_t len; /* 0: strlen */
    size_t lines;
    const char *dirs; /* "file/key|" per line given */
};

static const struct txn_case cases[] = {
    {"", 0, 0, ""},
    {"\r\n\n", 0, 0, ""},
    {"a.pdb\\KEY\",\"src\"", 0, 0, ""},  /* no leading quote */
    {"\"a.pdb/KEY\",\"src\"", 0, 0, ""}, /* no backslash */
    {"\"a.pdb\\KEY", 0, 0, ""},          /* no closing quote */
    {"\"\\KEY\",\"s\"", 0, 0, ""},       /* empty file */
    {"\"a.pdb\\\",\"s\"", 0, 0, ""},     /* empty key */
    {"\"..\\KEY\",\"s\"", 0, 0, ""},
    {"\"a.pdb\\..\",\"s\"", 0, 0, ""},
    {"\".\\KEY\",\"s\"", 0, 0, ""},
    {"\"a/b\\KEY\",\"s\"", 0, 0, ""},
    {"\"a\\K/EY\",\"s\"", 0, 0, ""},
    {"\"a\\b\\KEY\",\"s\"", 0, 0, ""}, /* a second backslash */
    {"\"a\tb\\KEY\",\"s\"", 0, 0, ""},
    {"\"a\\KE\x7fY\",\"s\"", 0, 0, ""},
    {"\"a\\K\0EY\",\"s\"", 12, 0, ""}, /* a NUL inside */
    {"\"a.pdb\\KEY\",\"s\"\r\n", 0, 1, "a.pdb/KEY|"},
    {"\"a.pdb\\KEY\",\"s\"", 0, 1, "a.pdb/KEY|"}, /* no line end */
    {"\"a.pdb\\KEY\"", 0, 1, "a.pdb/KEY|"},       /* no source */
    {"\"a.pdb\\K1\",\"s\"\r\nbad\r\n\"b.exe\\K2\",\"c:\\x\\b.exe\"\r\n", 0, 2,
     "a.pdb/K1|b.exe/K2|"},
    {"\"\xc3\xa9.pdb\\K\",\"s\"\n", 0, 1, "\xc3\xa9.pdb/K|"},
    {"\"a.pdb\\KEY\",\"s\"\r\n", 5, 0, ""}, /* len cuts the line */
};

struct seen {
    char dirs[1024];
    size_t n;
};

static void
on_dir(void *arg, const char *file, size_t filelen, const char *key,
       size_t keylen)
{
    struct seen *s = arg;
    int n = snprintf(s->dirs + s->n, sizeof(s->dirs) - s->n, "%.*s/%.*s|",
                     (int)filelen, file, (int)keylen, key);

    assert_true(n > 0 && (size_t)n < sizeof(s->dirs) - s->n);
    s->n += (size_t)n;
}

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct txn_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char *copy = malloc(len ? len : 1); /* exact size for ASan */
        struct seen s = {"", 0};
        size_t got;

        assert_non_null(copy);
        memcpy(copy, c->in, len);
        got = txnfile_dirs(copy, len, on_dir, &s);
        free(copy);
        if (got != c->lines || strcmp(s.dirs, c->dirs) != 0)
            fail_msg("row %zu: %zu lines \"%s\"", i, got, s.dirs);
    }
}

/* A part of TXNFILE_PART_MAX bytes passes, one more does not. */
static void
test_long_parts(void **state)
{
    char line[TXNFILE_PART_MAX + 32];
    struct seen s = {"", 0};

    (void)state;
    line[0] = '"';
    memset(line + 1, 'f', TXNFILE_PART_MAX + 1);
    memcpy(line + 2 + TXNFILE_PART_MAX, "\\K\"", 3);
    assert_int_equal(txnfile_dirs(line, TXNFILE_PART_MAX + 5, on_dir, &s), 0);
    assert_int_equal(txnfile_dirs(line + 1, TXNFILE_PART_MAX + 4, on_dir, &s),
                     0);
    line[1] = '"';
    assert_int_equal(txnfile_dirs(line + 1, TXNFILE_PART_MAX + 4, on_dir, &s),
                     1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_long_parts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
