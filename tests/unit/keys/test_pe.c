/*
 * keys_pe: real fixtures with the keys symstore.exe gave them, PE files
 * linked at test time and checked against llvm-readobj, and a synthetic
 * image cut at every byte of its headers and patched with hostile values.
 * Every parse goes through kt_parse(): a copy of exactly its length, so
 * ASan sees overreads.
 */
#include "keys_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a copy of buf[0..len) and checks rc, key and a reason. */
static void
check_pe(const char *name, const unsigned char *buf, size_t len,
         enum keys_rc rc, const char *key)
{
    kt_check_one(keys_pe, name, buf, len, rc, name, key);
}

struct fixture_case {
    const char *file;
    enum keys_rc rc;
    const char *key;
};

/* ../shared/fixtures/README.md; the .NET DLL's from llvm-readobj. */
static const struct fixture_case fixture_cases[] = {
    {"dummyprog.exe", KEYS_OK, "5617D4FE8000"},
    {"dummylib.dll", KEYS_OK, "5617D5638000"},
    {"u32_test.dll", KEYS_OK, "E914506Ea000"},
    {"HelloWorld.exe", KEYS_OK, "577F59198000"},
    {"System.Threading.Thread.dll", KEYS_OK, "5CB7AC29b000"},
    {"empty.exe", KEYS_BAD, NULL},
    {"truncated.exe", KEYS_BAD, NULL},
    {"invalid.pdb", KEYS_UNRECOGNISED, NULL},
    {"dummyprog.pdb", KEYS_UNRECOGNISED, NULL},
    {"stripped_executable", KEYS_UNRECOGNISED, NULL},
};

static void
test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]);
         i++) {
        const struct fixture_case *c = &fixture_cases[i];

        kt_check_one_binary(keys_pe, c->file, c->rc, c->file, c->key);
    }
}

/* The value after "(0x" or after ':' on a line of llvm-readobj output. */
static unsigned long
tool_value(const char *line)
{
    const char *p = strstr(line, "(0x");

    if (p != NULL)
        return strtoul(p + 3, NULL, 16);
    p = strchr(line, ':');
    return p != NULL ? strtoul(p + 1, NULL, 10) : 0;
}

/* Links a PE for target and compares with llvm-readobj's headers. */
static void
check_toolchain(const char *target)
{
    char dir[] = "/tmp/symsrvd-keys-pe-XXXXXX", cmd[600], line[512];
    char want[32], path[600];
    unsigned long stamp, size;

    if (!kt_have_win_tools())
        fail_msg("clang, lld-link, llvm-readobj and llvm-pdbutil are "
                 "needed: run scripts/deps.sh (packages clang lld llvm)");
    assert_non_null(mkdtemp(dir));
    if (kt_build_win(dir, target) != 0)
        fail_msg("clang/lld-link failed for %s in %s", target, dir);
    snprintf(cmd, sizeof(cmd), "llvm-readobj --file-headers '%s/x.exe'", dir);
    assert_int_equal(kt_grep(cmd, "TimeDateStamp:", line, sizeof(line)), 0);
    stamp = tool_value(line);
    assert_int_equal(kt_grep(cmd, "SizeOfImage:", line, sizeof(line)), 0);
    size = tool_value(line);
    snprintf(want, sizeof(want), "%08lX%lx", stamp, size);
    snprintf(path, sizeof(path), "%s/x.exe", dir);
    kt_check_one_file(keys_pe, path, "x.exe", KEYS_OK, "x.exe", want);
    kt_cleanup_win(dir);
}

static void
test_toolchain_pe32plus(void **state)
{
    (void)state;
    check_toolchain("x86_64-pc-windows-msvc");
}

static void
test_toolchain_pe32(void **state)
{
    (void)state;
    check_toolchain("i686-pc-windows-msvc");
}

#define IMG_LEN 0x200
#define IMG_OPT 0x58

/* A minimal PE32 or PE32+ with one section; returns its header length. */
static size_t
make_pe(unsigned char *img, int plus)
{
    uint16_t optsize = plus ? 240 : 224;

    memset(img, 0, IMG_LEN);
    img[0] = 'M';
    img[1] = 'Z';
    kt_put_le(img, 0x3c, 4, 0x40);
    memcpy(img + 0x40, "PE\0\0", 4);
    kt_put_le(img, 0x44, 2, plus ? 0x8664 : 0x14c);
    kt_put_le(img, 0x46, 2, 1);          /* NumberOfSections */
    kt_put_le(img, 0x48, 4, 0x12345678); /* TimeDateStamp */
    kt_put_le(img, 0x54, 2, optsize);
    kt_put_le(img, 0x56, 2, 0x22);
    kt_put_le(img, IMG_OPT, 2, plus ? 0x20b : 0x10b);
    kt_put_le(img, IMG_OPT + 56, 4, 0x3000); /* SizeOfImage */
    memcpy(img + IMG_OPT + optsize, ".text", 5);
    return IMG_OPT + optsize + 40;
}

/* Every length short of the headers' end is refused with a reason. */
static void
test_truncated_everywhere(void **state)
{
    unsigned char img[IMG_LEN];
    size_t len, end;
    int plus;

    (void)state;
    for (plus = 0; plus <= 1; plus++) {
        end = make_pe(img, plus);
        for (len = 0; len < end; len++)
            check_pe("cut.exe", img, len, KEYS_BAD, NULL);
        check_pe("cut.exe", img, end, KEYS_OK, "123456783000");
        check_pe("cut.exe", img, IMG_LEN, KEYS_OK, "123456783000");
    }
}

struct patch_case {
    const char *name;
    int plus;
    size_t off;
    unsigned width;
    uint32_t value;
    enum keys_rc rc;
    const char *key;
};

static const struct patch_case patch_cases[] = {
    {"e_lfanew past the end", 1, 0x3c, 4, IMG_LEN, KEYS_BAD, NULL},
    {"e_lfanew 0xFFFFFFF0", 1, 0x3c, 4, 0xFFFFFFF0u, KEYS_BAD, NULL},
    {"e_lfanew 0xFFFFFFFF", 0, 0x3c, 4, 0xFFFFFFFFu, KEYS_BAD, NULL},
    {"e_lfanew straddles the end", 1, 0x3c, 4, IMG_LEN - 2, KEYS_BAD, NULL},
    {"COFF header past the end", 1, 0x3c, 4, IMG_LEN - 20, KEYS_BAD, NULL},
    {"no PE signature", 1, 0x40, 4, 0x454e, KEYS_BAD, NULL},
    {"no MZ", 1, 0, 2, 0x5a4e, KEYS_UNRECOGNISED, NULL},
    {"SizeOfOptionalHeader 0", 1, 0x54, 2, 0, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader 60", 0, 0x54, 2, 60, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader 95 (PE32)", 0, 0x54, 2, 95, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader 111 (PE32+)", 1, 0x54, 2, 111, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader 0xFFFF", 1, 0x54, 2, 0xFFFF, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader past the end", 1, 0x54, 2, 0x1A0, KEYS_BAD, NULL},
    {"SizeOfOptionalHeader 96 (PE32)", 0, 0x54, 2, 96, KEYS_OK, "123456783000"},
    {"NumberOfSections 0xFFFF", 1, 0x46, 2, 0xFFFF, KEYS_BAD, NULL},
    {"NumberOfSections 0", 1, 0x46, 2, 0, KEYS_OK, "123456783000"},
    {"ROM magic 0x107", 1, IMG_OPT, 2, 0x107, KEYS_BAD, NULL},
    {"magic 0", 0, IMG_OPT, 2, 0, KEYS_BAD, NULL},
    {"SizeOfImage 0", 1, IMG_OPT + 56, 4, 0, KEYS_BAD, NULL},
    {"TimeDateStamp padded", 1, 0x48, 4, 1, KEYS_OK, "000000013000"},
    {"TimeDateStamp all ones", 0, 0x48, 4, 0xFFFFFFFFu, KEYS_OK,
     "FFFFFFFF3000"},
    {"SizeOfImage unpadded lower", 1, IMG_OPT + 56, 4, 0xABCDEF, KEYS_OK,
     "12345678abcdef"},
};

static void
test_hostile_fields(void **state)
{
    unsigned char img[IMG_LEN];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
        const struct patch_case *c = &patch_cases[i];

        print_message("  %s\n", c->name);
        make_pe(img, c->plus);
        kt_put_le(img, c->off, c->width, c->value);
        check_pe("hostile.exe", img, IMG_LEN, c->rc, c->key);
    }
}

/* A tiny or absent reason buffer is never overrun. */
static void
test_small_why(void **state)
{
    unsigned char img[IMG_LEN];
    struct keys_entry out;
    char why[2] = {'x', 'y'};
    size_t n = 0;

    (void)state;
    make_pe(img, 1);
    kt_put_le(img, 0x3c, 4, 0xFFFFFFF0u);
    assert_int_equal(
        kt_parse(keys_pe, "a.exe", img, IMG_LEN, &out, 1, &n, why, 1),
        KEYS_BAD);
    assert_int_equal(why[0], '\0');
    assert_int_equal(why[1], 'y');
    assert_int_equal(
        kt_parse(keys_pe, "a.exe", img, IMG_LEN, &out, 1, &n, NULL, 0),
        KEYS_BAD);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_fixtures),
    };
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toolchain_pe32plus),
        cmocka_unit_test(test_toolchain_pe32),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_small_why),
    };

    return UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests);
}
