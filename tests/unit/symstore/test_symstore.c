/*
 * symstore: stores written in temporary directories, compared byte for
 * byte with the formats of the stores symstore.exe wrote
 * (../shared/fixtures/stores: the "fixtures" group): ids, line ends, refs.ptr
 * accumulation, CAB twins (expanded by cab.c and by cabextract), the
 * two-tier layout, deletes, four concurrent writers and a writer that dies
 * mid-transaction.
 */
#define _XOPEN_SOURCE 700 /* nftw() for the temp-dir cleanup */
#include "../common/unit.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/cab.h"
#include "symstore/symstore.h"

static const unsigned char pdb_bytes[] = "Microsoft C/C++ MSF 7.00\r\n\x1a"
                                         "DS\0\0\0 pretend PDB body";
static const unsigned char exe_bytes[] = "MZ pretend executable";

struct env {
    char dir[64];
    char root[128];
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return -1;
    snprintf(e->dir, sizeof(e->dir), "/tmp/test_symstore.XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    snprintf(e->root, sizeof(e->root), "%s/store", e->dir);
    *state = e;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;

    nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(e);
    return 0;
}

/* root/rel into path; fails the test rather than cut it. */
static void
join_path(char *path, size_t pathlen, const char *root, const char *rel)
{
    size_t n = 0;

    unit_appendf(path, pathlen, &n, "%s/%s", root, rel);
}

/* malloc'd contents of root/rel (NUL-terminated), or NULL. */
static char *
slurp(const char *root, const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    join_path(path, sizeof(path), root, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL)
            *len = (size_t)n;
    }
    return buf;
}

static void
expect_file(const char *root, const char *rel, const void *want, size_t len)
{
    size_t n = 0;
    char *got = slurp(root, rel, &n);

    if (got == NULL)
        fail_msg("%s/%s: missing", root, rel);
    if (n != len || memcmp(got, want, len) != 0)
        fail_msg("%s: got [%s] want [%.*s]", rel, got, (int)len,
                 (const char *)want);
    free(got);
}

static void
expect_text(const char *root, const char *rel, const char *want)
{
    expect_file(root, rel, want, strlen(want));
}

static bool
exists(const char *root, const char *rel)
{
    char path[1024];
    struct stat st;

    join_path(path, sizeof(path), root, rel);
    return lstat(path, &st) == 0;
}

static struct keys_entry
entry(const char *file, const char *key)
{
    struct keys_entry k;

    memset(&k, 0, sizeof(k));
    snprintf(k.file, sizeof(k.file), "%s", file);
    snprintf(k.key, sizeof(k.key), "%s", key);
    snprintf(k.name, sizeof(k.name), "%s", file);
    return k;
}

/* One transaction adding each (src, bytes) under its entry; its id. */
static long
add_txn(const char *root, const char *product, bool compress, size_t n,
        const char *const *src, const struct keys_entry *k,
        const unsigned char *const *bytes, const size_t *lens)
{
    char err[256] = "";
    struct symstore *s = symstore_open(root, true, false, err, sizeof(err));
    struct symstore_txn t = {product, NULL, NULL, compress};
    long id;

    if (s == NULL)
        fail_msg("open: %s", err);
    if (symstore_begin(s, &t, err, sizeof(err)) != 0)
        fail_msg("begin: %s", err);
    for (size_t i = 0; i < n; i++) {
        if (symstore_add(s, src[i], bytes[i], lens[i], &k[i], 1, err,
                         sizeof(err)) != 0)
            fail_msg("add %s: %s", src[i], err);
    }
    id = symstore_commit(s, err, sizeof(err));
    if (id < 0)
        fail_msg("commit: %s", err);
    symstore_close(s);
    return id;
}

static long
add_one(const char *root, const char *src, const char *file, const char *key,
        bool compress)
{
    struct keys_entry k = entry(file, key);
    const unsigned char *b = pdb_bytes;
    size_t len = sizeof(pdb_bytes);

    return add_txn(root, "prod", compress, 1, &src, &k, &b, &len);
}

/* Replaces the MM/DD/YYYY,HH:MM:SS of each server.txt-style line. */
static void
fix_dates(char *text, const char *date)
{
    for (char *p = strstr(text, ",add,file,"); p != NULL;
         p = strstr(p + 1, ",add,file,")) {
        char *d = p + strlen(",add,file,");
        assert_true(strlen(d) >= 19);
        assert_true(d[2] == '/' && d[5] == '/' && d[10] == ',' &&
                    d[13] == ':' && d[16] == ':');
        memcpy(d, date, 19);
    }
}

static void
test_open_refuses(void **state)
{
    struct env *e = *state;
    char err[256] = "", path[256];
    FILE *f;

    assert_null(symstore_open(e->root, false, false, err, sizeof(err)));
    assert_int_equal(mkdir(e->root, 0755), 0);
    assert_null(symstore_open(e->root, false, false, err, sizeof(err)));
    assert_non_null(strstr(err, "not a symbol store"));
    snprintf(path, sizeof(path), "%s/junk", e->root);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(symstore_open(e->root, true, false, err, sizeof(err)));
    assert_non_null(strstr(err, "not a symbol store"));
    assert_false(exists(e->root, "000Admin"));
    snprintf(path, sizeof(path), "%s/junk/store", e->root);
    assert_null(symstore_open(path, true, false, err, sizeof(err)));
    assert_null(
        symstore_open("/proc/symstore-test", true, false, err, sizeof(err)));
    assert_null(symstore_open("/proc/self", true, false, err, sizeof(err)));
}

static void
test_new_store_formats(void **state)
{
    struct env *e = *state;
    const char *src[] = {"C:\\src\\app.pdb", "C:\\src\\app.exe"};
    struct keys_entry k[] = {
        entry("app.pdb", "F6301B4562FE4B4DB691192733ECE6B71"),
        entry("app.exe", "5617D4FE8000")};
    const unsigned char *b[] = {pdb_bytes, exe_bytes};
    size_t len[] = {sizeof(pdb_bytes), sizeof(exe_bytes)};
    char *server, *history;

    assert_int_equal(add_txn(e->root, "prod", false, 2, src, k, b, len), 1);
    expect_text(e->root, "000Admin/lastid.txt", "0000000001");
    expect_text(e->root, "000Admin/0000000001",
                "\"app.pdb\\F6301B4562FE4B4DB691192733ECE6B71\","
                "\"C:\\src\\app.pdb\"\r\n"
                "\"app.exe\\5617D4FE8000\",\"C:\\src\\app.exe\"\r\n");
    expect_text(e->root, "app.pdb/F6301B4562FE4B4DB691192733ECE6B71/refs.ptr",
                "0000000001,file,\"C:\\src\\app.pdb\",pri,,N,,");
    expect_text(e->root, "app.exe/5617D4FE8000/refs.ptr",
                "0000000001,file,\"C:\\src\\app.exe\",bin,,N,,");
    expect_file(e->root, "app.exe/5617D4FE8000/app.exe", exe_bytes,
                sizeof(exe_bytes));
    expect_text(e->root, "pingme.txt", "");
    server = slurp(e->root, "000Admin/server.txt", NULL);
    history = slurp(e->root, "000Admin/history.txt", NULL);
    assert_non_null(server);
    assert_non_null(history);
    assert_string_equal(server, history);
    fix_dates(server, "09/06/2016,10:34:19");
    assert_string_equal(server,
                        "0000000001,add,file,09/06/2016,10:34:19,\"prod\","
                        "\"\",\"\",\r\n");
    free(server);
    free(history);
    assert_false(exists(e->root, "index2.txt"));
}

/* new_store as symstore.exe wrote it, rebuilt from the same inputs. */
static void
test_matches_fixture(void **state)
{
    struct env *e = *state;
    const char *dir = "C:\\Users\\elmir.jagudin\\symstore\\files\\";
    char s1[128], s2[128], *want, *got;
    const char *src[] = {s1, s2};
    struct keys_entry k[] = {
        entry("bigage.pdb", "C9A61DDDD7E44353A668E39AC614A7EAa"),
        entry("dummyprog.pdb", "F6301B4562FE4B4DB691192733ECE6B71")};
    size_t len[2];
    unsigned char *b[2];
    char bin[512], fix[512];

    unit_fixture_path(bin, sizeof(bin), "binaries");
    unit_fixture_path(fix, sizeof(fix), "stores/new_store");
    b[0] = (unsigned char *)slurp(bin, "bigage.pdb", &len[0]);
    b[1] = (unsigned char *)slurp(bin, "dummyprog.pdb", &len[1]);
    assert_non_null(b[0]);
    assert_non_null(b[1]);
    snprintf(s1, sizeof(s1), "%sbigage.pdb", dir);
    snprintf(s2, sizeof(s2), "%sdummyprog.pdb", dir);
    assert_int_equal(add_txn(e->root, "dummyprod", false, 2, src, k,
                             (const unsigned char *const *)b, len),
                     1);
    for (const char *const *rel =
             (const char *const[]){
                 "000Admin/0000000001", "000Admin/lastid.txt",
                 "000Admin/server.txt",
                 "dummyprog.pdb/F6301B4562FE4B4DB691192733ECE6B71/refs.ptr",
                 "dummyprog.pdb/F6301B4562FE4B4DB691192733ECE6B71/"
                 "dummyprog.pdb",
                 "bigage.pdb/C9A61DDDD7E44353A668E39AC614A7EAa/bigage.pdb",
                 NULL};
         *rel != NULL; rel++) {
        size_t wn = 0, gn = 0;
        want = slurp(fix, *rel, &wn);
        got = slurp(e->root, *rel, &gn);
        assert_non_null(want);
        assert_non_null(got);
        if (strncmp(*rel, "000Admin/server", 15) == 0)
            fix_dates(got, "09/06/2016,10:34:19");
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, wn);
        free(want);
        free(got);
    }
    free(b[0]);
    free(b[1]);
}

static void
test_ids_and_refs_accumulate(void **state)
{
    struct env *e = *state;
    char *server;

    assert_int_equal(
        add_one(e->root, "C:\\a\\app.pdb", "app.pdb", "AB1", false), 1);
    assert_int_equal(
        add_one(e->root, "C:\\b\\app.pdb", "app.pdb", "AB1", false), 2);
    expect_text(e->root, "000Admin/lastid.txt", "0000000002");
    expect_text(e->root, "app.pdb/AB1/refs.ptr",
                "0000000001,file,\"C:\\a\\app.pdb\",pri,,N,,\r\n"
                "0000000002,file,\"C:\\b\\app.pdb\",pri,,N,,");
    server = slurp(e->root, "000Admin/server.txt", NULL);
    assert_non_null(server);
    fix_dates(server, "01/02/2003,04:05:06");
    assert_string_equal(server,
                        "0000000001,add,file,01/02/2003,04:05:06,\"prod\","
                        "\"\",\"\",\r\n"
                        "0000000002,add,file,01/02/2003,04:05:06,\"prod\","
                        "\"\",\"\",\r\n");
    free(server);
}

static void
test_version_comment_and_empty(void **state)
{
    struct env *e = *state;
    char err[256] = "", *server;
    struct symstore *s = symstore_open(e->root, true, false, err, sizeof(err));
    struct symstore_txn t = {"peprods", "1.0.1", "nightly", false};
    struct symstore_txn bad = {"a\"b", NULL, NULL, false};

    assert_non_null(s);
    assert_int_equal(symstore_begin(s, &bad, err, sizeof(err)), -1);
    assert_int_equal(symstore_begin(s, &t, err, sizeof(err)), 0);
    assert_int_equal(symstore_commit(s, err, sizeof(err)), 0);
    assert_false(exists(e->root, "000Admin/lastid.txt"));
    symstore_close(s);
    add_txn(e->root, "x", false, 0, NULL, NULL, NULL, NULL);
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_begin(s, &t, err, sizeof(err)), 0);
    struct keys_entry k = entry("a.exe", "1234");
    assert_int_equal(symstore_add(s, "/src/a.exe", exe_bytes, sizeof(exe_bytes),
                                  &k, 1, err, sizeof(err)),
                     0);
    assert_int_equal(symstore_commit(s, err, sizeof(err)), 1);
    symstore_close(s);
    server = slurp(e->root, "000Admin/server.txt", NULL);
    assert_non_null(server);
    fix_dates(server, "01/02/2003,04:05:06");
    assert_string_equal(server, "0000000001,add,file,01/02/2003,04:05:06,"
                                "\"peprods\",\"1.0.1\",\"nightly\",\r\n");
    free(server);
}

static void
test_compress(void **state)
{
    struct env *e = *state;
    char err[256] = "", cab[512], out[512], cmd[1200];
    size_t n = 0;
    char *got;
    FILE *p;

    assert_int_equal(add_one(e->root, "/src/app.pdb", "app.pdb", "K1", true),
                     1);
    assert_false(exists(e->root, "app.pdb/K1/app.pdb"));
    expect_text(e->root, "app.pdb/K1/refs.ptr",
                "0000000001,file,\"/src/app.pdb\",pri,,Y,,");
    snprintf(cab, sizeof(cab), "%s/app.pdb/K1/app.pd_", e->root);
    snprintf(out, sizeof(out), "%s/expanded", e->dir);
    if (cab_expand(cab, "app.pdb", out, err, sizeof(err)) != 0)
        fail_msg("cab_expand: %s", err);
    expect_file(e->dir, "expanded", pdb_bytes, sizeof(pdb_bytes));
    snprintf(cmd, sizeof(cmd), "cabextract -p '%s' > '%s/cabx' 2>/dev/null",
             cab, e->dir);
    if (system("command -v cabextract >/dev/null") != 0)
        return;
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(pclose(p), 0);
    got = slurp(e->dir, "cabx", &n);
    assert_non_null(got);
    assert_int_equal(n, sizeof(pdb_bytes));
    assert_memory_equal(got, pdb_bytes, n);
    free(got);
}

/* Many MSZIP blocks (32 KiB each), partly incompressible. */
static void
test_compress_large(void **state)
{
    struct env *e = *state;
    size_t len = 300000, n = 0;
    unsigned char *big = malloc(len);
    const unsigned char *b = big;
    const char *src = "/src/big.pdb";
    struct keys_entry k = entry("big.pdb", "KB");
    char err[256] = "", cab[512], out[512], cmd[1200], *got;
    uint32_t x = 12345;

    assert_non_null(big);
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = i < len / 2 ? (unsigned char)(x >> 24) : (unsigned char)i;
    }
    assert_int_equal(add_txn(e->root, "p", true, 1, &src, &k, &b, &len), 1);
    snprintf(cab, sizeof(cab), "%s/big.pdb/KB/big.pd_", e->root);
    snprintf(out, sizeof(out), "%s/expanded", e->dir);
    if (cab_expand(cab, "big.pdb", out, err, sizeof(err)) != 0)
        fail_msg("cab_expand: %s", err);
    expect_file(e->dir, "expanded", big, len);
    if (system("command -v cabextract >/dev/null") == 0) {
        snprintf(cmd, sizeof(cmd), "cabextract -q -p '%s' > '%s/cabx'", cab,
                 e->dir);
        assert_int_equal(system(cmd), 0);
        got = slurp(e->dir, "cabx", &n);
        assert_non_null(got);
        assert_int_equal(n, len);
        assert_memory_equal(got, big, len);
        free(got);
    }
    free(big);
}

static void
test_two_tier(void **state)
{
    struct env *e = *state;
    char err[256] = "";
    struct symstore *s = symstore_open(e->root, true, true, err, sizeof(err));
    struct symstore_txn t = {"prod", NULL, NULL, false};
    struct keys_entry k[] = {entry("app.pdb", "K1"), entry("a.pdb", "K2")};

    assert_non_null(s);
    assert_true(exists(e->root, "index2.txt"));
    assert_int_equal(symstore_begin(s, &t, err, sizeof(err)), 0);
    assert_int_equal(symstore_add(s, "/x/app.pdb", pdb_bytes, sizeof(pdb_bytes),
                                  k, 2, err, sizeof(err)),
                     0);
    assert_int_equal(symstore_commit(s, err, sizeof(err)), 1);
    symstore_close(s);
    expect_file(e->root, "ap/app.pdb/K1/app.pdb", pdb_bytes, sizeof(pdb_bytes));
    assert_true(exists(e->root, "a/a.pdb/K2/refs.ptr"));
    assert_false(exists(e->root, "app.pdb"));
    /* An existing store keeps its layout whatever two_tier says. */
    assert_int_equal(add_one(e->root, "/y/b.pdb", "bb.pdb", "K3", false), 2);
    assert_true(exists(e->root, "bb/bb.pdb/K3/bb.pdb"));
}

static void
test_delete(void **state)
{
    struct env *e = *state;
    char err[256] = "", *server, *history;
    const char *src1[] = {"/1/a.pdb", "/1/s.pdb"};
    const char *src2[] = {"/2/s.pdb", "/2/b.pdb"};
    struct keys_entry k1[] = {entry("a.pdb", "KA"), entry("s.pdb", "KS")};
    struct keys_entry k2[] = {entry("s.pdb", "KS"), entry("b.pdb", "KB")};
    const unsigned char *b[] = {pdb_bytes, pdb_bytes};
    size_t len[] = {sizeof(pdb_bytes), sizeof(pdb_bytes)};
    struct symstore *s;

    assert_int_equal(add_txn(e->root, "p", false, 2, src1, k1, b, len), 1);
    assert_int_equal(add_txn(e->root, "p", false, 2, src2, k2, b, len), 2);
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_delete(s, 1, err, sizeof(err)), 0);
    assert_int_equal(symstore_delete(s, 1, err, sizeof(err)), -1);
    assert_int_equal(symstore_delete(s, 0, err, sizeof(err)), -1);
    symstore_close(s);
    assert_false(exists(e->root, "000Admin/0000000001"));
    assert_true(exists(e->root, "000Admin/0000000001.deleted"));
    assert_false(exists(e->root, "a.pdb"));
    expect_text(e->root, "s.pdb/KS/refs.ptr",
                "0000000002,file,\"/2/s.pdb\",pri,,N,,");
    assert_true(exists(e->root, "s.pdb/KS/s.pdb"));
    assert_true(exists(e->root, "b.pdb/KB/b.pdb"));
    expect_text(e->root, "000Admin/lastid.txt", "0000000003");
    server = slurp(e->root, "000Admin/server.txt", NULL);
    history = slurp(e->root, "000Admin/history.txt", NULL);
    assert_non_null(server);
    assert_non_null(history);
    assert_int_equal(strncmp(server, "0000000002,add,", 15), 0);
    assert_non_null(strstr(history, "\r\n0000000003,del,0000000001\r\n"));
    assert_int_equal(strncmp(history, "0000000001,add,", 15), 0);
    free(server);
    free(history);
    /* The next add takes the id after the delete's. */
    assert_int_equal(add_one(e->root, "/3/c.pdb", "c.pdb", "KC", false), 4);
}

/* Each child: one transaction of its own file. */
static void
child_add(const char *root, int i)
{
    char src[64], file[64];

    snprintf(src, sizeof(src), "/c/%d.pdb", i);
    snprintf(file, sizeof(file), "f%d.pdb", i);
    _exit(add_one(root, src, file, "K", false) > 0 ? 0 : 1);
}

static void
test_concurrent(void **state)
{
    struct env *e = *state;
    pid_t pid[4];
    char *server, rel[64];
    int st;

    /* The store does not exist yet: the four also race to make it. */
    for (int i = 0; i < 4; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0)
            child_add(e->root, i);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    expect_text(e->root, "000Admin/lastid.txt", "0000000004");
    server = slurp(e->root, "000Admin/server.txt", NULL);
    assert_non_null(server);
    assert_int_equal(strlen(server), 4 * strlen("0000000001,add,file,"
                                                "01/02/2003,04:05:06,"
                                                "\"prod\",\"\",\"\",\r\n"));
    for (int id = 1; id <= 4; id++) {
        snprintf(rel, sizeof(rel), "00000000%02d,add", id);
        assert_non_null(strstr(server, rel));
        snprintf(rel, sizeof(rel), "000Admin/00000000%02d", id);
        assert_true(exists(e->root, rel));
        snprintf(rel, sizeof(rel), "f%d.pdb/K/refs.ptr", id - 1);
        assert_true(exists(e->root, rel));
    }
    free(server);
}

static bool
has_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool found = false;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        found = found || strstr(de->d_name, ".tmp.") != NULL;
    closedir(d);
    return found;
}

/* Creates root/rel (empty): a temporary a killed writer left. */
static void
plant(const char *root, const char *rel)
{
    char path[1024];
    FILE *f;

    join_path(path, sizeof(path), root, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* A child that stores x.pdb/KX and s.pdb/KS, then dies before commit as
 * kill -9 would (no cleanup at all); returns its (reaped) pid. */
static pid_t
die_mid_transaction(const char *root)
{
    int st;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        struct symstore *s = symstore_open(root, false, false, err, 256);
        struct symstore_txn t = {"dead", NULL, NULL, false};
        struct keys_entry k[] = {entry("x.pdb", "KX"), entry("s.pdb", "KS")};
        if (s == NULL || symstore_begin(s, &t, err, sizeof(err)) != 0 ||
            symstore_add(s, "/dead/x.pdb", pdb_bytes, sizeof(pdb_bytes), k, 2,
                         err, sizeof(err)) != 0)
            _exit(1);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return pid;
}

/*
 * A writer that dies after storing files, before commit (the lock dies
 * with it, lastid.txt never moved): until the next writer its files are
 * there, with refs.ptr lines of an id nobody published. The next run (an
 * add or a del) rolls that transaction back first (symstore.h): the dead
 * run's own directory goes, a directory a published transaction shares
 * keeps only that one's line, and its temporaries whose pid is dead go
 * (a live pid's stays). The next add then takes the id again for its own
 * files only. A run that died after server.txt but before lastid.txt:
 * its line is replaced, not doubled.
 */
static void
test_crash(void **state)
{
    struct env *e = *state;
    char path[512], rel[256], live[256], *server;
    pid_t dead;
    FILE *f;

    assert_int_equal(add_one(e->root, "/s.pdb", "s.pdb", "KS", false), 1);
    dead = die_mid_transaction(e->root);
    /* The bug's state: served files, a refs.ptr naming id 2. */
    assert_true(exists(e->root, "x.pdb/KX/x.pdb"));
    expect_text(e->root, "x.pdb/KX/refs.ptr",
                "0000000002,file,\"/dead/x.pdb\",pri,,N,,");
    assert_true(exists(e->root, "000Admin/.pending"));
    snprintf(rel, sizeof(rel), "s.pdb/KS/.s.pdb.tmp.%ld", (long)dead);
    plant(e->root, rel);
    snprintf(rel, sizeof(rel), "000Admin/.server.txt.tmp.%ld", (long)dead);
    plant(e->root, rel);
    snprintf(rel, sizeof(rel), ".index2.txt.tmp.%ld", (long)dead);
    plant(e->root, rel);
    snprintf(live, sizeof(live), "000Admin/.history.txt.tmp.1"); /* init */
    plant(e->root, live);
    assert_int_equal(add_one(e->root, "/y.pdb", "y.pdb", "KY", false), 2);
    expect_text(e->root, "000Admin/0000000002", "\"y.pdb\\KY\",\"/y.pdb\"\r\n");
    assert_false(exists(e->root, "x.pdb"));
    expect_text(e->root, "s.pdb/KS/refs.ptr",
                "0000000001,file,\"/s.pdb\",pri,,N,,");
    assert_true(exists(e->root, "s.pdb/KS/s.pdb"));
    assert_false(exists(e->root, "000Admin/.pending"));
    snprintf(path, sizeof(path), "%s/s.pdb/KS", e->root);
    assert_false(has_tmp(path));
    snprintf(path, sizeof(path), "%s/y.pdb/KY", e->root);
    assert_false(has_tmp(path));
    assert_false(has_tmp(e->root));
    assert_true(exists(e->root, live));
    /* Died after server.txt and history.txt, before lastid.txt. */
    snprintf(path, sizeof(path), "%s/000Admin/server.txt", e->root);
    f = fopen(path, "ab");
    assert_non_null(f);
    fputs("0000000003,add,file,01/01/2020,00:00:00,\"dead\",\"\",\"\",\r\n", f);
    fclose(f);
    assert_int_equal(add_one(e->root, "/z.pdb", "z.pdb", "KZ", false), 3);
    server = slurp(e->root, "000Admin/server.txt", NULL);
    assert_non_null(server);
    assert_null(strstr(server, "dead"));
    assert_non_null(strstr(server, "0000000003,add"));
    free(server);
}

/*
 * A rollback removes what the dead run wrote and nothing else: a file
 * another tool had put in the same key directory (no refs.ptr, as in a
 * Mozilla-style store) survives, and so does its directory.
 */
static void
test_crash_keeps_other_files(void **state)
{
    struct env *e = *state;
    char path[512];
    struct stat st;

    assert_int_equal(add_one(e->root, "/a.pdb", "a.pdb", "KA", false), 1);
    snprintf(path, sizeof(path), "%s/x.pdb", e->root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/x.pdb/KX", e->root);
    assert_int_equal(mkdir(path, 0755), 0);
    plant(e->root, "x.pdb/KX/x.sym");
    (void)die_mid_transaction(e->root);
    assert_true(exists(e->root, "x.pdb/KX/x.pdb"));
    assert_int_equal(add_one(e->root, "/y.pdb", "y.pdb", "KY", false), 2);
    assert_false(exists(e->root, "x.pdb/KX/x.pdb"));
    assert_false(exists(e->root, "x.pdb/KX/refs.ptr"));
    assert_true(exists(e->root, "x.pdb/KX/x.sym"));
    snprintf(path, sizeof(path), "%s/x.pdb/KX", e->root);
    assert_int_equal(stat(path, &st), 0);
    /* The dead run's directory of its own is gone entirely. */
    assert_false(exists(e->root, "s.pdb"));
}

/*
 * A failed add takes back only what it stored itself: an entry an earlier
 * add of the same transaction stored (the same PDB given twice) keeps its
 * file and refs.ptr line, which the transaction file names.
 */
static void
test_failed_add_keeps_earlier_entry(void **state)
{
    struct env *e = *state;
    struct symstore_txn t = {"p", NULL, NULL, false};
    struct keys_entry one[] = {entry("x.pdb", "KX")};
    struct keys_entry two[] = {entry("x.pdb", "KX"), entry("y.pdb", "KY")};
    struct symstore *s;
    char err[512], *refs;

    assert_int_equal(add_one(e->root, "/a.pdb", "a.pdb", "KA", false), 1);
    plant(e->root, "y.pdb"); /* a file where y.pdb/ must go: that add fails */
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_begin(s, &t, err, sizeof(err)), 0);
    assert_int_equal(symstore_add(s, "/b1/x.pdb", pdb_bytes, sizeof(pdb_bytes),
                                  one, 1, err, sizeof(err)),
                     0);
    assert_int_equal(symstore_add(s, "/b2/x.pdb", pdb_bytes, sizeof(pdb_bytes),
                                  two, 2, err, sizeof(err)),
                     -1);
    assert_int_equal(symstore_commit(s, err, sizeof(err)), 2);
    symstore_close(s);
    assert_true(exists(e->root, "x.pdb/KX/x.pdb"));
    /* Transaction 2's line stays (the failed add rewrote it with its own
     * source path before failing: the same bytes under the same key). */
    refs = slurp(e->root, "x.pdb/KX/refs.ptr", NULL);
    assert_non_null(refs);
    assert_int_equal(strncmp(refs, "0000000002,file,", 16), 0);
    free(refs);
}

/* A del after a crash rolls back first too, and a journal left by a run
 * that died after lastid.txt (published) rolls nothing back. */
static void
test_crash_then_delete(void **state)
{
    struct env *e = *state;
    char err[256] = "", path[512];
    struct symstore *s;
    FILE *f;

    assert_int_equal(add_one(e->root, "/s.pdb", "s.pdb", "KS", false), 1);
    die_mid_transaction(e->root);
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_delete(s, 1, err, sizeof(err)), 0);
    symstore_close(s);
    assert_false(exists(e->root, "x.pdb"));
    assert_false(exists(e->root, "s.pdb"));
    expect_text(e->root, "000Admin/lastid.txt", "0000000002");
    /* Published (lastid.txt says 3), journal not yet unlinked. */
    assert_int_equal(add_one(e->root, "/y.pdb", "y.pdb", "KY", false), 3);
    snprintf(path, sizeof(path), "%s/000Admin/.pending", e->root);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("0000000003\r\n\"y.pdb\\KY\",\"/y.pdb\"\r\n", f);
    fclose(f);
    assert_int_equal(add_one(e->root, "/z.pdb", "z.pdb", "KZ", false), 4);
    assert_true(exists(e->root, "y.pdb/KY/y.pdb"));
    assert_false(exists(e->root, "000Admin/.pending"));
}

/* Every path under root with its size, sorted: a store's whole state. */
static char *
tree_of(const char *root)
{
    char cmd[600], *out = malloc(65536);
    size_t n = 0, r;
    FILE *p;

    assert_non_null(out);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && find . -printf '%%p %%s %%T@\\n' | LC_ALL=C sort",
             root);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((r = fread(out + n, 1, 65535 - n, p)) > 0)
        n += r;
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

/*
 * Names the store owns, made into a segment by a hostile input (a
 * Breakpad MODULE name, a file's basename), in any letter case: refused
 * with a reason naming them, and nothing at all is written, not even for
 * the good entry that comes first.
 */
static void
test_reserved_names(void **state)
{
    static const char *const bad[] = {
        "000Admin", "000ADMIN", "index2.txt", "Index2.Txt", "pingme.txt",
        "refs.ptr", "REFS.PTR", "file.ptr",   ".hidden",    ".lock"};
    struct env *e = *state;
    char err[512] = "", *before, *after;
    struct symstore_txn t = {"evil", NULL, NULL, false};
    struct symstore *s;

    assert_int_equal(add_one(e->root, "/a.pdb", "a.pdb", "KA", false), 1);
    before = tree_of(e->root);
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_begin(s, &t, err, sizeof(err)), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct keys_entry k[2] = {entry("good.pdb", "KG"),
                                  entry(bad[i], "KEY")};

        for (int where = 0; where < 3; where++) {
            k[1] = entry("x.pdb", "KEY");
            snprintf(where == 0   ? k[1].file
                     : where == 1 ? k[1].key
                                  : k[1].name,
                     sizeof(k[1].key), "%s", bad[i]);
            err[0] = '\0';
            assert_int_equal(symstore_add(s, "/evil", pdb_bytes,
                                          sizeof(pdb_bytes), k, 2, err,
                                          sizeof(err)),
                             -1);
            if (strstr(err, "reserve") == NULL || strstr(err, bad[i]) == NULL)
                fail_msg("%s at %d: %s", bad[i], where, err);
        }
    }
    assert_int_equal(symstore_commit(s, err, sizeof(err)), 0);
    symstore_close(s);
    after = tree_of(e->root);
    assert_string_equal(after, before);
    assert_false(exists(e->root, "index2.txt"));
    assert_false(exists(e->root, "good.pdb"));
    /* The store still takes adds. */
    assert_int_equal(add_one(e->root, "/b.pdb", "b.pdb", "KB", false), 2);
    free(before);
    free(after);
}

/*
 * A store symstore.exe wrote (its history.txt's last line unterminated):
 * add and delete keep every old line intact and CRLF-separated.
 */
static void
test_fixture_store_add_delete(void **state)
{
    struct env *e = *state;
    char cmd[1200], fix[512], err[256] = "", *history;
    struct symstore *s;

    unit_fixture_path(fix, sizeof(fix), "stores");
    assert_true(exists(fix, "new_store/000Admin/history.txt"));
    snprintf(cmd, sizeof(cmd), "cp -r '%s/new_store' '%s'", fix, e->root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(add_one(e->root, "/n/app.pdb", "app.pdb", "K1", false), 2);
    s = symstore_open(e->root, false, false, err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(symstore_delete(s, 1, err, sizeof(err)), 0);
    symstore_close(s);
    history = slurp(e->root, "000Admin/history.txt", NULL);
    assert_non_null(history);
    fix_dates(history, "01/02/2003,04:05:06");
    assert_string_equal(history, "0000000001,add,file,01/02/2003,04:05:06,"
                                 "\"dummyprod\",\"\",\"\",\r\n"
                                 "0000000002,add,file,01/02/2003,04:05:06,"
                                 "\"prod\",\"\",\"\",\r\n"
                                 "0000000003,del,0000000001\r\n");
    free(history);
    assert_false(exists(e->root, "bigage.pdb"));
    assert_false(exists(e->root, "dummyprog.pdb"));
    assert_true(exists(e->root, "app.pdb/K1/app.pdb"));
    expect_text(e->root, "000Admin/lastid.txt", "0000000003");
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_store_formats, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ids_and_refs_accumulate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_version_comment_and_empty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compress_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_tier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_keeps_other_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_add_keeps_earlier_entry,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_then_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reserved_names, setup, teardown),
    };
    static const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test_setup_teardown(test_matches_fixture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fixture_store_add_delete, setup,
                                        teardown),
    };

    return UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests);
}
