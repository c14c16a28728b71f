/*
 * What systemd sees, without a running systemd: a listening
 * NOTIFY_SOCKET gets READY=1 only once the daemon answers, RELOADING=1
 * then READY=1 around a reload, STOPPING=1 on SIGTERM, and WATCHDOG=1
 * while the workers run (WATCHDOG_USEC); systemd-socket-activate hands
 * over listening sockets (FileDescriptorName "https" for TLS) that the
 * daemon serves, and keeps serving across a reload.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define EXE "/app.exe/5F3E2A1B6000/app.exe"

static struct daemon srv;
static int notify_fd = -1;

static int
teardown(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    if (srv.pid > 0)
        assert_int_equal(daemon_stop(&srv), 0);
    daemon_check_stderr(&srv);
    fixture_remove(&srv);
    if (notify_fd != -1)
        close(notify_fd);
    notify_fd = -1;
    return 0;
}

/* A datagram socket in the scratch directory, named in NOTIFY_SOCKET for
 * the daemon the test starts next. */
static void
notify_listen(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    assert_true(strlen(srv.dir) + sizeof("/notify") <= sizeof(sun.sun_path));
    memcpy(sun.sun_path, srv.dir, strlen(srv.dir));
    memcpy(sun.sun_path + strlen(srv.dir), "/notify", sizeof("/notify"));
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(notify_fd != -1);
    assert_int_equal(bind(notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(setenv("NOTIFY_SOCKET", sun.sun_path, 1), 0);
}

/*
 * The next notification that holds want (one datagram, fields separated
 * by newlines) within ms; earlier ones are appended to seen[seensz].
 * Fails the test when none comes.
 */
static void
expect_notify(const char *want, long ms, char *seen, size_t seensz)
{
    long long until = now_ms() + ms;
    size_t n = strlen(seen);

    while (now_ms() < until) {
        struct pollfd p = {notify_fd, POLLIN, 0};
        char msg[1024];
        ssize_t len;

        if (poll(&p, 1, 50) != 1)
            continue;
        len = recv(notify_fd, msg, sizeof(msg) - 1, 0);
        assert_true(len > 0);
        msg[len] = '\0';
        if (strstr(msg, want) != NULL)
            return;
        if (n + (size_t)len + 2 < seensz) {
            memcpy(seen + n, msg, (size_t)len);
            n += (size_t)len;
            seen[n++] = '|';
            seen[n] = '\0';
        }
    }
    fail_msg("no notification with %s within %ld ms; got: %s", want, ms, seen);
}

/* The status of a GET of app.exe over HTTPS (tls) or HTTP; 0 when the
 * request failed (refused, reset). */
static long
status_of(bool tls)
{
    bool scheme = srv.tls;
    struct resp r;
    long code = 0;

    srv.tls = tls;
    if (http_request(&srv, "GET", EXE, NULL, false, &r) == 0) {
        code = r.code;
        resp_free(&r);
    }
    srv.tls = scheme;
    return code;
}

/* READY=1 comes after the listeners answer, with a STATUS line. */
static void
test_notify_ready_reload_stop(void **state)
{
    char seen[4096] = "";

    (void)state;
    fixture_make(&srv);
    notify_listen();
    daemon_start(&srv, NULL);
    expect_notify("READY=1", 10000, seen, sizeof(seen));
    /* READY=1 is sent after the addr file is written: both answer now */
    assert_int_equal(status_of(false), 200);
    assert_int_equal(status_of(true), 200);
    kill(srv.pid, SIGHUP);
    seen[0] = '\0';
    expect_notify("RELOADING=1", 10000, seen, sizeof(seen));
    expect_notify("READY=1", 10000, seen, sizeof(seen));
    assert_int_equal(status_of(false), 200);
    kill(srv.pid, SIGTERM);
    expect_notify("STOPPING=1", 10000, seen, sizeof(seen));
    assert_int_equal(daemon_wait(&srv, 30000), 0);
    srv.pid = 0;
}

/* With WATCHDOG_USEC, WATCHDOG=1 arrives about twice per period. */
static void
test_watchdog_pings(void **state)
{
    char seen[4096] = "";
    long long t0;

    (void)state;
    fixture_make(&srv);
    notify_listen();
    assert_int_equal(setenv("WATCHDOG_USEC", "1000000", 1), 0);
    daemon_start(&srv, NULL);
    expect_notify("READY=1", 10000, seen, sizeof(seen));
    t0 = now_ms();
    for (int i = 0; i < 4; i++)
        expect_notify("WATCHDOG=1", 1500, seen, sizeof(seen));
    /* four pings in less than three periods: not once per period */
    assert_true(now_ms() - t0 < 3000);
}

/* A free TCP port of 127.0.0.1 (bound, read back, closed). */
static unsigned
free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/*
 * systemd-socket-activate listens, execs the daemon on the first
 * connection and passes both sockets, named http and https; the daemon
 * serves both, lists them as from systemd, binds nothing of its own, and
 * keeps them across a reload.
 */
static void
test_socket_activation(void **state)
{
    char plain[32], tls[32], http_base[48], https_base[48], *err;
    unsigned p1 = free_port(), p2 = free_port();
    const char *wrapper[] = {"systemd-socket-activate", "-l", plain, "-l", tls,
                             "--fdname=http:https",     NULL};

    (void)state;
    if (system("command -v systemd-socket-activate >/dev/null") != 0)
        harness_skip("systemd-socket-activate is not installed");
    fixture_make(&srv);
    daemon_allow_stderr("Listening on 127.0.0.1:");
    daemon_allow_stderr("Communication attempt on fd");
    daemon_allow_stderr("Execing ");
    snprintf(plain, sizeof(plain), "127.0.0.1:%u", p1);
    snprintf(tls, sizeof(tls), "127.0.0.1:%u", p2);
    srv.config_listeners = true;
    srv.wrapper = wrapper;
    daemon_spawn(&srv, NULL);
    snprintf(http_base, sizeof(http_base), "http://%s", plain);
    snprintf(https_base, sizeof(https_base), "https://%s", tls);
    snprintf(srv.http_base, sizeof(srv.http_base), "%s", http_base);
    snprintf(srv.https_base, sizeof(srv.https_base), "%s", https_base);
    /* the wrapper listens at once; the first connection starts symsrvd */
    for (long long until = now_ms() + 10000;
         status_of(false) != 200 && now_ms() < until;)
        sleep_ms(50);
    assert_int_equal(status_of(false), 200);
    assert_int_equal(status_of(true), 200);
    assert_true(daemon_read_addrs(&srv));
    assert_string_equal(srv.http_base, http_base);
    assert_string_equal(srv.https_base, https_base);
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    assert_int_equal(status_of(false), 200);
    assert_int_equal(status_of(true), 200);
    err = slurp(srv.stderr_log, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "listening on https://127.0.0.1:"));
    assert_non_null(strstr(err, "(from systemd)"));
    free(err);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_notify_ready_reload_stop, teardown),
        cmocka_unit_test_teardown(test_watchdog_pings, teardown),
        cmocka_unit_test_teardown(test_socket_activation, teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
