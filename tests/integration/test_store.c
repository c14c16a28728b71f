/*
 * Store semantics: case-blind lookups on every segment (exact match first,
 * duplicates resolved the documented way, changes noticed), two-tier
 * stores (index2.txt) under both URL forms, hidden names in any case, and
 * store.serve_admin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define KEY "0123456789ABCDEF0123456789ABCDEF1"

static struct daemon srv;

static void
put_file(const char *rel, const char *text)
{
    fixture_put(&srv, rel, text, strlen(text));
}

static void
start(const char *const *extra)
{
    fixture_make(&srv);
    put_file("dup.pdb/" KEY "/dup.pdb", "lower");
    put_file("dup.pdb/" KEY "/DUP.pdb", "upper");
    put_file("Mixed.PDB/" KEY "/Mixed.PDB", "mixed");
    daemon_start(&srv, extra);
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/* GET target; status must be want, and for 200 the body text. */
static void
expect(const char *target, long want, const char *body)
{
    struct resp r;

    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    if (r.code != want)
        fail_msg("%s: got %ld, want %ld", target, r.code, want);
    if (body != NULL && strcmp(r.body != NULL ? r.body : "", body) != 0)
        fail_msg("%s: body '%s', want '%s'", target, r.body, body);
    resp_free(&r);
}

struct case_case {
    const char *target;
    long status;
    const char *body;
};

static const struct case_case case_cases[] = {
    {"/Mixed.PDB/" KEY "/Mixed.PDB", 200, "mixed"},
    {"/mixed.pdb/" KEY "/mixed.pdb", 200, "mixed"},
    {"/MIXED.PDB/0123456789abcdef0123456789abcdef1/MIXED.PDB", 200, "mixed"},
    {"/mIxEd.pDb/0123456789AbCdEf0123456789aBcDeF1/MiXeD.PdB", 200, "mixed"},
    {"/MIXED.PDB%2F" KEY "%2Fmixed.pdb", 200, "mixed"},
    /* an exact match wins over a case-blind one */
    {"/dup.pdb/" KEY "/dup.pdb", 200, "lower"},
    {"/dup.pdb/" KEY "/DUP.pdb", 200, "upper"},
    /* otherwise the name that sorts first byte by byte: "DUP" < "dup" */
    {"/dup.pdb/" KEY "/Dup.Pdb", 200, "upper"},
    {"/DUP.PDB/0123456789abcdef0123456789abcdef1/dup.PDB", 200, "upper"},
    /* misses stay misses in any case */
    {"/MIXED.PDB/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1/MIXED.PDB", 404, NULL},
    {"/mixed.pdb/" KEY "/other.pdb", 404, NULL},
    {"/MIXED.PDB/" KEY, 404, NULL},
    /* hidden names are hidden in every case */
    {"/APP.PDB/" KEY "/REFS.PTR", 404, NULL},
    {"/app.pdb/" KEY "/File.Ptr", 404, NULL},
    {"/000ADMIN/LASTID.TXT", 404, NULL},
    {"/.HIDDEN", 404, NULL},
    {"/index2.txt", 404, NULL},
};

static void
test_case_blind(void **state)
{
    (void)state;
    start(NULL);
    for (int pass = 0; pass < 2; pass++) /* cold, then learned */
        for (size_t i = 0; i < sizeof(case_cases) / sizeof(case_cases[0]); i++)
            expect(case_cases[i].target, case_cases[i].status,
                   case_cases[i].body);
}

/* What was learned follows the tree: new files, removals, renames. */
static void
test_changes_noticed(void **state)
{
    char from[512], to[512];

    (void)state;
    start(NULL);
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 200, "mixed");
    put_file("Mixed.PDB/" KEY "/New.pdb", "new");
    expect("/MIXED.PDB/" KEY "/NEW.PDB", 200, "new");
    put_file("Fresh.pdb/ABC1/Fresh.pdb", "fresh");
    expect("/fresh.pdb/abc1/fresh.pdb", 200, "fresh");
    snprintf(from, sizeof(from), "%s/Mixed.PDB/" KEY "/Mixed.PDB", srv.root);
    snprintf(to, sizeof(to), "%s/Mixed.PDB/" KEY "/renamed.pdb", srv.root);
    assert_int_equal(rename(from, to), 0);
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 404, NULL);
    expect("/MIXED.PDB/" KEY "/RENAMED.PDB", 200, "mixed");
    put_file("Mixed.PDB/" KEY "/mixed.pdb", "again");
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 200, "again");
}

/* index2.txt: files under their name's first two characters (one if the
 * second is '.'); both the plain and the prefixed URL answer. */
static void
test_two_tier(void **state)
{
    (void)state;
    fixture_make(&srv);
    put_file("index2.txt", "");
    put_file("ap/app2.pdb/" KEY "/app2.pdb", "two-tier");
    put_file("a/a.dll/5F3E2A1B6000/a.dll", "one-char");
    put_file("ZZ/ZzTop.exe/5F3E2A1B6000/ZzTop.exe", "upper-prefix");
    daemon_start(&srv, NULL);
    expect("/index2.txt", 200, "");
    expect("/app2.pdb/" KEY "/app2.pdb", 200, "two-tier");
    expect("/ap/app2.pdb/" KEY "/app2.pdb", 200, "two-tier");
    expect("/APP2.PDB/0123456789abcdef0123456789abcdef1/App2.pdb", 200,
           "two-tier");
    expect("/AP/APP2.PDB/" KEY "/APP2.PDB", 200, "two-tier");
    expect("/a.dll/5F3E2A1B6000/a.dll", 200, "one-char");
    expect("/a/a.dll/5f3e2a1b6000/A.DLL", 200, "one-char");
    expect("/zztop.exe/5f3e2a1b6000/zztop.exe", 200, "upper-prefix");
    expect("/app2.pdb/FFFF/app2.pdb", 404, NULL);
    /* a single-tier file in a two-tier store still answers */
    expect("/app.exe/5F3E2A1B6000/app.exe", 200, NULL);
}

static void
test_serve_admin(void **state)
{
    static const char *const flags[] = {"--serve-admin", "on", NULL};

    (void)state;
    start(flags);
    expect("/000Admin/lastid.txt", 200, "0000000001");
    expect("/000admin/LASTID.TXT", 200, "0000000001");
    expect("/app.pdb/" KEY "/refs.ptr", 404, NULL);
}

/* Makes store/<name>/<KEY>/<name with '_'> a CAB of a file named name of
 * size bytes; the original stays in dir/<name>. */
static void
make_twin(const char *name, size_t size, unsigned seed)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "%s/" KEY "/%s", name, name);
    fixture_twin(&srv, rel, size, seed);
}

static void
expect_file(const char *target, const char *name)
{
    char path[512];
    size_t len;
    char *want;
    struct resp r;

    snprintf(path, sizeof(path), "%s/%s", srv.dir, name);
    want = slurp(path, &len);
    assert_non_null(want);
    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    if (r.code != 200 || r.len != len || memcmp(r.body, want, len) != 0)
        fail_msg("%s: %ld, %zu bytes, want 200 and %zu bytes of %s", target,
                 r.code, r.len, len, name);
    resp_free(&r);
    free(want);
}

/* Set by test_twin_cache_full(): cache_dir is a 64 KiB tmpfs. */
static bool tiny_cache;

/* Mounts a 64 KiB tmpfs on cache_dir; false when that cannot be done
 * (not root, no mount(8), no tmpfs). */
static bool
mount_tiny(const char *dir)
{
    char cmd[1000];

    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s' && mount -t tmpfs -o size=64k tmpfs '%s' "
             ">/dev/null 2>&1",
             dir, dir);
    return system(cmd) == 0;
}

static void
start_twins(bool expand)
{
    static char cache_flag[300], ptr_flag[300];
    const char *flags[] = {
        "--expand-compressed", "on",     "--cache-dir", cache_flag,
        "--pointer-roots",     ptr_flag, NULL};

    fixture_make(&srv);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    if (tiny_cache && !mount_tiny(cache_flag)) {
        tiny_cache = false;
        fixture_remove(&srv);
        memset(&srv, 0, sizeof(srv));
        harness_skip("cannot mount a tmpfs on the cache directory");
    }
    snprintf(ptr_flag, sizeof(ptr_flag), "%s/outside", srv.dir);
    make_twin("twin.pdb", 300000, 7);
    daemon_start(&srv, expand ? flags : flags + 4);
}

/* Without expand_compressed: app.pdb 404s (symsrv then asks for app.pd_),
 * and app.pd_ is served as stored. */
static void
test_twin_not_expanded(void **state)
{
    char cab[512];

    (void)state;
    start_twins(false);
    expect("/twin.pdb/" KEY "/twin.pdb", 404, NULL);
    snprintf(cab, sizeof(cab), "twin.pdb/" KEY "/twin.pd_");
    expect_file("/twin.pdb/" KEY "/twin.pd_",
                "store/twin.pdb/" KEY "/twin.pd_");
    (void)cab;
}

static void
test_twin_expanded(void **state)
{
    static const char *const range[] = {"Range: bytes=100-199", NULL};
    unsigned char want[300000];
    struct resp r;

    (void)state;
    start_twins(true);
    expect_file("/twin.pdb/" KEY "/twin.pdb", "twin.pdb");
    expect_file("/TWIN.PDB/" KEY "/Twin.Pdb", "twin.pdb");
    expect_file("/twin.pdb/" KEY "/twin.pd_",
                "store/twin.pdb/" KEY "/twin.pd_");
    fixture_bytes(sizeof(want), 7, want);
    assert_int_equal(http_request(&srv, "GET", "/twin.pdb/" KEY "/twin.pdb",
                                  range, false, &r),
                     0);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 100);
    assert_memory_equal(r.body, want + 100, 100);
    resp_free(&r);
}

/* A cut or damaged CAB never yields a partial file: 404 and a log line. */
static void
test_twin_corrupt(void **state)
{
    char path[512], cmd[1200];
    struct stat st;

    (void)state;
    start_twins(true);
    daemon_allow_stderr("symsrvd: expand twin.pdb/" KEY "/twin.pd_: ");
    snprintf(path, sizeof(path), "%s/twin.pdb/" KEY "/twin.pd_", srv.root);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    expect("/twin.pdb/" KEY "/twin.pdb", 404, NULL);
    snprintf(path, sizeof(path), "%s/cache/twin.pdb/" KEY "/twin.pd_", srv.dir);
    assert_int_equal(stat(path, &st), -1);
    snprintf(cmd, sizeof(cmd), "grep -q 'expand twin.pdb/%s/twin.pd_: ' '%s'",
             KEY, srv.stderr_log);
    assert_int_equal(system(cmd), 0);
    /* Remembered: asked again, no new attempt (one log line in all). */
    expect("/twin.pdb/" KEY "/twin.pdb", 404, NULL);
    expect("/TWIN.pdb/" KEY "/twin.PDB", 404, NULL);
    snprintf(cmd, sizeof(cmd),
             "test $(grep -c 'expand twin.pdb/%s/twin.pd_: ' '%s') -eq 1", KEY,
             srv.stderr_log);
    if (system(cmd) != 0)
        fail_msg("a failed expansion was tried again");
    /* Until the CAB is replaced: then it is tried, and expands. */
    make_twin("twin.pdb", 300000, 7);
    expect_file("/twin.pdb/" KEY "/twin.pdb", "twin.pdb");
}

/*
 * A CAB whose member is larger than store.max_expanded_mib is refused from
 * its header, before a byte is written (a CAB bomb fills no disk): 404,
 * a log line naming the cap, nothing in the cache; a smaller twin still
 * expands.
 */
static void
test_twin_over_cap(void **state)
{
    static char cache_flag[300];
    const char *flags[] = {
        "--expand-compressed", "on", "--cache-dir", cache_flag,
        "--max-expanded-mib",  "1",  NULL};
    char path[512], cmd[1200];
    struct stat st;

    (void)state;
    fixture_make(&srv);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    make_twin("twin.pdb", 300000, 7);
    make_twin("bomb.pdb", 2 * 1024 * 1024 + 1, 3);
    daemon_allow_stderr("symsrvd: expand bomb.pdb/" KEY "/bomb.pd_: ");
    daemon_start(&srv, flags);
    expect("/bomb.pdb/" KEY "/bomb.pdb", 404, NULL);
    snprintf(cmd, sizeof(cmd),
             "grep -q 'expand bomb.pdb/%s/bomb.pd_: member of 2097153 bytes "
             "is over the cap of 1048576' '%s'",
             KEY, srv.stderr_log);
    if (system(cmd) != 0)
        fail_msg("no log line naming the cap");
    snprintf(path, sizeof(path), "%s/cache/bomb.pdb/" KEY "/bomb.pdb", srv.dir);
    assert_int_equal(stat(path, &st), -1);
    expect_file("/twin.pdb/" KEY "/twin.pdb", "twin.pdb");
}

struct fetch {
    char etag[256];
    long code;
    size_t len;
};

static void *
fetch_twin(void *arg)
{
    struct fetch *f = arg;
    struct resp r;

    if (http_request(&srv, "GET", "/big.pdb/" KEY "/big.pdb", NULL, false,
                     &r) == 0) {
        f->code = r.code;
        f->len = r.len;
        if (resp_header(&r, "ETag", f->etag) == NULL)
            f->etag[0] = '\0';
    }
    resp_free(&r);
    return NULL;
}

/* Concurrent first requests expand once: one cached file, one inode, so
 * every answer carries the same ETag. */
static void
test_twin_expanded_once(void **state)
{
    struct fetch f[8];
    pthread_t t[8];

    (void)state;
    start_twins(true);
    make_twin("big.pdb", 8 * 1024 * 1024, 9);
    memset(f, 0, sizeof(f));
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, fetch_twin, &f[i]), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(f[i].code, 200);
        assert_int_equal(f[i].len, 8 * 1024 * 1024);
        assert_string_equal(f[i].etag, f[0].etag);
    }
}

/* Lists dir (ls -A) into out; fails the test if ls does. */
static void
list_dir(const char *dir, char *out, size_t outlen)
{
    char cmd[600];
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
}

/*
 * Symlinks planted in cache_dir where the expansion goes: a directory of
 * the path (twin.pdb -> outside), the lock file and the temporary (two.pd_
 * .lock and .tmp<pid> -> files outside). Nothing is written outside
 * cache_dir, the file outside keeps its bytes, and both answers are still
 * the right bytes (the cache is the daemon's: the links are replaced).
 */
static void
test_twin_cache_symlinks(void **state)
{
    char evil[300], victim[300], link[600], cmd[700], listing[256];
    char *text;
    FILE *f;

    (void)state;
    start_twins(true);
    make_twin("two.pdb", 200000, 11);
    snprintf(evil, sizeof(evil), "%s/evil", srv.dir);
    assert_int_equal(mkdir(evil, 0755), 0);
    snprintf(victim, sizeof(victim), "%s/victim", srv.dir);
    f = fopen(victim, "w");
    assert_non_null(f);
    fputs("VICTIM", f);
    fclose(f);
    snprintf(link, sizeof(link), "%s/cache/twin.pdb", srv.dir);
    assert_int_equal(symlink(evil, link), 0);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/cache/two.pdb/" KEY "'", srv.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(link, sizeof(link), "%s/cache/two.pdb/" KEY "/two.pd_.lock",
             srv.dir);
    assert_int_equal(symlink(victim, link), 0);
    snprintf(link, sizeof(link), "%s/cache/two.pdb/" KEY "/two.pd_.tmp%ld",
             srv.dir, (long)srv.pid);
    assert_int_equal(symlink(victim, link), 0);
    expect_file("/twin.pdb/" KEY "/twin.pdb", "twin.pdb");
    expect_file("/two.pdb/" KEY "/two.pdb", "two.pdb");
    expect_file("/twin.pdb/" KEY "/twin.pdb", "twin.pdb");
    list_dir(evil, listing, sizeof(listing));
    assert_string_equal(listing, "");
    text = slurp(victim, NULL);
    assert_non_null(text);
    assert_string_equal(text, "VICTIM");
    free(text);
}

/*
 * A cache_dir too small for the expansion (a 64 KiB tmpfs; skipped where
 * it cannot be mounted): the miss is not a 404, which clients would cache
 * as "no such file", but a server error; symsrvd's log says the disk is
 * full, and nothing partial stays in the cache, so a small file still
 * expands. store_lookup() fails with ENOSPC; status_for_errno() in
 * src/daemon/handler.c maps it to 503.
 */
static void
test_twin_cache_full(void **state)
{
    char cmd[1200], cache[300], listing[256];
    struct resp r;

    (void)state;
    tiny_cache = true;
    start_twins(true);
    daemon_allow_stderr("symsrvd: expand twin.pdb/" KEY "/twin.pd_: ");
    daemon_allow_stderr("symsrvd: open twin.pdb/" KEY "/twin.pdb: ");
    make_twin("small.pdb", 1000, 5);
    assert_int_equal(http_request(&srv, "GET", "/twin.pdb/" KEY "/twin.pdb",
                                  NULL, false, &r),
                     0);
    if (r.code != 503)
        fail_msg("cache full: got %ld, want 503", r.code);
    resp_free(&r);
    snprintf(cmd, sizeof(cmd),
             "grep -q 'expand twin.pdb/%s/twin.pd_: .*No space left on "
             "device' '%s'",
             KEY, srv.stderr_log);
    assert_int_equal(system(cmd), 0);
    snprintf(cache, sizeof(cache), "%s/cache/twin.pdb/" KEY, srv.dir);
    list_dir(cache, listing, sizeof(listing));
    assert_string_equal(listing, "twin.pd_.lock\n");
    expect_file("/small.pdb/" KEY "/small.pdb", "small.pdb");
}

static int
teardown_tiny(void **state)
{
    char cmd[400];

    if (tiny_cache) {
        snprintf(cmd, sizeof(cmd), "umount -l '%s/cache'", srv.dir);
        if (system(cmd) != 0)
            fail_msg("%s failed", cmd);
        tiny_cache = false;
    }
    if (srv.pid == 0)
        return 0;
    return teardown(state);
}

/* file.ptr: PATH: beneath a pointer root is served, anything else 404s
 * and is logged; file.ptr itself is never sent. */
static void
test_pointers(void **state)
{
    char text[600];

    (void)state;
    start_twins(true);
    daemon_allow_stderr("symsrvd: far.pdb/K/far.pdb: file.ptr points outside");
    daemon_allow_stderr("symsrvd: up.pdb/K/up.pdb: file.ptr points outside");
    daemon_allow_stderr("symsrvd: msg.pdb/K/msg.pdb: file.ptr says: gone");
    daemon_allow_stderr("symsrvd: bad.pdb/K/file.ptr: file.ptr is not");
    daemon_allow_stderr("symsrvd: esc.pdb/K/esc.pdb");
    snprintf(text, sizeof(text), "PATH:%s/outside/secret.txt\r\n", srv.dir);
    put_file("near.pdb/K/file.ptr", text);
    put_file("far.pdb/K/file.ptr", "PATH:/etc/passwd");
    snprintf(text, sizeof(text), "PATH:%s/store/app.exe", srv.dir);
    put_file("up.pdb/K/file.ptr", text);
    put_file("msg.pdb/K/file.ptr", "MSG:gone");
    put_file("bad.pdb/K/file.ptr", "HTTP://x");
    snprintf(text, sizeof(text), "PATH:%s/outside/../store/.hidden", srv.dir);
    put_file("esc.pdb/K/file.ptr", text);
    expect("/near.pdb/K/near.pdb", 200, "TOP-SECRET");
    expect("/NEAR.PDB/k/Near.pdb", 200, "TOP-SECRET");
    expect("/near.pdb/K/file.ptr", 404, NULL);
    expect("/far.pdb/K/far.pdb", 404, NULL);
    expect("/up.pdb/K/up.pdb", 404, NULL);
    expect("/msg.pdb/K/msg.pdb", 404, NULL);
    expect("/bad.pdb/K/bad.pdb", 404, NULL);
    expect("/esc.pdb/K/esc.pdb", 404, NULL);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_case_blind, teardown),
        cmocka_unit_test_teardown(test_changes_noticed, teardown),
        cmocka_unit_test_teardown(test_two_tier, teardown),
        cmocka_unit_test_teardown(test_serve_admin, teardown),
        cmocka_unit_test_teardown(test_twin_not_expanded, teardown),
        cmocka_unit_test_teardown(test_twin_expanded, teardown),
        cmocka_unit_test_teardown(test_twin_corrupt, teardown),
        cmocka_unit_test_teardown(test_twin_over_cap, teardown),
        cmocka_unit_test_teardown(test_twin_expanded_once, teardown),
        cmocka_unit_test_teardown(test_pointers, teardown),
        cmocka_unit_test_teardown(test_twin_cache_symlinks, teardown),
        cmocka_unit_test_teardown(test_twin_cache_full, teardown_tiny),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
