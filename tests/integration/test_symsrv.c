/*
 * symsrv end to end: real inputs made at test time (a gcc ELF with a
 * build-id and its stripped copy, a clang/lld-link PE and PDB, a Breakpad
 * .sym), stored with `symsrv add`, served by the real symsrvd and fetched
 * with libcurl under every key `symsrv key` prints; then --compress,
 * `symsrv del`, broken inputs, a directory that is not a store, and four
 * concurrent runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#ifndef SYMSRV_BIN
#define SYMSRV_BIN "symsrv"
#endif

static struct daemon srv;
static char in_dir[64];  /* the inputs, made once */
static char id_hex[128]; /* hello's build-id */

/* The inputs stored by the tests: good ones, then what -r ignores. */
static const char *const good[] = {"hello", "hello.stripped", "x.exe", "x.pdb",
                                   "app.sym"};
#define NGOOD (sizeof(good) / sizeof(good[0]))

/* What one symsrv run gave: its exit status, stdout and stderr. */
struct output {
    int status;
    char *out, *err; /* malloc'd */
};

/* Runs symsrv with args (a shell word list). Returned by value: a pointer
 * handed back through an out-parameter aimed at a caller's local is what
 * gcc's -Wdangling-pointer cannot tell from a pointer into that frame. */
static struct output
run_symsrv(const char *args)
{
    struct output r;
    char o[256], e[256];

    snprintf(o, sizeof(o), "%s/out.txt", srv.dir);
    snprintf(e, sizeof(e), "%s/err.txt", srv.dir);
    r.status = harness_sh("'%s' %s >'%s' 2>'%s'", SYMSRV_BIN, args, o, e);
    r.out = slurp(o, NULL);
    r.err = slurp(e, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

/* run_symsrv() into malloc'd *out and *err; returns the exit status. */
static int
symsrv(const char *args, char **out, char **err)
{
    struct output r = run_symsrv(args);

    *out = r.out;
    *err = r.err;
    return r.status;
}

/* The store paths `symsrv key` prints for the inputs named (its
 * "<name>: debug id ..." lines, which hold a space, left out). */
static char *
keys_of(const char *files)
{
    struct output r = run_symsrv(files);
    char *w = r.out;

    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    free(r.err);
    for (const char *l = r.out; *l != '\0';) {
        size_t n = strcspn(l, "\n");
        bool keep = memchr(l, ' ', n) == NULL;

        n += l[n] == '\n';
        if (keep)
            memmove(w, l, n);
        w += keep ? n : 0;
        l += n;
    }
    *w = '\0';
    return r.out;
}

static void
contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("no '%s' in:\n%s", want, text);
}

/* Builds the inputs in in_dir; ignored.txt is what -r must skip. */
static int
setup_inputs(void **state)
{
    (void)state;
    snprintf(in_dir, sizeof(in_dir), "/tmp/symsrv-in-XXXXXX");
    assert_non_null(mkdtemp(in_dir));
    if (harness_sh("cd '%s' && mkdir b && cd b && "
                   "printf 'int main(void) { return 0; }\\n' >t.c && "
                   "gcc -g -Wl,--build-id=sha1 -o ../hello t.c && "
                   "strip -o ../hello.stripped ../hello && "
                   "clang --target=x86_64-pc-windows-msvc -gcodeview -c t.c "
                   "-o t.obj && lld-link /debug /out:../x.exe /pdb:../x.pdb "
                   "/entry:main /subsystem:console /nodefaultlib t.obj && "
                   "cd .. && rm -rf b && printf 'MODULE windows x86_64 "
                   "0123456789ABCDEF0123456789ABCDEF1 app.pdb\\nFILE 0 a.c\\n' "
                   ">app.sym && echo notes >ignored.txt",
                   in_dir) != 0)
        fail_msg("gcc, strip, clang or lld-link failed in %s", in_dir);
    return 0;
}

static int
teardown_inputs(void **state)
{
    (void)state;
    harness_sh("rm -rf '%s'", in_dir);
    return 0;
}

static int
setup(void **state)
{
    (void)state;
    fixture_make(&srv);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_remove(&srv);
    memset(&srv, 0, sizeof(srv));
    return 0;
}

/* GET path: want's status, and for a 200 the bytes of file. */
static void
expect_file(const char *path, long want, const char *file)
{
    struct resp r;
    char *bytes = NULL;
    size_t len = 0;

    assert_int_equal(http_request(&srv, "GET", path, NULL, false, &r), 0);
    if (r.code != want)
        fail_msg("%s: got %ld, want %ld", path, r.code, want);
    if (file != NULL) {
        bytes = slurp(file, &len);
        assert_non_null(bytes);
        if (r.len != len || memcmp(r.body, bytes, len) != 0)
            fail_msg("%s: %zu bytes, not those of %s", path, r.len, file);
    }
    free(bytes);
    resp_free(&r);
}

/* The input a key line "file/key/name" was made from. */
static void
source_of(const char *line, char *out, size_t outlen)
{
    size_t n = strcspn(line, "/");

    if (strncmp(line, "_.debug/", 8) == 0)
        snprintf(out, outlen, "%s/hello", in_dir);
    else if (strncmp(line, "app.pdb/", 8) == 0)
        snprintf(out, outlen, "%s/app.sym", in_dir);
    else
        snprintf(out, outlen, "%s/%.*s", in_dir, (int)n, line);
}

/* Every line of keys: 200 as printed and in upper case (or 404). */
static void
fetch_all(const char *keys, long want)
{
    char *copy = strdup(keys), *save = NULL, path[600], src[300];

    assert_non_null(copy);
    for (char *l = strtok_r(copy, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        source_of(l, src, sizeof(src));
        snprintf(path, sizeof(path), "/%s", l);
        expect_file(path, want, want == 200 ? src : NULL);
        for (char *p = path; *p != '\0'; p++)
            *p = (char)toupper((unsigned char)*p);
        expect_file(path, want, want == 200 ? src : NULL);
    }
    free(copy);
}

/* Starts symsrvd on the store at srv.dir/name. */
static void
serve(const char *name, const char *const *flags)
{
    snprintf(srv.root, sizeof(srv.root), "%s/%s", srv.dir, name);
    daemon_start(&srv, flags);
}

/* The inputs as a shell word list: "'in/a' 'in/b' ...". */
static const char *
inputs(char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < NGOOD; i++)
        buf_appendf(buf, len, &n, " '%s/%s'", in_dir, good[i]);
    return buf;
}

/* hello's build-id, from the key line of its executable entry. */
static void
find_build_id(const char *keys)
{
    const char *p = strstr(keys, "hello/elf-buildid-");

    assert_non_null(p);
    p += strlen("hello/elf-buildid-");
    snprintf(id_hex, sizeof(id_hex), "%.*s", (int)strcspn(p, "/"), p);
    assert_int_equal(strlen(id_hex), 40);
}

/* add -r over the inputs; every key served as printed and upper case,
 * and the debuginfod endpoints. */
static void
test_add_and_serve(void **state)
{
    char list[2048], args[2600], *keys, *out, *err, path[300];
    const char *const flags[] = {NULL};
    char *text;

    (void)state;
    if (snprintf(args, sizeof(args), "key%s", inputs(list, sizeof(list))) >=
        (int)sizeof(args))
        fail_msg("symsrv key: command too long");
    keys = keys_of(args);
    find_build_id(keys);
    snprintf(args, sizeof(args),
             "add -r -f '%s' -s '%s/s1' -t prod -v 1.0 -c test", in_dir,
             srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    contains(out, "SYMSTORE: Number of files stored = 5\n");
    contains(out, "SYMSTORE: Number of errors = 0\n");
    contains(out, "SYMSTORE: Number of files ignored = 1\n");
    for (char *l = keys, *nl; *l != '\0'; l = nl + 1) {
        char want[600], src[300];

        nl = strchr(l, '\n');
        assert_non_null(nl);
        *nl = '\0';
        source_of(l, src, sizeof(src));
        snprintf(want, sizeof(want), "stored %s from %s\n", l, src);
        contains(out, want);
        *nl = '\n';
    }
    snprintf(path, sizeof(path), "%s/s1/000Admin/history.txt", srv.dir);
    text = slurp(path, NULL);
    assert_non_null(text);
    contains(text, "0000000001,add,file,");
    contains(text, ",\"prod\",\"1.0\",\"test\",");
    free(text);
    serve("s1", flags);
    fetch_all(keys, 200);
    snprintf(path, sizeof(path), "/buildid/%s/debuginfo", id_hex);
    snprintf(list, sizeof(list), "%s/hello", in_dir);
    expect_file(path, 200, list);
    snprintf(path, sizeof(path), "/buildid/%s/executable", id_hex);
    expect_file(path, 200, NULL);
    daemon_finish(&srv);
    free(keys);
    free(out);
    free(err);
}

/* --compress: the .pd_ CAB is served as stored, and expanded on demand. */
static void
test_compress(void **state)
{
    char args[1024], cache[256], *keys, *out, *err, path[512], pdb[300];
    const char *const flags[] = {"--expand-compressed", "on", "--cache-dir",
                                 cache, NULL};
    struct stat st;

    (void)state;
    snprintf(pdb, sizeof(pdb), "%s/x.pdb", in_dir);
    snprintf(args, sizeof(args), "key '%s'", pdb);
    keys = keys_of(args);
    keys[strcspn(keys, "\n")] = '\0';
    snprintf(args, sizeof(args), "add --compress -f '%s' -s '%s/s2' -t prod",
             pdb, srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    snprintf(path, sizeof(path), "%s/s2/%s", srv.dir, keys);
    assert_int_equal(stat(path, &st), -1);
    path[strlen(path) - 1] = '_';
    assert_int_equal(stat(path, &st), 0);
    snprintf(cache, sizeof(cache), "%s/cache", srv.dir);
    serve("s2", flags);
    snprintf(args, sizeof(args), "/%s", keys);
    args[strlen(args) - 1] = '_';
    expect_file(args, 200, path);
    snprintf(args, sizeof(args), "/%s", keys);
    expect_file(args, 200, pdb);
    daemon_finish(&srv);
    free(keys);
    free(out);
    free(err);
}

/* del -i 1: transaction 1's files go (404), transaction 2's stay. */
static void
test_delete(void **state)
{
    char args[1024], *k1, *k2, *out, *err, path[300];
    const char *const flags[] = {NULL};
    struct stat st;

    (void)state;
    snprintf(args, sizeof(args), "key '%s/x.exe' '%s/app.sym'", in_dir, in_dir);
    k1 = keys_of(args);
    snprintf(args, sizeof(args), "key '%s/x.pdb'", in_dir);
    k2 = keys_of(args);
    snprintf(args, sizeof(args),
             "add /f '%s/x.exe' '%s/app.sym' /s '%s/s3' /t prod", in_dir,
             in_dir, srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    free(out);
    free(err);
    snprintf(args, sizeof(args), "add -f '%s/x.pdb' -s '%s/s3' -t prod", in_dir,
             srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    free(out);
    free(err);
    snprintf(args, sizeof(args), "del -i 1 -s '%s/s3'", srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    snprintf(path, sizeof(path), "%s/s3/000Admin/0000000001.deleted", srv.dir);
    assert_int_equal(stat(path, &st), 0);
    serve("s3", flags);
    fetch_all(k1, 404);
    fetch_all(k2, 200);
    daemon_finish(&srv);
    free(k1);
    free(k2);
    free(out);
    free(err);
}

/* The names in dir, sorted, one a line. */
static char *
listing(const char *dir)
{
    char path[300], *text;

    snprintf(path, sizeof(path), "%s/ls.txt", srv.dir);
    assert_int_equal(harness_sh("ls -A '%s' >'%s'", dir, path), 0);
    text = slurp(path, NULL);
    assert_non_null(text);
    return text;
}

static void
put_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* srv.dir/bad: an empty file, a truncated PE and random bytes. */
static void
make_bad(char *bad, size_t badlen)
{
    static unsigned char noise[4096];
    char path[400], *exe;
    size_t len;

    snprintf(bad, badlen, "%s/bad", srv.dir);
    assert_int_equal(mkdir(bad, 0755), 0);
    snprintf(path, sizeof(path), "%s/empty.exe", bad);
    put_file(path, "", 0);
    snprintf(path, sizeof(path), "%s/x.exe", in_dir);
    exe = slurp(path, &len);
    assert_true(exe != NULL && len > 400);
    snprintf(path, sizeof(path), "%s/truncated.exe", bad);
    put_file(path, exe, 200);
    free(exe);
    fixture_bytes(sizeof(noise), 7, noise);
    snprintf(path, sizeof(path), "%s/random.bin", bad);
    put_file(path, noise, sizeof(noise));
}

/* Named with -f, the broken files are errors with their reasons and
 * nothing is written for them; the good file beside them is stored. */
static void
test_bad_inputs(void **state)
{
    char args[2048], bad[300], path[400], *out, *err, *ls;

    (void)state;
    make_bad(bad, sizeof(bad));
    snprintf(args, sizeof(args),
             "add -f '%s/empty.exe' '%s/truncated.exe' '%s/random.bin' "
             "'%s/x.exe' -s '%s/s4' -t prod",
             bad, bad, bad, in_dir, srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 1);
    snprintf(path, sizeof(path), "%s/empty.exe: empty file\n", bad);
    contains(err, path);
    snprintf(path, sizeof(path), "%s/truncated.exe: ", bad);
    contains(err, path);
    snprintf(path, sizeof(path), "%s/random.bin: not a symbol file", bad);
    contains(err, path);
    contains(out, "SYMSTORE: Number of files stored = 1\n");
    contains(out, "SYMSTORE: Number of errors = 3\n");
    contains(out, "SYMSTORE: Number of files ignored = 0\n");
    snprintf(path, sizeof(path), "%s/s4", srv.dir);
    ls = listing(path);
    assert_null(strstr(ls, "empty"));
    assert_null(strstr(ls, "truncated"));
    assert_null(strstr(ls, "random"));
    contains(ls, "x.exe\n");
    free(ls);
    free(out);
    free(err);
}

/* Only broken files: exit 1 and no transaction at all. */
static void
test_bad_only(void **state)
{
    char args[2048], bad[300], path[400], *out, *err, *ls;

    (void)state;
    make_bad(bad, sizeof(bad));
    snprintf(args, sizeof(args),
             "add -f '%s/empty.exe' '%s/truncated.exe' -s '%s/s5' -t prod", bad,
             bad, srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 1);
    contains(out, "SYMSTORE: Number of files stored = 0\n");
    contains(out, "SYMSTORE: Number of errors = 2\n");
    snprintf(path, sizeof(path), "%s/s5/000Admin", srv.dir);
    ls = listing(path);
    assert_null(strstr(ls, "0000000001"));
    free(ls);
    snprintf(path, sizeof(path), "%s/s5", srv.dir);
    ls = listing(path);
    assert_null(strstr(ls, ".exe"));
    free(ls);
    free(out);
    free(err);
}

/* Met by -r, an empty file or one no format knows is ignored, not an
 * error; a truncated PE still is one. The store, inside the tree, is not
 * walked (its 000Admin/.lock would count as ignored). */
static void
test_ignored_by_r(void **state)
{
    char args[2048], bad[300], *out, *err;

    (void)state;
    make_bad(bad, sizeof(bad));
    snprintf(args, sizeof(args), "add -r -f '%s' -s '%s/s6' -t prod", bad, bad);
    assert_int_equal(symsrv(args, &out, &err), 1);
    contains(err, "truncated.exe: ");
    contains(out, "SYMSTORE: Number of errors = 1\n");
    contains(out, "SYMSTORE: Number of files ignored = 2\n");
    free(out);
    free(err);
}

/* A directory that is not a store: one error line, nothing written. */
static void
test_not_a_store(void **state)
{
    char dir[300], path[400], args[1024], *out, *err, *ls;

    (void)state;
    snprintf(dir, sizeof(dir), "%s/notstore", srv.dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    put_file(path, "notes\n", 6);
    snprintf(args, sizeof(args), "add -f '%s/x.exe' -s '%s' -t prod", in_dir,
             dir);
    assert_int_equal(symsrv(args, &out, &err), 1);
    assert_int_equal(strncmp(err, "symsrv: ", 8), 0);
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
    ls = listing(dir);
    assert_string_equal(ls, "notes.txt\n");
    free(ls);
    free(out);
    free(err);
}

/* Every path under dir with its size and mtime, sorted. */
static char *
tree_of(const char *dir)
{
    char path[300], *text;

    snprintf(path, sizeof(path), "%s/tree.txt", srv.dir);
    assert_int_equal(harness_sh("cd '%s' && find . -printf '%%p %%s %%T@\\n' | "
                                "LC_ALL=C sort >'%s'",
                                dir, path),
                     0);
    text = slurp(path, NULL);
    assert_non_null(text);
    return text;
}

/*
 * Hostile inputs whose store path would hold a name the store owns: a
 * Breakpad MODULE name (000Admin, index2.txt, .x) or a file's own name
 * (a PE called refs.ptr or pingme.txt). Each is refused with a line
 * naming the problem, the run exits 1, and the store is untouched: a
 * later add still works and the store stays single-tier.
 */
static void
test_reserved_names(void **state)
{
    static const char *const modules[] = {"000Admin", "INDEX2.TXT", ".x"};
    static const char *const names[] = {"refs.ptr", "PingMe.txt"};
    char args[2048], path[400], evil[300], *out, *err, *before, *after;
    size_t n = 0;

    (void)state;
    snprintf(evil, sizeof(evil), "%s/evil", srv.dir);
    assert_int_equal(mkdir(evil, 0755), 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(harness_sh("printf 'MODULE windows x86_64 "
                                    "0123456789ABCDEF0123456789ABCDEF1 %s\\n' "
                                    ">'%s/m%zu.sym'",
                                    modules[i], evil, i),
                         0);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(
            harness_sh("cp '%s/x.exe' '%s/%s'", in_dir, evil, names[i]), 0);
    snprintf(args, sizeof(args), "add -f '%s/x.pdb' -s '%s/s8' -t prod", in_dir,
             srv.dir);
    assert_int_equal(symsrv(args, &out, &err), 0);
    free(out);
    free(err);
    snprintf(path, sizeof(path), "%s/s8", srv.dir);
    before = tree_of(path);
    buf_appendf(args, sizeof(args), &n, "add -f");
    for (size_t i = 0; i < 3; i++)
        buf_appendf(args, sizeof(args), &n, " '%s/m%zu.sym'", evil, i);
    for (size_t i = 0; i < 2; i++)
        buf_appendf(args, sizeof(args), &n, " '%s/%s'", evil, names[i]);
    buf_appendf(args, sizeof(args), &n, " -s '%s' -t evil", path);
    assert_int_equal(symsrv(args, &out, &err), 1);
    for (size_t i = 0; i < 3; i++) {
        char want[400];

        snprintf(want, sizeof(want), "%s/m%zu.sym: refused: ", evil, i);
        contains(err, want);
        snprintf(want, sizeof(want), "'%s' is a name the store reserves",
                 modules[i]);
        contains(err, want);
    }
    for (size_t i = 0; i < 2; i++) {
        char want[400];

        snprintf(want, sizeof(want), "'%s' is a name the store reserves",
                 names[i]);
        contains(err, want);
    }
    contains(out, "SYMSTORE: Number of files stored = 0\n");
    contains(out, "SYMSTORE: Number of errors = 5\n");
    after = tree_of(path);
    assert_string_equal(after, before);
    free(out);
    free(err);
    snprintf(args, sizeof(args), "add -f '%s/x.exe' -s '%s' -t prod", in_dir,
             path);
    assert_int_equal(symsrv(args, &out, &err), 0);
    contains(out, "transaction 0000000002\n");
    snprintf(path, sizeof(path), "%s/s8/x.exe", srv.dir);
    assert_int_equal(access(path, F_OK), 0);
    free(before);
    free(after);
    free(out);
    free(err);
}

/*
 * symsrv add killed (SIGKILL) after storing its first file, leaving a
 * temporary of its pid in the store: its file is on disk with a refs.ptr
 * naming id 1, which nobody published. The next add rolls the dead
 * transaction back before its own: the dead file 404s, the temporary is
 * gone, and id 1 names only the new run's file, which is served.
 */
static void
test_killed_add_rolled_back(void **state)
{
    char args[1024], path[400], store[300], *k1, *k2, *out, *err, *text;
    const char *const flags[] = {NULL};
    struct stat st;
    long pid;

    (void)state;
    snprintf(args, sizeof(args), "key '%s/x.exe'", in_dir);
    k1 = keys_of(args);
    snprintf(args, sizeof(args), "key '%s/x.pdb'", in_dir);
    k2 = keys_of(args);
    snprintf(store, sizeof(store), "%s/s9", srv.dir);
    /* sh reports the killed child as 128 + 9. */
    assert_int_equal(
        harness_sh("SYMSRV_TEST_KILL_AFTER=1 sh -c 'echo $$ >\"%s/pid\"; "
                   "exec \"%s\" add -f \"%s/x.exe\" \"%s/x.pdb\" "
                   "-s \"%s\" -t dead' >/dev/null 2>&1",
                   srv.dir, SYMSRV_BIN, in_dir, in_dir, store),
        137);
    snprintf(path, sizeof(path), "%s/pid", srv.dir);
    text = slurp(path, NULL);
    assert_non_null(text);
    pid = strtol(text, NULL, 10);
    free(text);
    assert_true(pid > 1);
    snprintf(path, sizeof(path), "%s/%.*s", store, (int)strcspn(k1, "\n"), k1);
    assert_int_equal(stat(path, &st), 0); /* the dead run's file */
    snprintf(path, sizeof(path), "%s/000Admin/lastid.txt", store);
    assert_int_equal(stat(path, &st), -1);
    snprintf(path, sizeof(path), "%s/000Admin/.lastid.txt.tmp.%ld", store, pid);
    put_file(path, "", 0);
    snprintf(args, sizeof(args), "add -f '%s/x.pdb' -s '%s' -t live", in_dir,
             store);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    contains(out, "transaction 0000000001\n");
    assert_int_equal(stat(path, &st), -1);
    snprintf(path, sizeof(path), "%s/000Admin/0000000001", store);
    text = slurp(path, NULL);
    assert_non_null(text);
    assert_null(strstr(text, "x.exe"));
    contains(text, "x.pdb");
    free(text);
    serve("s9", flags);
    fetch_all(k1, 404);
    fetch_all(k2, 200);
    daemon_finish(&srv);
    free(k1);
    free(k2);
    free(out);
    free(err);
}

/*
 * A symsrv add run with the write fault of fault.c (LD_PRELOAD) aimed at
 * the journal, 000Admin/.pending: stdout and stderr land in the scratch
 * directory; returns the shell's status (128 + 9 when it was killed).
 */
static int
faulted_add(const char *store, const char *files, long long after, bool kill)
{
    return harness_sh(
        "LD_PRELOAD='%s' ASAN_OPTIONS=verify_asan_link_order=0 "
        "SYMSRV_FAULT_FILE=/000Admin/.pending SYMSRV_FAULT_AFTER=%lld "
        "%s '%s' add -f %s -s '%s' -t faulty >'%s/out.txt' "
        "2>'%s/err.txt'",
        FAULT_LIB, after, kill ? "SYMSRV_FAULT_KILL=1" : "", SYMSRV_BIN, files,
        store, srv.dir, srv.dir);
}

/*
 * The disk fills up as the journal's first line (the transaction id) is
 * written: the add fails naming the journal and the reason, leaves no
 * journal and no file behind, and the next add works.
 */
static void
test_journal_id_fault(void **state)
{
    char args[1024], path[400], store[300], files[300], *k1, *out, *err;
    const char *const flags[] = {NULL};
    struct stat st;

    (void)state;
    snprintf(args, sizeof(args), "key '%s/x.exe'", in_dir);
    k1 = keys_of(args);
    snprintf(store, sizeof(store), "%s/s10", srv.dir);
    snprintf(files, sizeof(files), "'%s/x.exe'", in_dir);
    assert_int_equal(faulted_add(store, files, 0, false), 1);
    snprintf(path, sizeof(path), "%s/err.txt", srv.dir);
    err = slurp(path, NULL);
    assert_non_null(err);
    contains(err, "000Admin/.pending: No space left on device");
    free(err);
    snprintf(path, sizeof(path), "%s/000Admin/.pending", store);
    assert_int_equal(stat(path, &st), -1);
    snprintf(path, sizeof(path), "%s/%.*s", store, (int)strcspn(k1, "\n"), k1);
    assert_int_equal(stat(path, &st), -1);
    snprintf(args, sizeof(args), "add -f '%s/x.exe' -s '%s' -t again", in_dir,
             store);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    serve("s10", flags);
    fetch_all(k1, 200);
    daemon_finish(&srv);
    free(k1);
    free(out);
    free(err);
}

/*
 * The disk fills up in the middle of the journal's line for the second
 * file. As with symstore.exe, that file counts as an error and the first
 * is published; the run is killed as it removes the journal, which must
 * then hold whole lines only (the torn one cut off, else the next run
 * would read it glued to the next line). The next add settles it: the
 * journal goes, the first file stays served, the second is added.
 */
static void
test_journal_torn_line_cut(void **state)
{
    char args[1024], path[400], store[300], files[300], log[300];
    char *k1, *k2, *out, *err, *text;
    const char *const flags[] = {NULL};
    long long id_len, first_len;
    size_t len;
    struct stat st;

    (void)state;
    snprintf(args, sizeof(args), "key '%s/x.exe'", in_dir);
    k1 = keys_of(args);
    snprintf(args, sizeof(args), "key '%s/x.pdb'", in_dir);
    k2 = keys_of(args);
    snprintf(files, sizeof(files), "'%s/x.exe' '%s/x.pdb'", in_dir, in_dir);
    /* Where the second file's line starts: a run without a fault logs the
     * size of each journal write (the id line, then one per file). */
    snprintf(store, sizeof(store), "%s/s11", srv.dir);
    snprintf(log, sizeof(log), "%s/fault.log", srv.dir);
    assert_int_equal(setenv("SYMSRV_FAULT_LOG", log, 1), 0);
    assert_int_equal(faulted_add(store, files, 1 << 20, false), 0);
    assert_int_equal(unsetenv("SYMSRV_FAULT_LOG"), 0);
    text = slurp(log, NULL);
    assert_non_null(text);
    assert_int_equal(sscanf(text, "%lld %lld", &id_len, &first_len), 2);
    free(text);

    snprintf(store, sizeof(store), "%s/s12", srv.dir);
    assert_int_equal(faulted_add(store, files, id_len + first_len + 7, true),
                     137);
    snprintf(path, sizeof(path), "%s/err.txt", srv.dir);
    text = slurp(path, NULL);
    assert_non_null(text);
    contains(text, "000Admin/.pending: No space left on device");
    free(text);
    snprintf(path, sizeof(path), "%s/000Admin/.pending", store);
    text = slurp(path, &len);
    assert_non_null(text);
    assert_int_equal((long long)len, id_len + first_len); /* cut back */
    assert_int_equal(text[len - 1], '\n');
    free(text);

    snprintf(args, sizeof(args), "add -f '%s/x.pdb' -s '%s' -t live", in_dir,
             store);
    assert_int_equal(symsrv(args, &out, &err), 0);
    assert_string_equal(err, "");
    contains(out, "transaction 0000000002\n");
    assert_int_equal(stat(path, &st), -1);
    serve("s12", flags);
    fetch_all(k1, 200);
    fetch_all(k2, 200);
    daemon_finish(&srv);
    free(k1);
    free(k2);
    free(out);
    free(err);
}

struct usage_case {
    const char *args;
    int status;
    const char *says; /* on stderr, or on stdout for status 0 */
};

static const struct usage_case usage_cases[] = {
    {"", 2, "a command is needed"},
    {"frob", 2, "unknown command 'frob'"},
    {"add -f x", 2, "add needs -s STORE"},
    {"add -f x -s y", 2, "add needs -t PRODUCT"},
    {"add -s y -t p", 2, "add needs -f PATH"},
    {"add -q", 2, "-q"},
    {"add -f x -s", 2, "-s needs a value"},
    {"del -s y", 2, "del needs -i ID"},
    {"del -i x1 -s y", 2, "is not a transaction id"},
    {"key", 2, "key needs FILE"},
    {"-h", 0, "usage: symsrv add"},
    {"add --help", 0, "usage: symsrv add"},
};

static void
test_usage(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
        const struct usage_case *c = &usage_cases[i];
        char *out, *err;
        int st = symsrv(c->args, &out, &err);

        if (st != c->status)
            fail_msg("symsrv %s: exit %d, want %d", c->args, st, c->status);
        contains(c->status == 0 ? out : err, c->says);
        free(out);
        free(err);
    }
}

/* Four runs at once: ids 1 to 4, each once, every file served. */
static void
test_concurrent(void **state)
{
    static const char *const files[] = {"x.exe", "x.pdb", "app.sym",
                                        "hello.stripped"};
    char args[2048], path[400], *keys, *text;
    const char *const flags[] = {NULL};
    size_t n = 0;

    (void)state;
    /* The store exists (as an empty 000Admin/) before the runs: the
     * guarantee is about transactions. symstore_open() making a new store
     * can still lose a race against another run making the same one
     * ("not a symbol store (no 000Admin/)" or "File exists"). */
    snprintf(path, sizeof(path), "%s/s7", srv.dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/s7/000Admin", srv.dir);
    assert_int_equal(mkdir(path, 0755), 0);
    for (size_t i = 0; i < 4; i++)
        buf_appendf(args, sizeof(args), &n,
                    "'%s' add -f '%s/%s' -s '%s/s7' -t p%zu "
                    ">/dev/null & p%zu=$!; ",
                    SYMSRV_BIN, in_dir, files[i], srv.dir, i, i);
    assert_int_equal(
        harness_sh("%s wait $p0 && wait $p1 && wait $p2 && wait $p3", args), 0);
    snprintf(path, sizeof(path), "%s/s7/000Admin/lastid.txt", srv.dir);
    text = slurp(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "0000000004");
    free(text);
    snprintf(path, sizeof(path), "%s/s7/000Admin/server.txt", srv.dir);
    text = slurp(path, NULL);
    assert_non_null(text);
    for (int id = 1; id <= 4; id++) {
        char want[16];

        snprintf(want, sizeof(want), "%010d,add,", id);
        contains(text, want);
    }
    free(text);
    snprintf(args, sizeof(args),
             "key '%s/x.exe' '%s/x.pdb' '%s/app.sym' "
             "'%s/hello.stripped'",
             in_dir, in_dir, in_dir, in_dir);
    keys = keys_of(args);
    serve("s7", flags);
    fetch_all(keys, 200);
    daemon_finish(&srv);
    free(keys);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_and_serve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_by_r, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_id_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_torn_line_cut, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_killed_add_rolled_back, setup,
                                        teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup_inputs, teardown_inputs);
}
