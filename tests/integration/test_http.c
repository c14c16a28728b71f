/*
 * RFC 9110 semantics against the real daemon: ranges (single, multipart,
 * unsatisfiable, ignored), If-Range, preconditions in section 13.2.2 order,
 * caching headers, and access-log byte counts. A table of request headers
 * -> status, headers and exact body bytes, run over HTTP and HTTPS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"

#define EXE "/app.exe/5F3E2A1B6000/app.exe"
#define EMPTY "/empty.pdb/00000000000000000000000000000000/empty.pdb"
#define HUGE "/huge.pdb/0123456789ABCDEF0123456789ABCDEF1/huge.pdb"
#define SIZE 70000
#define HIT_CC "public, max-age=31536000, immutable"

static struct daemon srv;
static unsigned char file[SIZE];
/* Validators of app.exe, read once: placeholders in the table. */
static char etag[256], last_mod[256];
static time_t mtime;

static int
setup(void **state)
{
    char path[512];
    struct stat st;

    (void)state;
    fixture_make(&srv);
    fixture_sparse(&srv, &HUGE[1], 10LL * 1024 * 1024 * 1024);
    fixture_bytes(SIZE, 2, file);
    daemon_start(&srv, NULL);
    snprintf(path, sizeof(path), "%s%s", srv.root, EXE);
    assert_int_equal(stat(path, &st), 0);
    mtime = st.st_mtime;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

enum date_form { IMF, RFC850, ASCTIME };

/* One of the forms of mtime + delta, per RFC 9110 section 5.6.7. */
static void
date_of(time_t delta, enum date_form form, char *buf, size_t len)
{
    time_t t = mtime + delta;
    struct tm tm;

    gmtime_r(&t, &tm);
    if (form == IMF)
        strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    else if (form == RFC850) /* two-digit year: the point of this form */
        snprintf(buf, len, "%s, %02d-%.3s-%02d %02d:%02d:%02d GMT",
                 (const char *[]){"Sunday", "Monday", "Tuesday", "Wednesday",
                                  "Thursday", "Friday", "Saturday"}[tm.tm_wday],
                 tm.tm_mday,
                 &"JanFebMarAprMayJunJulAugSepOctNovDec"[3 * tm.tm_mon],
                 tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm);
}

/* Replaces {ETAG} {WETAG} {LM} {LM-} {LM+} {LM850} {LMASC} in a header. */
static void
expand(const char *in, char *out, size_t len)
{
    static const char *const keys[] = {"{ETAG}", "{WETAG}", "{LM}",   "{LM-}",
                                       "{LM+}",  "{LM850}", "{LMASC}"};
    char values[7][300];
    size_t o = 0;

    snprintf(values[0], sizeof(values[0]), "%s", etag);
    snprintf(values[1], sizeof(values[1]), "W/%s", etag);
    date_of(0, IMF, values[2], sizeof(values[2]));
    date_of(-1, IMF, values[3], sizeof(values[3]));
    date_of(1, IMF, values[4], sizeof(values[4]));
    date_of(0, RFC850, values[5], sizeof(values[5]));
    date_of(0, ASCTIME, values[6], sizeof(values[6]));
    while (*in != '\0' && o + 1 < len) {
        size_t k;

        for (k = 0; k < 7; k++)
            if (strncmp(in, keys[k], strlen(keys[k])) == 0)
                break;
        if (k == 7) {
            out[o++] = *in++;
            continue;
        }
        buf_appendf(out, len, &o, "%s", values[k]);
        in += strlen(keys[k]);
    }
    if (*in != '\0')
        fail_msg("header too long for %zu bytes: %s", len, in);
    out[o] = '\0';
}

enum body { WHOLE, NONE, PARTS, TEXT };

struct http_case {
    const char *name;
    const char *method;
    const char *target;
    const char *hdrs[4];
    int status;
    enum body body;
    const char *parts; /* PARTS: "a-b,c-d" of app.exe */
    const char *content_range;
    const char *cache_control;
};

static const struct http_case cases[] = {
    /* single ranges */
    {"first 500",
     "GET",
     EXE,
     {"Range: bytes=0-499"},
     206,
     PARTS,
     "0-499",
     "bytes 0-499/70000",
     HIT_CC},
    {"open end",
     "GET",
     EXE,
     {"Range: bytes=500-"},
     206,
     PARTS,
     "500-69999",
     "bytes 500-69999/70000",
     HIT_CC},
    {"suffix",
     "GET",
     EXE,
     {"Range: bytes=-500"},
     206,
     PARTS,
     "69500-69999",
     "bytes 69500-69999/70000",
     NULL},
    {"one byte",
     "GET",
     EXE,
     {"Range: bytes=0-0"},
     206,
     PARTS,
     "0-0",
     "bytes 0-0/70000",
     NULL},
    {"last byte",
     "GET",
     EXE,
     {"Range: bytes=69999-69999"},
     206,
     PARTS,
     "69999-69999",
     "bytes 69999-69999/70000",
     NULL},
    {"end clamped",
     "GET",
     EXE,
     {"Range: bytes=100-999999"},
     206,
     PARTS,
     "100-69999",
     "bytes 100-69999/70000",
     NULL},
    {"unit case",
     "GET",
     EXE,
     {"Range: BYTES=10-19"},
     206,
     PARTS,
     "10-19",
     "bytes 10-19/70000",
     NULL},
    {"huge end",
     "GET",
     EXE,
     {"Range: bytes=0-99999999999999999999"},
     206,
     PARTS,
     "0-69999",
     "bytes 0-69999/70000",
     NULL},
    {"huge suffix",
     "GET",
     EXE,
     {"Range: bytes=-99999999999999999999"},
     206,
     PARTS,
     "0-69999",
     "bytes 0-69999/70000",
     NULL},
    {"one satisfiable of two",
     "GET",
     EXE,
     {"Range: bytes=0-1,80000-"},
     206,
     PARTS,
     "0-1",
     "bytes 0-1/70000",
     NULL},
    /* unsatisfiable */
    {"start at size",
     "GET",
     EXE,
     {"Range: bytes=70000-"},
     416,
     TEXT,
     NULL,
     "bytes */70000",
     NULL},
    {"empty suffix",
     "GET",
     EXE,
     {"Range: bytes=-0"},
     416,
     TEXT,
     NULL,
     "bytes */70000",
     NULL},
    {"huge start",
     "GET",
     EXE,
     {"Range: bytes=99999999999999999999-"},
     416,
     TEXT,
     NULL,
     "bytes */70000",
     NULL},
    {"all beyond",
     "GET",
     EXE,
     {"Range: bytes=70000-70001,80000-"},
     416,
     TEXT,
     NULL,
     "bytes */70000",
     NULL},
    /* ignored: 200 with the whole file, no Content-Range */
    {"reversed",
     "GET",
     EXE,
     {"Range: bytes=5-1"},
     200,
     WHOLE,
     NULL,
     NULL,
     HIT_CC},
    {"unknown unit",
     "GET",
     EXE,
     {"Range: items=0-1"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"garbage", "GET", EXE, {"Range: bytes=abc"}, 200, WHOLE, NULL, NULL, NULL},
    {"empty set", "GET", EXE, {"Range: bytes="}, 200, WHOLE, NULL, NULL, NULL},
    {"no equals",
     "GET",
     EXE,
     {"Range: bytes 0-1"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"overlap",
     "GET",
     EXE,
     {"Range: bytes=0-10,5-15"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"overlap suffix",
     "GET",
     EXE,
     {"Range: bytes=69000-,-2000"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"17 ranges",
     "GET",
     EXE,
     {"Range: bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
      "22-22,24-24,26-26,28-28,30-30,32-32"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"HEAD ignores Range",
     "HEAD",
     EXE,
     {"Range: bytes=0-1"},
     200,
     NONE,
     NULL,
     NULL,
     HIT_CC},
    {"empty file",
     "GET",
     EMPTY,
     {"Range: bytes=0-1"},
     200,
     NONE,
     NULL,
     NULL,
     NULL},
    {"empty file suffix",
     "GET",
     EMPTY,
     {"Range: bytes=-1"},
     200,
     NONE,
     NULL,
     NULL,
     NULL},
    /* multipart/byteranges */
    {"two parts",
     "GET",
     EXE,
     {"Range: bytes=0-9, 20-29"},
     206,
     PARTS,
     "0-9,20-29",
     NULL,
     HIT_CC},
    {"empty elements",
     "GET",
     EXE,
     {"Range: bytes=0-1,,4-5,"},
     206,
     PARTS,
     "0-1,4-5",
     NULL,
     NULL},
    {"request order",
     "GET",
     EXE,
     {"Range: bytes=500-599,0-99"},
     206,
     PARTS,
     "500-599,0-99",
     NULL,
     NULL},
    {"adjacent",
     "GET",
     EXE,
     {"Range: bytes=0-9,10-19"},
     206,
     PARTS,
     "0-9,10-19",
     NULL,
     NULL},
    {"suffix part",
     "GET",
     EXE,
     {"Range: bytes=0-0,-1"},
     206,
     PARTS,
     "0-0,69999-69999",
     NULL,
     NULL},
    {"16 ranges",
     "GET",
     EXE,
     {"Range: bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
      "22-22,24-24,26-26,28-28,30-30"},
     206,
     PARTS,
     "0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,"
     "26-26,28-28,30-30",
     NULL,
     NULL},
    {"large parts",
     "GET",
     EXE,
     {"Range: bytes=0-29999,40000-"},
     206,
     PARTS,
     "0-29999,40000-69999",
     NULL,
     NULL},
    /* If-Range */
    {"If-Range etag",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: {ETAG}"},
     206,
     PARTS,
     "0-1",
     "bytes 0-1/70000",
     NULL},
    {"If-Range weak etag",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: {WETAG}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"If-Range other etag",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: \"nope\""},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"If-Range date",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: {LM}"},
     206,
     PARTS,
     "0-1",
     "bytes 0-1/70000",
     NULL},
    {"If-Range older date",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: {LM-}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"If-Range newer date",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: {LM+}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"If-Range malformed",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Range: yesterday"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"If-Range alone",
     "GET",
     EXE,
     {"If-Range: {ETAG}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    /* If-None-Match and If-Modified-Since: 304 */
    {"INM match",
     "GET",
     EXE,
     {"If-None-Match: {ETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     HIT_CC},
    {"INM weak match",
     "GET",
     EXE,
     {"If-None-Match: {WETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"INM list",
     "GET",
     EXE,
     {"If-None-Match: \"a\", {ETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"INM star", "GET", EXE, {"If-None-Match: *"}, 304, NONE, NULL, NULL, NULL},
    {"INM other",
     "GET",
     EXE,
     {"If-None-Match: \"nope\""},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"INM HEAD",
     "HEAD",
     EXE,
     {"If-None-Match: {ETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"IMS equal",
     "GET",
     EXE,
     {"If-Modified-Since: {LM}"},
     304,
     NONE,
     NULL,
     NULL,
     HIT_CC},
    {"IMS later",
     "GET",
     EXE,
     {"If-Modified-Since: {LM+}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"IMS earlier",
     "GET",
     EXE,
     {"If-Modified-Since: {LM-}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IMS rfc850",
     "GET",
     EXE,
     {"If-Modified-Since: {LM850}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"IMS asctime",
     "GET",
     EXE,
     {"If-Modified-Since: {LMASC}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"IMS invalid",
     "GET",
     EXE,
     {"If-Modified-Since: not a date"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"INM beats IMS",
     "GET",
     EXE,
     {"If-None-Match: \"nope\"", "If-Modified-Since: {LM}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"INM repeated lines",
     "GET",
     EXE,
     {"If-None-Match: \"a\"", "If-None-Match: {ETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    /* If-Match and If-Unmodified-Since: 412 */
    {"IM repeated lines",
     "GET",
     EXE,
     {"If-Match: \"a\"", "If-Match: {ETAG}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IM match",
     "GET",
     EXE,
     {"If-Match: {ETAG}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IM star", "GET", EXE, {"If-Match: *"}, 200, WHOLE, NULL, NULL, NULL},
    {"IM weak", "GET", EXE, {"If-Match: {WETAG}"}, 412, TEXT, NULL, NULL, NULL},
    {"IM other",
     "GET",
     EXE,
     {"If-Match: \"nope\""},
     412,
     TEXT,
     NULL,
     NULL,
     NULL},
    {"IM list",
     "GET",
     EXE,
     {"If-Match: \"a\" , {ETAG}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IM first",
     "GET",
     EXE,
     {"If-Match: \"nope\"", "If-None-Match: {ETAG}"},
     412,
     TEXT,
     NULL,
     NULL,
     NULL},
    {"IUS equal",
     "GET",
     EXE,
     {"If-Unmodified-Since: {LM}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IUS earlier",
     "GET",
     EXE,
     {"If-Unmodified-Since: {LM-}"},
     412,
     TEXT,
     NULL,
     NULL,
     NULL},
    {"IUS invalid",
     "GET",
     EXE,
     {"If-Unmodified-Since: 1 Jan 2000"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    {"IM beats IUS",
     "GET",
     EXE,
     {"If-Match: {ETAG}", "If-Unmodified-Since: {LM-}"},
     200,
     WHOLE,
     NULL,
     NULL,
     NULL},
    /* preconditions come before ranges; misses stay misses */
    {"INM before Range",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-None-Match: {ETAG}"},
     304,
     NONE,
     NULL,
     NULL,
     NULL},
    {"IM before Range",
     "GET",
     EXE,
     {"Range: bytes=0-1", "If-Match: \"x\""},
     412,
     TEXT,
     NULL,
     NULL,
     NULL},
    {"miss with INM star",
     "GET",
     "/nope/KEY/nope",
     {"If-None-Match: *"},
     404,
     TEXT,
     NULL,
     NULL,
     "public, max-age=300"},
    {"miss with Range",
     "GET",
     "/nope/KEY/nope",
     {"Range: bytes=0-1"},
     404,
     TEXT,
     NULL,
     NULL,
     "public, max-age=300"},
    {"miss with IM",
     "GET",
     "/nope/KEY/nope",
     {"If-Match: \"x\""},
     404,
     TEXT,
     NULL,
     NULL,
     NULL},
};

/* The multipart body symsrvd must send for parts of app.exe, in
 * out[outsz]; its length. */
static size_t
multipart_body(const char *boundary, const char *parts, unsigned char *out,
               size_t outsz)
{
    size_t n = 0;
    const char *p = parts;

    while (*p != '\0') {
        unsigned long a, b;
        int used;

        assert_int_equal(sscanf(p, "%lu-%lu%n", &a, &b, &used), 2);
        assert_true(a <= b && b < SIZE);
        buf_appendf((char *)out, outsz, &n,
                    "--%s\r\nContent-Type: application/octet-stream"
                    "\r\nContent-Range: bytes %lu-%lu/%d\r\n\r\n",
                    boundary, a, b, SIZE);
        if (b - a + 1 + 2 > outsz - n)
            fail_msg("multipart body beyond %zu bytes", outsz);
        memcpy(out + n, file + a, b - a + 1);
        n += b - a + 1;
        memcpy(out + n, "\r\n", 2);
        n += 2;
        p += used;
        if (*p == ',')
            p++;
    }
    buf_appendf((char *)out, outsz, &n, "--%s--\r\n", boundary);
    return n;
}

static void
check_parts(const struct http_case *c, const struct resp *r)
{
    static unsigned char want[2 * SIZE];
    char h[256];
    unsigned long a, b;
    size_t n;

    assert_non_null(resp_header(r, "Content-Type", h));
    if (strchr(c->parts, ',') == NULL) {
        assert_string_equal(h, "application/octet-stream");
        assert_int_equal(sscanf(c->parts, "%lu-%lu", &a, &b), 2);
        assert_int_equal(r->len, b - a + 1);
        assert_memory_equal(r->body, file + a, r->len);
        return;
    }
    if (strncmp(h, "multipart/byteranges; boundary=", 31) != 0)
        fail_msg("%s: Content-Type %s", c->name, h);
    assert_null(resp_header(r, "Content-Range", h + 100));
    n = multipart_body(h + 31, c->parts, want, sizeof(want));
    if (r->len != n || memcmp(r->body, want, n) != 0)
        fail_msg("%s: multipart body differs (%zu bytes, want %zu)", c->name,
                 r->len, n);
}

static void
check_body(const struct http_case *c, const struct resp *r)
{
    char h[256];

    switch (c->body) {
    case WHOLE:
        assert_int_equal(r->len, SIZE);
        assert_memory_equal(r->body, file, SIZE);
        assert_null(resp_header(r, "Content-Range", h));
        break;
    case NONE:
        assert_int_equal(r->len, 0);
        break;
    case PARTS:
        check_parts(c, r);
        break;
    case TEXT:
        assert_true(r->len > 0 && r->len < 100);
        assert_non_null(resp_header(r, "Content-Type", h));
        assert_string_equal(h, "text/plain; charset=utf-8");
        break;
    }
}

static void
check_headers(const struct http_case *c, const struct resp *r)
{
    char h[256];

    if (c->content_range != NULL) {
        if (resp_header(r, "Content-Range", h) == NULL ||
            strcmp(h, c->content_range) != 0)
            fail_msg("%s: Content-Range %s", c->name, h);
    }
    if (c->cache_control != NULL) {
        assert_non_null(resp_header(r, "Cache-Control", h));
        assert_string_equal(h, c->cache_control);
    }
    if (c->body != NONE || c->status == 200) {
        assert_non_null(resp_header(r, "Content-Length", h));
        if (c->body != NONE && strtoul(h, NULL, 10) != r->len)
            fail_msg("%s: Content-Length %s, body %zu", c->name, h, r->len);
    }
    if (c->status == 304) {
        assert_non_null(resp_header(r, "ETag", h));
        assert_string_equal(h, etag);
        assert_non_null(resp_header(r, "Last-Modified", h));
        assert_string_equal(h, last_mod);
        assert_non_null(resp_header(r, "Date", h));
    }
}

static void
test_table(void **state)
{
    struct resp r;

    (void)state;
    assert_int_equal(http_request(&srv, "HEAD", EXE, NULL, false, &r), 0);
    assert_non_null(resp_header(&r, "ETag", etag));
    assert_non_null(resp_header(&r, "Last-Modified", last_mod));
    resp_free(&r);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct http_case *c = &cases[i];
        char buf[4][512];
        const char *hdrs[5] = {NULL};

        for (int k = 0; k < 4 && c->hdrs[k] != NULL; k++) {
            expand(c->hdrs[k], buf[k], sizeof(buf[k]));
            hdrs[k] = buf[k];
        }
        assert_int_equal(
            http_request(&srv, c->method, c->target, hdrs, false, &r), 0);
        if (r.code != c->status)
            fail_msg("%s: got %ld, want %d", c->name, r.code, c->status);
        check_body(c, &r);
        check_headers(c, &r);
        resp_free(&r);
    }
    print_message("%zu cases\n", sizeof(cases) / sizeof(cases[0]));
}

/* Whether a line of the access log holds both marker and want; waits for
 * the workers' buffered lines up to 5 s. */
static bool
logged_line(const char *marker, const char *want)
{
    for (long long until = now_ms() + 5000; now_ms() < until; sleep_ms(20)) {
        char *log = slurp(srv.access_log, NULL), *line, *save = NULL;
        bool found = false;

        for (line = log != NULL ? strtok_r(log, "\n", &save) : NULL;
             line != NULL && !found; line = strtok_r(NULL, "\n", &save))
            found = strstr(line, marker) != NULL && strstr(line, want) != NULL;
        free(log);
        if (found)
            return true;
    }
    return false;
}

/* 206 logs the body bytes sent, 304 logs 0. Each request carries its own
 * query string, so earlier lines (flushed late) cannot stand in for it. */
static void
test_log_counts(void **state)
{
    static const char *const range[] = {"Range: bytes=0-499", NULL};
    char inm[300];
    const char *cond[] = {inm, NULL};
    struct resp r;

    (void)state;
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    assert_int_equal(
        http_request(&srv, "GET", EXE "?log-206", range, false, &r), 0);
    assert_int_equal(r.code, 206);
    resp_free(&r);
    assert_int_equal(http_request(&srv, "GET", EXE "?log-304", cond, false, &r),
                     0);
    assert_int_equal(r.code, 304);
    resp_free(&r);
    assert_true(logged_line("?log-206 ", "\" 206 500 "));
    assert_true(logged_line("?log-304 ", "\" 304 0 "));
}

/* Is s in the body? (The body holds NUL bytes: no strstr.) */
static bool
contains(const struct resp *r, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= r->len; i++)
        if (memcmp(r->body + i, s, n) == 0)
            return true;
    return false;
}

/* Ranges deep into a 10 GiB file cost no more memory than any other. */
static void
test_ranges_of_10gib(void **state)
{
    static const char *const range[] = {
        "Range: bytes=0-9,5368709120-5368709129,-10", NULL};
    static const char *const one[] = {"Range: bytes=10737418230-", NULL};
    char h[256];
    struct resp r;
    long rss;

    (void)state;
    assert_int_equal(http_request(&srv, "GET", HUGE, range, false, &r), 0);
    assert_int_equal(r.code, 206);
    assert_non_null(resp_header(&r, "Content-Type", h));
    assert_true(contains(&r, "Content-Range: bytes "
                             "5368709120-5368709129/10737418240\r\n"));
    assert_true(contains(&r, "Content-Range: bytes "
                             "10737418230-10737418239/10737418240\r\n"));
    resp_free(&r);
    assert_int_equal(http_request(&srv, "GET", HUGE, one, false, &r), 0);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 10);
    assert_string_equal(resp_header(&r, "Content-Range", h),
                        "bytes 10737418230-10737418239/10737418240");
    resp_free(&r);
    rss = daemon_peak_rss_kib(&srv);
    print_message("daemon peak RSS: %ld KiB\n", rss);
    assert_true(rss > 0 && rss < 64 * 1024);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_log_counts),
        cmocka_unit_test(test_ranges_of_10gib),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
