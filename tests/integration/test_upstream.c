/*
 * The upstream caching proxy (docs/remote.md) on the real daemon: a second
 * symsrvd and a small python server (upstream_server.py, which logs each
 * request and can dribble bytes or fail) on 127.0.0.1 as upstreams. Files
 * come byte-exact and are kept; 20 concurrent clients of one file make
 * one upstream request; a 404 is remembered for its TTL; a failing
 * upstream is skipped after its failures; a client that goes away does not
 * stop the fetch; kill -9 in the middle of a fetch leaves no cached file;
 * the cache bound evicts the least recently used.
 */
#include "harness.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY "0123456789ABCDEF0123456789ABCDEF1"
#define UP_FILE "up.pdb/" KEY "/up.pdb"

static struct daemon srv;   /* the proxy, under test */
static struct daemon upsym; /* a symsrvd as the upstream */
static pid_t py = -1;       /* upstream_server.py */
static char py_dir[256];    /* its root, log and port file */
static char py_base[64];    /* http://127.0.0.1:PORT */
static char cache_dir[300];

/* --- the python upstream ----------------------------------------------------
 */

static bool
have_python(void)
{
    return system("python3 -c 'import http.server' >/dev/null 2>&1") == 0;
}

/* Writes size bytes of fixture_bytes(seed) to rel beneath the python
 * upstream's root. */
static void
py_put(const char *rel, size_t size, unsigned seed)
{
    char path[600], cmd[700];
    unsigned char *data = malloc(size);
    FILE *f;

    assert_non_null(data);
    fixture_bytes(size, seed, data);
    snprintf(path, sizeof(path), "%s/root/%s", py_dir, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    free(data);
}

/* Starts the python upstream with one extra flag (or NULL). */
static void
py_start(const char *flag, const char *value)
{
    char port_file[300], log[300], root[300], line[32];
    long long deadline = now_ms() + 10000;
    FILE *f = NULL;

    snprintf(root, sizeof(root), "%s/root", py_dir);
    snprintf(log, sizeof(log), "%s/requests.log", py_dir);
    snprintf(port_file, sizeof(port_file), "%s/port", py_dir);
    mkdir(root, 0755);
    unlink(port_file);
    py = fork();
    assert_true(py != -1);
    if (py == 0) {
        execlp("python3", "python3", UPSTREAM_PY, "--root", root, "--log", log,
               "--port-file", port_file, flag != NULL ? flag : NULL, value,
               (char *)NULL);
        _exit(127);
    }
    while (f == NULL && now_ms() < deadline) {
        f = fopen(port_file, "r");
        if (f == NULL)
            sleep_ms(20);
    }
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    snprintf(py_base, sizeof(py_base), "http://127.0.0.1:%d", atoi(line));
}

static void
py_stop(void)
{
    if (py > 0) {
        kill(py, SIGTERM);
        waitpid(py, NULL, 0);
    }
    py = -1;
}

/* How many requests the python upstream logged with text in them. */
static int
py_count(const char *text)
{
    char log[300];
    char *all, *p;
    size_t len;
    int n = 0;

    snprintf(log, sizeof(log), "%s/requests.log", py_dir);
    all = slurp(log, &len);
    if (all == NULL)
        return 0;
    for (p = all; (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    free(all);
    return n;
}

/* --- the proxy
 * ----------------------------------------------------------------- */

static void
allow_proxy_lines(void)
{
    daemon_allow_stderr("symsrvd: upstream ");
}

/*
 * Starts the proxy on the fixture store with upstreams (NULL-terminated
 * URLs) and extra flags (NULL-terminated).
 */
static void
proxy_start(const char *const *ups, const char *const *extra)
{
    const char *flags[40];
    size_t n = 0;

    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", srv.dir);
    flags[n++] = "--cache-dir";
    flags[n++] = cache_dir;
    for (size_t i = 0; ups[i] != NULL; i++) {
        flags[n++] = "--upstream";
        flags[n++] = ups[i];
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
        flags[n++] = extra[i];
    flags[n] = NULL;
    daemon_start(&srv, flags);
}

/* The scratch directories of both, before anything starts. */
static void
make_fixtures(void)
{
    fixture_make(&srv);
    snprintf(py_dir, sizeof(py_dir), "%s/py", srv.dir);
    assert_int_equal(mkdir(py_dir, 0755), 0);
    allow_proxy_lines();
}

static int
teardown(void **state)
{
    (void)state;
    py_stop();
    if (upsym.dir[0] != '\0')
        daemon_finish(&upsym);
    if (srv.dir[0] != '\0') /* not when skipped before it was made */
        daemon_finish(&srv);
    memset(&upsym, 0, sizeof(upsym));
    memset(&srv, 0, sizeof(srv));
    return 0;
}

static void
get(const char *path, struct resp *r, const char *const *hdrs)
{
    assert_int_equal(http_request(&srv, "GET", path, hdrs, false, r), 0);
}

/* Whether the cache holds rel (case-folded) as a regular file. */
static bool
cached(const char *rel_lower, off_t *size)
{
    char path[700];
    struct stat st;

    snprintf(path, sizeof(path), "%s/upstream/%s", cache_dir, rel_lower);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    if (size != NULL)
        *size = st.st_size;
    return true;
}

/* Waits up to 5 s for the cache to hold rel_lower: a fetched file is
 * made durable (fsync, link) just after its last byte went out. */
static bool
wait_cached(const char *rel_lower)
{
    for (long long end = now_ms() + 5000; now_ms() < end; sleep_ms(10))
        if (cached(rel_lower, NULL))
            return true;
    return false;
}

/* Waits up to 5 s for rel_lower to leave the cache (evicted just after
 * the file that passed the bound was linked). */
static bool
wait_evicted(const char *rel_lower)
{
    for (long long end = now_ms() + 5000; now_ms() < end; sleep_ms(10))
        if (!cached(rel_lower, NULL))
            return true;
    return false;
}

/* Regular files anywhere beneath dir. */
static int
count_files(const char *dir)
{
    char cmd[600], out[32];
    FILE *p;
    int n = -1;

    snprintf(cmd, sizeof(cmd), "find '%s' -type f 2>/dev/null | wc -l", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (fgets(out, sizeof(out), p) != NULL)
        n = atoi(out);
    pclose(p);
    return n;
}

/* --- tests
 * ----------------------------------------------------------------------- */

/*
 * Another symsrvd as the upstream: a file the proxy's store lacks comes
 * byte-exact, is kept, and is then served from the cache with validators,
 * Range, conditionals and HEAD; the upstream is asked once. A file the
 * proxy's own store holds is never asked upstream.
 */
static void
test_from_symsrvd(void **state)
{
    unsigned char want[50000];
    const char *ups[2] = {upsym.http_base, NULL};
    const char *range[] = {"Range: bytes=100-199", NULL};
    char etag[256], inm[300], buf[256];
    const char *cond[] = {inm, NULL};
    struct resp r;
    char *log;

    (void)state;
    make_fixtures();
    fixture_make(&upsym);
    allow_proxy_lines();
    fixture_bytes(sizeof(want), 7, want);
    fixture_put(&upsym, UP_FILE, want, sizeof(want));
    daemon_start(&upsym, NULL);
    proxy_start(ups, NULL);

    get("/" UP_FILE, &r, NULL);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, sizeof(want));
    assert_memory_equal(r.body, want, sizeof(want));
    resp_free(&r);
    assert_true(wait_cached("up.pdb/0123456789abcdef0123456789abcdef1/up.pdb"));

    /* From the cache now, any letter case: validators, Range, 304, HEAD. */
    get("/UP.PDB/" KEY "/up.pdb", &r, NULL);
    assert_int_equal(r.code, 200);
    assert_memory_equal(r.body, want, sizeof(want));
    assert_non_null(resp_header(&r, "ETag", etag));
    resp_free(&r);
    get("/" UP_FILE, &r, range);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 100);
    assert_memory_equal(r.body, want + 100, 100);
    resp_free(&r);
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    get("/" UP_FILE, &r, cond);
    assert_int_equal(r.code, 304);
    resp_free(&r);
    assert_int_equal(http_request(&srv, "HEAD", "/" UP_FILE, NULL, false, &r),
                     0);
    assert_int_equal(r.code, 200);
    assert_string_equal(resp_header(&r, "Content-Length", buf), "50000");
    resp_free(&r);

    /* The proxy's own file: never asked upstream. */
    get("/app.pdb/" KEY "/app.pdb", &r, NULL);
    assert_int_equal(r.code, 200);
    resp_free(&r);

    log = access_log_lines(upsym.access_log, 1);
    assert_non_null(strstr(log, "GET /" UP_FILE " HTTP/1.1\" 200"));
    assert_null(strstr(strstr(log, UP_FILE) + 1, UP_FILE)); /* once */
    assert_null(strstr(log, "app.pdb/"));
    free(log);
}

struct client {
    const struct daemon *d;
    const unsigned char *want;
    size_t len;
    int ok;
};

static void *
client_main(void *arg)
{
    struct client *c = arg;
    struct resp r;

    if (http_request(c->d, "GET", "/" UP_FILE, NULL, false, &r) == 0 &&
        r.code == 200 && r.len == c->len &&
        memcmp(r.body, c->want, c->len) == 0)
        c->ok = 1;
    resp_free(&r);
    return NULL;
}

/*
 * 20 clients at once, on two workers, for a file that trickles in (about
 * 1.5 s): one upstream request, 20 byte-exact answers, and the first
 * bytes long before the last.
 */
static void
test_twenty_clients_one_fetch(void **state)
{
    enum { N = 20, SIZE = 600000 };
    static unsigned char want[SIZE];
    const char *ups[2] = {py_base, NULL};
    const char *extra[] = {"--workers", "2", NULL};
    struct client c[N];
    pthread_t t[N];
    int ok = 0;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_put(UP_FILE, SIZE, 11);
    fixture_bytes(SIZE, 11, want);
    py_start("--rate", "400000");
    proxy_start(ups, extra);
    for (int i = 0; i < N; i++) {
        c[i] = (struct client){&srv, want, SIZE, 0};
        assert_int_equal(pthread_create(&t[i], NULL, client_main, &c[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += c[i].ok;
    }
    assert_int_equal(ok, N);
    assert_int_equal(py_count("GET /" UP_FILE " 200"), 1);
}

/*
 * The first bytes of a file that trickles in reach the client long
 * before the last; a client that goes away in the middle does not stop
 * the fetch: the cache gets the whole file.
 */
static void
test_streams_and_survives_disconnect(void **state)
{
    enum { SIZE = 400000 };
    const char *ups[2] = {py_base, NULL};
    char req[512], buf[4096];
    long long t0, first = -1;
    off_t size = 0;
    void *conn;
    long n;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_put(UP_FILE, SIZE, 12);
    py_start("--rate", "200000"); /* 2 s for the whole file */
    proxy_start(ups, NULL);
    snprintf(req, sizeof(req), "GET /" UP_FILE " HTTP/1.1\r\nHost: x\r\n\r\n");
    t0 = now_ms();
    conn = raw_open(&srv, req);
    assert_non_null(conn);
    n = raw_read(conn, buf, sizeof(buf), 5000);
    assert_true(n > 0);
    first = now_ms() - t0;
    assert_non_null(strstr(buf, "200 OK"));
    assert_non_null(strstr(buf, "Content-Length: 400000"));
    raw_close(conn); /* gone, long before the end */
    assert_true(first < 1500);
    assert_false(
        cached("up.pdb/0123456789abcdef0123456789abcdef1/up.pdb", NULL));
    for (long long end = now_ms() + 15000; now_ms() < end;) {
        if (cached("up.pdb/0123456789abcdef0123456789abcdef1/up.pdb", &size))
            break;
        sleep_ms(50);
    }
    assert_int_equal(size, SIZE);
    assert_int_equal(py_count("GET /" UP_FILE " 200"), 1);
}

/*
 * A 404 is remembered: five requests, one upstream request; after the
 * TTL (1 s here) the upstream is asked again. The client sees 404 with
 * the miss Cache-Control every time.
 */
static void
test_negative_cache(void **state)
{
    const char *ups[2] = {py_base, NULL};
    const char *extra[] = {"--upstream-negative-ttl", "1", NULL};
    char buf[256];
    struct resp r;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_start(NULL, NULL);
    proxy_start(ups, extra);
    for (int i = 0; i < 5; i++) {
        get("/no.pdb/" KEY "/no.pdb", &r, NULL);
        assert_int_equal(r.code, 404);
        assert_string_equal(resp_header(&r, "Cache-Control", buf),
                            "public, max-age=300");
        resp_free(&r);
    }
    assert_int_equal(py_count("GET /no.pdb/" KEY "/no.pdb 404"), 1);
    sleep_ms(1100);
    get("/no.pdb/" KEY "/no.pdb", &r, NULL);
    assert_int_equal(r.code, 404);
    resp_free(&r);
    assert_int_equal(py_count("GET /no.pdb/" KEY "/no.pdb 404"), 2);
}

/*
 * An upstream that answers 500 is asked upstream_failures (2) times, then
 * skipped for the back-off: the client gets 502 (not a 404 nobody said,
 * not cached). A 404 from the next upstream wins over the failure.
 */
static void
test_backoff(void **state)
{
    const char *ups[3] = {py_base, NULL, NULL};
    const char *extra[] = {"--upstream-failures", "2", "--upstream-backoff",
                           "60", NULL};
    char buf[256], path[64];
    struct resp r;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    fixture_make(&upsym);
    allow_proxy_lines();
    daemon_start(&upsym, NULL);
    py_start("--fail", NULL);
    proxy_start(ups, extra);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/f%d.pdb/" KEY "/f%d.pdb", i, i);
        get(path, &r, NULL);
        assert_int_equal(r.code, 502);
        assert_string_equal(resp_header(&r, "Cache-Control", buf), "no-store");
        resp_free(&r);
    }
    assert_int_equal(py_count(" 500"), 2);
    assert_true(daemon_stop(&srv) == 0);

    /* The failing one, then a symsrvd that has nothing: 404. */
    ups[1] = upsym.http_base;
    proxy_start(ups, extra);
    get("/g.pdb/" KEY "/g.pdb", &r, NULL);
    assert_int_equal(r.code, 404);
    resp_free(&r);
}

/*
 * kill -9 of the proxy in the middle of a fetch: no file in the cache,
 * whole or partial (the body is an unnamed file until it is complete);
 * a new proxy fetches it whole.
 */
static void
test_kill9_leaves_nothing(void **state)
{
    enum { SIZE = 400000 };
    static unsigned char want[SIZE];
    const char *ups[2] = {py_base, NULL};
    char req[512], buf[4096];
    struct resp r;
    void *conn;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_put(UP_FILE, SIZE, 13);
    fixture_bytes(SIZE, 13, want);
    py_start("--rate", "100000"); /* 4 s */
    proxy_start(ups, NULL);
    snprintf(req, sizeof(req), "GET /" UP_FILE " HTTP/1.1\r\nHost: x\r\n\r\n");
    conn = raw_open(&srv, req);
    assert_non_null(conn);
    assert_true(raw_read(conn, buf, sizeof(buf), 5000) > 0);
    sleep_ms(300); /* bytes are in the cache directory's unnamed file */
    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, NULL, 0);
    srv.pid = 0;
    raw_close(conn);
    assert_int_equal(count_files(cache_dir), 0);

    proxy_start(ups, NULL);
    get("/" UP_FILE, &r, NULL);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, SIZE);
    assert_memory_equal(r.body, want, SIZE);
    resp_free(&r);
    assert_true(wait_cached("up.pdb/0123456789abcdef0123456789abcdef1/up.pdb"));
    assert_int_equal(count_files(cache_dir), 1);
}

/*
 * The cache bound (1 MiB): a second 700 kB file evicts the first, the
 * least recently used; asked again, the first is fetched again.
 */
static void
test_cache_bound(void **state)
{
    const char *ups[2] = {py_base, NULL};
    const char *extra[] = {"--cache-max-mib", "1", NULL};
    struct resp r;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_put("a.pdb/" KEY "/a.pdb", 700000, 21);
    py_put("b.pdb/" KEY "/b.pdb", 700000, 22);
    py_start(NULL, NULL);
    proxy_start(ups, extra);
    get("/a.pdb/" KEY "/a.pdb", &r, NULL);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    assert_true(wait_cached("a.pdb/0123456789abcdef0123456789abcdef1/a.pdb"));
    get("/b.pdb/" KEY "/b.pdb", &r, NULL);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 700000);
    resp_free(&r);
    assert_true(wait_cached("b.pdb/0123456789abcdef0123456789abcdef1/b.pdb"));
    assert_true(wait_evicted("a.pdb/0123456789abcdef0123456789abcdef1/a.pdb"));
    get("/a.pdb/" KEY "/a.pdb", &r, NULL);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 700000);
    resp_free(&r);
    assert_int_equal(py_count("GET /a.pdb/" KEY "/a.pdb 200"), 2);
    assert_int_equal(py_count("GET /b.pdb/" KEY "/b.pdb 200"), 1);
}

/*
 * An [upstream "NAME"] section (no --upstream): its paths patterns keep a
 * .dll from being asked at all (404, the upstream never hears of it); its
 * timeout (1 s) ends a fetch that trickles: a HEAD, which waits for the
 * whole file, gets 504 (no-store), a GET that was streaming is cut short.
 */
static void
test_section_patterns_and_timeout(void **state)
{
    char conf[300], text[512], cache_flag[300], buf[256];
    const char *flags[] = {"-c", conf, "--cache-dir", cache_flag, NULL};
    struct resp r;
    FILE *f;
    int rc;

    (void)state;
    if (!have_python())
        harness_skip("python3 is not installed");
    make_fixtures();
    py_put(UP_FILE, 100000, 14);
    py_put("up.dll/5F3E2A1B6000/up.dll", 1000, 15);
    py_start("--rate", "4000"); /* 25 s for the .pdb */
    snprintf(conf, sizeof(conf), "%s/proxy.conf", srv.dir);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    snprintf(cache_dir, sizeof(cache_dir), "%s", cache_flag);
    snprintf(text, sizeof(text),
             "[upstream \"slow\"]\nurl = %s/\npaths = *.pdb *.pd_\n"
             "timeout = 1\n",
             py_base);
    f = fopen(conf, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    daemon_start(&srv, flags);
    daemon_allow_stderr("symsrvd: 127.0.0.1: /" UP_FILE
                        ": the upstream fetch failed after ");

    get("/up.dll/5F3E2A1B6000/up.dll", &r, NULL);
    assert_int_equal(r.code, 404);
    resp_free(&r);
    assert_int_equal(py_count("up.dll"), 0);

    assert_int_equal(http_request(&srv, "HEAD", "/" UP_FILE, NULL, false, &r),
                     0);
    assert_int_equal(r.code, 504);
    assert_string_equal(resp_header(&r, "Cache-Control", buf), "no-store");
    resp_free(&r);

    rc = http_request(&srv, "GET", "/" UP_FILE, NULL, false, &r);
    assert_int_equal(rc, CURLE_PARTIAL_FILE);
    assert_int_equal(r.code, 200);
    assert_true(r.len < 100000);
    resp_free(&r);
    assert_int_equal(count_files(cache_dir), 0);
}

/* Writes text to path. */
static void
put_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/*
 * Credentials for an upstream that wants them (a symsrvd with bearer
 * tokens): the section's token gets the file; a section without it gets
 * the upstream's 401, which is a failure of ours, never passed on: 502.
 */
static void
test_bearer_token(void **state)
{
    unsigned char want[3000];
    char tokens[300], conf[300], text[700], cache_flag[300];
    const char *upflags[] = {"--tokens", tokens, NULL};
    const char *flags[] = {"-c", conf, "--cache-dir", cache_flag, NULL};
    struct resp r;

    (void)state;
    make_fixtures();
    fixture_make(&upsym);
    allow_proxy_lines();
    fixture_bytes(sizeof(want), 9, want);
    fixture_put(&upsym, UP_FILE, want, sizeof(want));
    snprintf(tokens, sizeof(tokens), "%s/tokens", upsym.dir);
    put_text(tokens, "s3cr3t-token-for-the-proxy proxy\n");
    daemon_start(&upsym, upflags);
    snprintf(conf, sizeof(conf), "%s/proxy.conf", srv.dir);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    snprintf(cache_dir, sizeof(cache_dir), "%s", cache_flag);
    snprintf(text, sizeof(text),
             "[upstream \"with\"]\nurl = %s\npaths = up.*\n"
             "token = s3cr3t-token-for-the-proxy\n"
             "[upstream \"without\"]\nurl = %s\npaths = no.*\n",
             upsym.http_base, upsym.http_base);
    put_text(conf, text);
    daemon_start(&srv, flags);

    get("/" UP_FILE, &r, NULL);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, sizeof(want));
    assert_memory_equal(r.body, want, sizeof(want));
    resp_free(&r);
    get("/no.pdb/" KEY "/no.pdb", &r, NULL);
    assert_int_equal(r.code, 502);
    resp_free(&r);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_from_symsrvd, teardown),
        cmocka_unit_test_teardown(test_twenty_clients_one_fetch, teardown),
        cmocka_unit_test_teardown(test_streams_and_survives_disconnect,
                                  teardown),
        cmocka_unit_test_teardown(test_negative_cache, teardown),
        cmocka_unit_test_teardown(test_backoff, teardown),
        cmocka_unit_test_teardown(test_kill9_leaves_nothing, teardown),
        cmocka_unit_test_teardown(test_cache_bound, teardown),
        cmocka_unit_test_teardown(test_section_patterns_and_timeout, teardown),
        cmocka_unit_test_teardown(test_bearer_token, teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
