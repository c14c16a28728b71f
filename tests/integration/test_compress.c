/*
 * Compressed transfer on the real daemon (docs/http.md "Compressed
 * transfer"), one worker, a cache directory: the first GET that offers a
 * coding gets the file as stored while the job pool makes the copy, later
 * ones the copy (gzip, zstd), decoded back to the stored bytes by zlib,
 * libzstd, libcurl (CURLOPT_ACCEPT_ENCODING) and the curl command
 * (--compressed); Vary on every answer of such a file; the coded ETag
 * apart from the identity one, and a 304 for it; Range and clients that
 * offer nothing get identity; CAB twins and .gz files are never
 * compressed; the cache bound evicts copies; no cache_dir, no copies.
 *
 * When a copy exists is learned from the daemon's -v line "compress
 * <name>: N to M bytes", not from clocks.
 */
#include "harness.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define KEY "0123456789ABCDEF0123456789ABCDEF1"
#define SYM "sym.pdb/" KEY "/sym.pdb"
#define SYM_SIZE 300000

static struct daemon srv;
static unsigned char *sym; /* the bytes stored at SYM */

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    free(sym);
    sym = NULL;
    return 0;
}

/* PDB-like text: compresses some 5 to 10 times. seed varies it. */
static unsigned char *
text_bytes(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);
    size_t i = 0;
    unsigned k = seed;

    assert_non_null(p);
    while (i < n) {
        char rec[64];
        int len = snprintf(rec, sizeof(rec), "?Method_%u@Class%u@@QEAAXXZ\n",
                           (k * 2654435761u) % 7919u, k % 97u);

        k++;
        for (int j = 0; j < len && i < n; j++)
            p[i++] = (unsigned char)rec[j];
    }
    return p;
}

/* Starts the daemon on the fixture plus SYM, with extra flags. */
static void
start(const char *const *extra, bool cache)
{
    static char cache_dir[300];
    const char *flags[24] = {"-v", "--workers", "1"};
    size_t n = 3;
    static const char *const lines[] = {
        "symsrvd: settings: ", "symsrvd: store.", "symsrvd: server.",
        "symsrvd: log.",       "symsrvd: http.",  "symsrvd: auth.",
        "symsrvd: access.",    "symsrvd: path ",  "symsrvd: compress ",
        "symsrvd: expand "};

    fixture_make(&srv);
    sym = text_bytes(SYM_SIZE, 1);
    fixture_put(&srv, SYM, sym, SYM_SIZE);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", srv.dir);
    if (cache) {
        flags[n++] = "--cache-dir";
        flags[n++] = cache_dir;
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        flags[n++] = extra[i];
    flags[n] = NULL;
    daemon_start(&srv, flags);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        daemon_allow_stderr(lines[i]);
}

/* How many stderr lines contain text. */
static int
count_lines(const char *text)
{
    size_t len;
    char *s = slurp(srv.stderr_log, &len);
    int n = 0;

    for (const char *p = s; p != NULL && (p = strstr(p, text)) != NULL; p++)
        n++;
    free(s);
    return n;
}

/* Waits (up to 60 s) until n copies were made ("compress" lines). */
static void
wait_copies(int n)
{
    long long until = now_ms() + 60000;

    while (count_lines(" bytes in ") < n) {
        if (now_ms() > until)
            fail_msg("no 'compress' line in the daemon's stderr");
        sleep_ms(10);
    }
}

static void
get(const char *path, const char *ae, const char *extra, struct resp *r)
{
    char h1[128];
    const char *hdrs[3] = {NULL, NULL, NULL};
    size_t n = 0;

    if (ae != NULL) {
        snprintf(h1, sizeof(h1), "Accept-Encoding: %s", ae);
        hdrs[n++] = h1;
    }
    if (extra != NULL)
        hdrs[n++] = extra;
    assert_int_equal(http_request(&srv, "GET", path, hdrs, false, r), 0);
}

static void
assert_header(const struct resp *r, const char *name, const char *want)
{
    char buf[256];
    const char *v = resp_header(r, name, buf);

    if (want == NULL) {
        if (v != NULL)
            fail_msg("%s: %s, wanted none", name, v);
        return;
    }
    if (v == NULL || strcmp(v, want) != 0)
        fail_msg("%s: %s, wanted %s", name, v != NULL ? v : "(none)", want);
}

static void
assert_identity(const struct resp *r, bool vary)
{
    assert_int_equal(r->code, 200);
    assert_header(r, "Content-Encoding", NULL);
    assert_header(r, "Vary", vary ? "Accept-Encoding" : NULL);
    assert_int_equal(r->len, SYM_SIZE);
    assert_memory_equal(r->body, sym, SYM_SIZE);
}

static void
gunzip_equals(const struct resp *r)
{
    unsigned char *out = malloc(SYM_SIZE + 1);
    z_stream zs = {0};

    assert_non_null(out);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (unsigned char *)r->body;
    zs.avail_in = (uInt)r->len;
    zs.next_out = out;
    zs.avail_out = SYM_SIZE + 1;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, SYM_SIZE);
    assert_memory_equal(out, sym, SYM_SIZE);
    inflateEnd(&zs);
    free(out);
}

static void
unzstd_equals(const struct resp *r)
{
    unsigned char *out = malloc(SYM_SIZE + 1);
    size_t n;

    assert_non_null(out);
    assert_int_equal(ZSTD_getFrameContentSize(r->body, r->len), SYM_SIZE);
    n = ZSTD_decompress(out, SYM_SIZE + 1, r->body, r->len);
    assert_false(ZSTD_isError(n));
    assert_int_equal(n, SYM_SIZE);
    assert_memory_equal(out, sym, SYM_SIZE);
    free(out);
}

/* The Content-Length sent, as a number (-1 when absent). */
static long
content_length(const struct resp *r)
{
    char buf[256];
    const char *v = resp_header(r, "Content-Length", buf);

    return v != NULL ? strtol(v, NULL, 10) : -1;
}

/* First identity, then the copy, for gzip then zstd; decoded equal. */
static void
test_identity_then_copy(void **state)
{
    struct resp r;
    char id_tag[256], gz_tag[256], zst_tag[256];

    (void)state;
    start(NULL, true);
    get("/" SYM, "gzip", NULL, &r);
    assert_identity(&r, true); /* at once, while the copy is made */
    assert_non_null(resp_header(&r, "ETag", id_tag));
    resp_free(&r);
    wait_copies(1);
    get("/" SYM, "gzip", NULL, &r);
    assert_int_equal(r.code, 200);
    assert_header(&r, "Content-Encoding", "gzip");
    assert_header(&r, "Vary", "Accept-Encoding");
    assert_int_equal(content_length(&r), (long)r.len);
    assert_true(r.len < SYM_SIZE / 4);
    assert_non_null(resp_header(&r, "ETag", gz_tag));
    gunzip_equals(&r);
    resp_free(&r);

    get("/" SYM, "zstd", NULL, &r);
    assert_identity(&r, true);
    resp_free(&r);
    wait_copies(2);
    get("/" SYM, "gzip;q=0.5, zstd", NULL, &r);
    assert_header(&r, "Content-Encoding", "zstd");
    assert_int_equal(content_length(&r), (long)r.len);
    assert_non_null(resp_header(&r, "ETag", zst_tag));
    unzstd_equals(&r);
    resp_free(&r);
    /* Three representations, three strong tags. */
    assert_string_not_equal(id_tag, gz_tag);
    assert_string_not_equal(id_tag, zst_tag);
    assert_string_not_equal(gz_tag, zst_tag);
    assert_true(id_tag[0] == '"' && gz_tag[0] == '"' && zst_tag[0] == '"');

    /* No Accept-Encoding, a refusal, a malformed field: identity. */
    get("/" SYM, NULL, NULL, &r);
    assert_identity(&r, true);
    resp_free(&r);
    get("/" SYM, "gzip;q=0, zstd;q=0", NULL, &r);
    assert_identity(&r, true);
    resp_free(&r);
    get("/" SYM, "gzip;q=2", NULL, &r);
    assert_identity(&r, true);
    resp_free(&r);
}

/* If-None-Match with the coded tag: 304 with it; identity tag: 200. */
static void
test_conditional(void **state)
{
    struct resp r;
    char gz_tag[256], id_tag[256], inm[300];

    (void)state;
    start(NULL, true);
    get("/" SYM, "gzip", NULL, &r);
    assert_non_null(resp_header(&r, "ETag", id_tag));
    resp_free(&r);
    wait_copies(1);
    get("/" SYM, "gzip", NULL, &r);
    assert_non_null(resp_header(&r, "ETag", gz_tag));
    resp_free(&r);
    snprintf(inm, sizeof(inm), "If-None-Match: %s", gz_tag);
    get("/" SYM, "gzip", inm, &r);
    assert_int_equal(r.code, 304);
    assert_header(&r, "ETag", gz_tag);
    assert_header(&r, "Vary", "Accept-Encoding");
    assert_int_equal(r.len, 0);
    resp_free(&r);
    /* The coded tag does not name the identity representation. */
    get("/" SYM, NULL, inm, &r);
    assert_identity(&r, true);
    resp_free(&r);
    /* The identity tag, offering gzip: the copy, a different tag. */
    snprintf(inm, sizeof(inm), "If-None-Match: %s", id_tag);
    get("/" SYM, "gzip", inm, &r);
    assert_int_equal(r.code, 200);
    assert_header(&r, "Content-Encoding", "gzip");
    resp_free(&r);
    get("/" SYM, NULL, inm, &r);
    assert_int_equal(r.code, 304);
    resp_free(&r);
}

/* Range: the stored bytes, Vary still; HEAD tells the copy's length. */
static void
test_range_and_head(void **state)
{
    struct resp r;

    (void)state;
    start(NULL, true);
    get("/" SYM, "gzip", NULL, &r);
    resp_free(&r);
    wait_copies(1);
    get("/" SYM, "gzip", "Range: bytes=100-199", &r);
    assert_int_equal(r.code, 206);
    assert_header(&r, "Content-Encoding", NULL);
    assert_header(&r, "Vary", "Accept-Encoding");
    assert_int_equal(r.len, 100);
    assert_memory_equal(r.body, sym + 100, 100);
    resp_free(&r);
    assert_int_equal(
        http_request(&srv, "HEAD", "/" SYM,
                     (const char *const[]){"Accept-Encoding: gzip", NULL},
                     false, &r),
        0);
    assert_int_equal(r.code, 200);
    assert_header(&r, "Content-Encoding", "gzip");
    assert_true(content_length(&r) > 0 && content_length(&r) < SYM_SIZE / 4);
    resp_free(&r);
}

/* Bytes libcurl receives for path, decoded by itself (CURLOPT_ACCEPT_ENCODING
 * enc); *wire: the bytes on the wire. */
static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    char *b = realloc(r->body, r->len + size * n + 1);

    assert_non_null(b);
    memcpy(b + r->len, p, size * n);
    r->body = b;
    r->len += size * n;
    return size * n;
}

static void
curl_decoded(const char *path, const char *enc, struct resp *r, double *wire)
{
    CURL *c = curl_easy_init();
    char url[512], ca[256];
    curl_off_t dl = 0;

    memset(r, 0, sizeof(*r));
    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, path, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, enc);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &dl);
    *wire = (double)dl;
    curl_easy_cleanup(c);
}

/* libcurl with CURLOPT_ACCEPT_ENCODING: gzip, zstd, "" (all it has). */
static void
test_libcurl(void **state)
{
    static const char *const encs[] = {"gzip", "zstd", ""};
    curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    struct resp r;
    double wire;

    (void)state;
    if ((v->features & CURL_VERSION_ZSTD) == 0 ||
        (v->features & CURL_VERSION_LIBZ) == 0)
        harness_skip("libcurl without zlib or zstd");
    start(NULL, true);
    for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
        curl_decoded("/" SYM, encs[i], &r, &wire);
        assert_int_equal(r.code, 200);
        assert_int_equal(r.len, SYM_SIZE);
        assert_memory_equal(r.body, sym, SYM_SIZE);
        resp_free(&r);
        if (i < 2)
            wait_copies((int)i + 1);
        curl_decoded("/" SYM, encs[i], &r, &wire);
        assert_int_equal(r.len, SYM_SIZE);
        assert_memory_equal(r.body, sym, SYM_SIZE);
        assert_true(wire < SYM_SIZE / 4); /* it came compressed */
        resp_free(&r);
    }
}

/* The curl command with --compressed: the stored bytes, fewer sent. */
static void
test_curl_compressed(void **state)
{
    char cmd[2048], url[512], out[300], stored[300], sizes[64];
    FILE *p;

    (void)state;
    if (system("command -v curl >/dev/null 2>&1") != 0)
        harness_skip("no curl command");
    start(NULL, true);
    snprintf(out, sizeof(out), "%s/out.pdb", srv.dir);
    snprintf(stored, sizeof(stored), "%s/" SYM, srv.root);
    url_for(&srv, "/" SYM, url);
    for (int round = 0; round < 2; round++) {
        snprintf(cmd, sizeof(cmd),
                 "curl -sS --compressed --cacert '%s/ca.pem' -o '%s' "
                 "-w '%%{size_download}' '%s' && cmp -s '%s' '%s' && "
                 "echo ' same'",
                 harness_tls_dir(), out, url, out, stored);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(sizes, sizeof(sizes), p));
        assert_int_equal(pclose(p), 0);
        if (strstr(sizes, " same") == NULL)
            fail_msg("curl --compressed: %s", sizes);
        if (round == 0) {
            assert_int_equal(strtol(sizes, NULL, 10), SYM_SIZE);
            wait_copies(1);
        } else {
            assert_true(strtol(sizes, NULL, 10) < SYM_SIZE / 4);
        }
    }
}

/* How many files the cache's compressed/ holds (lock files left out). */
static int
copies_in_cache(void)
{
    char path[300];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(path, sizeof(path), "%s/cache/compressed", srv.dir);
    d = opendir(path);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strstr(e->d_name, ".lock") == NULL)
            n++;
    closedir(d);
    return n;
}

/* A CAB twin, a .gz file and a small file: never compressed, no Vary. */
static void
test_never_recompressed(void **state)
{
    struct resp r;

    (void)state;
    start((const char *const[]){"--expand-compressed", "on",
                                "--compress-min-bytes", "5000", NULL},
          true);
    fixture_twin(&srv, "tw.pdb/" KEY "/tw.pdb", 200000, 3);
    fixture_put(&srv, "a.dbg.gz/" KEY "/a.dbg.gz", sym, SYM_SIZE);
    for (int round = 0; round < 2; round++) {
        get("/tw.pdb/" KEY "/tw.pd_", "gzip, zstd", NULL, &r);
        assert_int_equal(r.code, 200);
        assert_header(&r, "Content-Encoding", NULL);
        assert_header(&r, "Vary", NULL);
        resp_free(&r);
        get("/a.dbg.gz/" KEY "/a.dbg.gz", "gzip, zstd", NULL, &r);
        assert_int_equal(r.code, 200);
        assert_header(&r, "Content-Encoding", NULL);
        assert_header(&r, "Vary", NULL);
        resp_free(&r);
        /* 4000 bytes, under --compress-min-bytes 5000 */
        get("/app.pdb/" KEY "/app.pdb", "gzip", NULL, &r);
        assert_int_equal(r.code, 200);
        assert_header(&r, "Vary", NULL);
        resp_free(&r);
    }
    sleep_ms(300); /* a job wrongly queued would have run by now */
    assert_int_equal(copies_in_cache(), 0);
    assert_int_equal(count_lines("symsrvd: compress "), 0);
}

/* Random hex digits: gzip keeps some 55% of them. */
static unsigned char *
hex_bytes(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);

    assert_non_null(p);
    fixture_bytes(n, seed, p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)"0123456789abcdef"[p[i] & 15];
    return p;
}

/* GET path offering gzip: whether the answer came compressed. */
static bool
came_gzip(const char *path)
{
    char buf[256];
    struct resp r;
    bool gz;

    get(path, "gzip", NULL, &r);
    assert_int_equal(r.code, 200);
    gz = resp_header(&r, "Content-Encoding", buf) != NULL;
    resp_free(&r);
    return gz;
}

/* A cache bound of 1 MiB, copies of some 700 KB: a new copy evicts the
 * older one, which is made again when asked for. */
static void
test_bound_evicts(void **state)
{
    const size_t size = 1280 * 1024;
    unsigned char *a = hex_bytes(size, 11), *b = hex_bytes(size, 12);

    (void)state;
    start((const char *const[]){"--cache-max-mib", "1", NULL}, true);
    fixture_put(&srv, "a.pdb/" KEY "/a.pdb", a, size);
    fixture_put(&srv, "b.pdb/" KEY "/b.pdb", b, size);
    free(a);
    free(b);
    assert_false(came_gzip("/a.pdb/" KEY "/a.pdb"));
    wait_copies(1);
    assert_true(came_gzip("/a.pdb/" KEY "/a.pdb"));
    assert_int_equal(copies_in_cache(), 1);
    assert_false(came_gzip("/b.pdb/" KEY "/b.pdb"));
    wait_copies(2);
    assert_true(came_gzip("/b.pdb/" KEY "/b.pdb"));
    assert_int_equal(copies_in_cache(), 1); /* a's went */
    assert_false(came_gzip("/a.pdb/" KEY "/a.pdb"));
    wait_copies(3);
    assert_true(came_gzip("/a.pdb/" KEY "/a.pdb"));
    assert_int_equal(copies_in_cache(), 1); /* b's went */
}

static size_t
on_count(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    *(size_t *)arg += size * n;
    return size * n;
}

/* GET path offering enc, the body counted and dropped: its length. */
static size_t
get_count(const char *path, const char *enc)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512], ca[256], field[128];
    size_t n = 0;

    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    snprintf(field, sizeof(field), "Accept-Encoding: %s", enc);
    h = curl_slist_append(h, field);
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, path, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_count);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &n);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return n;
}

/*
 * A large file's copy is made on the pool while the one worker goes on
 * answering: another file is served between the copy's "start" and its
 * end.
 */
static void
test_worker_not_blocked(void **state)
{
    const size_t size = 32u << 20; /* gzip takes seconds over it */
    unsigned char *big = hex_bytes(size, 21);
    struct resp r;
    long long until;

    (void)state;
    start(NULL, true);
    fixture_put(&srv, "big.pdb/" KEY "/big.pdb", big, size);
    free(big);
    /* The first GET gets the file as stored, and queues the copy. */
    assert_int_equal(get_count("/big.pdb/" KEY "/big.pdb", "gzip"), size);
    until = now_ms() + 60000;
    while (count_lines(": start") < 1 && now_ms() < until)
        sleep_ms(5);
    assert_int_equal(count_lines(": start"), 1);
    get("/" SYM, NULL, NULL, &r);
    assert_identity(&r, true);
    resp_free(&r);
    assert_int_equal(count_lines(" bytes in "), 0); /* still compressing */
    wait_copies(1);
    assert_true(get_count("/big.pdb/" KEY "/big.pdb", "gzip") < size);
}

/* Without cache_dir: identity, no Vary, nothing made. */
static void
test_no_cache_dir(void **state)
{
    struct resp r;

    (void)state;
    start(NULL, false);
    for (int round = 0; round < 2; round++) {
        get("/" SYM, "gzip, zstd", NULL, &r);
        assert_identity(&r, false);
        resp_free(&r);
        sleep_ms(100);
    }
    assert_int_equal(count_lines("symsrvd: compress "), 0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_identity_then_copy, teardown),
        cmocka_unit_test_teardown(test_conditional, teardown),
        cmocka_unit_test_teardown(test_range_and_head, teardown),
        cmocka_unit_test_teardown(test_libcurl, teardown),
        cmocka_unit_test_teardown(test_curl_compressed, teardown),
        cmocka_unit_test_teardown(test_never_recompressed, teardown),
        cmocka_unit_test_teardown(test_bound_evicts, teardown),
        cmocka_unit_test_teardown(test_worker_not_blocked, teardown),
        cmocka_unit_test_teardown(test_no_cache_dir, teardown),
    };

    harness_init(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return harness_run(tests, NULL, NULL);
}
