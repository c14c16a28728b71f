/*
 * The command line contract: a bad flag, an unusable root, a busy port or
 * a bad config file is one line naming the problem and exit status 1;
 * --check-config validates and exits 0 or 1; flags win over the file.
 */
#define _GNU_SOURCE /* SO_REUSEPORT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static struct daemon fx;

static int
setup(void **state)
{
    (void)state;
    fixture_make(&fx);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_remove(&fx);
    return 0;
}

static void
write_conf(const char *name, const char *text, char *path)
{
    FILE *fp;

    snprintf(path, 256, "%s/%s", fx.dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Exit 1 with exactly one stderr line that contains want. */
static void
expect_failure(const char *const *args, const char *want)
{
    char err[4096];
    int status = run_symsrvd(args, err, sizeof(err));
    char *nl = strchr(err, '\n');

    if (status != 1 || strstr(err, want) == NULL || nl == NULL || nl[1] != '\0')
        fail_msg("want exit 1 and one line with '%s'; got %d: %s", want, status,
                 err);
}

static void
test_bad_flags(void **state)
{
    static const char *const unknown[] = {"--frobnicate", NULL};
    static const char *const no_value[] = {"-r", NULL};
    static const char *const workers[] = {"-r", "/", "-w", "300", NULL};
    static const char *const addr[] = {"-r", "/", "-l", "localhost:http", NULL};
    static const char *const no_store[] = {"-l", "127.0.0.1:0", NULL};
    static const char *const no_name[] = {"-r", "/", "-l",
                                          "no-such-host.invalid:0", NULL};

    (void)state;
    expect_failure(unknown, "--frobnicate: unknown flag");
    expect_failure(no_value, "-r: needs a value");
    expect_failure(workers, "--workers: '300' is not a number from 0 to 256");
    expect_failure(addr, "'localhost:http' is not PORT, *:PORT, HOST:PORT, "
                         "IPv4:PORT or [IPv6]:PORT");
    expect_failure(no_store, "no store: give -r DIR (the store) or -c FILE");
    expect_failure(no_name, "listen no-such-host.invalid:0: ");
}

static void
test_bad_root(void **state)
{
    char file[256], missing[256];
    const char *not_dir[] = {"-r", file, "-l", "127.0.0.1:0", NULL};
    const char *absent[] = {"-r", missing, "-l", "127.0.0.1:0", NULL};

    (void)state;
    snprintf(file, sizeof(file), "%s/pingme.txt", fx.root);
    snprintf(missing, sizeof(missing), "%s/absent", fx.dir);
    expect_failure(not_dir, "Not a directory");
    expect_failure(absent, "No such file or directory");
}

/*
 * A cache directory that is, holds or sits in the store is refused before
 * anything is evicted from it: the store's files are all still there.
 */
static void
test_cache_dir_overlapping_store(void **state)
{
    char inside[256], above[256], probe[320];
    const char *in_root[] = {
        "-r", fx.root,       "-l",   "127.0.0.1:0",     "--expand-compressed",
        "on", "--cache-dir", inside, "--cache-max-mib", "1",
        NULL};
    const char *is_root[] = {
        "-r", fx.root,       "-l",    "127.0.0.1:0",     "--expand-compressed",
        "on", "--cache-dir", fx.root, "--cache-max-mib", "1",
        NULL};
    const char *holds_root[] = {
        "-r", fx.root,       "-l",  "127.0.0.1:0",     "--expand-compressed",
        "on", "--cache-dir", above, "--cache-max-mib", "1",
        NULL};
    struct stat st;

    (void)state;
    snprintf(inside, sizeof(inside), "%s/app.exe", fx.root);
    snprintf(above, sizeof(above), "%s", fx.dir);
    expect_failure(in_root, "overlaps");
    expect_failure(is_root, "files there would be evicted");
    expect_failure(holds_root, "give the cache a directory of its own");
    snprintf(probe, sizeof(probe), "%s/app.exe/5F3E2A1B6000/app.exe", fx.root);
    assert_int_equal(stat(probe, &st), 0);
    assert_int_equal(st.st_size, 70000);
}

/* Busy: held by a plain socket, and by a socket with SO_REUSEPORT. */
static void
test_busy_port(void **state)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    char listen_addr[64];
    const char *args[] = {"-r", fx.root, "-l", listen_addr, NULL};
    int one = 1;

    (void)state;
    for (int reuse = 0; reuse < 2; reuse++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (reuse)
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        assert_int_equal(listen(fd, 1), 0);
        getsockname(fd, (struct sockaddr *)&sin, &len);
        snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%d",
                 ntohs(sin.sin_port));
        expect_failure(args, "Address already in use");
        close(fd);
    }
}

static void
test_bad_config_file(void **state)
{
    char path[256], want[400];
    const char *args[] = {"-c", path, NULL};

    (void)state;
    write_conf("unknown.conf", "[store]\nroot = /\n[server]\nbogus = 1\n",
               path);
    snprintf(want, sizeof(want), "%s:4: server.bogus: unknown key", path);
    expect_failure(args, want);
    write_conf("badnum.conf", "[store]\nroot = /\n\n[http]\ntimeout = 0\n",
               path);
    snprintf(want, sizeof(want),
             "%s:5: http.timeout: '0' is not a number from 1 to 3600", path);
    expect_failure(args, want);
    write_conf("noroot.conf", "[server]\nlisten = 127.0.0.1:0\n", path);
    expect_failure(args, "store.root: required");
    write_conf("syntax.conf", "[store\nroot = /\n", path);
    snprintf(want, sizeof(want), "%s:1: ", path);
    expect_failure(args, want);
    snprintf(path, sizeof(path), "%s/absent.conf", fx.dir);
    expect_failure(args, "No such file or directory");
}

static void
test_check_config(void **state)
{
    char path[256], err[4096], cert[256], key[256];
    const char *check[] = {"-c", path, "--check-config", NULL};
    const char *flag_wins[] = {"-c", path, "-r", fx.root, "--check-config",
                               NULL};
    const char *bad_cert[] = {
        "-r", fx.root,     "--tls-listen", "127.0.0.1:0",    "--tls-cert",
        path, "--tls-key", path,           "--check-config", NULL};
    const char *good_tls[] = {"-r",          fx.root,      "--tls-listen",
                              "127.0.0.1:0", "--tls-cert", cert,
                              "--tls-key",   key,          "--check-config",
                              NULL};
    char text[512];

    (void)state;
    snprintf(text, sizeof(text),
             "# comment\n[store]\nroot = %s\n[server]\n"
             "listen = 127.0.0.1:0 [::1]:0\nworkers = 2\n[log]\n"
             "access_log = off\n",
             fx.root);
    write_conf("good.conf", text, path);
    assert_int_equal(run_symsrvd(check, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    /* A root the file gets wrong, fixed by the flag. */
    write_conf("wrongroot.conf", "[store]\nroot = /nonexistent\n", path);
    expect_failure(check, "store.root /nonexistent: No such file");
    assert_int_equal(run_symsrvd(flag_wins, err, sizeof(err)), 0);
    /* TLS material is loaded, not just named. */
    expect_failure(bad_cert, "tls_cert");
    snprintf(cert, sizeof(cert), "%s/server.pem", harness_tls_dir());
    snprintf(key, sizeof(key), "%s/server.key", harness_tls_dir());
    assert_int_equal(run_symsrvd(good_tls, err, sizeof(err)), 0);
    expect_failure((const char *const[]){"-r", "/", "--tls-listen",
                                         "127.0.0.1:0", "--check-config", NULL},
                   "needs tls_cert and tls_key");
}

/* The number after the last ':' of the line of text starting with prefix. */
static long
port_of(const char *text, const char *prefix)
{
    const char *line = strstr(text, prefix);

    assert_non_null(line);
    return strtol(line + strlen(prefix), NULL, 10);
}

static long
get_status(const char *url)
{
    CURL *c = curl_easy_init();
    long code = 0;

    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/* "localhost:0" and "*:0" are listeners on each of their addresses. */
static void
test_listen_forms(void **state)
{
    static const char *const extra[] = {"-l", "localhost:0", "-l", "*:0", NULL};
    char url[128], *addrs, *again;

    (void)state;
    daemon_start(&fx, extra);
    addrs = slurp(fx.addr_file, NULL);
    assert_non_null(addrs);
    /* 127.0.0.1:0 (the harness's), localhost's 127.0.0.1, 0.0.0.0, [::]
     * and the harness's HTTPS one. */
    assert_non_null(
        strstr(strstr(addrs, "http://127.0.0.1:") + 1, "http://127.0.0.1:"));
    snprintf(url, sizeof(url), "http://[::1]:%ld/pingme.txt",
             port_of(addrs, "http://[::]:"));
    assert_int_equal(get_status(url), 200);
    snprintf(url, sizeof(url), "http://127.0.0.1:%ld/pingme.txt",
             port_of(addrs, "http://0.0.0.0:"));
    assert_int_equal(get_status(url), 200);
    /* A reload resolves the names again and keeps every socket: the
     * kernel-chosen ports stay. */
    daemon_signal_and_wait(&fx, SIGHUP, "symsrvd: reloaded ");
    again = slurp(fx.addr_file, NULL);
    assert_non_null(again);
    assert_string_equal(again, addrs);
    free(again);
    free(addrs);
    assert_int_equal(daemon_stop(&fx), 0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_bad_root),
        cmocka_unit_test(test_cache_dir_overlapping_store),
        cmocka_unit_test(test_busy_port),
        cmocka_unit_test(test_bad_config_file),
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_listen_forms),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
