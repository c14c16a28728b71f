/*
 * Interoperability with stores other tools wrote: the symstore.exe stores
 * and the Mozilla store of ../shared/fixtures (its README says what each
 * holds). symsrvd serves each one as it lies, read-only, and every stored
 * file must come back byte for byte under its own spelling, all upper
 * case and all lower case; every CAB twin ("app.pd_") must also expand to
 * the file it holds; bookkeeping (000Admin, refs.ptr) stays hidden.
 *
 * The fixtures live outside this repository and a fresh clone elsewhere
 * may not have them: the tests then skip. SYMSRVD_FIXTURES in the
 * environment overrides the directory built in at compile time.
 */
#define _XOPEN_SOURCE 700 /* nftw() */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "harness.h"

#ifndef SYMSRVD_FIXTURES
#define SYMSRVD_FIXTURES "../shared/fixtures"
#endif

static struct daemon srv;
static char fixtures[PATH_MAX]; /* absolute; "" when there are none */

/* The stores the fixtures' README lists, with how many files each must
 * serve: a store that served fewer (a walk that missed files, a file
 * classified away) or more fails. test_other_stores serves any store under
 * stores/ that is not here. */
struct interop_store {
    const char *rel;
    unsigned served; /* stored files, each fetched in three spellings */
    unsigned twins;  /* of them CAB twins ("x.pd_"), fetched expanded too */
    unsigned hidden; /* 000Admin/ and *.ptr files, each a 404 */
};

static struct interop_store known[] = {
    /* bigage.pdb, dummyprog.pdb */
    {"stores/new_store", 2, 0, 6},
    /* dummyprog.pd_ */
    {"stores/new_store_compressed", 1, 1, 5},
    /* three transactions of PE and PDB files */
    {"stores/pe_store", 5, 0, 11},
    /* added to twice */
    {"stores/existing_store", 3, 0, 8},
    /* every transaction deleted: nothing left to serve */
    {"stores/syms-del2", 0, 0, 6},
    /* .sym files, CAB-compressed .ex_ .dl_ .pd_, ELF .dbg and more */
    {"mozilla-store", 11, 3, 0},
};

#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* What one nftw() pass over a store saw (nftw passes no user pointer). */
static struct {
    size_t root_len;
    char *snap; /* one line per entry: path, type, size, mtime */
    size_t snap_len, snap_cap;
    char **files; /* regular files, relative to the root */
    size_t nfiles, files_cap;
} walk;

static void
snap_add(const char *line, size_t n)
{
    if (walk.snap_len + n + 1 > walk.snap_cap) {
        walk.snap_cap = (walk.snap_len + n + 1) * 2;
        walk.snap = realloc(walk.snap, walk.snap_cap);
        assert_non_null(walk.snap);
    }
    memcpy(walk.snap + walk.snap_len, line, n + 1);
    walk.snap_len += n;
}

static int
on_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *rel = path + walk.root_len;
    char line[PATH_MAX + 96];
    int n;

    if (ftw->level == 0)
        return 0;
    if (*rel == '/')
        rel++;
    n = snprintf(line, sizeof(line), "%s %o %lld %lld.%09ld\n", rel,
                 (unsigned)st->st_mode, (long long)st->st_size,
                 (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
    assert_true(n > 0 && (size_t)n < sizeof(line));
    snap_add(line, (size_t)n);
    if (type != FTW_F || !S_ISREG(st->st_mode))
        return 0;
    if (walk.nfiles == walk.files_cap) {
        walk.files_cap = walk.files_cap * 2 + 16;
        walk.files = realloc(walk.files, walk.files_cap * sizeof(char *));
        assert_non_null(walk.files);
    }
    walk.files[walk.nfiles] = strdup(rel);
    assert_non_null(walk.files[walk.nfiles]);
    walk.nfiles++;
    return 0;
}

static void
walk_free(void)
{
    for (size_t i = 0; i < walk.nfiles; i++)
        free(walk.files[i]);
    free(walk.files);
    free(walk.snap);
    memset(&walk, 0, sizeof(walk));
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks root (symlinks not followed); the snapshot goes to *snap. */
static void
walk_store(const char *root, char **snap)
{
    walk_free();
    walk.root_len = strlen(root);
    snap_add("", 0);
    if (nftw(root, on_entry, 16, FTW_PHYS) != 0)
        fail_msg("cannot walk %s", root);
    qsort(walk.files, walk.nfiles, sizeof(char *), by_name);
    *snap = walk.snap;
    walk.snap = NULL;
}

enum kind {
    SERVED, /* must answer 200 with its bytes */
    HIDDEN, /* symstore bookkeeping: must answer 404 */
    SKIPPED /* root files whose answer is not this test's business */
};

static enum kind
classify(const char *rel)
{
    const char *base = strrchr(rel, '/');

    base = base != NULL ? base + 1 : rel;
    if (strncasecmp(rel, "000Admin/", 9) == 0 ||
        strcasecmp(base, "refs.ptr") == 0 || strcasecmp(base, "file.ptr") == 0)
        return HIDDEN;
    if (base == rel && (strcasecmp(rel, "pingme.txt") == 0 ||
                        strcasecmp(rel, "index2.txt") == 0))
        return SKIPPED;
    return SERVED;
}

enum spelling { AS_STORED, UPPER, LOWER };

/* "/" + rel in the given case, percent-encoded where a URL needs it. */
static const char *
target_for(const char *rel, enum spelling sp, char *out, size_t outsz)
{
    static const char safe[] = "-._~!$&'()*+,;=:@/";
    size_t n = 0;

    out[n++] = '/';
    for (const unsigned char *p = (const unsigned char *)rel; *p != '\0'; p++) {
        int c = sp == UPPER ? toupper(*p) : sp == LOWER ? tolower(*p) : *p;

        if (n + 1 >= outsz)
            fail_msg("/%s: target longer than %zu bytes", rel, outsz);
        if (isalnum(c) || (c != '\0' && strchr(safe, c) != NULL))
            out[n++] = (char)c;
        else
            buf_appendf(out, outsz, &n, "%%%02X", (unsigned)c);
    }
    out[n] = '\0';
    return out;
}

static unsigned requests;

/* dir + "/" + rel into out[PATH_MAX]. */
static const char *
join(char *out, const char *dir, const char *rel)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
        fail_msg("%s/%s: path too long", dir, rel);
    return out;
}

/* GET target: status must be want; for a 200, the body want_body. */
static void
expect(const char *target, long want, const char *want_body, size_t want_len)
{
    struct resp r;

    requests++;
    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    if (r.code != want)
        fail_msg("%s: got %ld, want %ld", target, r.code, want);
    if (want_body != NULL &&
        (r.len != want_len ||
         (want_len > 0 && memcmp(r.body, want_body, want_len) != 0)))
        fail_msg("%s: %zu bytes, not the %zu expected", target, r.len,
                 want_len);
    resp_free(&r);
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * The one member a CAB holds: its name into out[outsz] and its size.
 * MS-CAB: CFHEADER has "MSCF", coffFiles at offset 16 and cFiles at 28;
 * each CFFILE is 16 bytes (cbFile first) followed by szName.
 */
static void
cab_member(const char *what, const unsigned char *cab, size_t len, char *out,
           size_t outsz, size_t *size)
{
    size_t off, max, n;

    if (len < 36 || memcmp(cab, "MSCF", 4) != 0)
        fail_msg("%s: not a CAB", what);
    if ((cab[28] | cab[29] << 8) != 1)
        fail_msg("%s: %d members, want 1", what, cab[28] | cab[29] << 8);
    off = le32(cab + 16);
    if (off > len - 17)
        fail_msg("%s: CFFILE beyond the end", what);
    max = len - off - 16;
    n = strnlen((const char *)cab + off + 16, max);
    if (n == max || n >= outsz)
        fail_msg("%s: member name too long", what);
    memcpy(out, cab + off + 16, n + 1);
    *size = le32(cab + off);
}

/* What `cabextract -p` writes for path: the CAB's member, expanded. */
static char *
cabextract(const char *path, size_t *len)
{
    char cmd[PATH_MAX + 64], *buf = NULL;
    size_t cap = 0, got;
    FILE *fp;

    assert_null(strchr(path, '\''));
    snprintf(cmd, sizeof(cmd), "cabextract -q -p '%s'", path);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    *len = 0;
    do {
        if (cap - *len < 65536) {
            cap = cap * 2 + 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + *len, 1, cap - *len, fp);
        *len += got;
    } while (got > 0);
    if (pclose(fp) != 0 || *len == 0)
        fail_msg("%s failed (is cabextract installed?)", cmd);
    return buf;
}

/*
 * A twin "d/k/name.pd_": the expanded name, its last character restored
 * from the CAB's member name, must answer with what the CAB holds, which
 * is binaries/<name> when the fixtures have it.
 */
static void
check_twin(const char *root, const char *rel, const char *cab, size_t cablen)
{
    char path[PATH_MAX], member[256], plain[PATH_MAX], target[PATH_MAX * 3];
    char bin[300];
    const char *base = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 : rel;
    size_t n = strlen(base), msize, len;
    char *want;

    cab_member(rel, (const unsigned char *)cab, cablen, member, sizeof(member),
               &msize);
    if (strlen(member) != n || strncasecmp(member, base, n - 1) != 0)
        fail_msg("%s: the CAB holds %s", rel, member);
    snprintf(plain, sizeof(plain), "%s", rel);
    plain[strlen(plain) - 1] = member[n - 1];
    snprintf(bin, sizeof(bin), "binaries/%s", plain + (base - rel));
    want = slurp(join(path, fixtures, bin), &len);
    if (want == NULL)
        want = cabextract(join(path, root, rel), &len);
    if (len != msize)
        fail_msg("%s: %zu bytes to compare, the CAB says %zu", rel, len, msize);
    for (int sp = AS_STORED; sp <= LOWER; sp++)
        expect(target_for(plain, (enum spelling)sp, target, sizeof(target)),
               200, want, len);
    free(want);
}

/* The same name under a key nobody stored: all zeros, or all F. */
static void
check_wrong_key(const char *rel)
{
    char wrong[PATH_MAX], target[PATH_MAX * 3];
    char *key, *end;

    snprintf(wrong, sizeof(wrong), "%s", rel);
    key = strchr(wrong, '/');
    end = strrchr(wrong, '/');
    if (key == NULL || key == end)
        return;
    for (char *p = key + 1; p < end; p++)
        *p = key[1] == '0' ? 'F' : '0';
    expect(target_for(wrong, AS_STORED, target, sizeof(target)), 404, NULL, 0);
}

/* Serves the store at fixtures/rel and checks every file in it; then
 * the counts against want's, unless want is NULL (a store not listed). */
static void
check_store(const char *rel, const struct interop_store *want)
{
    static char cache_flag[300];
    static const char *const flags[] = {"--expand-compressed", "on",
                                        "--cache-dir", cache_flag, NULL};
    char root[PATH_MAX], target[PATH_MAX * 3], *before, *after;
    unsigned served = 0, twins = 0, hidden = 0;
    struct stat st;

    join(root, fixtures, rel);
    if (stat(root, &st) == -1 || !S_ISDIR(st.st_mode))
        fail_msg("%s: no such store", root);
    requests = 0;
    walk_store(root, &before);
    fixture_make(&srv);
    if ((size_t)snprintf(srv.root, sizeof(srv.root), "%s", root) >=
        sizeof(srv.root))
        fail_msg("%s: path too long for the harness", root);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    daemon_start(&srv, flags);

    for (size_t i = 0; i < walk.nfiles; i++) {
        const char *f = walk.files[i];
        char path[PATH_MAX], *bytes;
        size_t len;

        switch (classify(f)) {
        case SKIPPED:
            continue;
        case HIDDEN:
            expect(target_for(f, AS_STORED, target, sizeof(target)), 404, NULL,
                   0);
            expect(target_for(f, UPPER, target, sizeof(target)), 404, NULL, 0);
            hidden++;
            continue;
        case SERVED:
            break;
        }
        bytes = slurp(join(path, root, f), &len);
        assert_non_null(bytes);
        for (int sp = AS_STORED; sp <= LOWER; sp++) {
            target_for(f, (enum spelling)sp, target, sizeof(target));
            expect(target, 200, bytes, len);
        }
        if (f[strlen(f) - 1] == '_') {
            check_twin(root, f, bytes, len);
            twins++;
        }
        check_wrong_key(f);
        free(bytes);
        served++;
    }
    expect("/000Admin/lastid.txt", 404, NULL, 0);
    expect("/index2.txt", 404, NULL, 0); /* all of them are single-tier */
    expect("/dummyprog.pdb/00000000000000000000000000000000F/dummyprog.pdb",
           404, NULL, 0);

    daemon_finish(&srv);
    memset(&srv, 0, sizeof(srv));
    walk_store(root, &after);
    if (strcmp(before, after) != 0)
        fail_msg("%s changed while it was served", root);
    free(before);
    free(after);
    walk_free();
    printf("interop: %s: files byte-identical as stored, upper and lower "
           "case: %u; CAB twins expanded: %u; hidden files 404: %u; "
           "requests: %u\n",
           rel, served, twins, hidden, requests);
    if (want != NULL && (served != want->served || twins != want->twins ||
                         hidden != want->hidden))
        fail_msg("%s: served %u files, %u twins, %u hidden; want %u, %u, %u",
                 rel, served, twins, hidden, want->served, want->twins,
                 want->hidden);
}

static int
teardown(void **state)
{
    (void)state;
    if (srv.dir[0] != '\0')
        fixture_remove(&srv);
    memset(&srv, 0, sizeof(srv));
    walk_free();
    return 0;
}

static void
test_known_store(void **state)
{
    const struct interop_store *s = *state;

    if (fixtures[0] == '\0')
        harness_skip("no fixtures: interop tests skipped");
    check_store(s->rel, s);
}

/* Any store under stores/ the table above does not name yet. */
static void
test_other_stores(void **state)
{
    char dir[PATH_MAX + 8], rel[300];
    struct dirent *e;
    unsigned others = 0;
    DIR *d;

    (void)state;
    if (fixtures[0] == '\0')
        harness_skip("no fixtures: interop tests skipped");
    snprintf(dir, sizeof(dir), "%s/stores", fixtures);
    d = opendir(dir);
    if (d == NULL)
        fail_msg("%s: cannot list", dir);
    while ((e = readdir(d)) != NULL) {
        bool listed = e->d_name[0] == '.';

        snprintf(rel, sizeof(rel), "stores/%s", e->d_name);
        for (size_t i = 0; i < NKNOWN && !listed; i++)
            listed = strcmp(known[i].rel, rel) == 0;
        if (listed)
            continue;
        check_store(rel, NULL);
        others++;
    }
    closedir(d);
    printf("interop: stores under stores/ beyond the %zu known: %u\n", NKNOWN,
           others);
}

/* The fixtures directory, or "" (with one line saying so) if absent. */
static void
find_fixtures(void)
{
    const char *dir = getenv("SYMSRVD_FIXTURES");
    struct stat st;

    if (dir == NULL || *dir == '\0')
        dir = SYMSRVD_FIXTURES;
    if (realpath(dir, fixtures) == NULL || stat(fixtures, &st) == -1 ||
        !S_ISDIR(st.st_mode)) {
        fixtures[0] = '\0';
        printf("../shared/fixtures not found: interop tests skipped (no "
               "directory %s)\n",
               dir);
    }
}

int
main(int argc, char **argv)
{
    struct CMUnitTest tests[NKNOWN + 1];

    for (size_t i = 0; i < NKNOWN; i++)
        tests[i] = (struct CMUnitTest){known[i].rel, test_known_store, NULL,
                                       teardown, &known[i]};
    tests[NKNOWN] = (struct CMUnitTest)cmocka_unit_test_teardown(
        test_other_stores, teardown);
    harness_init(argc, argv);
    find_fixtures();
    fflush(stdout);
    return harness_run(tests, NULL, NULL);
}
