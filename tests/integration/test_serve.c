/*
 * Serving: hits, misses, hidden files, traversal attempts, HEAD, methods,
 * protocol checks, limits. Runs against the real daemon over the scheme
 * given on the command line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PDB "/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb"
#define EXE "/app.exe/5F3E2A1B6000/app.exe"

static struct daemon srv;
static struct daemon unpriv; /* test_unreadable_dir's own daemon */

static int
setup(void **state)
{
    (void)state;
    fixture_make(&srv);
    daemon_start(&srv, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    if (unpriv.dir[0] != '\0') /* test_unreadable_dir failed half-way */
        fixture_remove(&unpriv);
    daemon_finish(&srv);
    return 0;
}

/* GET returns the stored bytes with every header a hit must carry. */
static void
test_hit_bytes_and_headers(void **state)
{
    unsigned char want[70000];
    struct resp r;
    char h[256], path[512], date[64];
    struct stat st;
    struct tm tm;

    (void)state;
    fixture_bytes(sizeof(want), 2, want);
    assert_int_equal(http_request(&srv, "GET", EXE, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, sizeof(want));
    assert_memory_equal(r.body, want, sizeof(want));
    assert_string_equal(resp_header(&r, "Content-Type", h),
                        "application/octet-stream");
    assert_string_equal(resp_header(&r, "Content-Length", h), "70000");
    assert_string_equal(resp_header(&r, "Accept-Ranges", h), "bytes");
    assert_non_null(resp_header(&r, "Date", h));
    snprintf(path, sizeof(path), "%s%s", srv.root, EXE);
    assert_int_equal(stat(path, &st), 0);
    gmtime_r(&st.st_mtime, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_string_equal(resp_header(&r, "Last-Modified", h), date);
    /* Strong: quoted, no W/ prefix. */
    assert_non_null(resp_header(&r, "ETag", h));
    assert_true(h[0] == '"' && h[strlen(h) - 1] == '"');
    resp_free(&r);
}

/* HEAD: the same headers as GET, no body. */
static void
test_head_same_headers_no_body(void **state)
{
    struct resp g, hd;
    char a[256], b[256];
    static const char *const names[] = {"Content-Type", "Content-Length",
                                        "Last-Modified", "ETag",
                                        "Accept-Ranges"};

    (void)state;
    assert_int_equal(http_request(&srv, "GET", PDB, NULL, false, &g), 0);
    assert_int_equal(http_request(&srv, "HEAD", PDB, NULL, false, &hd), 0);
    assert_int_equal(hd.code, 200);
    assert_int_equal(hd.len, 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_non_null(resp_header(&g, names[i], a));
        assert_non_null(resp_header(&hd, names[i], b));
        assert_string_equal(a, b);
    }
    assert_string_equal(a, b);
    resp_free(&g);
    resp_free(&hd);
}

struct status_case {
    const char *name;
    const char *method;
    const char *target;
    int status;
    const char *body_prefix; /* NULL: not checked */
};

/* Each request-target -> status; 4xx bodies are short text, never HTML. */
static const struct status_case cases[] = {
    /* traversal and escapes: nothing outside the root, ever */
    {"dotdot", "GET", "/../outside/secret.txt", 400, "bad request"},
    {"dotdot deep", "GET", "/app.pdb/../../outside/secret.txt", 400, NULL},
    {"encoded dotdot", "GET", "/%2e%2e/outside/secret.txt", 400, NULL},
    {"encoded slash dotdot", "GET", "/app.pdb%2f..%2f..%2foutside", 400, NULL},
    {"mixed case escape", "GET", "/%2E%2e/outside/secret.txt", 400, NULL},
    {"double encoded", "GET", "/%252e%252e/outside/secret.txt", 404, NULL},
    {"backslash", "GET", "/..\\outside\\secret.txt", 400, NULL},
    {"encoded backslash", "GET", "/..%5coutside%5csecret.txt", 400, NULL},
    {"nul", "GET", "/app.pdb%00.txt", 400, NULL},
    {"control", "GET", "/app%0a.pdb", 400, NULL},
    {"bad escape", "GET", "/app%zz.pdb", 400, NULL},
    {"truncated escape", "GET", "/app.pdb%2", 400, NULL},
    {"raw 8-bit", "GET", "/app\xff.pdb", 400, NULL},
    {"symlink out of root", "GET", "/leak", 404, "not found"},
    {"absolute symlink", "GET", "/abs", 404, NULL},
    {"not origin form", "GET", "app.pdb", 400, NULL},
    {"absolute form", "GET", "http://example.com" EXE, 200, NULL},
    {"symlink inside root", "GET", "/inside/app.exe", 200, NULL},
    /* misses and things that are not files */
    {"miss", "GET", "/app.pdb/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1/app.pdb", 404,
     "not found"},
    {"directory", "GET", "/app.pdb/", 404, NULL},
    {"root", "GET", "/", 404, NULL},
    {"fifo", "GET", "/fifo.pdb/KEY/fifo.pdb", 404, NULL},
    {"file as dir", "GET", EXE "/x", 404, NULL},
    /* hidden: symstore bookkeeping and dot-files */
    {"refs.ptr", "GET", "/app.pdb/0123456789ABCDEF0123456789ABCDEF1/refs.ptr",
     404, NULL},
    {"file.ptr", "GET", "/app.pdb/0123456789ABCDEF0123456789ABCDEF1/file.ptr",
     404, NULL},
    {"000Admin", "GET", "/000Admin/lastid.txt", 404, NULL},
    {"000admin case", "GET", "/000admin/lastid.txt", 404, NULL},
    {"dot-file", "GET", "/.hidden", 404, NULL},
    {"encoded dot-file", "GET", "/%2ehidden", 404, NULL},
    /* canonical forms that do reach the file */
    {"dot segments", "GET", "/./app.exe/./5F3E2A1B6000//app.exe", 200, NULL},
    {"inner dotdot", "GET", "/app.exe/x/../5F3E2A1B6000/app.exe", 200, NULL},
    {"query ignored", "GET", EXE "?x=1", 200, NULL},
    {"escaped name", "GET", "/app%2Eexe/5F3E2A1B6000/app.exe", 200, NULL},
    {"empty file", "GET",
     "/empty.pdb/00000000000000000000000000000000/empty.pdb", 200, NULL},
    /* methods */
    {"POST", "POST", EXE, 405, "method not allowed"},
    {"PUT", "PUT", EXE, 405, NULL},
    {"DELETE", "DELETE", EXE, 405, NULL},
    {"PATCH", "PATCH", EXE, 405, NULL},
    {"OPTIONS", "OPTIONS", EXE, 204, NULL},
    {"OPTIONS star", "OPTIONS", "*", 204, NULL},
    {"OPTIONS bad path", "OPTIONS", "/../x", 400, NULL},
    {"unknown method", "FROB", EXE, 501, NULL},
};

static void
test_status_table(void **state)
{
    char h[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct status_case *c = &cases[i];
        struct resp r;

        assert_int_equal(
            http_request(&srv, c->method, c->target, NULL, false, &r), 0);
        if (r.code != c->status)
            fail_msg("%s: %s %s: got %ld, want %d", c->name, c->method,
                     c->target, r.code, c->status);
        if (r.body != NULL && strstr(r.body, "TOP-SECRET") != NULL)
            fail_msg("%s: leaked a file outside the root", c->name);
        if (c->body_prefix != NULL &&
            (r.body == NULL ||
             strncmp(r.body, c->body_prefix, strlen(c->body_prefix)) != 0))
            fail_msg("%s: body '%s'", c->name, r.body ? r.body : "");
        if (c->status >= 400 && c->status != 501) {
            assert_non_null(resp_header(&r, "Content-Type", h));
            if (strncmp(h, "text/plain", 10) != 0)
                fail_msg("%s: Content-Type %s", c->name, h);
        }
        if (c->status == 405 || strcmp(c->method, "OPTIONS") == 0) {
            if (c->status != 400) {
                assert_non_null(resp_header(&r, "Allow", h));
                assert_string_equal(h, "GET, HEAD, OPTIONS");
            }
        }
        resp_free(&r);
    }
}

/* HEAD on a miss: the 404's headers, no body. */
static void
test_head_miss(void **state)
{
    struct resp r;
    char h[256];

    (void)state;
    assert_int_equal(
        http_request(&srv, "HEAD", "/nope/KEY/nope", NULL, false, &r), 0);
    assert_int_equal(r.code, 404);
    assert_int_equal(r.len, 0);
    assert_string_equal(resp_header(&r, "Content-Length", h), "10");
    resp_free(&r);
}

/* RFC 9112 3.2: HTTP/1.1 needs exactly one Host; HTTP/1.0 needs none. */
static void
test_host_rules(void **state)
{
    static const char *const no_host[] = {"Host:", NULL};
    static const char two_hosts[] = "GET " EXE " HTTP/1.1\r\n"
                                    "Host: a\r\nHost: b\r\n\r\n";
    char reply[4096];
    struct resp r;

    (void)state;
    assert_int_equal(http_request(&srv, "GET", EXE, no_host, false, &r), 0);
    assert_int_equal(r.code, 400);
    assert_non_null(strstr(r.body, "Host"));
    resp_free(&r);
    assert_int_equal(raw_exchange(&srv, two_hosts, reply, sizeof(reply)), 0);
    assert_int_equal(strncmp(reply, "HTTP/1.1 400 ", 13), 0);
    assert_int_equal(http_request(&srv, "GET", EXE, no_host, true, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 70000);
    resp_free(&r);
}

static char *
repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/*
 * Over-long request lines and heads, and the daemon keeps answering
 * afterwards: a request line that does not end within max_header_size is
 * 414 (RFC 9112 3), a head whose lines end but which does not is 431 (RFC
 * 6585 5), whether it arrives in one read or many.
 */
static void
test_limits(void **state)
{
    char *longpath = repeat('a', 6000), *huge = repeat('b', 200000);
    char *hdr = repeat('c', 20000), *target = malloc(200100);
    char *line = malloc(20020);
    const char *hdrs[2] = {line, NULL};
    const char *many[120];
    char manybuf[120][160], reply[4096];
    struct resp r;

    (void)state;
    longpath[0] = '/';
    assert_int_equal(http_request(&srv, "GET", longpath, NULL, false, &r), 0);
    assert_int_equal(r.code, 414);
    resp_free(&r);
    snprintf(target, 200100, "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n", huge);
    assert_int_equal(raw_exchange(&srv, target, reply, sizeof(reply)), 0);
    assert_int_equal(strncmp(reply, "HTTP/1.1 414 ", 13), 0);
    snprintf(line, 20020, "X-Long: %s", hdr);
    assert_int_equal(http_request(&srv, "GET", EXE, hdrs, false, &r), 0);
    assert_int_equal(r.code, 431);
    resp_free(&r);
    /* 100 headers of ~150 bytes: each line short, the head too large. */
    for (int i = 0; i < 100; i++) {
        snprintf(manybuf[i], sizeof(manybuf[i]), "X-H%d: %0140d", i, i);
        many[i] = manybuf[i];
    }
    many[100] = NULL;
    assert_int_equal(http_request(&srv, "GET", EXE, many, false, &r), 0);
    assert_int_equal(r.code, 431);
    resp_free(&r);
    assert_int_equal(http_request(&srv, "GET", EXE, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    free(longpath);
    free(huge);
    free(hdr);
    free(target);
    free(line);
}

/* Drops a body. */
static size_t
drop_body(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/*
 * GETs target n times on one kept-alive connection (one TLS handshake),
 * so that the requests come far faster than 50 a second even on a loaded
 * machine; each must answer status.
 */
static void
get_burst(const struct daemon *d, const char *target, int n, long status)
{
    CURL *c = curl_easy_init();
    char url[512], ca[256];

    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(d, target, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop_body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    for (int i = 0; i < n; i++) {
        long code = 0;

        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        assert_int_equal(code, status);
    }
    curl_easy_cleanup(c);
}

/*
 * Mode 000 (store/locked/) is a 404 (never 403, which makes symsrv drop
 * the server) and a warning. Root reads it anyway, so a daemon of its own
 * runs unprivileged (as nobody, when the test runs as root).
 */
static void
test_unreadable_dir(void **state)
{
    static const char warning[] =
        "symsrvd: open locked/x.pdb: Permission denied";
    static const char dropped[] =
        "symsrvd: warnings dropped (more than 50 a second): ";
    struct resp r;
    char *err;
    int warnings;

    (void)state;
    fixture_make(&unpriv);
    if (!daemon_start_unprivileged(&unpriv, NULL)) {
        fixture_remove(&unpriv);
        memset(&unpriv, 0, sizeof(unpriv));
        harness_skip("no unprivileged user to read store/locked/ as");
    }
    daemon_allow_stderr(warning);
    daemon_allow_stderr(dropped);
    /* A client asking in a loop: warnings are capped at 50 a second, and
     * the rest are counted in one line once the next second's first comes. */
    get_burst(&unpriv, "/locked/x.pdb", 200, 404);
    sleep_ms(1100);
    assert_int_equal(
        http_request(&unpriv, "GET", "/locked/x.pdb", NULL, false, &r), 0);
    resp_free(&r);
    /* the rest of the store still answers */
    assert_int_equal(http_request(&unpriv, "GET", EXE, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    assert_int_equal(daemon_stop(&unpriv), 0);
    err = slurp(unpriv.stderr_log, NULL);
    assert_non_null(err);
    if (strstr(err, warning) == NULL)
        fail_msg("no '%s' on stderr: %s", warning, err);
    warnings = 0;
    for (const char *p = strstr(err, warning); p != NULL;
         p = strstr(p + 1, warning))
        warnings++;
    /* 201 requests over at most a few seconds: far fewer lines. */
    if (warnings > 150 || strstr(err, dropped) == NULL)
        fail_msg("%d warning lines, and no count of the dropped ones: %s",
                 warnings, err);
    free(err);
    daemon_check_stderr(&unpriv);
    fixture_remove(&unpriv);
    memset(&unpriv, 0, sizeof(unpriv));
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_bytes_and_headers),
        cmocka_unit_test(test_head_same_headers_no_body),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_head_miss),
        cmocka_unit_test(test_host_rules),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unreadable_dir),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
