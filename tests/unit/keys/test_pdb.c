/*
 * keys_pdb: real fixtures with the keys symstore.exe gave them, a PDB
 * linked at test time and checked against llvm-pdbutil and llvm-readobj,
 * and synthetic MSF 7.00, JG 2.00 and portable PDBs cut at every byte and
 * patched with hostile sizes, counts and block numbers. Every parse goes
 * through kt_parse(): a copy of exactly its length, so ASan sees overreads.
 */
#include "keys_test.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a copy of buf[0..len) and checks rc, file, key and a reason. */
static void
check_pdb(const char *name, const unsigned char *buf, size_t len,
          enum keys_rc rc, const char *file, const char *key)
{
    kt_check_one(keys_pdb, name, buf, len, rc, file, key);
}

struct fixture_case {
    const char *file;
    enum keys_rc rc;
    const char *stored; /* the name it is stored under */
    const char *key;
};

/* ../shared/fixtures/README.md */
static const struct fixture_case fixture_cases[] = {
    {"dummyprog.pdb", KEYS_OK, "dummyprog.pdb",
     "F6301B4562FE4B4DB691192733ECE6B71"},
    {"dummylib.pdb", KEYS_OK, "dummylib.pdb",
     "86808261E6FD4CC29DC8D3CEC6FC84AF1"},
    {"bigage.pdb", KEYS_OK, "bigage.pdb", "C9A61DDDD7E44353A668E39AC614A7EAa"},
    {"vc140.pdb", KEYS_OK, "vc140.pdb", "A54661FE22A74C50A4763D4F2F6EBCD1"},
    {"HelloWorld.pdb", KEYS_OK, "HelloWorld.pdb",
     "99891B3ED7AE4C3BABFF8A2B4A9B0C431"},
    {"System.Threading.Thread.pdb", KEYS_OK, "system.threading.thread.pdb",
     "a43b38726e6a4b3cb1691f35f0d6cc48FFFFFFFF"},
    {"invalid.pdb", KEYS_UNRECOGNISED, NULL, NULL},
    {"empty.exe", KEYS_BAD, NULL, NULL},
    {"dummyprog.exe", KEYS_UNRECOGNISED, NULL, NULL},
    {"stripped_executable", KEYS_UNRECOGNISED, NULL, NULL},
};

static void
test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]);
         i++) {
        const struct fixture_case *c = &fixture_cases[i];

        kt_check_one_binary(keys_pdb, c->file, c->rc, c->stored, c->key);
    }
}

/* Upper-case hex digits of s, in order, into dst. */
static void
hex_only(const char *s, char *dst, size_t dstlen)
{
    size_t n = 0;

    for (; *s != '\0' && n + 1 < dstlen; s++)
        if (isxdigit((unsigned char)*s))
            dst[n++] = (char)toupper((unsigned char)*s);
    dst[n] = '\0';
}

/* llvm-readobj's PDBGUID bytes "(CB 14 96 F9 ...)" in GUID text order. */
static void
readobj_guid(const char *line, char *dst, size_t dstlen)
{
    static const int order[16] = {3, 2, 1,  0,  5,  4,  7,  6,
                                  8, 9, 10, 11, 12, 13, 14, 15};
    char raw[64];
    size_t i;

    hex_only(strchr(line, '('), raw, sizeof(raw));
    assert_int_equal(strlen(raw), 32);
    assert_true(dstlen > 32);
    for (i = 0; i < 16; i++) {
        dst[2 * i] = raw[2 * order[i]];
        dst[2 * i + 1] = raw[2 * order[i] + 1];
    }
    dst[32] = '\0';
}

/* The decimal after the ':' of a tool's output line. */
static unsigned long
after_colon(const char *line)
{
    return strtoul(strchr(line, ':') + 1, NULL, 10);
}

static void
test_toolchain(void **state)
{
    char dir[] = "/tmp/symsrvd-keys-pdb-XXXXXX", cmd[600], line[512];
    char guid[64], guid2[64], want[80], path[600];
    unsigned long age, age2;

    (void)state;
    if (!kt_have_win_tools())
        fail_msg("clang, lld-link, llvm-readobj and llvm-pdbutil are "
                 "needed: run scripts/deps.sh (packages clang lld llvm)");
    assert_non_null(mkdtemp(dir));
    if (kt_build_win(dir, "x86_64-pc-windows-msvc") != 0)
        fail_msg("clang/lld-link failed in %s", dir);
    snprintf(cmd, sizeof(cmd), "llvm-pdbutil dump --summary '%s/x.pdb'", dir);
    assert_int_equal(kt_grep(cmd, "GUID:", line, sizeof(line)), 0);
    hex_only(strchr(line, '{'), guid, sizeof(guid));
    assert_int_equal(kt_grep(cmd, "Age:", line, sizeof(line)), 0);
    age = after_colon(line);
    snprintf(cmd, sizeof(cmd), "llvm-readobj --coff-debug-directory '%s/x.exe'",
             dir);
    assert_int_equal(kt_grep(cmd, "PDBGUID:", line, sizeof(line)), 0);
    readobj_guid(line, guid2, sizeof(guid2));
    assert_int_equal(kt_grep(cmd, "PDBAge:", line, sizeof(line)), 0);
    age2 = after_colon(line);
    assert_string_equal(guid, guid2);
    assert_int_equal(age, age2);
    snprintf(want, sizeof(want), "%s%lx", guid, age);
    snprintf(path, sizeof(path), "%s/x.pdb", dir);
    kt_check_one_file(keys_pdb, path, "x.pdb", KEYS_OK, "x.pdb", want);
    kt_cleanup_win(dir);
}

/* GUID bytes whose text form is 12345678-1234-5678-9ABC-DEF001234567. */
static const unsigned char guid_bytes[16] = {0x78, 0x56, 0x34, 0x12, 0x34, 0x12,
                                             0x78, 0x56, 0x9a, 0xbc, 0xde, 0xf0,
                                             0x01, 0x23, 0x45, 0x67};
#define GUID_UPPER "12345678123456789ABCDEF001234567"
#define GUID_LOWER "12345678123456789abcdef001234567"

/*
 * MSF 7.00, 512-byte blocks, 8 blocks. 130 streams make the directory
 * 532 bytes, so it spans blocks 4 and 6 (listed in the block map, block
 * 3). Stream 1 (28 bytes) is block 5, stream 3 (DBI, 64) block 7.
 */
#define MSF_BS 512
#define MSF_LEN (8 * MSF_BS)
#define MSF_NSTREAMS 130
#define MSF_DIRLEN (4 + MSF_NSTREAMS * 4 + 8)
#define MSF_S1_LIST (4 + MSF_NSTREAMS * 4)
#define MSF_S3_LIST (MSF_S1_LIST + 4)

/* File offset of byte off of the directory. */
#define MSF_DIR(off)                                                           \
    ((off) < MSF_BS ? 4 * MSF_BS + (off) : 6 * MSF_BS + (off)-MSF_BS)

static void
make_msf(unsigned char *img)
{
    memset(img, 0, MSF_LEN);
    memcpy(img,
           "Microsoft C/C++ MSF 7.00\r\n\x1a"
           "DS\0\0\0",
           32);
    kt_put_le(img, 32, 4, MSF_BS);
    kt_put_le(img, 36, 4, 1);
    kt_put_le(img, 40, 4, 8);
    kt_put_le(img, 44, 4, MSF_DIRLEN);
    kt_put_le(img, 52, 4, 3);
    kt_put_le(img, 3 * MSF_BS, 4, 4);
    kt_put_le(img, 3 * MSF_BS + 4, 4, 6);
    kt_put_le(img, MSF_DIR(0), 4, MSF_NSTREAMS);
    kt_put_le(img, MSF_DIR(4 + 4), 4, 28);
    kt_put_le(img, MSF_DIR(4 + 12), 4, 64);
    kt_put_le(img, MSF_DIR(MSF_S1_LIST), 4, 5);
    kt_put_le(img, MSF_DIR(MSF_S3_LIST), 4, 7);
    kt_put_le(img, 5 * MSF_BS, 4, 20000404);
    kt_put_le(img, 5 * MSF_BS + 8, 4, 1);
    memcpy(img + 5 * MSF_BS + 12, guid_bytes, 16);
    kt_put_le(img, 7 * MSF_BS, 4, 0xFFFFFFFFu);
    kt_put_le(img, 7 * MSF_BS + 4, 4, 19990903);
    kt_put_le(img, 7 * MSF_BS + 8, 4, 0xa);
}

/*
 * JG 2.00, 512-byte blocks, 4 blocks: the directory (22 bytes) in block
 * 2, listed at offset 60; stream 1 (12 bytes) in block 3.
 */
#define JG_LEN (4 * 512)

static void
make_jg(unsigned char *img)
{
    memset(img, 0, JG_LEN);
    memcpy(img, "Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0", 44);
    kt_put_le(img, 44, 4, 512);
    kt_put_le(img, 48, 2, 1);
    kt_put_le(img, 50, 2, 4);
    kt_put_le(img, 52, 4, 22);
    kt_put_le(img, 60, 2, 2);
    kt_put_le(img, 0x400, 4, 2);       /* streams */
    kt_put_le(img, 0x400 + 12, 4, 12); /* stream 1 size */
    kt_put_le(img, 0x400 + 20, 2, 3);  /* stream 1 block */
    kt_put_le(img, 0x600, 4, 19941610);
    kt_put_le(img, 0x604, 4, 0x37A8F40Eu);
    kt_put_le(img, 0x608, 4, 2);
}

/*
 * Portable PDB: metadata root, version "PDB v1.0", two stream headers
 * (#~ at 60, #Pdb at 64), 84 bytes in all.
 */
#define PP_LEN 84

static void
make_pp(unsigned char *img)
{
    memset(img, 0, PP_LEN);
    memcpy(img, "BSJB", 4);
    kt_put_le(img, 4, 2, 1);
    kt_put_le(img, 6, 2, 1);
    kt_put_le(img, 12, 4, 12);
    memcpy(img + 16, "PDB v1.0", 8);
    kt_put_le(img, 30, 2, 2);
    kt_put_le(img, 32, 4, 60);
    kt_put_le(img, 36, 4, 4);
    memcpy(img + 40, "#~", 2);
    kt_put_le(img, 44, 4, 64);
    kt_put_le(img, 48, 4, 20);
    memcpy(img + 52, "#Pdb", 4);
    memcpy(img + 64, guid_bytes, 16);
    kt_put_le(img, 80, 4, 0x5CB7AC29u);
}

/* Every length short of the whole image is refused with a reason. */
static void
test_truncated_everywhere(void **state)
{
    static unsigned char img[MSF_LEN];
    size_t len = 0;

    (void)state;
    make_msf(img);
    for (len = 0; len < MSF_LEN; len++)
        check_pdb("cut.pdb", img, len, KEYS_BAD, NULL, NULL);
    check_pdb("cut.pdb", img, MSF_LEN, KEYS_OK, "cut.pdb", GUID_UPPER "a");
    make_jg(img);
    for (len = 0; len < JG_LEN; len++)
        check_pdb("cut.pdb", img, len, KEYS_BAD, NULL, NULL);
    check_pdb("cut.pdb", img, JG_LEN, KEYS_OK, "cut.pdb", "37A8F40E2");
    make_pp(img);
    for (len = 0; len < PP_LEN; len++)
        check_pdb("Cut.pdb", img, len, KEYS_BAD, NULL, NULL);
    check_pdb("Cut.PDB", img, PP_LEN, KEYS_OK, "cut.pdb",
              GUID_LOWER "FFFFFFFF");
}

enum layout { MSF7, JG, PORTABLE };

struct patch {
    size_t off;
    unsigned width; /* 0: unused */
    uint32_t value;
};

struct patch_case {
    const char *name;
    enum layout layout;
    struct patch p[2];
    enum keys_rc rc;
    const char *key;
};

/* clang-format off */
#define SB(off, v) {(off), 4, (v)}
#define P16(off, v) {(off), 2, (v)}
#define DIR(off, v) {MSF_DIR(off), 4, (v)}
#define S1SIZE(v) DIR(4 + 4, v)
#define S3SIZE(v) DIR(4 + 12, v)
#define NONE {0, 0, 0}
#define MSF_BAD(name, a) {name, MSF7, {a, NONE}, KEYS_BAD, NULL}
#define JG_BAD(name, a) {name, JG, {a, NONE}, KEYS_BAD, NULL}
#define PP_BAD(name, a, b) {name, PORTABLE, {a, b}, KEYS_BAD, NULL}
/* clang-format on */

static const struct patch_case patch_cases[] = {
    MSF_BAD("block size 0", SB(32, 0)),
    MSF_BAD("block size 256", SB(32, 256)),
    MSF_BAD("block size 1000", SB(32, 1000)),
    MSF_BAD("block size 65536", SB(32, 65536)),
    MSF_BAD("block size 0x80000000", SB(32, 0x80000000u)),
    MSF_BAD("block size 0xFFFFFFFF", SB(32, 0xFFFFFFFFu)),
    MSF_BAD("0 blocks", SB(40, 0)),
    MSF_BAD("9 blocks in 8", SB(40, 9)),
    MSF_BAD("0xFFFFFFFF blocks", SB(40, 0xFFFFFFFFu)),
    MSF_BAD("directory 0 bytes", SB(44, 0)),
    MSF_BAD("directory 3 bytes", SB(44, 3)),
    MSF_BAD("directory 0xFFFFFFF0 bytes", SB(44, 0xFFFFFFF0u)),
    MSF_BAD("directory 0xFFFFFFFF bytes", SB(44, 0xFFFFFFFFu)),
    MSF_BAD("directory needs 256 blocks", SB(44, 0x20000)),
    MSF_BAD("directory ends inside a block list", SB(44, MSF_DIRLEN - 1)),
    MSF_BAD("block map at block 0", SB(52, 0)),
    MSF_BAD("block map at block 8 of 8", SB(52, 8)),
    MSF_BAD("block map at 0xFFFFFFFF", SB(52, 0xFFFFFFFFu)),
    MSF_BAD("directory block 8 of 8", SB(3 * MSF_BS, 8)),
    MSF_BAD("second directory block 0xFFFFFFFF", SB(3 * MSF_BS + 4, ~0u)),
    MSF_BAD("0xFFFFFFFF streams", DIR(0, 0xFFFFFFFFu)),
    MSF_BAD("133 streams in a 532-byte directory", DIR(0, 133)),
    MSF_BAD("1 stream: no PDB info", DIR(0, 1)),
    MSF_BAD("3 streams: block lists misread", DIR(0, 3)),
    MSF_BAD("PDB info 27 bytes", S1SIZE(27)),
    MSF_BAD("PDB info 0 bytes", S1SIZE(0)),
    MSF_BAD("PDB info nil", S1SIZE(0xFFFFFFFFu)),
    MSF_BAD("PDB info 0x7FFFFFFF bytes", S1SIZE(0x7FFFFFFF)),
    MSF_BAD("PDB info in block 8", DIR(MSF_S1_LIST, 8)),
    MSF_BAD("PDB info in block 0xFFFFFFFF", DIR(MSF_S1_LIST, 0xFFFFFFFFu)),
    MSF_BAD("DBI 1 byte", S3SIZE(1)),
    MSF_BAD("DBI 63 bytes", S3SIZE(63)),
    MSF_BAD("DBI 600 bytes, list past the directory", S3SIZE(600)),
    MSF_BAD("DBI in block 8", DIR(MSF_S3_LIST, 8)),
    {"DBI 0 bytes: no age", MSF7, {S3SIZE(0), NONE}, KEYS_OK, GUID_UPPER},
    {"DBI nil: no age", MSF7, {S3SIZE(0xFFFFFFFFu), NONE}, KEYS_OK, GUID_UPPER},
    {"DBI age 0", MSF7, {SB(7 * MSF_BS + 8, 0), NONE}, KEYS_OK, GUID_UPPER "0"},
    {"DBI age 0xFFFFFFFF",
     MSF7,
     {SB(7 * MSF_BS + 8, ~0u), NONE},
     KEYS_OK,
     GUID_UPPER "ffffffff"},
    {"info age ignored",
     MSF7,
     {SB(5 * MSF_BS + 8, 7), NONE},
     KEYS_OK,
     GUID_UPPER "a"},
    {"larger directory size",
     MSF7,
     {SB(44, 1024), NONE},
     KEYS_OK,
     GUID_UPPER "a"},
    JG_BAD("JG block size 0", SB(44, 0)),
    JG_BAD("JG block size 3000", SB(44, 3000)),
    JG_BAD("JG 0 blocks", P16(50, 0)),
    JG_BAD("JG 5 blocks in 4", P16(50, 5)),
    JG_BAD("JG directory 0xFFFFFFFF bytes", SB(52, 0xFFFFFFFFu)),
    JG_BAD("JG directory list past the end", SB(52, 0x100000)),
    JG_BAD("JG directory in block 9", P16(60, 9)),
    JG_BAD("JG 0x10000000 streams", SB(0x400, 0x10000000)),
    JG_BAD("JG PDB info 11 bytes", SB(0x400 + 12, 11)),
    JG_BAD("JG PDB info in block 0xFFFF", P16(0x400 + 20, 0xFFFF)),
    {"JG age 0x1f", JG, {SB(0x608, 0x1f), NONE}, KEYS_OK, "37A8F40E1f"},
    PP_BAD("#Pdb offset 0xFFFFFFF0", SB(44, 0xFFFFFFF0u), NONE),
    PP_BAD("#Pdb offset past the end", SB(44, PP_LEN), NONE),
    PP_BAD("#Pdb straddles the end", SB(44, 70), NONE),
    PP_BAD("#Pdb 19 bytes", SB(48, 19), NONE),
    PP_BAD("#Pdb 0xFFFFFFFF bytes", SB(48, 0xFFFFFFFFu), NONE),
    PP_BAD("no #Pdb stream", SB(52, 0x63645023), NONE),
    PP_BAD("0 streams", P16(30, 0), NONE),
    PP_BAD("0xFFFF streams, no #Pdb", P16(30, 0xFFFF), SB(52, 0x63645023)),
    PP_BAD("version length 0xFFFFFFFC", SB(12, 0xFFFFFFFCu), NONE),
    PP_BAD("version length 13", SB(12, 13), NONE),
    PP_BAD("version length 1000", SB(12, 1000), NONE),
    PP_BAD("version length 68: headers past the end", SB(12, 68), NONE),
    PP_BAD("garbled stream name, no #Pdb", SB(40, 0x41414141), SB(44, ~0u)),
};

static void
test_hostile_fields(void **state)
{
    static unsigned char img[MSF_LEN];
    static const size_t lens[] = {MSF_LEN, JG_LEN, PP_LEN};
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
        const struct patch_case *c = &patch_cases[i];

        print_message("  %s\n", c->name);
        if (c->layout == MSF7)
            make_msf(img);
        else if (c->layout == JG)
            make_jg(img);
        else
            make_pp(img);
        for (j = 0; j < 2; j++)
            if (c->p[j].width != 0)
                kt_put_le(img, c->p[j].off, c->p[j].width, c->p[j].value);
        check_pdb("hostile.pdb", img, lens[c->layout], c->rc, "hostile.pdb",
                  c->key);
    }
}

/* Not a PDB at all: refused as unrecognised, with a reason. */
static void
test_unrecognised(void **state)
{
    (void)state;
    check_pdb("a.pdb", (const unsigned char *)"MZ\x90\0", 4, KEYS_UNRECOGNISED,
              NULL, NULL);
    check_pdb("a.pdb", (const unsigned char *)"Microsoft C/C++ MSF 7.01", 24,
              KEYS_UNRECOGNISED, NULL, NULL);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_fixtures),
    };
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toolchain),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_unrecognised),
    };

    return UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests);
}
