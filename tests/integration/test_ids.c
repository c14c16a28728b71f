/*
 * Every client's name for a stored file (docs/store.md, "Identifiers"):
 * a store that `symsrv add` filled from files built here (ELF with and
 * without a separate debug file, Mach-O with and without a dSYM, a
 * Breakpad file alone, a Windows PE and its PDB), then Backtrace's
 * request sequences as a table, each (name, id) pair with its three URLs
 * <name>/<id>/<name>, <name>/<id>/<nam_>, <name>/<id>/<name>.sym, and
 * symbolicator's unified layout. Every 200 is compared byte for byte with
 * the file that should answer.
 *
 * The Breakpad ids are computed here from the build-ids and UUIDs by the
 * test's own conversion (text swapping), not by the code under test, and
 * `symsrv key` must print the same.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#ifndef SYMSRV_BIN
#define SYMSRV_BIN "symsrv"
#endif

static struct daemon srv;
static char in[256]; /* the inputs, under srv.dir */

/* The UUIDs of the Mach-O files written here. */
#define MAC_UUID "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define LIB_UUID "a0b1c2d3e4f5061728394a5b6c7d8e9f"
/* The build-id the Breakpad-only module stands for (never built). */
#define BP_CODE "c0ffee00112233445566778899aabbccddeeff01"

/* Ids found at set-up: build-ids from `symsrv key`, the rest derived. */
static char sep_code[129], sep_debug[41], plain_code[129], plain_debug[41];
static char bp_debug[41], pdb_key[64], pe_key[64];
static bool have_windows;

/*
 * Breakpad's ELF debug id, by text: the first 32 hex digits of the
 * build-id (zero-padded), the first three GUID fields byte-swapped, upper
 * case, then age 0.
 */
static void
elf_debug_id(const char *code, char *out)
{
    static const int from[16] = {3, 2, 1,  0,  5,  4,  7,  6,
                                 8, 9, 10, 11, 12, 13, 14, 15};
    char padded[33];

    snprintf(padded, sizeof(padded), "%s%s", code,
             "00000000000000000000000000000000");
    for (int i = 0; i < 16; i++) {
        out[2 * i] = (char)toupper((unsigned char)padded[2 * from[i]]);
        out[2 * i + 1] = (char)toupper((unsigned char)padded[2 * from[i] + 1]);
    }
    out[32] = '0';
    out[33] = '\0';
}

static void
upper(const char *s, char *out)
{
    size_t i = 0;

    for (; s[i] != '\0'; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = '\0';
}

/* A 64-bit little-endian Mach-O of filetype with one LC_UUID. */
static void
write_macho(const char *path, unsigned filetype, const char *uuid_hex)
{
    unsigned char b[56] = {0};
    const unsigned hdr[8] = {0xfeedfacfu, 0x01000007u, 3, filetype,
                             1,           24,          0, 0};
    FILE *f;

    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 4; k++)
            b[4 * i + k] = (unsigned char)(hdr[i] >> (8 * k));
    b[32] = 0x1b; /* LC_UUID */
    b[36] = 24;   /* cmdsize */
    for (int i = 0; i < 16; i++) {
        unsigned v;

        sscanf(uuid_hex + 2 * i, "%2x", &v);
        b[40 + i] = (unsigned char)v;
    }
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, sizeof(b), f), sizeof(b));
    assert_int_equal(fclose(f), 0);
}

/* The value after prefix in text, up to the next '/', ' ' or ','. */
static void
after(const char *text, const char *prefix, char *out, size_t outsz)
{
    const char *p = strstr(text, prefix);

    if (p == NULL)
        fail_msg("no '%s' in:\n%s", prefix, text);
    p += strlen(prefix);
    snprintf(out, outsz, "%.*s", (int)strcspn(p, "/ ,\n"), p);
}

/* `symsrv key` on one input: its output (malloc'd). */
static char *
key_of(const char *file)
{
    char out[512], *text;

    snprintf(out, sizeof(out), "%s/key.txt", srv.dir);
    if (harness_sh("'%s' key '%s/%s' >'%s'", SYMSRV_BIN, in, file, out) != 0)
        fail_msg("symsrv key %s failed", file);
    text = slurp(out, NULL);
    assert_non_null(text);
    return text;
}

/* symsrv key prints the debug id and code id this test derived. */
static void
check_key_line(const char *file, const char *debug, const char *code)
{
    char *text = key_of(file), want[512];

    snprintf(want, sizeof(want), "%s: debug id %s, code id %s\n", file, debug,
             code);
    if (strstr(text, want) == NULL)
        fail_msg("symsrv key %s: no '%s' in:\n%s", file, want, text);
    free(text);
}

static void
elf_ids(const char *file, char *code, char *debug)
{
    char *text = key_of(file), prefix[300];

    snprintf(prefix, sizeof(prefix), "%s/elf-buildid-", file);
    after(text, prefix, code, 129);
    free(text);
    elf_debug_id(code, debug);
    check_key_line(file, debug, code);
}

static void
build_inputs(void)
{
    char mac_debug[41], lib_debug[41], *text;

    snprintf(in, sizeof(in), "%s/in", srv.dir);
    if (harness_sh(
            "mkdir -p '%s/b' && cd '%s/b' && "
            "printf 'int main(void) { return 0; }\\n' >a.c && "
            "printf 'int main(void) { return 1; }\\n' >b.c && "
            "gcc -g -Wl,--build-id=sha1 -o ../sep a.c && "
            "objcopy --only-keep-debug ../sep ../sep.debug && strip ../sep && "
            "gcc -Wl,--build-id=sha1 -o ../plain b.c && strip ../plain",
            in, in) != 0)
        fail_msg("gcc, objcopy or strip failed in %s", in);
    elf_ids("sep", sep_code, sep_debug);
    elf_ids("plain", plain_code, plain_debug);
    elf_debug_id(BP_CODE, bp_debug);
    /* Breakpad files: one for a module stored in no other form, one for
     * sep, which then has two forms. */
    if (harness_sh(
            "cd '%s' && printf 'MODULE Linux x86_64 %s libbp.so\\nFILE 0 "
            "x.c\\n' >bp.sym && printf 'MODULE Linux x86_64 %s sep\\nFILE 0 "
            "a.c\\n' >sepbp.sym",
            in, bp_debug, sep_debug) != 0)
        fail_msg("writing .sym files failed");
    {
        char p[512];

        snprintf(p, sizeof(p), "%s/macapp", in);
        write_macho(p, 2, MAC_UUID); /* MH_EXECUTE */
        snprintf(p, sizeof(p), "%s/macapp.dwarf", in);
        write_macho(p, 0xa, MAC_UUID); /* MH_DSYM */
        snprintf(p, sizeof(p), "%s/maclib", in);
        write_macho(p, 6, LIB_UUID); /* MH_DYLIB, no dSYM */
    }
    upper(MAC_UUID "0", mac_debug);
    upper(LIB_UUID "0", lib_debug);
    check_key_line("macapp", mac_debug, MAC_UUID);
    check_key_line("maclib", lib_debug, LIB_UUID);
    have_windows =
        harness_sh(
            "cd '%s/b' && clang --target=x86_64-pc-windows-msvc -gcodeview "
            "-c a.c -o a.obj 2>/dev/null && lld-link /debug /out:../x.exe "
            "/pdb:../x.pdb /entry:main /subsystem:console /nodefaultlib "
            "a.obj >/dev/null 2>&1",
            in) == 0;
    if (have_windows) {
        text = key_of("x.pdb");
        after(text, "x.pdb/", pdb_key, sizeof(pdb_key));
        free(text);
        text = key_of("x.exe");
        after(text, "x.exe/", pe_key, sizeof(pe_key));
        free(text);
    }
    if (harness_sh("rm -rf '%s/b'", in) != 0)
        fail_msg("rm failed");
}

static int
setup(void **state)
{
    const char *const flags[] = {NULL};

    (void)state;
    fixture_make(&srv);
    build_inputs();
    if (harness_sh("'%s' add -r -f '%s' -s '%s/ids' -t ids >/dev/null",
                   SYMSRV_BIN, in, srv.dir) != 0)
        fail_msg("symsrv add failed");
    snprintf(srv.root, sizeof(srv.root), "%s/ids", srv.dir);
    daemon_start(&srv, flags);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/* GET path from d: the status, and on 200 the body must be file's bytes;
 * the Cache-Control value goes to cc[256] when cc is not NULL. */
static long
fetch_from(const struct daemon *d, const char *path, const char *file, char *cc)
{
    struct resp r;
    char src[512];
    long code;

    assert_int_equal(http_request(d, "GET", path, NULL, false, &r), 0);
    if (cc != NULL && resp_header(&r, "Cache-Control", cc) == NULL)
        cc[0] = '\0';
    code = r.code;
    if (code == 200 && file == NULL)
        fail_msg("%s: 200, want a miss", path);
    if (code != 200 && file != NULL)
        fail_msg("%s: %ld, want the bytes of %s", path, code, file);
    if (code == 200) {
        size_t len = 0;
        char *bytes;

        snprintf(src, sizeof(src), "%s/%s", in, file);
        bytes = slurp(src, &len);
        assert_non_null(bytes);
        if (r.len != len || memcmp(r.body, bytes, len) != 0)
            fail_msg("%s: %zu bytes, not those of %s (%zu)", path, r.len, file,
                     len);
        free(bytes);
    } else if (code != 404) {
        fail_msg("%s: %ld, want 404", path, code);
    }
    resp_free(&r);
    return code;
}

static long
fetch(const char *path, const char *file)
{
    return fetch_from(&srv, path, file, NULL);
}

/* One (name, id) pair of Backtrace's and what each URL answers with. */
struct pair {
    const char *name;
    const char *id;
    const char *file, *twin, *sym; /* input answering, NULL: 404 */
    bool forms;                    /* the store holds more than one form */
};

/* The name with its last character '_' (symsrv's compressed twin). */
static void
twin_of(const char *name, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s", name);
    out[strlen(out) - 1] = '_';
}

static void
walk(const struct pair *p)
{
    char path[700], twin[256];
    int hits = 0;

    snprintf(path, sizeof(path), "/%s/%s/%s", p->name, p->id, p->name);
    hits += fetch(path, p->file) == 200;
    twin_of(p->name, twin, sizeof(twin));
    snprintf(path, sizeof(path), "/%s/%s/%s", p->name, p->id, twin);
    hits += fetch(path, p->twin) == 200;
    snprintf(path, sizeof(path), "/%s/%s/%s.sym", p->name, p->id, p->name);
    hits += fetch(path, p->sym) == 200;
    if (hits > 1 && !p->forms)
        fail_msg("%s/%s: %d of the three URLs answer", p->name, p->id, hits);
}

/* Backtrace: (debug file, debug id), (code file, code id), (code file,
 * debug id) for every kind of module. */
static void
test_backtrace(void **state)
{
    char mac_debug[41], lib_debug[41];
    const char *const upper_mac = mac_debug;

    (void)state;
    upper(MAC_UUID "0", mac_debug);
    upper(LIB_UUID "0", lib_debug);
    const struct pair pairs[] = {
        /* ELF with a separate debug file: the debug file answers. */
        {"sep", sep_debug, "sep.debug", NULL, "sepbp.sym", true},
        {"sep", sep_code, "sep.debug", NULL, "sepbp.sym", true},
        /* ELF without one: the executable. */
        {"plain", plain_debug, "plain", NULL, NULL, false},
        {"plain", plain_code, "plain", NULL, NULL, false},
        /* Mach-O with a dSYM, and without. */
        {"macapp", upper_mac, "macapp.dwarf", NULL, NULL, false},
        {"macapp", MAC_UUID, "macapp.dwarf", NULL, NULL, false},
        {"maclib", lib_debug, "maclib", NULL, NULL, false},
        {"maclib", LIB_UUID, "maclib", NULL, NULL, false},
        /* Breakpad only: by its debug id, and by the code id it comes
         * from. */
        {"libbp.so", bp_debug, NULL, NULL, "bp.sym", false},
        {"libbp.so", BP_CODE, NULL, NULL, "bp.sym", false},
        /* Misses: another name, another id, an id of another kind. */
        {"other", sep_debug, NULL, NULL, NULL, false},
        {"sep", plain_debug, NULL, NULL, NULL, false},
        {"sep", MAC_UUID, NULL, NULL, NULL, false},
        {"macapp", sep_code, NULL, NULL, NULL, false},
    };

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        walk(&pairs[i]);
}

/* Letter case: names and ids in any case; .sym replacing the extension. */
static void
test_backtrace_spellings(void **state)
{
    char path[700], low[41];

    (void)state;
    for (size_t i = 0; sep_debug[i] != '\0'; i++)
        low[i] = (char)tolower((unsigned char)sep_debug[i]);
    low[strlen(sep_debug)] = '\0';
    snprintf(path, sizeof(path), "/SEP/%s/Sep", low);
    fetch(path, "sep.debug");
    snprintf(path, sizeof(path), "/libbp.so/%s/libbp.sym", bp_debug);
    fetch(path, "bp.sym");
    snprintf(path, sizeof(path), "/LIBBP.SO/%s/LIBBP.SO.SYM", BP_CODE);
    fetch(path, "bp.sym");
}

/* Windows: the ids are the symstore keys, answered as stored. */
static void
test_backtrace_windows(void **state)
{
    (void)state;
    if (!have_windows)
        harness_skip("clang or lld-link cannot build a PE and a PDB here");
    const struct pair pairs[] = {
        {"x.pdb", pdb_key, "x.pdb", NULL, NULL, false},
        {"x.exe", pe_key, "x.exe", NULL, NULL, false},
        {"x.exe", pdb_key, NULL, NULL, NULL, false},
    };

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        walk(&pairs[i]);
}

/* "<id[0:2]>/<id[2:]>/<what>" for id (any case), answered by file. */
static void
unified(const char *id, const char *what, const char *file)
{
    char path[400];

    snprintf(path, sizeof(path), "/%.2s/%s/%s", id, id + 2, what);
    fetch(path, file);
}

/* symbolicator's unified layout; its breakpad paths (the "native"
 * layout's) are the Breakpad URLs above. */
static void
test_symbolicator_unified(void **state)
{
    char up[200], pdb_low[64];

    (void)state;
    unified(sep_code, "executable", "sep");
    unified(sep_code, "debuginfo", "sep.debug");
    unified(sep_code, "breakpad", "sepbp.sym");
    unified(plain_code, "executable", "plain");
    unified(plain_code, "debuginfo", NULL);
    unified(plain_code, "breakpad", NULL);
    unified(MAC_UUID, "executable", "macapp");
    unified(MAC_UUID, "debuginfo", "macapp.dwarf");
    unified(LIB_UUID, "executable", "maclib");
    unified(LIB_UUID, "debuginfo", NULL);
    unified(BP_CODE, "breakpad", "bp.sym");
    unified(BP_CODE, "executable", NULL);
    unified(sep_code, "sourcebundle", NULL);
    /* symbolicator's "uppercase" casing upper-cases the whole path. */
    snprintf(up, sizeof(up), "%s", sep_code);
    upper(up, up);
    unified(up, "DEBUGINFO", "sep.debug");
    if (have_windows) {
        for (size_t i = 0; i <= strlen(pdb_key); i++)
            pdb_low[i] = (char)tolower((unsigned char)pdb_key[i]);
        unified(pdb_low, "debuginfo", "x.pdb");
    }
}

/* debuginfod is answered by the same index. */
static void
test_debuginfod_same_index(void **state)
{
    char path[300];

    (void)state;
    snprintf(path, sizeof(path), "/buildid/%s/executable", sep_code);
    fetch(path, "sep");
    snprintf(path, sizeof(path), "/buildid/%s/debuginfo", sep_code);
    fetch(path, "sep.debug");
}

/* What the index answers may get better (a debug file stored later): it
 * is cached like a miss, while the file under its own key is for good. */
static void
test_cache_control(void **state)
{
    char path[400], by_id[256], by_key[256], miss[256];

    (void)state;
    snprintf(path, sizeof(path), "/plain/%s/plain", plain_debug);
    fetch_from(&srv, path, "plain", by_id);
    snprintf(path, sizeof(path), "/plain/elf-buildid-%s/plain", plain_code);
    fetch_from(&srv, path, "plain", by_key);
    fetch_from(&srv, "/plain/00/plain", NULL, miss);
    assert_string_equal(by_id, miss);
    if (strcmp(by_id, by_key) == 0)
        fail_msg("index answer cached as long as a keyed one: %s", by_id);
}

/* A store changed after start: the index follows (symsrv add touches
 * pingme.txt; the index's thread rescans within about 2 s). */
static void
test_index_follows_store(void **state)
{
    char path[400], code[129], debug[41];
    long long until;

    (void)state;
    if (harness_sh("mkdir -p '%s/late' && cd '%s/late' && "
                   "printf 'int main(void) { return 7; }\n' >c.c && "
                   "gcc -Wl,--build-id=sha1 -o late c.c && rm c.c",
                   in, in) != 0)
        fail_msg("gcc failed");
    {
        char *text, out[512];

        snprintf(out, sizeof(out), "%s/late.txt", srv.dir);
        if (harness_sh("'%s' key '%s/late/late' >'%s'", SYMSRV_BIN, in, out) !=
            0)
            fail_msg("symsrv key failed");
        text = slurp(out, NULL);
        assert_non_null(text);
        after(text, "late/elf-buildid-", code, sizeof(code));
        free(text);
    }
    elf_debug_id(code, debug);
    snprintf(path, sizeof(path), "/late/%s/late", debug);
    fetch(path, NULL);
    if (harness_sh("'%s' add -f '%s/late/late' -s '%s' -t ids >/dev/null",
                   SYMSRV_BIN, in, srv.root) != 0)
        fail_msg("symsrv add failed");
    until = now_ms() + 10000;
    for (;;) {
        struct resp r;

        assert_int_equal(http_request(&srv, "GET", path, NULL, false, &r), 0);
        resp_free(&r);
        if (r.code == 200)
            break;
        if (now_ms() > until)
            fail_msg("%s: still %ld 10 s after the add", path, r.code);
        sleep_ms(100);
    }
    fetch(path, "late/late");
}

/* A two-tier store (index2.txt): the same answers. */
static void
test_two_tier(void **state)
{
    struct daemon t;
    const char *const flags[] = {NULL};
    char path[400];

    (void)state;
    memset(&t, 0, sizeof(t));
    fixture_make(&t);
    if (harness_sh("'%s' add --two-tier -f '%s/sep' '%s/sep.debug' '%s/macapp' "
                   "'%s/macapp.dwarf' '%s/bp.sym' -s '%s/tt' -t ids >/dev/null",
                   SYMSRV_BIN, in, in, in, in, in, t.dir) != 0)
        fail_msg("symsrv add --two-tier failed");
    snprintf(t.root, sizeof(t.root), "%s/tt", t.dir);
    daemon_start(&t, flags);
    snprintf(path, sizeof(path), "/sep/%s/sep", sep_debug);
    fetch_from(&t, path, "sep.debug", NULL);
    snprintf(path, sizeof(path), "/macapp/%s/macapp", MAC_UUID);
    fetch_from(&t, path, "macapp.dwarf", NULL);
    snprintf(path, sizeof(path), "/libbp.so/%s/libbp.so.sym", BP_CODE);
    fetch_from(&t, path, "bp.sym", NULL);
    snprintf(path, sizeof(path), "/%.2s/%s/executable", sep_code, sep_code + 2);
    fetch_from(&t, path, "sep", NULL);
    daemon_finish(&t);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtrace),
        cmocka_unit_test(test_backtrace_spellings),
        cmocka_unit_test(test_backtrace_windows),
        cmocka_unit_test(test_symbolicator_unified),
        cmocka_unit_test(test_debuginfod_same_index),
        cmocka_unit_test(test_cache_control),
        cmocka_unit_test(test_two_tier),
        cmocka_unit_test(test_index_follows_store),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
