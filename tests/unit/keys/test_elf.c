/*
 * keys_elf: ELF images built here (both classes and byte orders), every
 * truncation and random damage of them, files gcc makes at test time
 * checked against `readelf -n` (the "toolchain" group), and the ELF files
 * of ../shared/fixtures (the "fixtures" group). Every parse goes through
 * kt_parse(): an exact-size copy, which libelf must not write into.
 */
#include "keys_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMG_MAX 2048

enum sec { SEC_NONE, SEC_BITS, SEC_NOBITS };

struct elf_spec {
    bool wide, be;
    size_t idlen;     /* 0: no note */
    const char *note; /* note owner, "GNU" */
    enum sec debug, text;
};

static void
put(unsigned char *p, uint64_t v, size_t size, bool be)
{
    for (size_t i = 0; i < size; i++)
        p[be ? size - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

struct shdr {
    uint32_t name, type;
    uint64_t flags, off, size;
};

static void
put_shdr(unsigned char *p, const struct elf_spec *s, const struct shdr *h)
{
    size_t w = s->wide ? 8 : 4;

    put(p, h->name, 4, s->be);
    put(p + 4, h->type, 4, s->be);
    put(p + 8, h->flags, w, s->be);
    put(p + 8 + 2 * w, h->off, w, s->be);
    put(p + 8 + 3 * w, h->size, w, s->be);
    put(p + 16 + 4 * w, 1, w, s->be); /* sh_addralign */
}

static void
put_ehdr(unsigned char *b, const struct elf_spec *s, size_t shoff,
         uint16_t shnum)
{
    size_t w = s->wide ? 8 : 4, ehsize = s->wide ? 64 : 52;

    memcpy(b,
           "\x7f"
           "ELF",
           4);
    b[4] = s->wide ? 2 : 1;   /* EI_CLASS */
    b[5] = s->be ? 2 : 1;     /* EI_DATA */
    b[6] = 1;                 /* EI_VERSION */
    put(b + 16, 3, 2, s->be); /* ET_DYN */
    put(b + 18, s->wide ? 62 : 3, 2, s->be);
    put(b + 20, 1, 4, s->be);
    put(b + 24 + 2 * w, shoff, w, s->be);
    put(b + 28 + 3 * w, ehsize, 2, s->be);
    put(b + 34 + 3 * w, s->wide ? 64 : 40, 2, s->be); /* e_shentsize */
    put(b + 36 + 3 * w, shnum, 2, s->be);
    put(b + 38 + 3 * w, 2, 2, s->be); /* e_shstrndx */
}

#define STRTAB "\0.note.gnu.build-id\0.shstrtab\0.debug_info\0.text"
#define STRTAB_LEN sizeof(STRTAB)

/* Lays out ehdr, note, names, two 16-byte bodies, section headers. */
static size_t
make_elf(unsigned char *b, const struct elf_spec *s)
{
    size_t off = s->wide ? 64 : 52, note = off, shentsize = s->wide ? 64 : 40;
    struct shdr h[5] = {{0, 0, 0, 0, 0}};
    uint16_t k = 1;

    memset(b, 0, IMG_MAX);
    put(b + off, 4, 4, s->be);
    put(b + off + 4, s->idlen, 4, s->be);
    put(b + off + 8, 3, 4, s->be); /* NT_GNU_BUILD_ID */
    memcpy(b + off + 12, s->note, 4);
    for (size_t i = 0; i < s->idlen; i++)
        b[off + 16 + i] = (unsigned char)(0xa0 + i);
    off += 16 + (s->idlen + 3) / 4 * 4;
    if (s->idlen > 0)
        h[k++] = (struct shdr){1, 7, 2, note, off - note}; /* SHT_NOTE */
    memcpy(b + off, STRTAB, STRTAB_LEN);
    h[k++] = (struct shdr){20, 3, 0, off, STRTAB_LEN};
    off += STRTAB_LEN + 32;
    if (s->debug != SEC_NONE)
        h[k++] =
            (struct shdr){30, s->debug == SEC_BITS ? 1U : 8U, 0, off - 32, 16};
    if (s->text != SEC_NONE)
        h[k++] =
            (struct shdr){42, s->text == SEC_BITS ? 1U : 8U, 6, off - 16, 16};
    off = (off + 7) / 8 * 8;
    for (uint16_t i = 0; i < k; i++)
        put_shdr(b + off + i * shentsize, s, &h[i]);
    /* The string table is section 1 without a note, 2 with one. */
    put_ehdr(b, s, off, k);
    put(b + (s->wide ? 62 : 50), s->idlen > 0 ? 2 : 1, 2, s->be);
    return off + k * shentsize;
}

/* keys_elf("a.out") of an exact-size copy; why has 256 bytes. */
static enum keys_rc
run(const unsigned char *img, size_t len, struct keys_entry *out, size_t *n,
    char *why)
{
    return kt_parse(keys_elf, "a.out", img, len, out, KEYS_MAX, n, why, 256);
}

#define ID20 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"
#define ID16P "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf00000000"
#define ID1P "a000000000000000000000000000000000000000"

struct elf_case {
    const char *label;
    struct elf_spec s;
    enum keys_rc rc;
    const char *path[2];
};

static const struct elf_case cases[] = {
    {"64 LE exe",
     {true, false, 20, "GNU", SEC_NONE, SEC_BITS},
     KEYS_OK,
     {"a.out/elf-buildid-" ID20 "/a.out", NULL}},
    {"32 BE with debug",
     {false, true, 20, "GNU", SEC_BITS, SEC_BITS},
     KEYS_OK,
     {"a.out/elf-buildid-" ID20 "/a.out",
      "_.debug/elf-buildid-sym-" ID20 "/_.debug"}},
    {"64 BE md5 padded",
     {true, true, 16, "GNU", SEC_NONE, SEC_BITS},
     KEYS_OK,
     {"a.out/elf-buildid-" ID16P "/a.out", NULL}},
    {"32 LE 1-byte id",
     {false, false, 1, "GNU", SEC_NONE, SEC_NONE},
     KEYS_OK,
     {"a.out/elf-buildid-" ID1P "/a.out", NULL}},
    {"debug only",
     {true, false, 20, "GNU", SEC_BITS, SEC_NOBITS},
     KEYS_OK,
     {"_.debug/elf-buildid-sym-" ID20 "/_.debug", NULL}},
    {"debug only, no text",
     {false, true, 20, "GNU", SEC_BITS, SEC_NONE},
     KEYS_OK,
     {"_.debug/elf-buildid-sym-" ID20 "/_.debug", NULL}},
    {"NOBITS debug",
     {true, false, 20, "GNU", SEC_NOBITS, SEC_BITS},
     KEYS_OK,
     {"a.out/elf-buildid-" ID20 "/a.out", NULL}},
    {"64-byte id",
     {true, false, 64, "GNU", SEC_NONE, SEC_BITS},
     KEYS_OK,
     {NULL, NULL}},
    {"65-byte id",
     {true, false, 65, "GNU", SEC_NONE, SEC_BITS},
     KEYS_BAD,
     {NULL, NULL}},
    {"no note",
     {true, false, 0, "GNU", SEC_BITS, SEC_BITS},
     KEYS_BAD,
     {NULL, NULL}},
    {"other owner",
     {true, false, 20, "XYZ", SEC_NONE, SEC_BITS},
     KEYS_BAD,
     {NULL, NULL}},
};

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct elf_case *c = &cases[i];
        unsigned char img[IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256], path[1024];
        size_t n = 0, len = make_elf(img, &c->s);
        enum keys_rc rc = run(img, len, out, &n, why);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->label, rc, c->rc, why);
        for (size_t j = 0; rc == KEYS_OK && j < 2 && c->path[j]; j++) {
            assert_true(j < n);
            kt_join(&out[j], path, sizeof(path));
            assert_string_equal(path, c->path[j]);
        }
        if (rc == KEYS_OK && c->path[0] != NULL)
            assert_int_equal(n, c->path[1] != NULL ? 2 : 1);
    }
}

/* Cut at every byte, each header boundary included: refused, cleanly. */
static void
test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char img[IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256];
        size_t n, len = make_elf(img, &cases[i].s);

        if (cases[i].rc != KEYS_OK)
            continue;
        for (size_t cut = 0; cut < len; cut++) {
            enum keys_rc rc = run(img, cut, out, &n, why);
            if (rc != (cut < 4 ? KEYS_UNRECOGNISED : KEYS_BAD))
                fail_msg("%s cut at %zu: rc %d (%s)", cases[i].label, cut, rc,
                         why);
        }
    }
}

/* Random bytes after the magic, and random damage to good images. */
static void
test_random(void **state)
{
    uint32_t x = 12345;
    (void)state;
    for (int i = 0; i < 3000; i++) {
        unsigned char img[IMG_MAX];
        struct keys_entry out[KEYS_MAX];
        char why[256];
        size_t n, len = make_elf(img, &cases[i % 7].s);

        for (size_t j = 4; i < 500 && j < len; j++) {
            x = x * 1103515245U + 12345U;
            img[j] = (unsigned char)(x >> 16);
        }
        for (int j = 0; i >= 500 && j < 1 + i % 8; j++) {
            x = x * 1103515245U + 12345U;
            img[4 + (x >> 8) % (len - 4)] = (unsigned char)(x >> 16);
        }
        enum keys_rc rc = run(img, len, out, &n, why);
        assert_true(rc == KEYS_OK || rc == KEYS_BAD);
    }
}

/* Parses path (an exact-size copy) and checks it against want[0..2). */
static void
check_file(const char *path, const char *base, enum keys_rc want_rc,
           const char *const want[2])
{
    struct keys_entry out[KEYS_MAX];
    char why[256] = "", got[1024];
    size_t n = 0;
    enum keys_rc rc =
        kt_parse_file(keys_elf, path, base, out, KEYS_MAX, &n, why, 256);

    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d (%s)", path, rc, want_rc, why);
    for (size_t j = 0; rc == KEYS_OK && j < 2; j++) {
        if (want[j] == NULL) {
            assert_int_equal(n, j);
            break;
        }
        assert_true(j < n);
        kt_join(&out[j], got, sizeof(got));
        assert_string_equal(got, want[j]);
    }
}

#define FX_ID "126ba1461caf6644cfdd124bfcceeffa81b18897"
#define FX_SSL "8ac8078aa43d204ea3490d88791183066c426696"

struct fixture {
    const char *path, *base;
    enum keys_rc rc;
    const char *want[2];
};

/*
 * Keys from ../shared/fixtures/README.md. a.dbg is ssltunnel's separate
 * debug file (sections NOBITS but DWARF): its build-id is the INFO CODE_ID
 * of ssltunnel.sym beside it.
 */
static const struct fixture fixtures[] = {
    {"binaries/stripped_executable",
     "stripped_executable",
     KEYS_OK,
     {"stripped_executable/elf-buildid-" FX_ID "/stripped_executable", NULL}},
    {"binaries/symbolized_executable",
     "symbolized_executable",
     KEYS_OK,
     {"symbolized_executable/elf-buildid-" FX_ID "/symbolized_executable",
      "_.debug/elf-buildid-sym-" FX_ID "/_.debug"}},
    {"binaries/md5_build_id",
     "md5_build_id",
     KEYS_OK,
     {"md5_build_id/elf-buildid-001ba81f23966cf77e40bcbb0701cd3400000000/"
      "md5_build_id",
      NULL}},
    {"binaries/renamed_build_id_section",
     "renamed_build_id_section",
     KEYS_OK,
     {"renamed_build_id_section/elf-buildid-"
      "1bd6a199dcb6f234558d9439cfcbba2727f1e1d9/renamed_build_id_section",
      NULL}},
    {"mozilla-store/ssltunnel/8A07C88A3DA44E20A3490D88791183060/a.dbg",
     "a.dbg",
     KEYS_OK,
     {"_.debug/elf-buildid-sym-" FX_SSL "/_.debug", NULL}},
    {"binaries/dummyprog.exe",
     "dummyprog.exe",
     KEYS_UNRECOGNISED,
     {NULL, NULL}},
};

static void
test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        const struct fixture *f = &fixtures[i];
        char path[1024];

        unit_fixture_path(path, sizeof(path), f->path);
        check_file(path, f->base, f->rc, f->want);
    }
}

static int
sh(const char *dir, const char *cmd)
{
    char line[1024];

    snprintf(line, sizeof(line), "cd '%s' && { %s; } >/dev/null 2>&1", dir,
             cmd);
    return system(line);
}

/* The build-id `readelf -n` prints, padded to 20 bytes as SSQP says. */
static bool
readelf_id(const char *dir, const char *file, char *id, size_t idlen)
{
    char cmd[1024], line[512];
    bool found = false;

    snprintf(cmd, sizeof(cmd), "readelf -n '%s/%s' 2>/dev/null", dir, file);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return false;
    while (fgets(line, sizeof(line), p) != NULL) {
        char *at = strstr(line, "Build ID: ");
        if (at == NULL || found)
            continue;
        at += strlen("Build ID: ");
        at[strcspn(at, "\r\n ")] = '\0';
        snprintf(id, idlen, "%.80s%.*s", at,
                 strlen(at) < 40 ? (int)(40 - strlen(at)) : 0,
                 "0000000000000000000000000000000000000000");
        found = true;
    }
    pclose(p);
    return found;
}

enum { G_EXE = 1, G_DBG = 2 };

struct gcc_case {
    const char *cmd, *file;
    int want; /* G_EXE | G_DBG; 0: no build-id, KEYS_BAD */
};

static const struct gcc_case gcc_cases[] = {
    {"gcc -g -Wl,--build-id=sha1 -o sha1 hello.c", "sha1", G_EXE | G_DBG},
    {"gcc -g -Wl,--build-id=md5 -o md5 hello.c", "md5", G_EXE | G_DBG},
    {"gcc -Wl,--build-id=0x0102abcd -o hexid hello.c", "hexid", G_EXE},
    {"gcc -g -Wl,--build-id=none -o none hello.c", "none", 0},
    {"strip -o stripped sha1", "stripped", G_EXE},
    {"objcopy --only-keep-debug sha1 sha1.debug", "sha1.debug", G_DBG},
    {"gcc -g -c -o obj.o hello.c", "obj.o", 0},
};

static void
check_gcc(const char *dir, const struct gcc_case *c)
{
    char path[1024], id[128] = "", want[2][512];
    const char *w[2] = {NULL, NULL};
    size_t k = 0;

    if (sh(dir, c->cmd) != 0)
        fail_msg("%s failed", c->cmd);
    assert_int_equal(readelf_id(dir, c->file, id, sizeof(id)), c->want != 0);
    if ((c->want & G_EXE) != 0) {
        snprintf(want[k], sizeof(want[k]), "%s/elf-buildid-%s/%s", c->file, id,
                 c->file);
        w[k] = want[k], k++;
    }
    if ((c->want & G_DBG) != 0) {
        snprintf(want[k], sizeof(want[k]), "_.debug/elf-buildid-sym-%s/_.debug",
                 id);
        w[k] = want[k], k++;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, c->file);
    check_file(path, c->file, c->want != 0 ? KEYS_OK : KEYS_BAD, w);
}

/* Real files cut at every byte (libelf alone would accept most cuts). */
static void
check_cuts(const char *dir, const char *file)
{
    char path[1024], why[256];
    struct keys_entry out[KEYS_MAX];
    size_t len = 0, n;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    unsigned char *whole = unit_slurp(path, &len);
    assert_non_null(whole);
    for (size_t cut = 0; cut < len; cut++) {
        enum keys_rc rc = run(whole, cut, out, &n, why);
        if (rc != (cut < 4 ? KEYS_UNRECOGNISED : KEYS_BAD))
            fail_msg("%s cut at %zu: rc %d (%s)", file, cut, rc, why);
    }
    free(whole);
}

static void
test_gcc(void **state)
{
    char dir[] = "/tmp/test_keys_elf.XXXXXX", cmd[256];
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (sh(dir, "printf 'int main(void) { return 0; }\\n' >hello.c") != 0 ||
        sh(dir, "gcc --version && readelf --version && objcopy --version") !=
            0) {
        assert_int_equal(system(cmd), 0);
        unit_skip("gcc, readelf or objcopy missing");
    }
    for (size_t i = 0; i < sizeof(gcc_cases) / sizeof(gcc_cases[0]); i++)
        check_gcc(dir, &gcc_cases[i]);
    check_cuts(dir, "sha1");
    check_cuts(dir, "stripped");
    check_cuts(dir, "sha1.debug");
    assert_int_equal(system(cmd), 0);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_random),
    };
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_fixtures),
    };
    static const struct CMUnitTest toolchain_tests[] = {
        cmocka_unit_test(test_gcc),
    };
    static const struct unit_group groups[] = {
        UNIT_GROUP(NULL, tests, false),
        UNIT_GROUP("fixtures", fixture_tests, true),
        UNIT_GROUP("toolchain", toolchain_tests, false),
    };

    return unit_main(argc, argv, groups, sizeof(groups) / sizeof(groups[0]));
}
