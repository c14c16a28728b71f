/*
 * keys_breakpad: the MODULE line of a Breakpad .sym. Hostile lines first,
 * then the .sym files of a Mozilla store (the "fixtures" group), whose
 * stored paths are the truth. Every parse goes through kt_parse(): an
 * exact-size copy, so ASan sees a read past the last byte.
 */
#include "keys_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bp_case {
    const char *label;
    const char *buf;
    size_t len; /* 0: strlen(buf) */
    enum keys_rc rc;
    const char *path; /* KEYS_OK: file/key/name */
};

static const struct bp_case cases[] = {
    {"empty", "", 0, KEYS_UNRECOGNISED, NULL},
    {"no MODULE line", "INFO CODE_ID 1234 a.dll\n", 0, KEYS_UNRECOGNISED, NULL},
    {"MODULE second", "\nMODULE Linux x86_64 AB a\n", 0, KEYS_UNRECOGNISED,
     NULL},
    {"lower-case module", "module Linux x86_64 AB a\n", 0, KEYS_UNRECOGNISED,
     NULL},
    {"MODULE only", "MODULE", 0, KEYS_UNRECOGNISED, NULL},
    {"MODULE space", "MODULE \n", 0, KEYS_BAD, NULL},
    {"no newline", "MODULE Linux x86_64 AB libfoo.so", 0, KEYS_BAD, NULL},
    {"missing name", "MODULE Linux x86_64 AB\n", 0, KEYS_BAD, NULL},
    {"empty name", "MODULE Linux x86_64 AB \n", 0, KEYS_BAD, NULL},
    {"missing id", "MODULE Linux x86_64\n", 0, KEYS_BAD, NULL},
    {"missing arch", "MODULE Linux\n", 0, KEYS_BAD, NULL},
    {"double space", "MODULE Linux  x86_64 AB a\n", 0, KEYS_BAD, NULL},
    {"non-hex id", "MODULE Linux x86_64 ABXY a\n", 0, KEYS_BAD, NULL},
    {"id with dash", "MODULE Linux x86_64 AB-CD a\n", 0, KEYS_BAD, NULL},
    {"NUL in name", "MODULE Linux x86_64 AB a\0b\n", 27, KEYS_BAD, NULL},
    {"NUL in id", "MODULE Linux x86_64 A\0B a\n", 26, KEYS_BAD, NULL},
    {"tab in name", "MODULE Linux x86_64 AB a\tb\n", 0, KEYS_BAD, NULL},
    {"slash in name", "MODULE Linux x86_64 AB ../a\n", 0, KEYS_BAD, NULL},
    {"backslash in name", "MODULE windows x86 AB c:\\a.pdb\n", 0, KEYS_BAD,
     NULL},
    {"dot dot name", "MODULE Linux x86_64 AB ..\n", 0, KEYS_BAD, NULL},
    {"trailing space name", "MODULE Linux x86_64 AB a \n", 0, KEYS_BAD, NULL},
    {"bare CR", "MODULE Linux x86_64 AB a\rb\n", 0, KEYS_BAD, NULL},
    {"LF", "MODULE Linux x86_64 8A07C88A3DA44E20A3490D88791183060 ssltunnel\n",
     0, KEYS_OK, "ssltunnel/8A07C88A3DA44E20A3490D88791183060/ssltunnel.sym"},
    {"CRLF", "MODULE windows x86 D57F52D4A2FD56244C4C44205044422E1 a.pdb\r\n",
     0, KEYS_OK, "a.pdb/D57F52D4A2FD56244C4C44205044422E1/a.sym"},
    {"upper PDB", "MODULE windows x86 AB1 A.PDB\n", 0, KEYS_OK,
     "A.PDB/AB1/A.sym"},
    {"so keeps extension", "MODULE Linux x86_64 AB libxul.so\n", 0, KEYS_OK,
     "libxul.so/AB/libxul.so.sym"},
    {"exe keeps extension", "MODULE windows x86 AB a.exe\n", 0, KEYS_OK,
     "a.exe/AB/a.exe.sym"},
    {"only .pdb", "MODULE windows x86 AB .pdb\n", 0, KEYS_OK, ".pdb/AB/.sym"},
    {"name with spaces", "MODULE Mac x86_64 AB Google Chrome Framework\n", 0,
     KEYS_OK, "Google Chrome Framework/AB/Google Chrome Framework.sym"},
    {"one-digit id", "MODULE Linux x86_64 0 a\n", 0, KEYS_OK, "a/0/a.sym"},
    {"lower id kept", "MODULE Linux x86_64 abc a\nFILE 0 a.c\n", 0, KEYS_OK,
     "a/abc/a.sym"},
};

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bp_case *c = &cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->buf);
        struct keys_entry out[KEYS_MAX];
        char why[256] = "";
        size_t n = 0;
        enum keys_rc rc = kt_parse(keys_breakpad, "x.sym", c->buf, len, out,
                                   KEYS_MAX, &n, why, 256);

        kt_check_path(c->label, rc, c->rc, out, n, why, c->path);
    }
}

/* Ids: 1..64 hex digits; a 1000-digit id is refused without overflow. */
static void
test_id_lengths(void **state)
{
    static const size_t lens[] = {1, 33, 40, 64, 65, 159, 1000};
    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char buf[1100];
        struct keys_entry out[1];
        char why[256];
        size_t n = 0;
        int off = snprintf(buf, sizeof(buf), "MODULE Linux x86_64 ");

        memset(buf + off, 'A', lens[i]);
        memcpy(buf + off + lens[i], " a\n", 3);
        enum keys_rc rc =
            kt_parse(keys_breakpad, "a", buf, (size_t)off + lens[i] + 3, out, 1,
                     &n, why, 256);
        assert_int_equal(rc, lens[i] <= 64 ? KEYS_OK : KEYS_BAD);
        if (rc == KEYS_OK)
            assert_int_equal(strlen(out[0].key), lens[i]);
    }
}

/* A name that does not fit a path segment, and a line with no end. */
static void
test_long_lines(void **state)
{
    static char buf[8192];
    struct keys_entry out[1];
    char why[256];
    size_t n = 0;
    int off = snprintf(buf, sizeof(buf), "MODULE Linux x86_64 AB ");
    (void)state;

    memset(buf + off, 'n', 300);
    buf[off + 300] = '\n';
    assert_int_equal(kt_parse(keys_breakpad, "a", buf, (size_t)off + 301, out,
                              1, &n, why, 256),
                     KEYS_BAD);
    memset(buf + off, 'n', sizeof(buf) - (size_t)off);
    assert_int_equal(
        kt_parse(keys_breakpad, "a", buf, sizeof(buf), out, 1, &n, why, 256),
        KEYS_BAD);
    assert_non_null(strstr(why, "line end"));
}

/*
 * Mozilla store paths (Tecken's test data). ShowSSEConfig.sym is stored
 * there under its code file and code id (Tecken's second lookup): the
 * MODULE line gives the debug-file path, and the same stored name.
 */
static const char *const moz[][2] = {
    {"qipcap64.pdb/293A285ED25871934C4C44205044422E1/qipcap64.sym", NULL},
    {"libxul_correct_buildid.dylib/BE555D35C9A93D7FBC23ED48502277E30/"
     "libxul_correct_buildid.dylib.sym",
     NULL},
    {"ssltunnel/8A07C88A3DA44E20A3490D88791183060/ssltunnel.sym", NULL},
    {"c++filt/B2E65520F14FB5332E38A5A5189839AD0/c++filt.sym", NULL},
    {"ShowSSEConfig.exe/6A4B9A365000/ShowSSEConfig.sym",
     "ShowSSEConfig.pdb/D57F52D4A2FD56244C4C44205044422E1/ShowSSEConfig.sym"},
};

static void
test_mozilla_store(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(moz) / sizeof(moz[0]); i++) {
        char rel[512], file[1024], why[256] = "", path[1024];
        struct keys_entry out[KEYS_MAX];
        size_t n = 0;
        const char *want = moz[i][1] != NULL ? moz[i][1] : moz[i][0];

        snprintf(rel, sizeof(rel), "mozilla-store/%s", moz[i][0]);
        unit_fixture_path(file, sizeof(file), rel);
        assert_int_equal(kt_parse_file(keys_breakpad, file, "x.sym", out,
                                       KEYS_MAX, &n, why, sizeof(why)),
                         KEYS_OK);
        assert_int_equal(n, 1);
        kt_join(&out[0], path, sizeof(path));
        assert_string_equal(path, want);
    }
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_id_lengths),
        cmocka_unit_test(test_long_lines),
    };
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_mozilla_store),
    };

    return UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests);
}
