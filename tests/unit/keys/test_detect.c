/*
 * Unit tests for include/keys/detect.h: which parser claims which bytes,
 * in which order. Every input is an exact-size heap copy, so a parser
 * reading one byte too far is an ASan error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "keys/detect.h"

/* A string literal and its length, so that inputs may hold NUL bytes. */
#define B(s) (const unsigned char *)(s), sizeof(s) - 1

struct detect_case {
    const char *name;
    const char *path;
    const unsigned char *buf;
    size_t len;
    enum keys_rc rc;
    enum keys_format fmt;
    const char *why; /* a substring of the reason, or NULL */
};

static const struct detect_case cases[] = {
    {"empty file", "a.pdb", B(""), KEYS_BAD, KEYS_FORMAT_NONE, "empty"},
    {"one NUL byte", "a", B("\0"), KEYS_UNRECOGNISED, KEYS_FORMAT_NONE,
     "not a symbol file"},
    {"plain text", "notes.txt", B("hello\n"), KEYS_UNRECOGNISED,
     KEYS_FORMAT_NONE, "not a symbol file"},
    {"MZ alone", "a.exe", B("MZ"), KEYS_BAD, KEYS_FORMAT_PE, NULL},
    {"MZ then MODULE text: PE is tried first", "a.sym",
     B("MZMODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 a\n"), KEYS_BAD,
     KEYS_FORMAT_PE, NULL},
    {"MSF 7.00 magic, cut", "a.pdb",
     B("Microsoft C/C++ MSF 7.00\r\n\x1a"
       "DS\0\0\0"),
     KEYS_BAD, KEYS_FORMAT_PDB, NULL},
    {"ELF magic, cut", "liba.so",
     B("\x7f"
       "ELF\x02\x01\x01"),
     KEYS_BAD, KEYS_FORMAT_ELF, NULL},
    {"Mach-O 64 magic, cut", "a.dylib", B("\xcf\xfa\xed\xfe\x07\x00"), KEYS_BAD,
     KEYS_FORMAT_MACHO, NULL},
    {"universal Mach-O magic, cut", "a", B("\xca\xfe\xba\xbe\x00"), KEYS_BAD,
     KEYS_FORMAT_MACHO, NULL},
    {"Breakpad", "dir/liba.so.sym",
     B("MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 liba.so\n"),
     KEYS_OK, KEYS_FORMAT_BREAKPAD, NULL},
    {"Breakpad, bad id", "a.sym", B("MODULE Linux x86_64 XYZ a\n"), KEYS_BAD,
     KEYS_FORMAT_BREAKPAD, NULL},
};

static void
test_detect_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct detect_case *c = &cases[i];
        unsigned char *copy = malloc(c->len > 0 ? c->len : 1);
        struct keys_entry out[KEYS_MAX];
        enum keys_format fmt = KEYS_FORMAT_ELF;
        char why[256] = "";
        size_t n = 0;
        enum keys_rc rc;

        assert_non_null(copy);
        memcpy(copy, c->buf, c->len);
        rc = keys_detect(c->path, copy, c->len, out, KEYS_MAX, &n, &fmt, why,
                         sizeof(why));
        free(copy);
        if (rc != c->rc || fmt != c->fmt)
            fail_msg("%s: rc %d format %s (%s), want rc %d format %s", c->name,
                     rc, keys_format_name(fmt), why, c->rc,
                     keys_format_name(c->fmt));
        if (rc != KEYS_OK && why[0] == '\0')
            fail_msg("%s: no reason given", c->name);
        if (c->why != NULL && strstr(why, c->why) == NULL)
            fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, why, c->why);
    }
}

/* The basename, not the path, names the stored file. */
static void
test_detect_uses_basename(void **state)
{
    static const char sym[] =
        "MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF0 liba.so\n";
    unsigned char *copy = malloc(sizeof(sym) - 1);
    struct keys_entry out[KEYS_MAX];
    char why[256];
    size_t n = 0;

    (void)state;
    assert_non_null(copy);
    memcpy(copy, sym, sizeof(sym) - 1);
    assert_int_equal(keys_detect("/tmp/x/liba.so.sym", copy, sizeof(sym) - 1,
                                 out, KEYS_MAX, &n, NULL, why, sizeof(why)),
                     KEYS_OK);
    free(copy);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].file, "liba.so");
    assert_string_equal(out[0].key, "0123456789ABCDEF0123456789ABCDEF0");
    assert_string_equal(out[0].name, "liba.so.sym");
}

static void
test_format_names(void **state)
{
    (void)state;
    assert_string_equal(keys_format_name(KEYS_FORMAT_PE), "PE");
    assert_string_equal(keys_format_name(KEYS_FORMAT_PDB), "PDB");
    assert_string_equal(keys_format_name(KEYS_FORMAT_ELF), "ELF");
    assert_string_equal(keys_format_name(KEYS_FORMAT_MACHO), "Mach-O");
    assert_string_equal(keys_format_name(KEYS_FORMAT_BREAKPAD), "Breakpad");
    assert_string_equal(keys_format_name(KEYS_FORMAT_NONE), "none");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_table),
        cmocka_unit_test(test_detect_uses_basename),
        cmocka_unit_test(test_format_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
