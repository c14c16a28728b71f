/*
 * keys_macho: thin images of both widths and byte orders, universal files,
 * hostile load-command and fat tables, every truncation of a good file,
 * and the universal dylib of ../shared/fixtures (the "fixtures" group).
 * Every parse goes through kt_parse(): an exact-size copy for ASan.
 */
#include "keys_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LC_SEGMENT 0x1U
#define LC_UUID 0x1bU
#define MH_DYLIB 0x6U
#define MH_DSYM 0xaU
#define IMG_MAX 1024
#define UUID_A "000102030405060708090a0b0c0d0e0f"

struct lc {
    uint32_t cmd, size;
};

struct thin_case {
    const char *label;
    bool be, wide;
    uint32_t filetype;
    struct lc lcs[3];
    size_t nlc;
    int64_t ncmds;      /* -1: nlc */
    int64_t sizeofcmds; /* -1: the bytes written */
    enum keys_rc rc;
    const char *path; /* KEYS_OK: file/key/name */
};

static const struct thin_case thin_cases[] = {
    {"le32",
     false,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 56}, {LC_UUID, 24}},
     2,
     -1,
     -1,
     KEYS_OK,
     "a.dylib/mach-uuid-" UUID_A "/a.dylib"},
    {"be32",
     true,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 56}, {LC_UUID, 24}},
     2,
     -1,
     -1,
     KEYS_OK,
     "a.dylib/mach-uuid-" UUID_A "/a.dylib"},
    {"le64",
     false,
     true,
     MH_DYLIB,
     {{LC_UUID, 24}, {LC_SEGMENT, 72}},
     2,
     -1,
     -1,
     KEYS_OK,
     "a.dylib/mach-uuid-" UUID_A "/a.dylib"},
    {"be64",
     true,
     true,
     MH_DYLIB,
     {{LC_UUID, 24}},
     1,
     -1,
     -1,
     KEYS_OK,
     "a.dylib/mach-uuid-" UUID_A "/a.dylib"},
    {"dSYM",
     false,
     true,
     MH_DSYM,
     {{LC_UUID, 24}},
     1,
     -1,
     -1,
     KEYS_OK,
     "_.dwarf/mach-uuid-sym-" UUID_A "/_.dwarf"},
    {"long LC_UUID",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 32}},
     1,
     -1,
     -1,
     KEYS_OK,
     "a.dylib/mach-uuid-" UUID_A "/a.dylib"},
    {"no LC_UUID",
     false,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 56}},
     1,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"no commands",
     false,
     false,
     MH_DYLIB,
     {{0, 0}},
     0,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"ncmds huge",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 24}},
     1,
     0xffffffff,
     -1,
     KEYS_BAD,
     NULL},
    {"ncmds one too many",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 24}},
     1,
     2,
     32,
     KEYS_BAD,
     NULL},
    {"cmdsize 0",
     false,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 0}, {LC_UUID, 24}},
     2,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"cmdsize 4",
     false,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 4}, {LC_UUID, 24}},
     2,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"cmdsize odd",
     false,
     false,
     MH_DYLIB,
     {{LC_SEGMENT, 10}, {LC_UUID, 24}},
     2,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"cmdsize past sizeofcmds",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 24}},
     1,
     -1,
     16,
     KEYS_BAD,
     NULL},
    {"cmdsize huge",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 0xfffffff0}},
     1,
     -1,
     24,
     KEYS_BAD,
     NULL},
    {"sizeofcmds past end",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 24}},
     1,
     -1,
     0xfffffff0,
     KEYS_BAD,
     NULL},
    {"LC_UUID short",
     false,
     false,
     MH_DYLIB,
     {{LC_UUID, 16}},
     1,
     -1,
     -1,
     KEYS_BAD,
     NULL},
    {"LC_UUID 8",
     true,
     true,
     MH_DYLIB,
     {{LC_UUID, 8}},
     1,
     -1,
     -1,
     KEYS_BAD,
     NULL},
};

static void
put32(unsigned char *p, uint32_t v, bool be)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (be ? 24 - 8 * i : 8 * i));
}

static void
put64be(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32), true);
    put32(p + 4, (uint32_t)v, true);
}

/* Writes a thin image into b (IMG_MAX bytes); returns its length. */
static size_t
make_thin(unsigned char *b, const struct thin_case *c, unsigned char seed)
{
    size_t hs = c->wide ? 32 : 28, off = hs;

    memset(b, 0, IMG_MAX);
    put32(b, c->wide ? 0xfeedfacfU : 0xfeedfaceU, c->be);
    put32(b + 4, 7, c->be);
    put32(b + 12, c->filetype, c->be);
    for (size_t i = 0; i < c->nlc; i++) {
        put32(b + off, c->lcs[i].cmd, c->be);
        put32(b + off + 4, c->lcs[i].size, c->be);
        for (unsigned j = 0; c->lcs[i].cmd == LC_UUID && j < 16; j++)
            b[off + 8 + j] = (unsigned char)(seed + j);
        size_t step = c->lcs[i].size;
        off += step >= 8 && step <= 256 ? step : 24;
    }
    put32(b + 16, c->ncmds < 0 ? (uint32_t)c->nlc : (uint32_t)c->ncmds, c->be);
    put32(b + 20,
          c->sizeofcmds < 0 ? (uint32_t)(off - hs) : (uint32_t)c->sizeofcmds,
          c->be);
    return off;
}

/* keys_macho("a.dylib") of an exact-size copy; why has 256 bytes. */
static enum keys_rc
run(const unsigned char *img, size_t len, struct keys_entry *out, size_t max,
    size_t *n, char *why)
{
    return kt_parse(keys_macho, "a.dylib", img, len, out, max, n, why, 256);
}

static void
test_thin_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(thin_cases) / sizeof(thin_cases[0]); i++) {
        const struct thin_case *c = &thin_cases[i];
        unsigned char img[IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256];
        size_t n = 0, len = make_thin(img, c, 0);
        enum keys_rc rc = run(img, len, out, KEYS_MAX, &n, why);

        kt_check_path(c->label, rc, c->rc, out, n, why, c->path);
    }
}

/* Every prefix of every good thin image is refused, never read past. */
static void
test_thin_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(thin_cases) / sizeof(thin_cases[0]); i++) {
        unsigned char img[IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256];
        size_t n, len = make_thin(img, &thin_cases[i], 0);

        if (thin_cases[i].rc != KEYS_OK)
            continue;
        for (size_t cut = 0; cut < len; cut++) {
            enum keys_rc rc = run(img, cut, out, KEYS_MAX, &n, why);
            assert_int_equal(rc, cut < 4 ? KEYS_UNRECOGNISED : KEYS_BAD);
        }
    }
}

static void
test_not_macho(void **state)
{
    static const unsigned char elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    /* A Java class: 0xcafebabe, then minor 0, major 52. */
    static const unsigned char java[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52};
    struct keys_entry out[1];
    char why[256];
    size_t n;
    (void)state;

    assert_int_equal(run(elf, sizeof(elf), out, 1, &n, why), KEYS_UNRECOGNISED);
    assert_int_equal(run(java, sizeof(java), out, 1, &n, why),
                     KEYS_UNRECOGNISED);
    assert_int_equal(run(java, 3, out, 1, &n, why), KEYS_UNRECOGNISED);
}

struct fat_slice {
    int64_t off; /* -1: where make_fat puts it */
    int64_t size;
    unsigned char seed;
    uint32_t filetype;
};

/* A universal file of n slices; returns its length. */
static size_t
make_fat(unsigned char *b, size_t blen, bool wide, uint32_t nfat,
         const struct fat_slice *s, size_t n)
{
    size_t ent = wide ? 32 : 20, off = 8 + n * ent;

    memset(b, 0, blen);
    put32(b, wide ? 0xcafebabfU : 0xcafebabeU, true);
    put32(b + 4, nfat, true);
    for (size_t i = 0; i < n; i++) {
        struct thin_case c = {"slice",         i % 2 == 1, wide, s[i].filetype,
                              {{LC_UUID, 24}}, 1,          -1,   -1,
                              KEYS_OK,         NULL};
        unsigned char img[IMG_MAX];
        size_t len = make_thin(img, &c, s[i].seed);
        uint64_t o = s[i].off < 0 ? off : (uint64_t)s[i].off;
        uint64_t sz = s[i].size < 0 ? len : (uint64_t)s[i].size;
        unsigned char *e = b + 8 + i * ent;

        if (s[i].off < 0) {
            memcpy(b + off, img, len);
            off += len;
        }
        if (wide) {
            put64be(e + 8, o);
            put64be(e + 16, sz);
        } else {
            put32(e + 8, (uint32_t)o, true);
            put32(e + 12, (uint32_t)sz, true);
        }
    }
    return off;
}

struct fat_case {
    const char *label;
    bool wide;
    int64_t nfat; /* -1: nslices */
    struct fat_slice s[3];
    size_t nslices;
    enum keys_rc rc;
    size_t n; /* entries on KEYS_OK */
};

static const struct fat_case fat_cases[] = {
    {"two slices",
     false,
     -1,
     {{-1, -1, 0, MH_DYLIB}, {-1, -1, 16, MH_DYLIB}},
     2,
     KEYS_OK,
     2},
    {"two slices 64",
     true,
     -1,
     {{-1, -1, 0, MH_DYLIB}, {-1, -1, 16, MH_DSYM}},
     2,
     KEYS_OK,
     2},
    {"identical slices",
     false,
     -1,
     {{-1, -1, 7, MH_DYLIB}, {-1, -1, 7, MH_DYLIB}},
     2,
     KEYS_OK,
     1},
    {"nfat 0", false, 0, {{-1, -1, 0, MH_DYLIB}}, 1, KEYS_BAD, 0},
    {"nfat huge",
     false,
     0xffffffff,
     {{-1, -1, 0, MH_DYLIB}},
     1,
     KEYS_UNRECOGNISED,
     0},
    {"nfat past the end", false, 30, {{-1, -1, 0, MH_DYLIB}}, 1, KEYS_BAD, 0},
    {"slice past the end",
     false,
     -1,
     {{0x10000, 64, 0, MH_DYLIB}},
     1,
     KEYS_BAD,
     0},
    {"slice size past the end",
     false,
     -1,
     {{28, 0xffffff, 0, MH_DYLIB}},
     1,
     KEYS_BAD,
     0},
    {"slice over the header",
     false,
     -1,
     {{0, -1, 0, MH_DYLIB}},
     1,
     KEYS_BAD,
     0},
    {"slice over the table",
     false,
     -1,
     {{-1, -1, 0, MH_DYLIB}, {20, 40, 0, MH_DYLIB}},
     2,
     KEYS_BAD,
     0},
    {"64-bit offset huge",
     true,
     -1,
     {{(int64_t)0x7fffffffffffff00, 0x200, 0, MH_DYLIB}},
     1,
     KEYS_BAD,
     0},
    {"empty slice", false, -1, {{28, 0, 0, MH_DYLIB}}, 1, KEYS_BAD, 0},
};

static void
test_fat_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fat_cases) / sizeof(fat_cases[0]); i++) {
        const struct fat_case *c = &fat_cases[i];
        static unsigned char img[4 * IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256];
        uint32_t nfat = c->nfat < 0 ? (uint32_t)c->nslices : (uint32_t)c->nfat;
        size_t n = 0, len = make_fat(img, sizeof(img), c->wide, nfat, c->s,
                                     c->nslices);
        enum keys_rc rc = run(img, len, out, KEYS_MAX, &n, why);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->label, rc, c->rc, why);
        if (rc == KEYS_OK)
            assert_int_equal(n, c->n);
        for (size_t cut = 4; rc == KEYS_OK && cut < len; cut++)
            assert_int_equal(run(img, cut, out, KEYS_MAX, &n, why), KEYS_BAD);
    }
}

/* Two distinct slices do not fit one entry; a fat slice inside a fat. */
static void
test_fat_limits(void **state)
{
    static unsigned char img[4 * IMG_MAX];
    static const struct fat_slice two[] = {{-1, -1, 0, MH_DYLIB},
                                           {-1, -1, 16, MH_DYLIB}};
    struct keys_entry out[KEYS_MAX];
    char why[256];
    size_t n;
    (void)state;

    size_t len = make_fat(img, sizeof(img), false, 2, two, 2);
    assert_int_equal(run(img, len, out, 1, &n, why), KEYS_BAD);
    /* Point slice 0 at a copy of the fat header: nested fat is refused. */
    memcpy(img + len, img, 8);
    put32(img + 8 + 8, (uint32_t)len, true);
    put32(img + 8 + 12, 8, true);
    assert_int_equal(run(img, len + 8, out, KEYS_MAX, &n, why), KEYS_BAD);
}

/*
 * The armv7 and armv7s slices' UUIDs as printed by
 * `llvm-objdump --macho --private-headers --arch=all` (LLVM 14), LC_UUID:
 * FAD93E41-F2E2-3D11-AAB7-5E98D7FE66D6, E5BF8B93-5F39-3806-A209-33AA98ADF5B7.
 */
#define APPLE_DYLIB "libSystem.Security.Cryptography.Native.Apple.dylib"
static const char *const apple_paths[] = {
    APPLE_DYLIB "/mach-uuid-fad93e41f2e23d11aab75e98d7fe66d6/" APPLE_DYLIB,
    APPLE_DYLIB "/mach-uuid-e5bf8b935f393806a20933aa98adf5b7/" APPLE_DYLIB,
};

static void
test_fixture_universal(void **state)
{
    char file[1024], why[256] = "", path[1024];
    struct keys_entry out[KEYS_MAX];
    size_t n = 0;

    (void)state;
    unit_fixture_path(file, sizeof(file), "binaries/" APPLE_DYLIB);
    assert_int_equal(kt_parse_file(keys_macho, file, APPLE_DYLIB, out, KEYS_MAX,
                                   &n, why, sizeof(why)),
                     KEYS_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 2; i++) {
        kt_join(&out[i], path, sizeof(path));
        assert_string_equal(path, apple_paths[i]);
    }
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_table),
        cmocka_unit_test(test_thin_truncated),
        cmocka_unit_test(test_not_macho),
        cmocka_unit_test(test_fat_table),
        cmocka_unit_test(test_fat_limits),
    };
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_fixture_universal),
    };

    return UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests);
}
