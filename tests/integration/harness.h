/*
 * Integration-test harness: builds a fixture store in a temporary
 * directory, starts the real symsrvd on 127.0.0.1 (kernel-chosen ports,
 * read back from --addr-file), and talks to it with libcurl over HTTP or
 * HTTPS (test CA made by make-certs.sh at test time).
 *
 * Every test program takes: <path to symsrvd> <http|https> <tls dir>.
 * Anything the daemon writes to stderr beyond its documented start-up and
 * stop lines fails the run.
 */
#ifndef SYMSRVD_TEST_HARNESS_H
#define SYMSRVD_TEST_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/types.h>

struct daemon {
    pid_t pid;
    char dir[128];  /* scratch: store/, outside/, logs */
    char root[192]; /* dir/store */
    char access_log[192];
    char stderr_log[192];
    char addr_file[192];
    char http_base[64]; /* "http://127.0.0.1:PORT" */
    char https_base[64];
    char metrics_base[64]; /* "http://127.0.0.1:PORT" with --metrics-listen */
    bool tls;              /* the scheme under test */
    /* Set by daemon_start_unprivileged(): the user the daemon runs as and
     * its own copies of the TLS certificate and key. */
    bool unprivileged;
    unsigned uid, gid;
    unsigned nofile; /* > 0: the daemon's descriptor limit, soft and hard */
    char cert[192], key[192];
    /* The listen addresses come from the test's config file (-c), not
     * from the harness's -l and --tls-listen flags. */
    bool config_listeners;
    /* Run before symsrvd, as its argv prefix (NULL-terminated): e.g.
     * systemd-socket-activate and its flags. */
    const char *const *wrapper;
};

struct resp {
    long code;
    char *body; /* NUL-terminated copy, malloc'd */
    size_t len;
    char headers[16384];
    size_t hlen;
};

/* From argv: the binary, the scheme, the TLS directory. */
void harness_init(int argc, char **argv);

/*
 * What every test program's main returns instead of
 * cmocka_run_group_tests(). cmocka 1.1.5 prints "FAILED GROUP TEARDOWN"
 * and still returns 0, so a daemon that exits non-zero or writes a
 * sanitizer report, caught by daemon_finish() in a group teardown, would
 * fail nobody. This runs the group with its teardown wrapped and returns
 * non-zero when cmocka counted a failure, when the group teardown did not
 * complete or returned non-zero, or when any daemon check failed
 * (daemon_finish(), daemon_check_stderr(), daemon_stop()) anywhere.
 * When the run passed but tests were skipped (harness_skip()), it prints
 * one line "harness: N test(s) skipped: ..." for ctest's
 * SKIP_REGULAR_EXPRESSION; a failed run never prints it, so a skip cannot
 * hide a failure (ctest reports a match as Skipped whatever the status).
 */
#define harness_run(tests, setup, teardown)                                    \
    harness_run_group(#tests, (tests), sizeof(tests) / sizeof((tests)[0]),     \
                      (setup), (teardown))
int harness_run_group(const char *name, const struct CMUnitTest *tests,
                      size_t count, CMFixtureFunction setup,
                      CMFixtureFunction teardown);

/*
 * Skips the running test: prints why, counts it for harness_run(), and
 * calls cmocka's skip() (does not return).
 */
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Appends printf-style text at buf + *n (buf holds size bytes) and moves
 * *n past it. Fails the test, instead of writing past the end or letting
 * *n run beyond size, when the text does not fit.
 */
void buf_appendf(char *buf, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The CLOCK_MONOTONIC time in ms: for the deadlines of waiting loops. */
long long now_ms(void);

/* Sleeps ms milliseconds. */
void sleep_ms(long ms);
bool harness_tls(void);
const char *harness_tls_dir(void);
const char *harness_bin(void);

/*
 * Makes the scratch directory and the fixture store in it:
 *   store/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb  (4000 bytes)
 *   store/app.pdb/0123456789ABCDEF0123456789ABCDEF1/refs.ptr
 *   store/app.pdb/0123456789ABCDEF0123456789ABCDEF1/file.ptr
 *   store/app.exe/5F3E2A1B6000/app.exe                      (70000 bytes)
 *   store/empty.pdb/00000000000000000000000000000000/empty.pdb  (0 bytes)
 *   store/000Admin/lastid.txt, store/.hidden, store/pingme.txt
 *   store/fifo.pdb/KEY/fifo.pdb (a FIFO), store/locked/ (mode 000)
 *   store/leak (symlink to ../outside/secret.txt), store/abs (symlink
 *   to /etc/passwd), store/inside (symlink to app.exe/5F3E2A1B6000)
 *   outside/secret.txt
 */
void fixture_make(struct daemon *d);

/* Adds a sparse file of size bytes (zeros) at rel under the store. */
void fixture_sparse(const struct daemon *d, const char *rel, long long size);

/* Writes data[0..len) to rel under the store, making its directories. */
void fixture_put(const struct daemon *d, const char *rel, const void *data,
                 size_t len);

/*
 * Stores rel only in compressed form: a CAB (gcab, MSZIP) named rel with
 * its last character replaced by '_', holding one member named like rel's
 * last segment: size bytes of fixture_bytes(seed). The original stays in
 * the scratch directory as dir/<last segment of rel>.
 */
void fixture_twin(const struct daemon *d, const char *rel, size_t size,
                  unsigned seed);

/* Starts symsrvd on the fixture with the extra flags (NULL-terminated). */
void daemon_start(struct daemon *d, const char *const *extra);

/*
 * Starts symsrvd like daemon_start() but returns at once, without waiting
 * for its addresses (a wrapper that execs it only on the first
 * connection). daemon_read_addrs() reads them later.
 */
void daemon_spawn(struct daemon *d, const char *const *extra);

/* Reads the addresses the daemon wrote to its addr file; false until it
 * has written them. */
bool daemon_read_addrs(struct daemon *d);

/*
 * Starts symsrvd as an unprivileged user, for tests of what root could
 * read anyway (mode 000 files). As root: the scratch directory is handed
 * to nobody (with its own copy of the TLS certificate and key) and the
 * daemon runs under setpriv --reuid/--regid of nobody, --clear-groups. As
 * anyone else: daemon_start(). Returns false, after printing why, when
 * that cannot be done (no setpriv, no user nobody, the binary not
 * reachable for it): the caller must then skip, never pass.
 */
bool daemon_start_unprivileged(struct daemon *d, const char *const *extra);

/* SIGTERM, wait (up to 60 s, then SIGKILL and a failure); returns the
 * exit status (or 128+signal). */
int daemon_stop(struct daemon *d);

/*
 * The end of a test: the daemon must stop on SIGTERM with status 0 and
 * have written nothing unexpected to stderr; then the scratch directory
 * goes.
 */
void daemon_finish(struct daemon *d);

/* Removes the scratch directory. */
void fixture_remove(struct daemon *d);

/*
 * Lets daemon_check_stderr() accept lines that start with prefix (a test
 * that provokes a warning on purpose). Cleared by fixture_make().
 */
void daemon_allow_stderr(const char *prefix);

/* Fails the test if the daemon wrote anything but its known lines. */
void daemon_check_stderr(const struct daemon *d);

/* Sends a signal and waits until the daemon has logged the given text. */
void daemon_signal_and_wait(struct daemon *d, int sig, const char *text);

/* Base URL of the scheme under test, then path appended, in buf[512]. */
const char *url_for(const struct daemon *d, const char *path, char *buf);

/*
 * One request. method: "GET", "HEAD", anything else as a custom method.
 * target: sent as the request-target verbatim. hdrs: NULL-terminated list
 * of extra header lines ("Name: value"; "Host:" removes Host).
 * Returns the curl code; fills r (free with resp_free).
 */
int http_request(const struct daemon *d, const char *method, const char *target,
                 const char *const *hdrs, bool http10, struct resp *r);

/*
 * Sends req (a NUL-terminated raw request) on a new connection of the
 * scheme under test and reads the answer until the server closes or 2 s
 * pass; the answer, NUL-terminated, goes to out[outsz]. Returns 0 or -1.
 */
int raw_exchange(const struct daemon *d, const char *req, char *out,
                 size_t outsz);

/*
 * Opens a connection of the scheme under test and sends req on it; the
 * caller reads with raw_read() and closes with raw_close().
 */
void *raw_open(const struct daemon *d, const char *req);

/*
 * Reads up to len bytes, waiting up to ms; returns the count, 0 on EOF,
 * -1 on a connection error, -2 when nothing came within ms.
 */
long raw_read(void *conn, char *buf, size_t len, long ms);

void raw_close(void *conn);

/* Waits up to ms for the daemon to exit; returns its status or -1. */
int daemon_wait(struct daemon *d, long ms);

/* The daemon's peak resident set (VmHWM), in KiB. */
long daemon_peak_rss_kib(const struct daemon *d);

/*
 * Waits until the access log holds at least n lines (up to 5 s), returns
 * them as one malloc'd string.
 */
char *access_log_lines(const char *path, int n);

/* Runs symsrvd with argv (NULL-terminated, argv[0] excluded), captures
 * stderr into err[errlen]; returns the exit status (-1 if it ran > 10 s). */
int run_symsrvd(const char *const *args, char *err, size_t errlen);

/* The value of the first header named name, copied into buf[256]. */
const char *resp_header(const struct resp *r, const char *name, char *buf);

/* The value of series (name and labels, as written) in a scrape of d's
 * metrics listener (--metrics-listen); fails the test when absent. */
double metrics_sample(const struct daemon *d, const char *series);

void resp_free(struct resp *r);

/* Reads a whole file into a malloc'd buffer (NUL-terminated). */
char *slurp(const char *path, size_t *len);

/* Runs a shell command (fmt, printf-style, at most 8 KiB); its exit status,
 * or -1. */
int harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The bytes the fixture store holds for app.pdb and app.exe. */
void fixture_bytes(size_t size, unsigned seed, unsigned char *out);

#endif
