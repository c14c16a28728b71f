/*
 * Connection and process lifecycle: idle and slow connections time out,
 * SIGTERM lets a running download finish and refuses new connections,
 * and the shutdown deadline ends a download that does not move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MID "/mid.pdb/0123456789ABCDEF0123456789ABCDEF1/mid.pdb"
#define MID_SIZE (64LL * 1024 * 1024)
#define BIG "/big.pdb/0123456789ABCDEF0123456789ABCDEF1/big.pdb"
#define BIG_SIZE (1024LL * 1024 * 1024)

static struct daemon srv;

static void
start(const char *const *extra)
{
    fixture_make(&srv);
    fixture_sparse(&srv, &MID[1], MID_SIZE);
    fixture_sparse(&srv, &BIG[1], BIG_SIZE);
    daemon_start(&srv, extra);
}

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

/* The server closed: EOF (0) or reset (-1); not data, not silence (-2). */
static void
assert_closed(long r)
{
    if (r != 0 && r != -1)
        fail_msg("connection not closed by the server: read returned %ld", r);
}

/* An open connection that never sends a byte is closed after timeout. */
static void
test_idle_connection_times_out(void **state)
{
    static const char *const flags[] = {"--timeout", "1", NULL};
    char buf[64];
    void *c;

    (void)state;
    start(flags);
    c = raw_open(&srv, "");
    assert_closed(raw_read(c, buf, sizeof(buf), 10000));
    raw_close(c);
}

/* A request head that stops half-way is not waited for forever. */
static void
test_slow_head_times_out(void **state)
{
    static const char *const flags[] = {"--timeout", "1", NULL};
    char buf[64];
    void *c;

    (void)state;
    start(flags);
    c = raw_open(&srv, "GET " MID " HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert_closed(raw_read(c, buf, sizeof(buf), 10000));
    raw_close(c);
}

/* Keep-alive: after an answer, an idle connection is closed too. */
static void
test_keepalive_idle_times_out(void **state)
{
    static const char *const flags[] = {"--timeout", "1", NULL};
    char buf[8192];
    long n, total = 0;
    long long end;
    void *c;

    (void)state;
    start(flags);
    c = raw_open(&srv, "HEAD " MID " HTTP/1.1\r\nHost: x\r\n\r\n");
    buf[0] = '\0';
    end = now_ms() + 10000;
    while ((size_t)total + 1 < sizeof(buf) && now_ms() < end &&
           (n = raw_read(c, buf + total, sizeof(buf) - 1 - (size_t)total,
                         (long)(end - now_ms()))) > 0) {
        total += n;
        buf[total] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL)
            break;
    }
    if (strstr(buf, "\r\n\r\n") == NULL)
        fail_msg("no whole answer head within 10 s: '%s'", buf);
    assert_non_null(strstr(buf, "HTTP/1.1 200 "));
    assert_closed(raw_read(c, buf, sizeof(buf), 10000));
    raw_close(c);
}

struct download {
    _Atomic long long got;
    CURLcode rc;
    long code;
    curl_off_t speed; /* bytes per second the client reads */
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct download *d = arg;

    (void)data;
    d->got += (long long)(size * nmemb);
    return size * nmemb;
}

static void *
slow_download(void *arg)
{
    struct download *d = arg;
    CURL *c = curl_easy_init();
    char url[512], ca[256];

    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, MID, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, d->speed);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    d->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &d->code);
    curl_easy_cleanup(c);
    return NULL;
}

static int
port_of(const char *base)
{
    const char *colon = strrchr(base, ':');
    char *end;
    long port;

    assert_non_null(colon);
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535)
        fail_msg("no port in '%s'", base);
    return (int)port;
}

/* True once a TCP connect to the daemon's port is refused. */
static bool
connect_refused(const struct daemon *d)
{
    const char *base = d->tls ? d->https_base : d->http_base;
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port_of(base));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
    close(fd);
    return rc == -1;
}

/* SIGTERM: no new connections, the running download ends whole, exit 0. */
static void
test_sigterm_lets_download_finish(void **state)
{
    /* about 2 s for 64 MiB: long enough to be cut by a careless stop */
    struct download d = {0, CURLE_OK, 0, 32 * 1024 * 1024};
    pthread_t t;
    bool refused = false;
    long long end;

    (void)state;
    start(NULL);
    assert_int_equal(pthread_create(&t, NULL, slow_download, &d), 0);
    /* the download thread gives up after its own 60 s (CURLOPT_TIMEOUT) */
    end = now_ms() + 20000;
    while (d.got < 1024 * 1024 && now_ms() < end)
        sleep_ms(5);
    if (d.got < 1024 * 1024) {
        pthread_join(t, NULL);
        fail_msg("the download did not reach 1 MiB within 20 s: %lld bytes, "
                 "curl %d, status %ld",
                 (long long)d.got, (int)d.rc, d.code);
    }
    kill(srv.pid, SIGTERM);
    for (int i = 0; i < 200 && !refused; i++) {
        refused = connect_refused(&srv);
        sleep_ms(10);
    }
    assert_true(refused);
    assert_true(d.got < MID_SIZE); /* the stop came mid-download */
    pthread_join(t, NULL);
    assert_int_equal(d.rc, CURLE_OK);
    assert_int_equal(d.code, 200);
    assert_true(d.got == MID_SIZE);
    assert_int_equal(daemon_wait(&srv, 30000), 0);
}

/*
 * A download that keeps moving outlives http.timeout: the client sends
 * nothing for 4 s while it reads, and the timeout is 1 s.
 */
static void
test_long_download_outlives_timeout(void **state)
{
    static const char *const flags[] = {"--timeout", "1", NULL};
    struct download d = {0, CURLE_OK, 0, 16 * 1024 * 1024};

    (void)state;
    start(flags);
    slow_download(&d);
    assert_int_equal(d.rc, CURLE_OK);
    assert_int_equal(d.code, 200);
    assert_true(d.got == MID_SIZE);
}

/* A download that does not move is cut at shutdown_timeout; exit 0. */
static void
test_shutdown_deadline(void **state)
{
    static const char *const flags[] = {"--shutdown-timeout", "1", NULL};
    char buf[4096], *log;
    void *c;

    (void)state;
    start(flags);
    c = raw_open(&srv, "GET " BIG " HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(raw_read(c, buf, sizeof(buf), 5000) > 0);
    kill(srv.pid, SIGTERM);
    assert_int_equal(daemon_wait(&srv, 20000), 0);
    raw_close(c);
    log = access_log_lines(srv.access_log, 1);
    assert_non_null(strstr(log, "\"GET " BIG " HTTP/1.1\" 200 "));
    assert_null(strstr(log, " 200 1073741824 "));
    free(log);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_connection_times_out, teardown),
        cmocka_unit_test_teardown(test_slow_head_times_out, teardown),
        cmocka_unit_test_teardown(test_keepalive_idle_times_out, teardown),
        cmocka_unit_test_teardown(test_sigterm_lets_download_finish, teardown),
        cmocka_unit_test_teardown(test_shutdown_deadline, teardown),
        cmocka_unit_test_teardown(test_long_download_outlives_timeout,
                                  teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
