/*
 * symsrv add into an S3-compatible bucket (symstore/s3store.h) against a
 * real S3 server that checks AWS Signature V4: @20minutes/s3rver 5.0.0,
 * started by tests/s3/s3rver.js on 127.0.0.1 (a kernel-chosen port) with
 * a bucket "bkt". Without node or the package (scripts/deps.sh test
 * installs both), the program exits 77: ctest reports it Skipped.
 *
 * What the bucket holds is read back here with libcurl's own SigV4
 * signing on URLs built by hand (not with remote/s3.c), and compared with
 * what symsrv add writes to a disk store for the same files.
 *
 * Usage: itest_s3 (SYMSRV_BIN, S3RVER_DIR compiled in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"
#include "remote/listindex.h"
#include "remote/s3index.h"
#include "s3rver.h"

#ifndef SYMSRV_BIN
#define SYMSRV_BIN "symsrv"
#endif
#ifndef S3RVER_DIR
#define S3RVER_DIR "tests/s3"
#endif

static struct s3rver s3;

static int
s3rver_start(void **state)
{
    (void)state;
    return s3rver_run(&s3, S3RVER_DIR, "itest_s3");
}

static int
s3rver_stop(void **state)
{
    (void)state;
    s3rver_end(&s3);
    return 0;
}

/* The status of symsrv args; its stderr into *err (malloc'd). */
static int
symsrv(const char *env, const char *args, char **err)
{
    char e[300];
    int rc;

    snprintf(e, sizeof(e), "%s/err.txt", s3.dir);
    rc = harness_sh("%s '%s' %s >/dev/null 2>'%s'", env ? env : "", SYMSRV_BIN,
                    args, e);
    *err = slurp(e, NULL);
    assert_non_null(*err);
    return rc;
}

/* "add -s s3://bkt/<prefix> --s3-endpoint <ours>" plus rest. */
static int
add_s3(const char *env, const char *prefix, const char *rest, char **err)
{
    char args[4096];
    int n = snprintf(args, sizeof(args),
                     "add -s s3://bkt/%s --s3-endpoint http://127.0.0.1:%d %s",
                     prefix, s3.port, rest);

    if (n < 0 || (size_t)n >= sizeof(args))
        fail_msg("symsrv arguments too long");
    return symsrv(env, args, err);
}

struct body {
    char *p;
    size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    char *q = realloc(b->p, b->len + n + 1);

    (void)size;
    if (q == NULL)
        return 0;
    memcpy(q + b->len, p, n);
    b->len += n;
    q[b->len] = '\0';
    b->p = q;
    return n;
}

/*
 * A signed request to the bucket, path-style, url_rest after "/bkt"
 * (already encoded); method "GET", "PUT" (body put) or "DELETE". The
 * status; the answer's body in *out (malloc'd) when out is not NULL.
 */
static long
bucket_req(const char *method, const char *url_rest, const char *put,
           const char *secret, struct body *out)
{
    char url[2048];
    struct body b = {NULL, 0};
    struct curl_slist *h =
        curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    CURL *c = curl_easy_init();
    long code = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/bkt%s", s3.port, url_rest);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERNAME, "S3RVER");
    curl_easy_setopt(c, CURLOPT_PASSWORD, secret ? secret : "S3RVER");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, put);
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (out != NULL)
        *out = b;
    else
        free(b.p);
    return code;
}

/* GET of the object <prefix>/<rel> (rel needs no encoding here). */
static long
bucket_get(const char *prefix, const char *rel, struct body *out)
{
    char u[1024];

    snprintf(u, sizeof(u), "/%s/%s", prefix, rel);
    return bucket_req("GET", u, NULL, NULL, out);
}

/* Every <Key> of a listing of <prefix>/, '\n'-joined, sorted, malloc'd
 * (the listing is small: one page). */
static char *
bucket_keys(const char *prefix)
{
    char u[512];
    struct body b;
    char *out = calloc(1, 65536), *p;
    size_t n = 0;

    char *enc = curl_easy_escape(NULL, prefix, 0);

    /* The query as SigV4 signs it: '/' in a value is %2F. */
    snprintf(u, sizeof(u), "?list-type=2&prefix=%s%%2F", enc);
    curl_free(enc);
    assert_int_equal(bucket_req("GET", u, NULL, NULL, &b), 200);
    for (p = b.p; (p = strstr(p, "<Key>")) != NULL;) {
        char *end = strstr(p, "</Key>");

        p += 5 + strlen(prefix) + 1;
        n += (size_t)snprintf(out + n, 65536 - n, "%.*s\n", (int)(end - p), p);
        p = end;
    }
    free(b.p);
    return out;
}

/* Writes the Breakpad input dir/in/<name> for module mod with key id,
 * padded with pad FUNC lines. */
static void
make_sym(const char *name, const char *mod, const char *id, int pad)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/in/%s", s3.dir, name);
    harness_sh("mkdir -p '%s/in'", s3.dir);
    assert_int_equal(s3rver_make_sym(path, mod, id, pad), 0);
}

/* Drops the date and time columns (4th and 5th) of each server.txt /
 * history.txt line, in place: two runs a second apart differ there. */
static void
undate(char *s)
{
    char *line = s, *w = s;

    while (*line != '\0') {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        int commas = 0;

        for (size_t i = 0; i < len; i++) {
            if (line[i] == ',')
                commas++;
            if (commas < 3 || commas >= 5 || (commas == 3 && line[i] == ','))
                *w++ = line[i];
        }
        line += len;
    }
    *w = '\0';
}

/* The files of the disk store dir (no dot-files), as bucket_keys()
 * lists them. */
static char *
disk_files(const char *dir)
{
    char out[300], *p;

    snprintf(out, sizeof(out), "%s/files.txt", s3.dir);
    assert_int_equal(harness_sh("cd '%s' && find . -type f ! -name '.*' | sed "
                                "'s|^\\./||' | LC_ALL=C sort >'%s'",
                                dir, out),
                     0);
    p = slurp(out, NULL);
    assert_non_null(p);
    return p;
}

/* Every file of the disk store is in the bucket under prefix with the
 * same bytes (dates aside in the two logs), and nothing else is. */
static void
assert_same_store(const char *disk, const char *prefix)
{
    char *files = disk_files(disk), *keys = bucket_keys(prefix), *line;

    assert_string_equal(keys, files);
    for (line = strtok(files, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[1024];
        size_t len = 0;
        char *want;
        struct body got;

        snprintf(path, sizeof(path), "%s/%s", disk, line);
        want = slurp(path, &len);
        assert_non_null(want);
        assert_int_equal(bucket_get(prefix, line, &got), 200);
        if (strstr(line, "server.txt") || strstr(line, "history.txt")) {
            undate(want);
            undate(got.p);
            assert_string_equal(got.p, want);
        } else {
            assert_int_equal(got.len, len);
            assert_memory_equal(got.p ? got.p : "", want, len);
        }
        free(want);
        free(got.p);
    }
    free(files);
    free(keys);
}

/* One transaction of files (a word list) into the disk store disk and
 * into the bucket under prefix, with the same options. */
static void
add_both(const char *disk, const char *prefix, const char *files,
         const char *opts)
{
    char args[4096], *err;

    snprintf(args, sizeof(args), "%s -t prod -v 1 -c note %s", files, opts);
    assert_int_equal(add_s3(NULL, prefix, args, &err), 0);
    assert_string_equal(err, "");
    free(err);
    snprintf(args, sizeof(args), "add -s '%s' %s -t prod -v 1 -c note %s", disk,
             files, opts);
    assert_int_equal(symsrv(NULL, args, &err), 0);
    free(err);
}

/* Two transactions, one- and two-tier: the bucket holds what the disk
 * store holds, and no lock is left. */
static void
test_add_matches_disk(void **state)
{
    char disk[300], ab[1024], c[1024];

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    make_sym("b.sym", "b.pdb", "0123456789ABCDEF0123456789ABCDEF2", 5);
    make_sym("c.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF3", 7);
    snprintf(ab, sizeof(ab), "-f '%s/in/a.sym' '%s/in/b.sym'", s3.dir, s3.dir);
    snprintf(c, sizeof(c), "-f '%s/in/c.sym' '%s/in/a.sym'", s3.dir, s3.dir);
    for (int t = 0; t < 2; t++) {
        const char *prefix = t ? "same/two" : "same/one";

        snprintf(disk, sizeof(disk), "%s/disk%d", s3.dir, t);
        add_both(disk, prefix, ab, t ? "--two-tier" : "");
        add_both(disk, prefix, c, "--compress");
        assert_same_store(disk, prefix);
    }
}

/* symsrv del on a bucket store does what it does on a disk store: the
 * same objects remain, with the same bytes. */
static void
test_del_matches_disk(void **state)
{
    char disk[300], files[1024], args[1024], *err;

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    make_sym("b.sym", "b.pdb", "0123456789ABCDEF0123456789ABCDEF2", 5);
    make_sym("c.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF3", 7);
    snprintf(disk, sizeof(disk), "%s/disk-del", s3.dir);
    snprintf(files, sizeof(files), "-f '%s/in/a.sym' '%s/in/b.sym'", s3.dir,
             s3.dir);
    add_both(disk, "del", files, "--two-tier");
    snprintf(files, sizeof(files), "-f '%s/in/a.sym' '%s/in/c.sym'", s3.dir,
             s3.dir);
    add_both(disk, "del", files, "");
    /* 1: a.sym stays (2 refers to it), b.sym goes. */
    snprintf(args, sizeof(args), "del -i 1 -s '%s'", disk);
    assert_int_equal(symsrv(NULL, args, &err), 0);
    free(err);
    snprintf(args, sizeof(args),
             "del -i 1 -s s3://bkt/del --s3-endpoint http://127.0.0.1:%d",
             s3.port);
    assert_int_equal(symsrv(NULL, args, &err), 0);
    assert_string_equal(err, "");
    free(err);
    assert_same_store(disk, "del");
    assert_int_equal(
        bucket_get("del", "b/b.pdb/0123456789ABCDEF0123456789ABCDEF2/b.sym",
                   NULL),
        404);
    /* Again: no such transaction, nothing changed. */
    assert_int_equal(symsrv(NULL, args, &err), 1);
    assert_non_null(strstr(err, "transaction 1: no such transaction"));
    free(err);
    assert_same_store(disk, "del");
}

/* How many times the server logged what. */
static int
logged(const char *what)
{
    int n = s3rver_logged(&s3, what);

    assert_true(n >= 0);
    return n;
}

/* Whether the server is answering every third request 503. */
static bool flaky;

static void
flaky_set(bool on)
{
    if (flaky != on)
        kill(s3.pid, SIGUSR2);
    flaky = on;
}

/* A failed test_slowdown_retried() must not leave the server failing. */
static int
flaky_off(void **state)
{
    (void)state;
    flaky_set(false);
    return 0;
}

/* Every third request answered 503 SlowDown: the transient failures are
 * tried again, and the bucket still ends as the disk store. */
static void
test_slowdown_retried(void **state)
{
    char disk[300], files[1024];
    int before = logged("503 SlowDown injected");

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    make_sym("b.sym", "b.pdb", "0123456789ABCDEF0123456789ABCDEF2", 5);
    make_sym("c.sym", "c.pdb", "0123456789ABCDEF0123456789ABCDEF3", 7);
    snprintf(disk, sizeof(disk), "%s/disk-flaky", s3.dir);
    snprintf(files, sizeof(files),
             "-f '%s/in/a.sym' '%s/in/b.sym' '%s/in/c.sym'", s3.dir, s3.dir,
             s3.dir);
    flaky_set(true);
    add_both(disk, "flaky", files, "");
    flaky_set(false);
    assert_true(logged("503 SlowDown injected") - before >= 5);
    assert_same_store(disk, "flaky");
}

/* A wrong secret: the server's 403 and its reason, and nothing written. */
static void
test_wrong_secret(void **state)
{
    char *err, *keys;

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    assert_int_equal(add_s3("AWS_SECRET_ACCESS_KEY=wrong", "denied",
                            "-f \"$PWD/x\" -t p", &err),
                     1);
    assert_non_null(strstr(err, "HTTP 403 SignatureDoesNotMatch"));
    assert_non_null(strstr(err, "s3://bkt/denied/000Admin/.lock"));
    free(err);
    keys = bucket_keys("denied");
    assert_string_equal(keys, "");
    free(keys);
}

static void
test_missing_bucket(void **state)
{
    char args[512], *err;

    (void)state;
    snprintf(args, sizeof(args),
             "add -s s3://nobucket/x --s3-endpoint http://127.0.0.1:%d "
             "-f '%s/in/a.sym' -t p",
             s3.port, s3.dir);
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    assert_int_equal(symsrv(NULL, args, &err), 1);
    assert_non_null(strstr(err, "s3://nobucket: no such bucket (404 "
                                "NoSuchBucket)"));
    free(err);
}

/* Another writer's lock object: the run waits, fails naming it and its
 * holder, and writes nothing; once it is gone, the run goes through. */
static void
test_lock_held(void **state)
{
    char args[512], *err, *keys;
    struct body last;

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    snprintf(args, sizeof(args), "-f '%s/in/a.sym' -t p", s3.dir);
    assert_int_equal(bucket_req("PUT", "/locked/000Admin/.lock",
                                "otherhost pid 1 since 0", NULL, NULL),
                     200);
    assert_int_equal(add_s3("SYMSRV_S3_LOCK_WAIT=1", "locked", args, &err), 1);
    assert_non_null(strstr(err, "s3://bkt/locked/000Admin/.lock: another "
                                "writer holds the store by otherhost pid 1"));
    free(err);
    keys = bucket_keys("locked");
    assert_string_equal(keys, "000Admin/.lock\n");
    free(keys);
    assert_int_equal(
        bucket_req("DELETE", "/locked/000Admin/.lock", NULL, NULL, NULL), 204);
    assert_int_equal(add_s3("SYMSRV_S3_LOCK_WAIT=1", "locked", args, &err), 0);
    free(err);
    assert_int_equal(bucket_get("locked", "000Admin/lastid.txt", &last), 200);
    assert_string_equal(last.p, "0000000001");
    free(last.p);
    assert_int_equal(bucket_get("locked", "000Admin/.lock", NULL), 404);
}

/* Four writers at once: the lock makes them take turns, so four
 * transactions with four ids, none lost. */
static void
test_concurrent_writers(void **state)
{
    char cmd[4096], *s;
    size_t n = 0;
    struct body server;
    int lines = 0;

    (void)state;
    for (int i = 0; i < 4; i++) {
        char name[16], mod[16], id[40];

        snprintf(name, sizeof(name), "w%d.sym", i);
        snprintf(mod, sizeof(mod), "w%d.pdb", i);
        snprintf(id, sizeof(id), "0123456789ABCDEF0123456789ABCDE%02d", i);
        make_sym(name, mod, id, 2);
        n += (size_t)snprintf(
            cmd + n, sizeof(cmd) - n,
            "(SYMSRV_S3_LOCK_WAIT=60 '%s' add -s s3://bkt/many --s3-endpoint "
            "http://127.0.0.1:%d -f '%s/in/%s' -t w%d >/dev/null 2>&1; echo "
            "$? >'%s/rc%d') & ",
            SYMSRV_BIN, s3.port, s3.dir, name, i, s3.dir, i);
    }
    snprintf(cmd + n, sizeof(cmd) - n, "wait");
    assert_int_equal(harness_sh("%s", cmd), 0);
    for (int i = 0; i < 4; i++) {
        char path[300];

        snprintf(path, sizeof(path), "%s/rc%d", s3.dir, i);
        s = slurp(path, NULL);
        assert_non_null(s);
        assert_string_equal(s, "0\n");
        free(s);
    }
    assert_int_equal(bucket_get("many", "000Admin/server.txt", &server), 200);
    for (int i = 1; i <= 4; i++) {
        char id[16];

        snprintf(id, sizeof(id), "%010d,add", i);
        assert_non_null(strstr(server.p, id));
    }
    for (s = server.p; (s = strchr(s, '\n')) != NULL; s++)
        lines++;
    assert_int_equal(lines, 4);
    free(server.p);
}

/* How many "Stored part" lines the server logged. */
static int
parts_logged(void)
{
    return logged("Stored part ");
}

/* Above SYMSRV_S3_PART_SIZE a file goes up in parts, whole. */
static void
test_multipart(void **state)
{
    char args[512], path[300], *err, *want;
    struct body got;
    size_t len;
    int before = parts_logged();

    (void)state;
    make_sym("big.sym", "big.pdb", "0123456789ABCDEF0123456789ABCDEF9", 3000);
    snprintf(path, sizeof(path), "%s/in/big.sym", s3.dir);
    want = slurp(path, &len);
    assert_non_null(want);
    assert_true(len > 5 * 20000);
    snprintf(args, sizeof(args), "-f '%s' -t p", path);
    assert_int_equal(add_s3("SYMSRV_S3_PART_SIZE=20000", "big", args, &err), 0);
    free(err);
    assert_int_equal(parts_logged() - before, (int)((len + 19999) / 20000));
    assert_int_equal(
        bucket_get("big", "big.pdb/0123456789ABCDEF0123456789ABCDEF9/big.sym",
                   &got),
        200);
    assert_int_equal(got.len, len);
    assert_memory_equal(got.p, want, len);
    free(got.p);
    free(want);
}

/* A second writer's transactions reach an index by refresh, at the cost
 * the header states: one GET when nothing changed; per new transaction
 * one GET and one listing per key directory. Lookups in any case. */
/* What the index finds for rel, or "(none)". */
static const char *
found(const struct listindex *li, const char *rel)
{
    const char *f = listindex_find(li, rel, strlen(rel));

    return f != NULL ? f : "(none)";
}

static void
test_index_refresh(void **state)
{
    struct s3_conf conf = {0};
    struct s3index_state st = {0};
    struct listindex *li = listindex_new();
    char url[64], args[1024], err[512], *e;
    struct s3 *s;

    (void)state;
    make_sym("i1.sym", "One.pdb", "0123456789ABCDEF0123456789ABCDEF1", 2);
    make_sym("i2.sym", "Two.pdb", "0123456789ABCDEF0123456789ABCDEF2", 2);
    make_sym("i3.sym", "Three.pdb", "0123456789ABCDEF0123456789ABCDEF3", 2);
    snprintf(args, sizeof(args), "-f '%s/in/i1.sym' -t p --two-tier", s3.dir);
    assert_int_equal(add_s3(NULL, "idx", args, &e), 0);
    free(e);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s3.port);
    conf.endpoint = url;
    s = s3_open(&conf, "s3://bkt/idx", err, sizeof(err));
    assert_non_null(s);
    assert_int_equal(s3index_full(s, li, &st, err, sizeof(err)), 0);
    assert_int_equal(st.last_id, 1);
    assert_true(st.two_tier);
    assert_string_equal(
        found(li, "on/one.PDB/0123456789abcdef0123456789abcdef1/ONE.sym"),
        "On/One.pdb/0123456789ABCDEF0123456789ABCDEF1/One.sym");
    assert_int_equal(s3index_refresh(s, &li, &st, err, sizeof(err)),
                     S3INDEX_SAME);
    assert_int_equal(st.requests, 1);
    snprintf(args, sizeof(args), "-f '%s/in/i2.sym' '%s/in/i3.sym' -t p",
             s3.dir, s3.dir);
    assert_int_equal(add_s3(NULL, "idx", args, &e), 0);
    free(e);
    snprintf(args, sizeof(args), "-f '%s/in/i1.sym' -t p", s3.dir);
    assert_int_equal(add_s3(NULL, "idx", args, &e), 0);
    free(e);
    assert_int_equal(s3index_refresh(s, &li, &st, err, sizeof(err)),
                     S3INDEX_UPDATED);
    /* lastid, two transaction files, three key directories. */
    assert_int_equal(st.requests, 1 + 2 + 3);
    assert_int_equal(st.last_id, 3);
    assert_string_equal(
        found(li, "TH/THREE.PDB/0123456789ABCDEF0123456789ABCDEF3/THREE.SYM"),
        "Th/Three.pdb/0123456789ABCDEF0123456789ABCDEF3/Three.sym");
    assert_string_equal(
        found(li, "tw/two.pdb/0123456789abcdef0123456789abcdef2/two.sym"),
        "Tw/Two.pdb/0123456789ABCDEF0123456789ABCDEF2/Two.sym");
    /* The three files, index2.txt and pingme.txt. */
    assert_int_equal(listindex_count(li), 5);
    listindex_free(li);
    s3_close(s);
}

/* Without the AWS_* variables, the credentials file's profile signs; a
 * missing profile is an error naming where credentials were looked for. */
static void
test_credentials_file(void **state)
{
    char creds[300], env[800], args[512], *e;
    FILE *f;

    (void)state;
    snprintf(creds, sizeof(creds), "%s/credentials", s3.dir);
    f = fopen(creds, "w");
    assert_non_null(f);
    fputs("[default]\naws_access_key_id = S3RVER\n"
          "aws_secret_access_key = not-this-one\n\n"
          "[ci]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n",
          f);
    fclose(f);
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 3);
    snprintf(args, sizeof(args), "-f '%s/in/a.sym' -t p", s3.dir);
    snprintf(env, sizeof(env),
             "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "
             "AWS_SHARED_CREDENTIALS_FILE='%s' AWS_PROFILE=ci",
             creds);
    assert_int_equal(add_s3(env, "creds", args, &e), 0);
    free(e);
    snprintf(env, sizeof(env),
             "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE "
             "AWS_SHARED_CREDENTIALS_FILE='%s'",
             creds);
    assert_int_equal(add_s3(env, "creds", args, &e), 1);
    assert_non_null(strstr(e, "HTTP 403 SignatureDoesNotMatch"));
    free(e);
    snprintf(env, sizeof(env),
             "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "
             "AWS_SHARED_CREDENTIALS_FILE='%s' AWS_PROFILE=nobody",
             creds);
    assert_int_equal(add_s3(env, "creds", args, &e), 1);
    assert_non_null(strstr(e, "no S3 credentials: set AWS_ACCESS_KEY_ID"));
    assert_non_null(strstr(e, "[nobody] in "));
    free(e);
    f = fopen(creds, "w");
    assert_non_null(f);
    fputs("[ci]\naws_access_key_id = S3RVER\nthis is no INI line\n", f);
    fclose(f);
    assert_int_equal(add_s3(env, "creds", args, &e), 1);
    assert_non_null(strstr(e, "/credentials:3: not an INI line"));
    free(e);
}

/* Runs c on a multi handle, as the daemon's event loop would (non-
 * blocking: curl_multi_perform() and curl_multi_poll()). */
static CURLcode
run_on_multi(CURL *c)
{
    CURLM *m = curl_multi_init();
    CURLMsg *msg;
    int running = 1, left;
    CURLcode rc = CURLE_FAILED_INIT;

    curl_multi_add_handle(m, c);
    while (running > 0) {
        assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
        if (running > 0)
            assert_int_equal(curl_multi_poll(m, NULL, 0, 1000, NULL), CURLM_OK);
    }
    while ((msg = curl_multi_info_read(m, &left)) != NULL)
        if (msg->msg == CURLMSG_DONE)
            rc = msg->data.result;
    curl_multi_remove_handle(m, c);
    curl_multi_cleanup(m);
    return rc;
}

/* s3_prepare(), the daemon's way in: a signed GET (whole, and a Range
 * passed to the bucket) and HEAD on a multi handle; a wrong secret 403. */
static void
test_prepare_on_multi(void **state)
{
    static const char rel[] = "a.pdb/0123456789ABCDEF0123456789ABCDEF1/a.sym";
    struct s3_conf conf = {0};
    char url[64], args[512], err[512], path[300], *e, *want;
    struct curl_slist *hdrs = NULL;
    struct body got = {NULL, 0};
    struct s3 *s;
    size_t len;
    long code = 0;
    CURL *c;

    (void)state;
    make_sym("a.sym", "a.pdb", "0123456789ABCDEF0123456789ABCDEF1", 40);
    snprintf(args, sizeof(args), "-f '%s/in/a.sym' -t p", s3.dir);
    assert_int_equal(add_s3(NULL, "multi", args, &e), 0);
    free(e);
    snprintf(path, sizeof(path), "%s/in/a.sym", s3.dir);
    want = slurp(path, &len);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s3.port);
    conf.endpoint = url;
    s = s3_open(&conf, "s3://bkt/multi", err, sizeof(err));
    assert_non_null(s);

    c = curl_easy_init();
    assert_int_equal(s3_prepare(s, c, S3_GET, rel, NULL, NULL, NULL, &hdrs, err,
                                sizeof(err)),
                     0);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    assert_int_equal(run_on_multi(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 200);
    assert_int_equal(got.len, len);
    assert_memory_equal(got.p, want, len);
    free(got.p);
    got = (struct body){NULL, 0};

    curl_easy_setopt(c, CURLOPT_RANGE, "10-19");
    assert_int_equal(run_on_multi(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 206);
    assert_int_equal(got.len, 10);
    assert_memory_equal(got.p, want + 10, 10);
    free(got.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);

    c = curl_easy_init();
    assert_int_equal(s3_prepare(s, c, S3_HEAD, "a.pdb/NOPE/a.sym", NULL, NULL,
                                NULL, &hdrs, err, sizeof(err)),
                     0);
    assert_int_equal(run_on_multi(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 404);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    s3_close(s);

    setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
    s = s3_open(&conf, "s3://bkt/multi", err, sizeof(err));
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    assert_non_null(s);
    c = curl_easy_init();
    got = (struct body){NULL, 0};
    assert_int_equal(s3_prepare(s, c, S3_GET, rel, NULL, NULL, NULL, &hdrs, err,
                                sizeof(err)),
                     0);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
    assert_int_equal(run_on_multi(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 403);
    free(got.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    s3_close(s);
    free(want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_matches_disk),
        cmocka_unit_test(test_del_matches_disk),
        cmocka_unit_test_teardown(test_slowdown_retried, flaky_off),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_missing_bucket),
        cmocka_unit_test(test_lock_held),
        cmocka_unit_test(test_concurrent_writers),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_index_refresh),
        cmocka_unit_test(test_prepare_on_multi),
        cmocka_unit_test(test_credentials_file),
    };
    const char *why = s3rver_missing(S3RVER_DIR);

    if (why != NULL) {
        printf("s3 tests skipped: %s\n", why);
        return 77;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, s3rver_start, s3rver_stop);
}
