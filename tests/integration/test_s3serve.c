/*
 * symsrvd serving a bucket store (store.root s3://BUCKET/PREFIX,
 * docs/remote.md "A bucket-backed cluster") on a real S3 server that
 * checks signatures (s3rver.h), filled by the real symsrv add: two nodes
 * on one bucket serve its files byte-exact, any letter case through the
 * listing index, a miss without a request to the bucket; what a third
 * process adds later is served by both within the index refresh; a
 * refused signature is a 502 with a log line naming the 403; a bucket
 * that does not answer is a 502. A Range of a file not cached is asked
 * of the bucket as that range (206 passed on, nothing cached; a bucket
 * answer not matching the range asked is a 502; its 416 and 404 ours).
 * Without node or the package every test is skipped.
 */
#include "harness.h"
#include "s3rver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYMSRV_BIN
#define SYMSRV_BIN "symsrv"
#endif
#ifndef S3RVER_DIR
#define S3RVER_DIR "tests/s3"
#endif

#define ID1 "0123456789ABCDEF0123456789ABCDEF1"
#define ID2 "0123456789ABCDEF0123456789ABCDEF2"
#define ID3 "0123456789ABCDEF0123456789ABCDEF3"
/* Where symsrv add puts a Breakpad file of module App.pdb. */
#define APP1 "App.pdb/" ID1 "/App.sym"

static struct s3rver s3;
static const char *missing; /* why s3rver cannot run, or NULL */
static struct daemon node_a, node_b;

static bool
skipped(void)
{
    if (missing == NULL && s3.pid > 0)
        return false;
    harness_skip("%s", missing != NULL ? missing : "s3rver did not start");
    return true;
}

/* The input file s3.dir/<name> for module mod, key id. */
static const char *
sym_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", s3.dir, name);
    return buf;
}

/* symsrv add of s3.dir/<name> (module mod, key id, pad FUNC lines) into
 * s3://bkt/<prefix>. */
static void
add_sym(const char *prefix, const char *name, const char *mod, const char *id,
        int pad)
{
    char path[400], cmd[1200];

    sym_path(name, path, sizeof(path));
    assert_int_equal(s3rver_make_sym(path, mod, id, pad), 0);
    snprintf(cmd, sizeof(cmd),
             "'%s' add -s s3://bkt/%s --s3-endpoint http://127.0.0.1:%d "
             "-t prod -f '%s' >/dev/null",
             SYMSRV_BIN, prefix, s3.port, path);
    assert_int_equal(system(cmd), 0);
}

/* Starts d on s3://bkt/<prefix> at endpoint (NULL: the test server's),
 * its index refreshed every second. */
static void
node_start(struct daemon *d, const char *prefix, const char *endpoint)
{
    char root[300], ep[64], cache[300];
    const char *flags[] = {"-r",
                           root,
                           "--s3-endpoint",
                           endpoint != NULL ? endpoint : ep,
                           "--cache-dir",
                           cache,
                           "--s3-index-refresh",
                           "1",
                           "--metrics-listen",
                           "127.0.0.1:0",
                           NULL};

    snprintf(root, sizeof(root), "s3://bkt/%s", prefix);
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", s3.port);
    fixture_make(d);
    snprintf(cache, sizeof(cache), "%s/cache", d->dir);
    daemon_allow_stderr("symsrvd: bucket ");
    daemon_allow_stderr("symsrvd: upstream ");
    daemon_start(d, flags);
}

/* Waits (up to 10 s) until d logged its first index of the bucket. */
static void
wait_index(const struct daemon *d)
{
    for (int i = 0; i < 200; i++) {
        char *log = slurp(d->stderr_log, NULL);
        bool ready = log != NULL && strstr(log, ": index of ") != NULL;

        free(log);
        if (ready)
            return;
        sleep_ms(50);
    }
    fail_msg("no index of the bucket after 10 s");
}

/* GET of path on d: the status; the body must be the file's when 200. */
static long
get_file(const struct daemon *d, const char *path, const char *want_file)
{
    struct resp r;
    long code;

    assert_int_equal(http_request(d, "GET", path, NULL, false, &r), 0);
    code = r.code;
    if (code == 200 && want_file != NULL) {
        size_t len;
        char *want = slurp(want_file, &len);

        assert_non_null(want);
        assert_int_equal(r.len, len);
        assert_memory_equal(r.body, want, len);
        free(want);
    }
    resp_free(&r);
    return code;
}

/* GETs of the object rel the server answered 200: its "rel 200" lines
 * less the PUTs (each logs "Stored object" once). */
static int
s3rver_gets(const char *rel)
{
    char ok[600], put[600];

    snprintf(ok, sizeof(ok), "/%s 200 ", rel);
    snprintf(put, sizeof(put), "/%s\" in bucket", rel);
    return s3rver_logged(&s3, ok) - s3rver_logged(&s3, put);
}

/* s3rver_logged(), once it shows at least n (up to 2 s): it logs an
 * answer after sending it, so a line may come after the client's end. */
static int
s3rver_logged_wait(const char *what, int n)
{
    int got = s3rver_logged(&s3, what);

    for (int i = 0; i < 100 && got < n; i++) {
        sleep_ms(20);
        got = s3rver_logged(&s3, what);
    }
    return got;
}

/* s3rver_gets(), once it is at least n (up to 2 s). */
static int
s3rver_gets_wait(const char *rel, int n)
{
    int got = s3rver_gets(rel);

    for (int i = 0; i < 100 && got < n; i++) {
        sleep_ms(20);
        got = s3rver_gets(rel);
    }
    return got;
}

static int
teardown(void **state)
{
    (void)state;
    if (node_a.pid > 0)
        daemon_finish(&node_a);
    if (node_b.pid > 0)
        daemon_finish(&node_b);
    memset(&node_a, 0, sizeof(node_a));
    memset(&node_b, 0, sizeof(node_b));
    return 0;
}

/* Two nodes serve what symsrv add put there, byte-exact; WinDbg's
 * upper-case spelling is found through the index on a node that never
 * fetched the file; a miss asks nothing of the bucket. */
static void
test_two_nodes(void **state)
{
    char app[400];

    (void)state;
    if (skipped())
        return;
    add_sym("two", "app.sym", "App.pdb", ID1, 20);
    sym_path("app.sym", app, sizeof(app));
    node_start(&node_a, "two", NULL);
    node_start(&node_b, "two", NULL);
    wait_index(&node_a);
    wait_index(&node_b);
    assert_int_equal(get_file(&node_a, "/" APP1, app), 200);
    assert_int_equal(get_file(&node_b, "/APP.PDB/" ID1 "/APP.SYM", app), 200);
    assert_int_equal(get_file(&node_b, "/" APP1, app), 200); /* cached */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(get_file(&node_a, "/nope.pdb/" ID1 "/nope.sym", NULL),
                         404);
        assert_int_equal(get_file(&node_b, "/nope.pdb/" ID1 "/nope.sym", NULL),
                         404);
    }
    assert_int_equal(s3rver_logged(&s3, "/nope.sym "), 0);
    /* Each node asked the bucket for the file once: then its cache. */
    assert_int_equal(s3rver_gets(APP1), 2);
}

/* What a third process adds after both nodes started is served by both
 * within the refresh interval (1 s here), with no restart. */
static void
test_third_add(void **state)
{
    char b[400];
    long long t0, took = -1;
    bool a_ok = false, b_ok = false;

    (void)state;
    if (skipped())
        return;
    add_sym("third", "app.sym", "App.pdb", ID1, 3);
    node_start(&node_a, "third", NULL);
    node_start(&node_b, "third", NULL);
    wait_index(&node_a);
    wait_index(&node_b);
    assert_int_equal(get_file(&node_a, "/late.pdb/" ID2 "/late.sym", NULL),
                     404);
    add_sym("third", "late.sym", "Late.pdb", ID2, 9);
    sym_path("late.sym", b, sizeof(b));
    t0 = now_ms();
    while (now_ms() - t0 < 5000 && !(a_ok && b_ok)) {
        a_ok =
            a_ok || get_file(&node_a, "/late.pdb/" ID2 "/late.sym", b) == 200;
        b_ok =
            b_ok || get_file(&node_b, "/LATE.PDB/" ID2 "/LATE.SYM", b) == 200;
        if (a_ok && b_ok)
            took = now_ms() - t0;
        else
            sleep_ms(50);
    }
    assert_true(a_ok);
    assert_true(b_ok);
    printf("third add served by both nodes after %lld ms (refresh 1 s)\n",
           took);
    assert_true(took <= 2500);
    /* /metrics: both files and pingme.txt indexed, the looks at the
     * bucket counted. */
    assert_int_equal(metrics_sample(&node_a, "symsrvd_bucket_index_entries"),
                     3);
    assert_true(metrics_sample(&node_a, "symsrvd_bucket_index_bytes") > 0);
    assert_true(metrics_sample(&node_b, "symsrvd_bucket_index_refreshes_total"
                                        "{result=\"ok\"}") >= 2);
    assert_int_equal(metrics_sample(&node_b,
                                    "symsrvd_bucket_index_refreshes_total"
                                    "{result=\"failed\"}"),
                     0);
}

/* A file the index lists but the bucket lost (removed behind its back:
 * no transaction tells the nodes): 404s, and one bucket request per
 * negative TTL (1 s here), not one per client request. */
static void
test_negative_ttl(void **state)
{
    char cmd[700], root[300], ep[64];
    const char *flags[] = {"-r",          root, "--s3-endpoint",     ep,
                           "--cache-dir", NULL, "--s3-negative-ttl", "1",
                           NULL};
    char cache[300];

    (void)state;
    if (skipped())
        return;
    add_sym("neg", "gone.sym", "Gone.pdb", ID1, 3);
    snprintf(root, sizeof(root), "s3://bkt/neg");
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", s3.port);
    fixture_make(&node_a);
    snprintf(cache, sizeof(cache), "%s/cache", node_a.dir);
    flags[5] = cache;
    daemon_allow_stderr("symsrvd: bucket ");
    daemon_allow_stderr("symsrvd: upstream ");
    daemon_start(&node_a, flags);
    wait_index(&node_a);
    snprintf(cmd, sizeof(cmd),
             "rm '%s/data/bkt/neg/Gone.pdb/" ID1 "/Gone.sym._S3rver_'*",
             s3.dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(get_file(&node_a, "/Gone.pdb/" ID1 "/Gone.sym", NULL),
                         404);
    assert_int_equal(s3rver_logged(&s3, "/Gone.pdb/" ID1 "/Gone.sym 404 "), 1);
    sleep_ms(1300); /* past the TTL: asked again, once */
    for (int i = 0; i < 3; i++)
        assert_int_equal(get_file(&node_a, "/gone.PDB/" ID1 "/gone.sym", NULL),
                         404);
    assert_int_equal(s3rver_logged(&s3, "/Gone.pdb/" ID1 "/Gone.sym 404 "), 2);
}

/* A secret the bucket refuses: 502 (not 404, not 403) and a log line
 * naming the 403. */
static void
test_wrong_secret(void **state)
{
    char *log;

    (void)state;
    if (skipped())
        return;
    add_sym("secret", "app.sym", "App.pdb", ID3, 3);
    setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
    node_start(&node_a, "secret", NULL);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    assert_int_equal(get_file(&node_a, "/App.pdb/" ID3 "/App.sym", NULL), 502);
    log = slurp(node_a.stderr_log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "HTTP 403"));
    free(log);
}

/* A bucket whose endpoint does not answer: 502, nothing cached. */
static void
test_bucket_down(void **state)
{
    (void)state;
    if (skipped())
        return;
    node_start(&node_a, "down", "http://127.0.0.1:1");
    assert_int_equal(get_file(&node_a, "/App.pdb/" ID3 "/App.sym", NULL), 502);
    assert_int_equal(get_file(&node_a, "/App.pdb/" ID3 "/App.sym", NULL), 502);
}

/* GET of path on d with Range: range; the status, the body into r. */
static long
get_range(const struct daemon *d, const char *path, const char *range,
          struct resp *r)
{
    char hdr[200];
    const char *hdrs[] = {hdr, NULL};

    snprintf(hdr, sizeof(hdr), "Range: %s", range);
    assert_int_equal(http_request(d, "GET", path, hdrs, false, r), 0);
    return r->code;
}

/* Whether d's cache holds a copy of the store path rel (lower case). */
static bool
cached(const struct daemon *d, const char *rel)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/cache/upstream/%s", d->dir, rel);
    for (char *p = path + strlen(d->dir); *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return access(path, F_OK) == 0;
}

#define BIG "Big.pdb/" ID1 "/Big.sym"

/* A Range of a file not cached is asked of the bucket as that range (its
 * log shows a 206, no whole GET), answered 206 with the bucket's bytes and
 * Content-Range, and leaves nothing in the cache. A suffix range is passed
 * on too: s3rver answers "bytes=-50" with bytes 0-50 (it has no suffix
 * ranges), which does not match what was asked: 502, never those bytes.
 * A range past the end: s3rver's 416 carries no size, so the whole file is
 * fetched and our 416 (with the size) comes from the cache. */
static void
test_range_passthrough(void **state)
{
    char path[400], want[128], buf[256];
    struct resp r;
    size_t len;
    char *file, *log;

    (void)state;
    if (skipped())
        return;
    add_sym("range", "big.sym", "Big.pdb", ID1, 20000);
    file = slurp(sym_path("big.sym", path, sizeof(path)), &len);
    assert_non_null(file);
    assert_true(len > 100000);
    node_start(&node_a, "range", NULL);
    wait_index(&node_a);

    assert_int_equal(get_range(&node_a, "/" BIG, "bytes=1000-1999", &r), 206);
    assert_int_equal(r.len, 1000);
    assert_memory_equal(r.body, file + 1000, 1000);
    snprintf(want, sizeof(want), "bytes 1000-1999/%zu", len);
    assert_string_equal(resp_header(&r, "Content-Range", buf), want);
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/" BIG " 206 ", 1), 1);
    assert_int_equal(s3rver_gets(BIG), 0);
    assert_false(cached(&node_a, BIG));

    assert_int_equal(get_range(&node_a, "/" BIG, "bytes=-50", &r), 502);
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/" BIG " 206 ", 2), 2);
    log = slurp(node_a.stderr_log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "range -50: the bucket's Content-Range does "
                                "not match the range asked"));
    free(log);
    assert_int_equal(s3rver_gets(BIG), 0);
    assert_false(cached(&node_a, BIG));

    snprintf(want, sizeof(want), "bytes=%zu-", len + 10);
    assert_int_equal(get_range(&node_a, "/" BIG, want, &r), 416);
    snprintf(want, sizeof(want), "bytes */%zu", len);
    assert_string_equal(resp_header(&r, "Content-Range", buf), want);
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/" BIG " 416 ", 1), 1);
    assert_int_equal(s3rver_gets_wait(BIG, 1), 1);
    assert_true(cached(&node_a, BIG));

    /* Cached now: ranges come from the cache, the bucket is not asked. */
    assert_int_equal(get_range(&node_a, "/" BIG, "bytes=-50", &r), 206);
    assert_int_equal(r.len, 50);
    assert_memory_equal(r.body, file + len - 50, 50);
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/" BIG " 206 ", 2), 2);
    free(file);
}

/* symbolicator's first request, bytes=0-134217727, of a file not cached:
 * one ranged GET of the bucket (no whole GET), a 206 with the whole file,
 * and since that is all of it, the file is cached: a plain GET after it
 * asks the bucket nothing. */
static void
test_range_whole_file_cached(void **state)
{
    char path[400], want[128], buf[256];
    struct resp r;
    size_t len;
    char *file;

    (void)state;
    if (skipped())
        return;
    add_sym("rall", "all.sym", "All.pdb", ID2, 200);
    file = slurp(sym_path("all.sym", path, sizeof(path)), &len);
    assert_non_null(file);
    node_start(&node_a, "rall", NULL);
    wait_index(&node_a);
    assert_int_equal(
        get_range(&node_a, "/All.pdb/" ID2 "/All.sym", "bytes=0-134217727", &r),
        206);
    assert_int_equal(r.len, len);
    assert_memory_equal(r.body, file, len);
    snprintf(want, sizeof(want), "bytes 0-%zu/%zu", len - 1, len);
    assert_string_equal(resp_header(&r, "Content-Range", buf), want);
    resp_free(&r);
    for (int i = 0; i < 100 && !cached(&node_a, "All.pdb/" ID2 "/All.sym"); i++)
        sleep_ms(20); /* the commit (fsync, link) runs off the loop */
    assert_true(cached(&node_a, "All.pdb/" ID2 "/All.sym"));
    assert_int_equal(get_file(&node_a, "/All.pdb/" ID2 "/All.sym", path), 200);
    assert_int_equal(s3rver_logged_wait("/All.pdb/" ID2 "/All.sym 206 ", 1), 1);
    assert_int_equal(s3rver_gets("All.pdb/" ID2 "/All.sym"), 0);
    free(file);
}

/* A Range the bucket is not asked for alone: two ranges (multipart), or
 * one with If-Range (which needs the file's validators): the whole file
 * is fetched and cached, and the ranges answered from it. */
static void
test_range_whole(void **state)
{
    char buf[256];
    const char *if_range[] = {"Range: bytes=0-9", "If-Range: \"not-the-etag\"",
                              NULL};
    struct resp r;

    (void)state;
    if (skipped())
        return;
    add_sym("rwhole", "two.sym", "Two.pdb", ID3, 50);
    add_sym("rwhole", "ifr.sym", "Ifr.pdb", ID3, 50);
    node_start(&node_a, "rwhole", NULL);
    wait_index(&node_a);
    assert_int_equal(
        get_range(&node_a, "/Two.pdb/" ID3 "/Two.sym", "bytes=0-9,20-29", &r),
        206);
    assert_non_null(
        strstr(resp_header(&r, "Content-Type", buf), "multipart/byteranges"));
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/Two.pdb/" ID3 "/Two.sym 206 ", 0), 0);
    assert_int_equal(s3rver_gets_wait("Two.pdb/" ID3 "/Two.sym", 1), 1);
    assert_true(cached(&node_a, "Two.pdb/" ID3 "/Two.sym"));

    assert_int_equal(http_request(&node_a, "GET", "/Ifr.pdb/" ID3 "/Ifr.sym",
                                  if_range, false, &r),
                     0);
    assert_int_equal(r.code, 200); /* If-Range does not hold: all of it */
    resp_free(&r);
    assert_int_equal(s3rver_logged_wait("/Ifr.pdb/" ID3 "/Ifr.sym 206 ", 0), 0);
    assert_int_equal(s3rver_gets_wait("Ifr.pdb/" ID3 "/Ifr.sym", 1), 1);
}

/* A Range of a file the index lists but the bucket lost: 404 (not 416,
 * not 5xx), remembered as a whole fetch's 404: one bucket request. */
static void
test_range_missing(void **state)
{
    char cmd[700];
    struct resp r;

    (void)state;
    if (skipped())
        return;
    add_sym("rgone", "rgone.sym", "RGone.pdb", ID2, 3);
    node_start(&node_a, "rgone", NULL);
    wait_index(&node_a);
    snprintf(cmd, sizeof(cmd),
             "rm '%s/data/bkt/rgone/RGone.pdb/" ID2 "/RGone.sym._S3rver_'*",
             s3.dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            get_range(&node_a, "/RGone.pdb/" ID2 "/RGone.sym", "bytes=0-9", &r),
            404);
        resp_free(&r);
    }
    assert_int_equal(s3rver_logged_wait("/RGone.pdb/" ID2 "/RGone.sym 404 ", 1),
                     1);
}

static int
group_setup(void **state)
{
    (void)state;
    missing = s3rver_missing(S3RVER_DIR);
    if (missing == NULL && s3rver_run(&s3, S3RVER_DIR, "itest_s3serve") == -1)
        s3.pid = 0;
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    if (s3.pid > 0)
        s3rver_end(&s3);
    return 0;
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_nodes, teardown),
        cmocka_unit_test_teardown(test_third_add, teardown),
        cmocka_unit_test_teardown(test_negative_ttl, teardown),
        cmocka_unit_test_teardown(test_wrong_secret, teardown),
        cmocka_unit_test_teardown(test_bucket_down, teardown),
        cmocka_unit_test_teardown(test_range_passthrough, teardown),
        cmocka_unit_test_teardown(test_range_missing, teardown),
        cmocka_unit_test_teardown(test_range_whole, teardown),
        cmocka_unit_test_teardown(test_range_whole_file_cached, teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, group_setup, group_teardown);
}
