/*
 * SIGHUP reloads without refusing anyone: a renewed certificate and a
 * changed config take effect for new connections while clients loop
 * requests (none fails) and a download runs through the reload; a bad
 * config or certificate is refused and the running one serves on; listen
 * addresses that stay keep their sockets, added ones open, removed ones
 * close; settings that need a restart say so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define EXE "/app.exe/5F3E2A1B6000/app.exe"
#define BIG "/big.pdb/0123456789ABCDEF0123456789ABCDEF1/big.pdb"
#define BIG_SIZE (64LL * 1024 * 1024)

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

static void
write_text(const char *path, const char *text)
{
    char tmp[300];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, path), 0); /* the daemon sees all or none */
}

static void
config_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/symsrvd.conf", srv.dir);
}

static void
write_config(const char *text)
{
    char path[256];

    config_path(path, sizeof(path));
    write_text(path, text);
}

/*
 * A certificate for 127.0.0.1 from the test CA with the given serial and
 * a new key, written into srv.cert and srv.key (each replaced at once).
 */
static void
make_cert(unsigned serial)
{
    const char *ca = harness_tls_dir();
    char cmd[2048];

    snprintf(cmd, sizeof(cmd),
             "cd '%s' && openssl req -newkey rsa:2048 -nodes -subj "
             "/CN=127.0.0.1 -keyout new.key -out new.csr 2>/dev/null && "
             "printf 'subjectAltName=IP:127.0.0.1\\n' >new.cnf && "
             "openssl x509 -req -in new.csr -CA '%s/ca.pem' -CAkey "
             "'%s/ca.key' -set_serial %u -days 1 -extfile new.cnf -out "
             "new.pem 2>/dev/null && mv new.key '%s' && mv new.pem '%s'",
             srv.dir, ca, ca, serial, srv.key, srv.cert);
    assert_int_equal(system(cmd), 0);
}

/* The daemon with its own certificate and a config file (-c). */
static void
start(const char *config, bool config_listeners)
{
    char path[256];
    const char *extra[] = {"-c", path, NULL};

    fixture_make(&srv);
    snprintf(srv.cert, sizeof(srv.cert), "%s/cert.pem", srv.dir);
    snprintf(srv.key, sizeof(srv.key), "%s/cert.key", srv.dir);
    make_cert(0x1001);
    config_path(path, sizeof(path));
    write_config(config);
    srv.config_listeners = config_listeners;
    daemon_start(&srv, extra);
}

/* --- a client of its own (no cmocka asserts: it runs in a thread) --- */

static size_t
discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    *(curl_off_t *)arg += (curl_off_t)(size * nmemb);
    return size * nmemb;
}

/*
 * GET url on a new connection. Returns the status (0 on a transfer
 * error); *bytes gets the body size, serial (if not NULL, buf[64]) the
 * certificate's serial number as curl prints it.
 */
static long
fetch(const char *url, curl_off_t max_speed, curl_off_t *bytes, char *serial)
{
    CURL *c = curl_easy_init();
    char cainfo[512];
    long code = 0;
    curl_off_t n = 0;

    if (c == NULL)
        return 0;
    snprintf(cainfo, sizeof(cainfo), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &n);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (max_speed > 0)
        curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, max_speed);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (serial != NULL) {
        struct curl_certinfo *ci = NULL;

        serial[0] = '\0';
        curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci);
        for (int i = 0; ci != NULL && ci->num_of_certs > 0 && i < 1; i++)
            for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
                if (strncasecmp(s->data, "Serial Number:", 14) == 0)
                    snprintf(serial, 64, "%s", s->data + 14);
    }
    if (bytes != NULL)
        *bytes = n;
    curl_easy_cleanup(c);
    return code;
}

struct looper {
    char urls[2][96];
    atomic_bool stop;
    atomic_int ok, failed;
    char first_failure[128];
    pthread_t thread;
};

/* Fetches a small file on a new connection, HTTP and HTTPS in turn. */
static void *
loop_main(void *arg)
{
    struct looper *l = arg;

    for (int i = 0; !atomic_load(&l->stop); i++) {
        const char *url = l->urls[i % 2];
        long code = fetch(url, 0, NULL, NULL);

        if (code == 200) {
            atomic_fetch_add(&l->ok, 1);
        } else if (atomic_fetch_add(&l->failed, 1) == 0) {
            snprintf(l->first_failure, sizeof(l->first_failure),
                     "%s: status %ld", url, code);
        }
    }
    return NULL;
}

static void
looper_start(struct looper *l, const char *http_base, const char *https_base)
{
    snprintf(l->urls[0], sizeof(l->urls[0]), "%s%s", http_base, EXE);
    snprintf(l->urls[1], sizeof(l->urls[1]), "%s%s", https_base, EXE);
    atomic_init(&l->stop, false);
    atomic_init(&l->ok, 0);
    atomic_init(&l->failed, 0);
    assert_int_equal(pthread_create(&l->thread, NULL, loop_main, l), 0);
}

/* Lets it run until at least n more requests went well, then stops it. */
static void
looper_finish(struct looper *l, int n)
{
    int target = atomic_load(&l->ok) + n;
    long long until = now_ms() + 30000;

    while (atomic_load(&l->ok) < target && now_ms() < until &&
           atomic_load(&l->failed) == 0)
        sleep_ms(10);
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    if (atomic_load(&l->failed) != 0)
        fail_msg("%d of %d requests failed across the reload, first: %s",
                 atomic_load(&l->failed),
                 atomic_load(&l->failed) + atomic_load(&l->ok),
                 l->first_failure);
    assert_true(atomic_load(&l->ok) >= target);
}

struct download {
    char url[160];
    long code;
    curl_off_t bytes;
    pthread_t thread;
};

static void *
download_main(void *arg)
{
    struct download *d = arg;

    /* 16 MiB/s: about four seconds for 64 MiB, across the reload */
    d->code = fetch(d->url, 16 << 20, &d->bytes, NULL);
    return NULL;
}

static void
cache_control_is(const char *want)
{
    char value[256];
    struct resp r;

    assert_int_equal(http_request(&srv, "GET", EXE, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    assert_string_equal(resp_header(&r, "Cache-Control", value), want);
    resp_free(&r);
}

static void
serial_is(const char *want)
{
    char url[160], serial[64];

    snprintf(url, sizeof(url), "%s%s", srv.https_base, EXE);
    assert_int_equal(fetch(url, 0, NULL, serial), 200);
    assert_string_equal(serial, want);
}

/* --- the tests --- */

/*
 * The certificate is renewed and the config changed while a client loops
 * over both schemes and a download runs: no request fails, the download
 * completes whole, new connections get the new serial and settings.
 */
static void
test_reload_under_load(void **state)
{
    struct looper l;
    struct download dl = {0};

    (void)state;
    start("[http]\ncache_control = public, max-age=11\n", false);
    fixture_sparse(&srv, &BIG[1], BIG_SIZE);
    cache_control_is("public, max-age=11");
    serial_is("1001");
    snprintf(dl.url, sizeof(dl.url), "%s%s", srv.https_base, BIG);
    assert_int_equal(pthread_create(&dl.thread, NULL, download_main, &dl), 0);
    looper_start(&l, srv.http_base, srv.https_base);
    sleep_ms(300);
    make_cert(0x2002);
    write_config("[http]\ncache_control = public, max-age=22\n");
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    looper_finish(&l, 100);
    serial_is("2002");
    cache_control_is("public, max-age=22");
    pthread_join(dl.thread, NULL);
    assert_int_equal(dl.code, 200);
    assert_int_equal(dl.bytes, BIG_SIZE);
}

/*
 * A config that does not parse, then a certificate that does not load:
 * each reload is refused with a line naming the problem, and the running
 * settings and certificate serve on.
 */
static void
test_bad_reload_refused(void **state)
{
    char *err;

    (void)state;
    start("[http]\ncache_control = public, max-age=11\n", false);
    daemon_allow_stderr("symsrvd: reload refused, still serving the running "
                        "config: ");
    write_config("[http]\ncache_control = public, max-age=22\n"
                 "timeout = soon\n");
    daemon_signal_and_wait(&srv, SIGHUP, "reload refused");
    cache_control_is("public, max-age=11");
    serial_is("1001");

    write_config("[http]\ncache_control = public, max-age=33\n");
    write_text(srv.cert, "-----BEGIN CERTIFICATE-----\nnot one\n");
    daemon_signal_and_wait(&srv, SIGHUP, "tls_cert");
    cache_control_is("public, max-age=11");
    serial_is("1001");

    err = slurp(srv.stderr_log, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "timeout"));
    assert_non_null(strstr(err, "soon"));
    free(err);
}

/* "http://127.0.0.1:PORT" of the addr file's lines, in order. */
static int
read_bases(char bases[][64], int max)
{
    char *text = slurp(srv.addr_file, NULL), *line, *save = NULL;
    int n = 0;

    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line != NULL && n < max;
         line = strtok_r(NULL, "\n", &save))
        snprintf(bases[n++], 64, "%s", line);
    free(text);
    return n;
}

static long
get(const char *base)
{
    char url[160];

    snprintf(url, sizeof(url), "%s%s", base, EXE);
    return fetch(url, 0, NULL, NULL);
}

/*
 * Listen addresses change across two reloads: the address that stays
 * never refuses a connection (a client loops on it), an added one serves
 * after the reload, a removed one refuses connections.
 */
static void
test_listeners_change(void **state)
{
    char bases[4][64], kept[64], added[64];
    struct looper l;

    (void)state;
    start("[server]\nlisten = 127.0.0.1:0\n", true);
    assert_int_equal(read_bases(bases, 4), 1);
    snprintf(kept, sizeof(kept), "%s", bases[0]);
    looper_start(&l, kept, kept);
    sleep_ms(200);
    write_config("[server]\nlisten = 127.0.0.1:0 127.0.0.2:0\n");
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    looper_finish(&l, 50);
    assert_int_equal(read_bases(bases, 4), 2);
    assert_string_equal(bases[0], kept);
    assert_non_null(strstr(bases[1], "http://127.0.0.2:"));
    snprintf(added, sizeof(added), "%s", bases[1]);
    assert_int_equal(get(added), 200);

    looper_start(&l, added, added);
    write_config("[server]\nlisten = 127.0.0.2:0\n");
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    looper_finish(&l, 50);
    assert_int_equal(read_bases(bases, 4), 1);
    assert_string_equal(bases[0], added);
    assert_int_equal(get(kept), 0); /* refused */
    assert_int_equal(get(added), 200);
}

/* A setting a running daemon cannot change is named, the rest applies. */
static void
test_restart_only_named(void **state)
{
    char *err;

    (void)state;
    start("[http]\ncache_control = public, max-age=11\n", false);
    daemon_allow_stderr("symsrvd: reload: server.max_connections changed");
    write_config("[http]\ncache_control = public, max-age=22\n"
                 "[server]\nmax_connections = 7\n");
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    cache_control_is("public, max-age=22");
    err = slurp(srv.stderr_log, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "server.max_connections changed: it "
                                "takes effect on restart"));
    free(err);
}

/* The status of a GET of app.exe over HTTP with Basic credentials
 * user:pass ("" user: none). */
static long
status_as(const char *user, const char *pass)
{
    char url[160], userpwd[128];
    CURL *c = curl_easy_init();
    long code = 0;
    curl_off_t n = 0;

    assert_non_null(c);
    snprintf(url, sizeof(url), "%s%s", srv.http_base, EXE);
    snprintf(userpwd, sizeof(userpwd), "%s:%s", user, pass);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (*user != '\0')
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &n);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

/* Writes the htpasswd file path with one user, hashed by openssl passwd
 * -5 (SHA-256 crypt), replaced at once. */
static void
write_user(const char *path, const char *user, const char *pass)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "printf '%s:%%s\\n' \"$(openssl passwd -5 '%s')\" >'%s.tmp' && "
             "mv '%s.tmp' '%s'",
             user, pass, path, path, path);
    assert_int_equal(system(cmd), 0);
}

/*
 * Credentials come and go with reloads: a reload that adds [auth] makes
 * the store ask for them; the htpasswd file is read again by each reload
 * (a user removed is refused on the next request, one added let in); a
 * file with a broken line refuses the reload, and the running users still
 * work.
 */
static void
test_reload_rereads_users(void **state)
{
    char pw[256], conf[600], *err;

    (void)state;
    start("[http]\ncache_control = public, max-age=11\n", false);
    daemon_allow_stderr("symsrvd: reload refused, still serving the running "
                        "config: ");
    assert_int_equal(status_as("", ""), 200); /* no [auth] yet: open */
    snprintf(pw, sizeof(pw), "%s/htpasswd", srv.dir);
    write_user(pw, "alice", "alice-pw");
    snprintf(conf, sizeof(conf), "[auth]\nhtpasswd = %s\n", pw);
    write_config(conf);
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    assert_int_equal(status_as("", ""), 401);
    assert_int_equal(status_as("alice", "alice-pw"), 200);
    assert_int_equal(status_as("bob", "bob-pw"), 401);

    write_user(pw, "bob", "bob-pw");
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    assert_int_equal(status_as("alice", "alice-pw"), 401);
    assert_int_equal(status_as("bob", "bob-pw"), 200);

    write_text(pw, "bob\n");
    daemon_signal_and_wait(&srv, SIGHUP, "reload refused");
    assert_int_equal(status_as("bob", "bob-pw"), 200);
    err = slurp(srv.stderr_log, NULL);
    assert_non_null(err);
    assert_non_null(strstr(err, "htpasswd"));
    free(err);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reload_under_load, teardown),
        cmocka_unit_test_teardown(test_bad_reload_refused, teardown),
        cmocka_unit_test_teardown(test_listeners_change, teardown),
        cmocka_unit_test_teardown(test_restart_only_named, teardown),
        cmocka_unit_test_teardown(test_reload_rereads_users, teardown),
    };

    harness_init(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return harness_run(tests, NULL, NULL);
}
