/*
 * /metrics, /healthz and /readyz (docs/metrics.md): the metrics listener
 * answers those three and nothing else, /metrics on the serving listener
 * is a store path; the exposition passes promtool; the counters move by
 * exactly what a known set of requests should move them (status classes,
 * routes, every lookup kind, bytes as curl received them, the duration
 * histogram), connections refused at the cap are counted; /healthz turns
 * 503 when the store root is renamed away or unreadable; /readyz turns
 * 503 once a stop begins, while a download holds the daemon open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define KEY "0123456789ABCDEF0123456789ABCDEF1"
#define APP "/app.pdb/" KEY "/app.pdb"
#define BIG "/big.pdb/" KEY "/big.pdb"

static struct daemon srv;

static int
teardown(void **state)
{
    (void)state;
    if (srv.pid > 0)
        assert_int_equal(daemon_stop(&srv), 0);
    daemon_check_stderr(&srv);
    fixture_remove(&srv);
    return 0;
}

/* The daemon with a metrics listener on a kernel-chosen port. */
static void
start(const char *const *extra)
{
    const char *argv[24] = {"--metrics-listen", "127.0.0.1:0"};
    size_t n = 2;

    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    daemon_start(&srv, argv);
    assert_true(srv.metrics_base[0] != '\0');
}

/* --- plain HTTP to the metrics listener ----------------------------------
 */

struct got {
    long code;
    char body[16384];
    size_t len;
    char headers[4096];
    size_t hlen;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct got *g = arg;
    size_t n = size * nmemb;

    if (g->len + n < sizeof(g->body)) {
        memcpy(g->body + g->len, data, n);
        g->len += n;
        g->body[g->len] = '\0';
    }
    return n;
}

static size_t
on_head(char *data, size_t size, size_t nmemb, void *arg)
{
    struct got *g = arg;
    size_t n = size * nmemb;

    if (g->hlen + n < sizeof(g->headers)) {
        memcpy(g->headers + g->hlen, data, n);
        g->hlen += n;
        g->headers[g->hlen] = '\0';
    }
    return n;
}

/* GET (or HEAD) base + path on c, which keeps its connection; the curl
 * code, g filled. */
static int
get_on(CURL *c, const char *base, const char *path, bool head, struct got *g)
{
    char url[256];
    CURLcode rc;

    memset(g, 0, sizeof(*g));
    assert_non_null(c);
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, g);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
    if (!head)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &g->code);
    return (int)rc;
}

/* get_on() on a connection of its own. */
static int
get(const char *base, const char *path, bool head, struct got *g)
{
    CURL *c = curl_easy_init();
    int rc = get_on(c, base, path, head, g);

    curl_easy_cleanup(c);
    return rc;
}

static void
get_ok(const char *base, const char *path, struct got *g)
{
    int rc = get(base, path, false, g);

    if (rc != CURLE_OK)
        fail_msg("GET %s%s: %s", base, path, curl_easy_strerror((CURLcode)rc));
}

/* The text of a scrape, in a struct got the caller owns. */
static void
scrape(struct got *g)
{
    get_ok(srv.metrics_base, "/metrics", g);
    assert_int_equal(g->code, 200);
}

/* The value of the sample whose series (name{labels}) starts a line. */
static double
value(const struct got *g, const char *series)
{
    size_t n = strlen(series);

    for (const char *p = g->body; p != NULL && *p != '\0';) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    fail_msg("no sample %s in the scrape", series);
    return 0;
}

static long long
delta(const struct got *before, const struct got *after, const char *series)
{
    return (long long)(value(after, series) - value(before, series));
}

static bool
has_header(const char *headers, const char *line)
{
    return strstr(headers, line) != NULL;
}

/* --- the listeners ---------------------------------------------------------
 */

static int
count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

static void
test_metrics_listener_answers_three_paths(void **state)
{
    struct got g;
    struct resp r;
    char *log;

    (void)state;
    fixture_make(&srv);
    start(NULL);
    get_ok(srv.metrics_base, "/metrics", &g);
    assert_int_equal(g.code, 200);
    assert_true(has_header(g.headers, "Content-Type: text/plain; "
                                      "version=0.0.4; charset=utf-8\r\n"));
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    assert_non_null(strstr(g.body, "# TYPE symsrvd_http_requests_total "
                                   "counter\n"));
    assert_non_null(strstr(g.body, "\nsymsrvd_build_info{version=\""));
    assert_int_equal(get(srv.metrics_base, "/metrics", true, &g), CURLE_OK);
    assert_int_equal(g.code, 200);
    assert_int_equal(g.len, 0);
    get_ok(srv.metrics_base, "/healthz", &g);
    assert_int_equal(g.code, 200);
    assert_string_equal(g.body, "ok\n");
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    get_ok(srv.metrics_base, "/readyz", &g);
    assert_int_equal(g.code, 200);
    assert_string_equal(g.body, "ready\n");
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    /* Nothing else there, not even a stored file. */
    get_ok(srv.metrics_base, APP, &g);
    assert_int_equal(g.code, 404);
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    get_ok(srv.metrics_base, "/pingme.txt", &g);
    assert_int_equal(g.code, 404);
    /* On the serving listener: /metrics is a store path, health is there. */
    assert_int_equal(http_request(&srv, "GET", "/metrics", NULL, false, &r),
                     CURLE_OK);
    assert_int_equal(r.code, 404);
    assert_null(strstr(r.body != NULL ? r.body : "", "symsrvd_"));
    resp_free(&r);
    assert_int_equal(http_request(&srv, "GET", "/healthz", NULL, false, &r),
                     CURLE_OK);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "ok\n");
    assert_true(has_header(r.headers, "Cache-Control: no-store\r\n"));
    resp_free(&r);
    assert_int_equal(http_request(&srv, "GET", "/readyz", NULL, false, &r),
                     CURLE_OK);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "ready\n");
    resp_free(&r);
    /* The serving listener's three answers are logged, and only they: the
     * metrics listener's scrapes and probes are not traffic. */
    log = access_log_lines(srv.access_log, 3);
    assert_non_null(strstr(log, "\"GET /metrics HTTP/1.1\" 404 "));
    assert_non_null(strstr(log, "\"GET /healthz HTTP/1.1\" 200 3 "));
    assert_non_null(strstr(log, "\"GET /readyz HTTP/1.1\" 200 6 "));
    sleep_ms(300); /* the log is written 100 ms after a line */
    free(log);
    log = slurp(srv.access_log, NULL);
    assert_non_null(log);
    assert_int_equal(count_lines(log), 3);
    free(log);
}

/* Without --metrics-listen there is no metrics listener at all. */
static void
test_no_metrics_listener_by_default(void **state)
{
    (void)state;
    fixture_make(&srv);
    daemon_start(&srv, NULL);
    assert_string_equal(srv.metrics_base, "");
}

/* promtool (Debian: prometheus) agrees the text is valid 0.0.4. */
static void
test_promtool_checks_the_text(void **state)
{
    struct got g;
    struct resp r;
    char path[256], cmd[600];
    FILE *fp;
    int rc;

    (void)state;
    if (system("command -v promtool > /dev/null 2>&1") != 0)
        harness_skip("promtool not installed (apt-get install prometheus)");
    fixture_make(&srv);
    start(NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(http_request(&srv, "GET", i == 0 ? APP : "/nothere",
                                      NULL, false, &r),
                         CURLE_OK);
        resp_free(&r);
    }
    scrape(&g);
    snprintf(path, sizeof(path), "%s/scrape.txt", srv.dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(g.body, 1, g.len, fp), g.len);
    assert_int_equal(fclose(fp), 0);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' > '%s.out' 2>&1",
             path, path);
    rc = system(cmd);
    if (rc != 0) {
        char out[300];
        char *text;

        snprintf(out, sizeof(out), "%s.out", path);
        text = slurp(out, NULL);
        fail_msg("promtool check metrics failed: %s", text ? text : "?");
    }
}

/* --- the counters ------------------------------------------------------------
 */

enum route { R_OTHER, R_SYMBOL, R_DEBUGINFOD, R_ADMIN, NROUTES };
enum kind { K_NONE, K_EXACT, K_FOLDED, K_TWO_TIER, K_TWIN, K_POINTER, K_MISS };

static const char *const route_label[NROUTES] = {"other", "symbol",
                                                 "debuginfod", "admin"};
static const char *const kind_label[] = {
    "", "exact", "case_folded", "two_tier", "twin", "pointer", "miss",
};

struct req {
    const char *method, *target;
    const char *hdr; /* one extra header line, or NULL */
    long code;
    enum route route;
    enum kind kind; /* the one store lookup it makes, K_NONE: none */
};

#define TWIN "/cab.pdb/" KEY "/cab.pdb"
#define TWO_TIER "/twotier.pdb/ABC1/twotier.pdb"
#define PTR "/ptr.pdb/ABCD1/ptr.pdb"
#define BUILDID "/buildid/0123456789abcdef0123456789abcdef01234567/debuginfo"

static const struct req reqs[] = {
    {"GET", APP, NULL, 200, R_SYMBOL, K_EXACT},
    {"HEAD", APP, NULL, 200, R_SYMBOL, K_EXACT},
    {"GET", APP, "Range: bytes=0-99", 206, R_SYMBOL, K_EXACT},
    {"GET", APP, "If-None-Match: *", 304, R_SYMBOL, K_EXACT},
    {"GET", "/APP.PDB/0123456789abcdef0123456789abcdef1/App.Pdb", NULL, 200,
     R_SYMBOL, K_FOLDED},
    /* again: the learned spelling, still a case-folded hit */
    {"GET", "/APP.PDB/0123456789abcdef0123456789abcdef1/App.Pdb", NULL, 200,
     R_SYMBOL, K_FOLDED},
    {"GET", TWO_TIER, NULL, 200, R_SYMBOL, K_TWO_TIER},
    {"GET", TWO_TIER, NULL, 200, R_SYMBOL, K_TWO_TIER}, /* learned */
    {"GET", TWIN, NULL, 200, R_SYMBOL, K_TWIN},         /* expands */
    {"GET", TWIN, NULL, 200, R_SYMBOL, K_TWIN},         /* from the cache */
    {"GET", PTR, NULL, 200, R_SYMBOL, K_POINTER},
    {"GET", "/nothere.pdb/ABCD1/nothere.pdb", NULL, 404, R_SYMBOL, K_MISS},
    {"GET", "/app.pdb/" KEY "/file.ptr", NULL, 404, R_SYMBOL, K_NONE},
    {"GET", "/pingme.txt", NULL, 200, R_ADMIN, K_EXACT},
    {"GET", "/index2.txt", NULL, 200, R_ADMIN, K_EXACT},
    {"GET", "/000Admin/lastid.txt", NULL, 404, R_ADMIN, K_NONE},
    {"GET", BUILDID, NULL, 404, R_DEBUGINFOD, K_MISS},
    {"GET", "/buildid/xyz/source/a.c", NULL, 404, R_DEBUGINFOD, K_NONE},
    {"GET", "/healthz", NULL, 200, R_OTHER, K_NONE},
    {"GET", "/readyz", NULL, 200, R_OTHER, K_NONE},
    {"OPTIONS", "*", NULL, 204, R_OTHER, K_NONE},
    {"POST", "/x", NULL, 405, R_OTHER, K_NONE},
    {"GET", "/%zz", NULL, 400, R_OTHER, K_NONE},
    {"GET", "/metrics", NULL, 404, R_OTHER, K_MISS},
};

#define NREQS (sizeof(reqs) / sizeof(reqs[0]))

/*
 * The store: index2.txt makes it two-tier (the fixture's own files stay
 * where they are and are found exactly), a file under its tier prefix, a
 * CAB twin, and a file.ptr pointing beneath a pointer root.
 */
static void
counters_fixture(char *cache, size_t cachesz, char *ptr_root, size_t ptrsz)
{
    char ptr[340], path[300];
    FILE *fp;

    fixture_make(&srv);
    fixture_put(&srv, "index2.txt", "", 0);
    fixture_put(&srv, "tw/twotier.pdb/ABC1/twotier.pdb", "two-tier", 8);
    fixture_twin(&srv, &TWIN[1], 5000, 7);
    snprintf(ptr_root, ptrsz, "%s/outside", srv.dir);
    snprintf(path, sizeof(path), "%s/real.pdb", ptr_root);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("the pointed-to file", fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(ptr, sizeof(ptr), "PATH:%s", path);
    fixture_put(&srv, "ptr.pdb/ABCD1/file.ptr", ptr, strlen(ptr));
    snprintf(cache, cachesz, "%s/cache", srv.dir);
}

/* Waits until the answers are counted: each is counted just after its
 * last byte left, which may be a moment after curl has it. */
static void
scrape_until_counted(const struct got *before, long long n, struct got *after)
{
    long long end = now_ms() + 5000;

    do {
        scrape(after);
        if (delta(before, after,
                  "symsrvd_http_request_duration_seconds_count") >= n)
            return;
        sleep_ms(10);
    } while (now_ms() < end);
}

static void
check_requests(const struct got *b, const struct got *a)
{
    static const char *const classes[] = {"2xx", "3xx", "4xx", "5xx"};

    for (int rt = 0; rt < NROUTES; rt++) {
        for (int c = 0; c < 4; c++) {
            char series[128];
            long long want = 0;

            for (size_t i = 0; i < NREQS; i++)
                want += reqs[i].route == (enum route)rt &&
                        reqs[i].code / 100 == c + 2;
            snprintf(series, sizeof(series),
                     "symsrvd_http_requests_total{route=\"%s\",class=\"%s\"}",
                     route_label[rt], classes[c]);
            if (delta(b, a, series) != want)
                fail_msg("%s moved by %lld, want %lld", series,
                         delta(b, a, series), want);
        }
    }
}

static void
check_lookups(const struct got *b, const struct got *a)
{
    for (int k = K_EXACT; k <= K_MISS; k++) {
        char series[128];
        long long want = 0;

        for (size_t i = 0; i < NREQS; i++)
            want += reqs[i].kind == (enum kind)k;
        snprintf(series, sizeof(series),
                 "symsrvd_store_lookups_total{kind=\"%s\"}", kind_label[k]);
        if (delta(b, a, series) != want)
            fail_msg("%s moved by %lld, want %lld", series, delta(b, a, series),
                     want);
    }
    assert_int_equal(delta(b, a, "symsrvd_store_lookups_total{kind=\"error\"}"),
                     0);
    assert_int_equal(delta(b, a, "symsrvd_cab_expansions_total{result=\"ok\"}"),
                     1);
    assert_int_equal(
        delta(b, a, "symsrvd_cab_expansions_total{result=\"failed\"}"), 0);
}

static void
test_counters_move_by_the_requests(void **state)
{
    char cache[256], ptr_root[256];
    const char *flags[8] = {
        "--expand-compressed", "on",     "--cache-dir", cache,
        "--pointer-roots",     ptr_root, NULL};
    struct got before, after;
    long long bytes = 0, body = 0;

    (void)state;
    counters_fixture(cache, sizeof(cache), ptr_root, sizeof(ptr_root));
    start(flags);
    scrape(&before);
    for (size_t i = 0; i < NREQS; i++) {
        const char *hdrs[2] = {reqs[i].hdr, NULL};
        struct resp r;

        assert_int_equal(
            http_request(&srv, reqs[i].method, reqs[i].target, hdrs, false, &r),
            CURLE_OK);
        if (r.code != reqs[i].code)
            fail_msg("%s %s: %ld, want %ld", reqs[i].method, reqs[i].target,
                     r.code, reqs[i].code);
        bytes += (long long)(r.hlen + r.len);
        body += (long long)r.len;
        resp_free(&r);
    }
    scrape_until_counted(&before, NREQS, &after);
    assert_int_equal(
        delta(&before, &after, "symsrvd_http_request_duration_seconds_count"),
        NREQS);
    assert_int_equal(delta(&before, &after,
                           "symsrvd_http_request_duration_seconds_bucket{le="
                           "\"+Inf\"}"),
                     NREQS);
    check_requests(&before, &after);
    check_lookups(&before, &after);
    /* What curl received, heads and bodies, is what the daemon counted. */
    assert_int_equal(delta(&before, &after, "symsrvd_http_sent_bytes_total"),
                     bytes);
    assert_int_equal(
        delta(&before, &after, "symsrvd_http_sent_body_bytes_total"), body);
    assert_true(delta(&before, &after, "symsrvd_connections_accepted_total") >=
                (long long)NREQS);
    assert_true(value(&after, "symsrvd_dircache_listings") > 0);
    assert_true(value(&after, "symsrvd_dircache_spellings") >= 2);
}

/* At the cap a new connection is refused and counted; the metrics
 * listener still answers (it has room beyond the cap). */
static void
test_refusals_counted(void **state)
{
    static const char *const flags[] = {"-w", "1", "--max-connections", "2",
                                        NULL};
    struct got before, after;
    void *held[2];
    char buf[64];
    struct resp r;
    CURL *keep;
    long connects = -1;

    (void)state;
    fixture_make(&srv);
    start(flags);
    scrape(&before);
    for (int i = 0; i < 2; i++)
        held[i] = raw_open(&srv, "GET " APP " HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 2; i++)
        assert_true(raw_read(held[i], buf, sizeof(buf), 5000) > 0);
    http_request(&srv, "GET", APP, NULL, false, &r); /* 503, or closed */
    assert_true(r.code == 503 || (harness_tls() && r.code == 0));
    resp_free(&r);
    scrape(&after);
    assert_int_equal(delta(&before, &after,
                           "symsrvd_connections_refused_total{cap=\"max_"
                           "connections\"}"),
                     1);
    assert_int_equal(delta(&before, &after,
                           "symsrvd_connections_refused_total{cap=\"max_"
                           "connections_per_client\"}"),
                     0);
    /* the two held and the scrape's own (an earlier scrape's may take a
     * moment to close) */
    for (long long end = now_ms() + 5000;
         value(&after, "symsrvd_connections_open") != 3 && now_ms() < end;)
        scrape(&after);
    assert_int_equal(value(&after, "symsrvd_connections_open"), 3);
    /* Closed, they leave the gauge: scraped on one kept connection, so
     * no new accept sets it afresh. */
    keep = curl_easy_init();
    assert_int_equal(get_on(keep, srv.metrics_base, "/metrics", false, &after),
                     CURLE_OK);
    for (int i = 0; i < 2; i++)
        raw_close(held[i]);
    for (long long end = now_ms() + 5000;
         value(&after, "symsrvd_connections_open") != 1 && now_ms() < end;)
        assert_int_equal(
            get_on(keep, srv.metrics_base, "/metrics", false, &after),
            CURLE_OK);
    curl_easy_getinfo(keep, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_cleanup(keep);
    assert_int_equal(connects, 0); /* the last scrape reused the first's */
    assert_int_equal(value(&after, "symsrvd_connections_open"), 1);
}

/* Polls path on base until it answers code (up to 5 s). */
static void
wait_for(const char *base, const char *path, long code, struct got *g)
{
    long long end = now_ms() + 5000;

    do {
        get_ok(base, path, g);
        if (g->code == code)
            return;
        sleep_ms(50);
    } while (now_ms() < end);
    fail_msg("GET %s%s: still %ld after 5 s, want %ld", base, path, g->code,
             code);
}

static void
check_unhealthy(void)
{
    struct got g;
    struct resp r;

    wait_for(srv.metrics_base, "/healthz", 503, &g);
    assert_string_equal(g.body, "unhealthy: the store root cannot be read\n");
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    assert_int_equal(http_request(&srv, "GET", "/healthz", NULL, false, &r),
                     CURLE_OK);
    assert_int_equal(r.code, 503);
    resp_free(&r);
    get_ok(srv.metrics_base, "/readyz", &g); /* alive, just not healthy */
    assert_int_equal(g.code, 200);
}

/* The root renamed away: 503; put back: 200 again. */
static void
test_healthz_root_renamed(void **state)
{
    char away[256];
    struct got g;

    (void)state;
    fixture_make(&srv);
    daemon_allow_stderr("symsrvd: healthz: ");
    start(NULL);
    get_ok(srv.metrics_base, "/healthz", &g);
    assert_int_equal(g.code, 200);
    snprintf(away, sizeof(away), "%s/store.away", srv.dir);
    assert_int_equal(rename(srv.root, away), 0);
    check_unhealthy();
    assert_int_equal(rename(away, srv.root), 0);
    wait_for(srv.metrics_base, "/healthz", 200, &g);
    assert_string_equal(g.body, "ok\n");
}

/* The root made unreadable for the daemon's user (not root): 503. */
static void
test_healthz_root_unreadable(void **state)
{
    struct got g;

    (void)state;
    fixture_make(&srv);
    daemon_allow_stderr("symsrvd: healthz: ");
    {
        const char *argv[] = {"--metrics-listen", "127.0.0.1:0", NULL};

        if (!daemon_start_unprivileged(&srv, argv)) {
            fixture_remove(&srv);
            harness_skip("cannot run symsrvd as an unprivileged user");
        }
    }
    assert_true(srv.metrics_base[0] != '\0');
    get_ok(srv.metrics_base, "/healthz", &g);
    assert_int_equal(g.code, 200);
    assert_int_equal(chmod(srv.root, 0), 0);
    check_unhealthy();
    assert_int_equal(chmod(srv.root, 0755), 0);
    wait_for(srv.metrics_base, "/healthz", 200, &g);
}

/*
 * SIGTERM while a download is held open: the serving listeners close, the
 * metrics listener stays and /readyz says 503 so the load balancer takes
 * the node out; /healthz stays 200. The daemon ends once the download
 * does.
 */
static void
test_readyz_503_while_draining(void **state)
{
    char buf[4096];
    struct got g;
    void *c;
    int rc = -1;

    (void)state;
    fixture_make(&srv);
    fixture_sparse(&srv, &BIG[1], 256LL * 1024 * 1024);
    start(NULL);
    c = raw_open(&srv, "GET " BIG " HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(raw_read(c, buf, sizeof(buf), 5000) > 0); /* then holds */
    daemon_signal_and_wait(&srv, SIGTERM, "stopping on SIGTERM");
    /* A worker that had nothing to finish closes its metrics socket as it
     * ends; a connection queued on it just then is reset: try again. */
    for (int i = 0; i < 20 && rc != CURLE_OK; i++) {
        rc = get(srv.metrics_base, "/readyz", false, &g);
        if (rc != CURLE_OK)
            sleep_ms(50);
    }
    assert_int_equal(rc, CURLE_OK);
    assert_int_equal(g.code, 503);
    assert_string_equal(g.body, "stopping\n");
    assert_true(has_header(g.headers, "Cache-Control: no-store\r\n"));
    assert_int_equal(get(srv.metrics_base, "/healthz", false, &g), CURLE_OK);
    assert_int_equal(g.code, 200);
    assert_true(daemon_wait(&srv, 300) == -1); /* still draining */
    raw_close(c);
    assert_int_equal(daemon_wait(&srv, 20000), 0);
}

/* SIGHUP: a reload counted by its result; a refused one sets the gauge
 * to 0 until the next that succeeds. */
static void
test_reloads_counted(void **state)
{
    struct got before, after;
    char away[256];

    (void)state;
    fixture_make(&srv);
    daemon_allow_stderr("symsrvd: reload refused");
    start(NULL);
    scrape(&before);
    assert_int_equal(value(&before, "symsrvd_config_last_reload_successful"),
                     1);
    daemon_signal_and_wait(&srv, SIGHUP, "reloaded");
    scrape(&after);
    assert_int_equal(delta(&before, &after,
                           "symsrvd_config_reloads_total{result=\"success\"}"),
                     1);
    assert_true(value(&after, "symsrvd_config_last_reload_success_timestamp_"
                              "seconds") >
                value(&before, "symsrvd_config_last_reload_success_timestamp_"
                               "seconds"));
    snprintf(away, sizeof(away), "%s/store.away", srv.dir);
    assert_int_equal(rename(srv.root, away), 0);
    daemon_signal_and_wait(&srv, SIGHUP, "reload refused");
    scrape(&after);
    assert_int_equal(delta(&before, &after,
                           "symsrvd_config_reloads_total{result=\"failure\"}"),
                     1);
    assert_int_equal(value(&after, "symsrvd_config_last_reload_successful"), 0);
    assert_int_equal(rename(away, srv.root), 0);
    daemon_signal_and_wait(&srv, SIGHUP, "reloaded");
    scrape(&after);
    assert_int_equal(value(&after, "symsrvd_config_last_reload_successful"), 1);
}

/* GET path offering coding; the status. */
static long
get_coded(const char *path, const char *coding)
{
    char hdr[64];
    const char *hdrs[2] = {hdr, NULL};
    struct resp r;
    long code;

    snprintf(hdr, sizeof(hdr), "Accept-Encoding: %s", coding);
    assert_int_equal(http_request(&srv, "GET", path, hdrs, false, &r),
                     CURLE_OK);
    code = r.code;
    resp_free(&r);
    return code;
}

/*
 * Asks for path in gzip until series reaches want: the copies are made on
 * the pool, and a request that finds the copies' share of its threads
 * busy is answered as stored without queueing one (a later one asks
 * again).
 */
static void
ask_until(const char *path, const char *series, long long want, struct got *g)
{
    long long end = now_ms() + 10000;

    do {
        assert_int_equal(get_coded(path, "gzip"), 200);
        sleep_ms(50);
        scrape(g);
        if ((long long)value(g, series) >= want)
            return;
    } while (now_ms() < end);
    fail_msg("%s stayed under %lld", series, want);
}

/* A copy made per coding, a file not worth one, and the answers that
 * sent a copy (a HEAD sends none). */
static void
test_compression_counted(void **state)
{
    static const char made_gz[] =
        "symsrvd_compressed_copies_total{coding=\"gzip\"}";
    static const char sent_gz[] =
        "symsrvd_compressed_answers_total{coding=\"gzip\"}";
    static const char sent_zst[] =
        "symsrvd_compressed_answers_total{coding=\"zstd\"}";
    static const char as_is[] =
        "symsrvd_compressed_copies_total{result=\"kept_as_stored\"}";
    char cache[300];
    const char *flags[] = {"--cache-dir", cache, NULL};
    unsigned char *noise = malloc(20000);
    char text[20000];
    struct got g, before;
    struct resp r;

    (void)state;
    assert_non_null(noise);
    fixture_make(&srv);
    snprintf(cache, sizeof(cache), "%s/cache", srv.dir);
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = "symbol server "[i % 14];
    fixture_put(&srv, "text.pdb/" KEY "/text.pdb", text, sizeof(text));
    fixture_bytes(20000, 7, noise);
    fixture_put(&srv, "noise.pdb/" KEY "/noise.pdb", noise, 20000);
    free(noise);
    start(flags);
    ask_until("/text.pdb/" KEY "/text.pdb", made_gz, 1, &g);
    ask_until("/noise.pdb/" KEY "/noise.pdb", as_is, 1, &g);
    before = g;
    assert_int_equal(get_coded("/text.pdb/" KEY "/text.pdb", "gzip"), 200);
    assert_int_equal(get_coded("/noise.pdb/" KEY "/noise.pdb", "gzip"), 200);
    assert_int_equal(
        http_request(&srv, "HEAD", "/text.pdb/" KEY "/text.pdb",
                     (const char *const[]){"Accept-Encoding: gzip", NULL},
                     false, &r),
        CURLE_OK);
    resp_free(&r);
    scrape_until_counted(&before, 3, &g);
    assert_int_equal(delta(&before, &g, sent_gz), 1);
    assert_int_equal(value(&g, sent_zst), 0);
    assert_int_equal(value(&g, made_gz), 1);
    assert_int_equal(value(&g, as_is), 1);
    assert_int_equal(
        value(&g, "symsrvd_compressed_copies_total{result=\"failed\"}"), 0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_metrics_listener_answers_three_paths,
                                  teardown),
        cmocka_unit_test_teardown(test_no_metrics_listener_by_default,
                                  teardown),
        cmocka_unit_test_teardown(test_promtool_checks_the_text, teardown),
        cmocka_unit_test_teardown(test_counters_move_by_the_requests, teardown),
        cmocka_unit_test_teardown(test_refusals_counted, teardown),
        cmocka_unit_test_teardown(test_healthz_root_renamed, teardown),
        cmocka_unit_test_teardown(test_healthz_root_unreadable, teardown),
        cmocka_unit_test_teardown(test_readyz_503_while_draining, teardown),
        cmocka_unit_test_teardown(test_reloads_counted, teardown),
        cmocka_unit_test_teardown(test_compression_counted, teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
