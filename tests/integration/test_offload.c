/*
 * CAB expansions off the worker's event loop, and the cache bound, on the
 * real daemon with one worker (--workers 1): a plain file is answered
 * while a large twin expands; concurrent requests for one twin share one
 * job (one expansion, and one slot of a pool of one thread and a queue of
 * one); the least recently used expansion is evicted when the cache bound
 * is passed, and expanded again when asked for.
 *
 * Order is checked through events, not clocks: the daemon's -v lines
 * "expand <twin>: start" and ": end after N ms" say when an expansion
 * runs.
 */
#include "harness.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY "0123456789ABCDEF0123456789ABCDEF1"
/* The large twin: compressible, so the CAB is small and quick to make,
 * and the expansion writes this many bytes (seconds, not milliseconds). */
#define BIG_SIZE "300000000"

static struct daemon srv;
/* -c FILE for the daemon when not empty (test_reload_during_expansion). */
static char conf_path[300];

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/* Starts the daemon (-v: the expansion lines) with one worker, one job
 * thread and a queue of one, bounded to cache_mib. */
static void
start_with(const char *cache_mib, const char *job_timeout)
{
    static char cache_flag[300];
    const char *flags[] = {"-v",        "--workers",
                           "1",         "--job-threads",
                           "1",         "--job-queue",
                           "1",         "--expand-compressed",
                           "on",        "--cache-dir",
                           cache_flag,  "--cache-max-mib",
                           cache_mib,   "--job-timeout",
                           job_timeout, "-c",
                           conf_path,   NULL};

    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    if (conf_path[0] == '\0')
        flags[sizeof(flags) / sizeof(flags[0]) - 3] = NULL; /* no -c */
    daemon_start(&srv, flags);
    /* -v: the settings at start-up, and the expansions. */
    static const char *const lines[] = {
        "symsrvd: settings: ", "symsrvd: store.", "symsrvd: server.",
        "symsrvd: log.",       "symsrvd: http.",  "symsrvd: auth.",
        "symsrvd: access.",    "symsrvd: path ",  "symsrvd: expand "};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        daemon_allow_stderr(lines[i]);
}

static void
start(const char *cache_mib)
{
    start_with(cache_mib, "300");
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

/* Waits (up to 120 s: ASan is slow) until count_lines(text) >= n. */
static void
wait_lines(const char *text, int n)
{
    long long until = now_ms() + 120000;

    while (count_lines(text) < n) {
        if (now_ms() > until)
            fail_msg("no '%s' line in the daemon's stderr", text);
        sleep_ms(10);
    }
}

/* A twin of name holding BIG_SIZE bytes of 'a', made with gcab. */
static void
make_big_twin(const char *name)
{
    char cmd[1200];

    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p 'store/%s/" KEY "' && "
             "head -c " BIG_SIZE " /dev/zero | tr '\\0' a > '%s' && "
             "gcab -c -z -n 'store/%s/" KEY "/%.*s_' '%s' && rm '%s'",
             srv.dir, name, name, name, (int)strlen(name) - 1, name, name,
             name);
    if (system("command -v gcab >/dev/null 2>&1") != 0) {
        fixture_remove(&srv);
        memset(&srv, 0, sizeof(srv));
        harness_skip("gcab is not installed (scripts/deps.sh test)");
    }
    assert_int_equal(system(cmd), 0);
}

/* One GET in a thread, the body counted and dropped. */
struct fetch {
    const char *target;
    long code;
    curl_off_t bytes;
    atomic_bool done;
};

static size_t
drop(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

static void *
fetch_main(void *arg)
{
    struct fetch *f = arg;
    CURL *c = curl_easy_init();
    char url[512], ca[300];

    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, f->target, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 280L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->code);
        curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &f->bytes);
    }
    curl_easy_cleanup(c);
    atomic_store(&f->done, true);
    return NULL;
}

/*
 * While the only worker's client waits for a 300 MB expansion, another
 * client of the same worker gets a plain file: its answer comes after
 * the expansion started and before it ended (one worker: a synchronous
 * expansion would hold the loop until the end line).
 */
static void
test_plain_file_during_expansion(void **state)
{
    struct fetch big = {"/big.pdb/" KEY "/big.pdb", 0, 0, false};
    pthread_t t;
    struct resp r;

    (void)state;
    fixture_make(&srv);
    make_big_twin("big.pdb");
    start("10240");
    assert_int_equal(pthread_create(&t, NULL, fetch_main, &big), 0);
    wait_lines("expand big.pdb/" KEY "/big.pd_: start", 1);
    assert_int_equal(http_request(&srv, "GET", "/app.exe/5F3E2A1B6000/app.exe",
                                  NULL, false, &r),
                     0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 70000);
    resp_free(&r);
    assert_int_equal(count_lines("big.pd_: end after"), 0);
    assert_false(atomic_load(&big.done));
    pthread_join(t, NULL);
    assert_int_equal(big.code, 200);
    assert_int_equal(big.bytes, 300000000);
}

/*
 * Four clients at once ask for one twin: one expansion (one start line),
 * and all four answered 200 although the pool has one thread and a queue
 * of one (a job per request would leave two of them a 503).
 */
static void
test_one_job_for_one_twin(void **state)
{
    struct fetch f[4];
    pthread_t t[4];

    (void)state;
    fixture_make(&srv);
    make_big_twin("big.pdb");
    start("10240");
    for (int i = 0; i < 4; i++) {
        f[i] = (struct fetch){"/big.pdb/" KEY "/big.pdb", 0, 0, false};
        assert_int_equal(pthread_create(&t[i], NULL, fetch_main, &f[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f[i].code, 200);
        assert_int_equal(f[i].bytes, 300000000);
    }
    assert_int_equal(count_lines("expand big.pdb/" KEY "/big.pd_: start"), 1);
}

static bool
cached(const char *name)
{
    char path[600];
    struct stat st;

    snprintf(path, sizeof(path), "%s/cache/%s/" KEY "/%.*s_", srv.dir, name,
             (int)strlen(name) - 1, name);
    return stat(path, &st) == 0;
}

/* GET /<name>/KEY/<name>: 200 with the bytes the twin holds. */
static void
expect_twin(const char *name, size_t size, unsigned seed)
{
    char target[300];
    unsigned char *want = malloc(size);
    struct resp r;

    assert_non_null(want);
    fixture_bytes(size, seed, want);
    snprintf(target, sizeof(target), "/%s/" KEY "/%s", name, name);
    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, size);
    assert_memory_equal(r.body, want, size);
    resp_free(&r);
    free(want);
}

static void
twin(const char *name, size_t size, unsigned seed)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "%s/" KEY "/%s", name, name);
    fixture_twin(&srv, rel, size, seed);
}

/*
 * A 1 MiB bound and three 400 KB expansions: a, b, then a hit on a, then
 * c: b is the least recently used and is evicted (a and c stay); asked
 * for again, b is expanded again (a second start line) and served.
 */
static void
test_bound_evicts_least_recent(void **state)
{
    (void)state;
    fixture_make(&srv);
    twin("a.pdb", 400000, 1);
    twin("b.pdb", 400000, 2);
    twin("c.pdb", 400000, 3);
    start("1");
    expect_twin("a.pdb", 400000, 1);
    expect_twin("b.pdb", 400000, 2);
    expect_twin("a.pdb", 400000, 1); /* a hit: a is now the newest */
    expect_twin("c.pdb", 400000, 3);
    assert_true(cached("a.pdb"));
    assert_false(cached("b.pdb"));
    assert_true(cached("c.pdb"));
    assert_int_equal(count_lines("expand b.pdb/" KEY "/b.pd_: start"), 1);
    expect_twin("b.pdb", 400000, 2);
    assert_int_equal(count_lines("expand b.pdb/" KEY "/b.pd_: start"), 2);
    assert_int_equal(count_lines("expand a.pdb/" KEY "/a.pd_: start"), 1);
    assert_true(cached("b.pdb"));
    assert_false(cached("a.pdb")); /* now the least recent */
}

/*
 * One job thread, a queue of one: while a large twin expands and a second
 * twin's job waits, a third twin's request is answered 503 with
 * Retry-After at once; the waiting one is answered after.
 */
static void
test_full_queue_503(void **state)
{
    struct fetch big = {"/big.pdb/" KEY "/big.pdb", 0, 0, false};
    struct fetch queued = {"/a.pdb/" KEY "/a.pdb", 0, 0, false};
    pthread_t t[2];
    struct resp r;
    char v[256];

    (void)state;
    fixture_make(&srv);
    make_big_twin("big.pdb");
    twin("a.pdb", 400000, 1);
    twin("b.pdb", 400000, 2);
    start("10240");
    assert_int_equal(pthread_create(&t[0], NULL, fetch_main, &big), 0);
    wait_lines("expand big.pdb/" KEY "/big.pd_: start", 1);
    assert_int_equal(pthread_create(&t[1], NULL, fetch_main, &queued), 0);
    wait_lines("expand a.pdb/" KEY "/a.pd_: queued", 1);
    assert_int_equal(
        http_request(&srv, "GET", "/b.pdb/" KEY "/b.pdb", NULL, false, &r), 0);
    assert_int_equal(r.code, 503);
    assert_non_null(resp_header(&r, "Retry-After", v));
    assert_string_equal(v, "1");
    resp_free(&r);
    assert_int_equal(count_lines("big.pd_: end after"), 0);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    assert_int_equal(big.code, 200);
    assert_int_equal(queued.code, 200);
    assert_int_equal(queued.bytes, 400000);
}

/* Takes the cache's lock file of name's expansion, as another process
 * expanding it would: a job for it waits in flock() until close(). */
static int
hold_cache_lock(const char *name)
{
    char path[600];
    int fd;

    snprintf(path, sizeof(path), "mkdir -p '%s/cache/%s/" KEY "'", srv.dir,
             name);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof(path), "%s/cache/%s/" KEY "/%.*s_.lock", srv.dir,
             name, (int)strlen(name) - 1, name);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd != -1);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    return fd;
}

/*
 * A job past server.job_timeout: the test holds the cache's lock file of
 * a.pdb's expansion (as another process expanding it would), so the job
 * waits in flock(); the request gets 503 with Retry-After after the 1 s
 * deadline, not a hang. Once the lock is released the job ends and the
 * next request is served.
 */
static void
test_job_deadline_503(void **state)
{
    char v[256];
    struct resp r;
    int fd;

    (void)state;
    fixture_make(&srv);
    twin("a.pdb", 400000, 1);
    fd = hold_cache_lock("a.pdb");
    start_with("10240", "1");
    assert_int_equal(
        http_request(&srv, "GET", "/a.pdb/" KEY "/a.pdb", NULL, false, &r), 0);
    assert_int_equal(r.code, 503);
    assert_non_null(resp_header(&r, "Retry-After", v));
    resp_free(&r);
    assert_int_equal(count_lines("expand a.pdb/" KEY "/a.pd_: start"), 0);
    close(fd); /* the lock goes: the job expands */
    wait_lines("expand a.pdb/" KEY "/a.pd_: end after", 1);
    expect_twin("a.pdb", 400000, 1);
}

static void
write_conf(const char *text)
{
    char tmp[320];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.tmp", conf_path);
    fp = fopen(tmp, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, conf_path), 0);
}

/*
 * A reload that opens the store anew (max_expanded_mib changed) while a
 * request waits for its expansion, held in the cache's lock by the test
 * so that the reload surely comes first: the site lets the old store go,
 * but the job holds it until it ends (else ASan reports a use after
 * free); the request is answered whole, with the new site.
 */
static void
test_reload_during_expansion(void **state)
{
    struct fetch f = {"/a.pdb/" KEY "/a.pdb", 0, 0, false};
    pthread_t t;
    int lock;

    (void)state;
    fixture_make(&srv);
    twin("a.pdb", 400000, 1);
    snprintf(conf_path, sizeof(conf_path), "%s/symsrvd.conf", srv.dir);
    write_conf("[store]\nmax_expanded_mib = 4096\n");
    lock = hold_cache_lock("a.pdb");
    start("10240");
    daemon_allow_stderr("symsrvd: reload");
    assert_int_equal(pthread_create(&t, NULL, fetch_main, &f), 0);
    wait_lines("expand a.pdb/" KEY "/a.pd_: queued", 1);
    write_conf("[store]\nmax_expanded_mib = 4000\n");
    conf_path[0] = '\0'; /* the other tests run without -c */
    daemon_signal_and_wait(&srv, SIGHUP, "symsrvd: reloaded ");
    assert_int_equal(count_lines("expand a.pdb/" KEY "/a.pd_: start"), 0);
    close(lock); /* the job goes on, in the old store */
    pthread_join(t, NULL);
    assert_int_equal(f.code, 200);
    assert_int_equal(f.bytes, 400000);
    expect_twin("a.pdb", 400000, 1);
}

/* The daemon was stopped by the test itself. */
static int
teardown_stopped(void **state)
{
    (void)state;
    daemon_check_stderr(&srv);
    fixture_remove(&srv);
    return 0;
}

/*
 * SIGTERM while a request waits for its expansion: the request is still
 * answered whole (an answer in progress, within shutdown_timeout), and
 * the daemon then exits 0.
 */
static void
test_stop_answers_parked(void **state)
{
    struct fetch big = {"/big.pdb/" KEY "/big.pdb", 0, 0, false};
    pthread_t t;

    (void)state;
    fixture_make(&srv);
    make_big_twin("big.pdb");
    start("10240");
    assert_int_equal(pthread_create(&t, NULL, fetch_main, &big), 0);
    wait_lines("expand big.pdb/" KEY "/big.pd_: start", 1);
    assert_int_equal(daemon_stop(&srv), 0);
    pthread_join(t, NULL);
    assert_int_equal(big.code, 200);
    assert_int_equal(big.bytes, 300000000);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_plain_file_during_expansion, teardown),
        cmocka_unit_test_teardown(test_one_job_for_one_twin, teardown),
        cmocka_unit_test_teardown(test_bound_evicts_least_recent, teardown),
        cmocka_unit_test_teardown(test_full_queue_503, teardown),
        cmocka_unit_test_teardown(test_job_deadline_503, teardown),
        cmocka_unit_test_teardown(test_reload_during_expansion, teardown),
        cmocka_unit_test_teardown(test_stop_answers_parked, teardown_stopped),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
