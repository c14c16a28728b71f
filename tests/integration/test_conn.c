/*
 * The connection layer against the real daemon, over HTTP and HTTPS, with
 * raw requests: pipelining and keep-alive per RFC 9112 section 9, request
 * bodies skipped or refused, smuggling-shaped heads refused with the
 * connection closed (the bytes after them never answered), answers the
 * daemon writes itself (bad heads, unknown methods) in text with an
 * access-log line, and the cap on connections per worker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define EMPTY "/empty.pdb/00000000000000000000000000000000/empty.pdb"
#define MISS "/nope.pdb/KEY/nope.pdb"
#define SECRET "/smuggled.pdb/KEY/smuggled.pdb"

static struct daemon srv;

static int
setup(void **state)
{
    static const char *const flags[] = {"--workers", "1", NULL};

    (void)state;
    fixture_make(&srv);
    daemon_start(&srv, flags);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/*
 * Sends req on a new connection and reads until the server closes it
 * (true) or 3 s pass without it (false); the answer text goes to out.
 */
static bool
exchange_until_closed(const char *req, char *out, size_t outsz)
{
    void *c = raw_open(&srv, req);
    size_t got = 0;
    bool closed = false;
    long long end = now_ms() + 3000;

    while (got + 1 < outsz && now_ms() < end) {
        long n = raw_read(c, out + got, outsz - 1 - got, 200);

        if (n == 0 || n == -1) {
            closed = true;
            break;
        }
        if (n > 0)
            got += (size_t)n;
    }
    out[got] = '\0';
    raw_close(c);
    return closed;
}

/* How many times s occurs in text. */
static int
count(const char *text, const char *s)
{
    int n = 0;

    for (const char *p = strstr(text, s); p != NULL; p = strstr(p + 1, s))
        n++;
    return n;
}

/* The status codes of the answers in text, in order, as "200 404". */
static void
statuses(const char *text, char *out, size_t outsz)
{
    size_t n = 0;

    out[0] = '\0';
    for (const char *p = strstr(text, "HTTP/1.1 "); p != NULL;
         p = strstr(p + 1, "HTTP/1.1 "))
        buf_appendf(out, outsz, &n, "%s%.3s", n > 0 ? " " : "", p + 9);
}

/* Three requests in one write: three answers, in order, then the close
 * the last one asked for. */
static void
test_pipelining(void **state)
{
    static const char req[] = "GET " EMPTY " HTTP/1.1\r\nHost: x\r\n\r\n"
                              "HEAD " MISS " HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n";
    char out[8192], st[64];

    (void)state;
    assert_true(exchange_until_closed(req, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    assert_string_equal(st, "200 404 404");
    assert_int_equal(count(out, "not found\n"), 1); /* HEAD: no body */
    assert_int_equal(count(out, "Connection: close\r\n"), 1);
}

/* HTTP/1.0 keeps the connection only when asked, and says so. */
static void
test_http10_keep_alive(void **state)
{
    static const char asked[] = "GET " MISS " HTTP/1.0\r\n"
                                "Connection: keep-alive\r\n\r\n"
                                "GET " EMPTY " HTTP/1.0\r\n\r\n";
    static const char not_asked[] = "GET " MISS " HTTP/1.0\r\n\r\n"
                                    "GET " EMPTY " HTTP/1.0\r\n\r\n";
    char out[8192], st[64];

    (void)state;
    assert_true(exchange_until_closed(asked, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    assert_string_equal(st, "404 200");
    assert_int_equal(count(out, "Connection: keep-alive\r\n"), 1);
    assert_int_equal(count(out, "Connection: close\r\n"), 1);
    assert_true(exchange_until_closed(not_asked, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    assert_string_equal(st, "404");
}

/* A small body on a request that takes none is skipped, not read as the
 * next request; a chunked one or one held for 100-continue ends the
 * connection after the answer. */
static void
test_request_bodies(void **state)
{
    static const char smuggled[] = "GET " SECRET " HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char chunked[] =
        "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
        "2c\r\nGET " SECRET " HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n";
    static const char expect[] = "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
                                 "Content-Length: 5\r\n"
                                 "Expect: 100-continue\r\n\r\n";
    char small[512], out[8192], st[64];
    size_t n = 0;

    (void)state;
    buf_appendf(small, sizeof(small), &n,
                "POST " MISS " HTTP/1.1\r\nHost: x\r\n"
                "Content-Length: %zu\r\n\r\n%s"
                "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
                "Connection: close\r\n\r\n",
                sizeof(smuggled) - 1, smuggled);
    assert_true(exchange_until_closed(small, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    /* The bytes after the POST head are its body, not a request. */
    assert_string_equal(st, "405 404");
    assert_true(exchange_until_closed(chunked, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    assert_string_equal(st, "404");
    assert_int_equal(count(out, "Connection: close\r\n"), 1);
    assert_true(exchange_until_closed(expect, out, sizeof(out)));
    statuses(out, st, sizeof(st));
    assert_string_equal(st, "404");
}

struct bad_head {
    const char *name;
    const char *head; /* the smuggled request follows it */
    int status;
};

/* Heads two parties could read two ways: refused, and the connection
 * closed before the bytes after them are taken for a request. */
static const struct bad_head bad_heads[] = {
    {"two Content-Length",
     "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
     "Content-Length: 0\r\nContent-Length: 36\r\n\r\n",
     400},
    {"Content-Length and Transfer-Encoding",
     "GET " MISS " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     400},
    {"signed Content-Length",
     "GET " MISS " HTTP/1.1\r\nHost: x\r\nContent-Length: +35\r\n\r\n", 400},
    {"unknown transfer coding",
     "GET " MISS " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
     501},
    {"chunked not last",
     "GET " MISS " HTTP/1.1\r\nHost: x\r\n"
     "Transfer-Encoding: chunked\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     400},
    {"Transfer-Encoding in 1.0",
     "GET " MISS " HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"space before colon", "GET " MISS " HTTP/1.1\r\nHost : x\r\n\r\n", 400},
    {"obs-fold", "GET " MISS " HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n b\r\n\r\n",
     400},
    {"bare CR", "GET " MISS " HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n", 400},
    {"empty field name", "GET " MISS " HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n",
     400},
    {"two Host", "GET " MISS " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"huge version", "GET " MISS " HTTP/4294967297.1\r\nHost: x\r\n\r\n", 400},
    {"minor 257", "GET " MISS " HTTP/1.257\r\nHost: x\r\n\r\n", 400},
    {"negative minor", "GET " MISS " HTTP/1.-1\r\nHost: x\r\n\r\n", 400},
    {"lower-case version", "GET " MISS " http/1.1\r\nHost: x\r\n\r\n", 400},
    {"HTTP/0.9", "GET " MISS "\r\n\r\n", 400},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
    {"HTTP/3.0", "GET " MISS " HTTP/3.0\r\nHost: x\r\n\r\n", 505},
    {"double space", "GET  " MISS " HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"control byte in target", "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
};

static void
test_bad_heads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
        const struct bad_head *b = &bad_heads[i];
        char req[1024], out[8192], st[64], want[8];
        size_t n = 0;

        buf_appendf(req, sizeof(req), &n,
                    "%sGET " SECRET " HTTP/1.1\r\nHost: x\r\n\r\n", b->head);
        if (!exchange_until_closed(req, out, sizeof(out)))
            fail_msg("%s: the connection stayed open", b->name);
        statuses(out, st, sizeof(st));
        snprintf(want, sizeof(want), "%d", b->status);
        if (strcmp(st, want) != 0)
            fail_msg("%s: answers \"%s\", want \"%s\"", b->name, st, want);
        if (strstr(out, "Content-Type: text/plain") == NULL ||
            strstr(out, "Connection: close\r\n") == NULL)
            fail_msg("%s: not a closing text answer:\n%s", b->name, out);
    }
}

/* Whether the access log comes to hold needle within 5 s. */
static bool
log_has(const char *needle)
{
    for (long long end = now_ms() + 5000; now_ms() < end; sleep_ms(20)) {
        char *text = slurp(srv.access_log, NULL);
        bool found = text != NULL && strstr(text, needle) != NULL;

        free(text);
        if (found)
            return true;
    }
    return false;
}

/*
 * Heads that fill the whole head buffer with line-end bytes and never
 * end: answered (414: no line has ended), and the daemon is unharmed (an
 * ASan build fails the run on any write past the buffer).
 */
static void
test_full_buffer_of_line_ends(void **state)
{
    static const char fill[] = {'\r', '\n'};
    char *req = malloc(8192 + 1), out[4096];

    (void)state;
    assert_non_null(req);
    for (size_t f = 0; f < sizeof(fill); f++) {
        bool only_cr = fill[f] == '\r';

        memset(req, fill[f], 8192);
        req[8192] = '\0';
        assert_true(exchange_until_closed(req, out, sizeof(out)));
        /* Only CRs: no line ever ends (414). Only LFs: 32 bytes of empty
         * lines are skipped, then an empty request line (400). */
        assert_int_equal(
            strncmp(out, only_cr ? "HTTP/1.1 414 " : "HTTP/1.1 400 ", 13), 0);
    }
    free(req);
}

/* Answers evhttp used to write itself are ours: text, and a log line. */
static void
test_own_answers_logged(void **state)
{
    static const char unknown[] = "FROB " MISS " HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n\r\n";
    static const char garbage[] = "\x16\x03\x01 garbage\r\n\r\n";
    char out[4096];

    (void)state;
    assert_true(exchange_until_closed(unknown, out, sizeof(out)));
    assert_int_equal(strncmp(out, "HTTP/1.1 501 ", 13), 0);
    assert_non_null(strstr(out, "Content-Type: text/plain"));
    assert_true(exchange_until_closed(garbage, out, sizeof(out)));
    assert_int_equal(strncmp(out, "HTTP/1.1 400 ", 13), 0);
    assert_true(log_has("\"FROB " MISS " HTTP/1.1\" 501 "));
    assert_true(log_has("\"- \\x16\\x03\\x01 garbage -\" 400 "));
}

/*
 * A new connection to d is refused by a cap: a plain 503 with Retry-After
 * whose body is as long as its Content-Length; over TLS the connection is
 * closed before any handshake, so curl sees it fail.
 */
static void
expect_refused(const struct daemon *d)
{
    char out[4096];
    struct resp r;

    if (harness_tls()) {
        assert_int_not_equal(http_request(d, "GET", MISS, NULL, false, &r), 0);
        resp_free(&r);
        return;
    }
    assert_int_equal(raw_exchange(d, "GET " MISS " HTTP/1.1\r\nHost: x\r\n\r\n",
                                  out, sizeof(out)),
                     0);
    assert_int_equal(strncmp(out, "HTTP/1.1 503 ", 13), 0);
    assert_non_null(strstr(out, "Retry-After: 1\r\n"));
    assert_non_null(strstr(out, "Content-Length: 42\r\n\r\n"));
    assert_int_equal(strlen(strstr(out, "\r\n\r\n") + 4), 42);
}

/*
 * With flags making 2 the cap, two held connections make a third refused;
 * once `release` of them close, a request is served again.
 */
static void
check_cap(const char *const *flags, int release)
{
    struct daemon capped;
    void *held[2];
    struct resp r;

    fixture_make(&capped);
    daemon_start(&capped, flags);
    held[0] = raw_open(&capped, "");
    held[1] = raw_open(&capped, "");
    /* Both held: make sure the daemon has taken them before the third. */
    sleep_ms(200);
    expect_refused(&capped);
    for (int i = 0; i < release; i++)
        raw_close(held[i]);
    sleep_ms(200);
    assert_int_equal(http_request(&capped, "GET", MISS, NULL, false, &r), 0);
    assert_int_equal(r.code, 404);
    resp_free(&r);
    for (int i = release; i < 2; i++)
        raw_close(held[i]);
    daemon_finish(&capped);
}

/* Beyond server.max_connections a new connection gets a 503 with
 * Retry-After and is closed; once one closes, service is back. */
static void
test_connection_cap(void **state)
{
    static const char *const flags[] = {"--workers", "1", "--max-connections",
                                        "2", NULL};

    (void)state;
    check_cap(flags, 2);
}

/*
 * Beyond server.max_connections_per_client, a client address (one
 * client across all the workers) gets the 503 too; once one of its
 * connections closes, it is served again.
 */
static void
test_cap_per_client(void **state)
{
    static const char *const flags[] = {
        "--workers", "2", "--max-connections-per-client", "2", NULL};

    (void)state;
    check_cap(flags, 1);
}

/* CPU seconds (user + system) the process pid has used, from /proc. */
static double
cpu_seconds(pid_t pid)
{
    char path[64], *stat, *p;
    unsigned long long ut = 0, st = 0;
    double ticks = (double)sysconf(_SC_CLK_TCK);

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    stat = slurp(path, NULL);
    assert_non_null(stat);
    p = strrchr(stat, ')'); /* fields after the command name */
    assert_non_null(p);
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime */
    assert_int_equal(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %llu %llu",
                            &ut, &st),
                     2);
    free(stat);
    return (double)(ut + st) / ticks;
}

/*
 * Out of descriptors (RLIMIT_NOFILE 64, idle connections holding them),
 * the accept loop rests instead of spinning and logging, and serves again
 * once connections go. Over the plain listener in both runs: a TLS
 * handshake cannot complete while the daemon cannot accept.
 */
static void
test_descriptors_run_out(void **state)
{
    struct daemon d = {.nofile = 64};
    struct daemon plain;
    void *held[100];
    struct resp r;
    double before, used;
    char *err;
    int n = 0;

    (void)state;
    fixture_make(&d);
    d.nofile = 64;
    daemon_allow_stderr("symsrvd: accept: Too many open files: not "
                        "accepting for 100 ms");
    daemon_start(&d, (const char *const[]){"--workers", "1", NULL});
    plain = d;
    plain.tls = false;
    for (n = 0; n < 100; n++)
        held[n] = raw_open(&plain, "");
    sleep_ms(300);
    before = cpu_seconds(d.pid);
    sleep_ms(1000);
    used = cpu_seconds(d.pid) - before;
    /* A spinning accept loop burns a whole CPU second here. */
    if (used > 0.3)
        fail_msg("%.2f s of CPU in 1 s while out of descriptors", used);
    err = slurp(d.stderr_log, NULL);
    assert_non_null(err);
    if (strstr(err, "accept: Too many open files") == NULL)
        fail_msg("the descriptors never ran out: %s", err);
    free(err);
    for (int i = 0; i < n; i++)
        raw_close(held[i]);
    sleep_ms(300);
    assert_int_equal(http_request(&plain, "GET", MISS, NULL, false, &r), 0);
    assert_int_equal(r.code, 404);
    resp_free(&r);
    daemon_finish(&d);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_http10_keep_alive),
        cmocka_unit_test(test_request_bodies),
        cmocka_unit_test(test_bad_heads),
        cmocka_unit_test(test_full_buffer_of_line_ends),
        cmocka_unit_test(test_own_answers_logged),
        cmocka_unit_test(test_connection_cap),
        cmocka_unit_test(test_cap_per_client),
        cmocka_unit_test(test_descriptors_run_out),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
