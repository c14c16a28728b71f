/* Integration-test harness; see harness.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *bin_path;
static const char *allowed[16];
static size_t nallowed;
static const char *tls_dir;
static bool use_tls;
static unsigned daemon_failures; /* daemon checks that failed, anywhere */
static unsigned nskipped;
static char skip_reasons[1024];
static size_t skip_len;
static CMFixtureFunction group_teardown;
static bool group_teardown_done;

long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

void
buf_appendf(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (*n >= size)
        fail_msg("buf_appendf: offset %zu beyond a buffer of %zu", *n, size);
    va_start(ap, fmt);
    r = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= size - *n)
        fail_msg("buf_appendf: %d more bytes do not fit after %zu of %zu", r,
                 *n, size);
    *n += (size_t)r;
}

/* snprintf into buf[size] that fails the test instead of truncating. */
static void pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= size)
        fail_msg("path too long (%d bytes for %zu): %s...", r, size, buf);
}

void
harness_skip(const char *fmt, ...)
{
    char why[256];
    va_list ap;
    int r;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    print_message("skipped: %s\n", why);
    nskipped++;
    r = snprintf(skip_reasons + skip_len, sizeof(skip_reasons) - skip_len,
                 " [%s]", why);
    if (r > 0 && (size_t)r < sizeof(skip_reasons) - skip_len)
        skip_len += (size_t)r;
    skip();
}

/* The group teardown, run by cmocka: a failed assertion jumps out of it
 * before group_teardown_done is set. */
static int
wrapped_teardown(void **state)
{
    int rc = group_teardown(state);

    group_teardown_done = rc == 0;
    return rc;
}

int
harness_run_group(const char *name, const struct CMUnitTest *tests,
                  size_t count, CMFixtureFunction setup,
                  CMFixtureFunction teardown)
{
    int rc;
    bool bad = false;

    group_teardown = teardown;
    group_teardown_done = false;
    rc = _cmocka_run_group_tests(name, tests, count, setup,
                                 teardown != NULL ? wrapped_teardown : NULL);
    fflush(stdout);
    if (teardown != NULL && !group_teardown_done) {
        fprintf(stderr, "harness: the group teardown of %s failed\n", name);
        bad = true;
    }
    if (daemon_failures > 0) {
        fprintf(stderr, "harness: %u daemon check(s) failed\n",
                daemon_failures);
        bad = true;
    }
    if (rc != 0 || bad) {
        fprintf(stderr, "harness: %s FAILED\n", name);
        return rc != 0 ? rc : 1;
    }
    if (nskipped > 0)
        printf("harness: %u test(s) skipped:%s\n", nskipped, skip_reasons);
    return 0;
}

void
harness_init(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SYMSRVD http|https TLSDIR\n", argv[0]);
        exit(2);
    }
    bin_path = argv[1];
    use_tls = strcmp(argv[2], "https") == 0;
    tls_dir = argv[3];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
}

bool
harness_tls(void)
{
    return use_tls;
}

const char *
harness_tls_dir(void)
{
    return tls_dir;
}

const char *
harness_bin(void)
{
    return bin_path;
}

/* Deterministic bytes, so that a test can compare what it fetched. */
void
fixture_bytes(size_t size, unsigned seed, unsigned char *out)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (unsigned char)x;
    }
}

static void
write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd != -1);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void
mkdirs(const char *base, const char *rel)
{
    char path[512];

    pathf(path, sizeof(path), "%s/%s", base, rel);
    for (char *p = path + strlen(base) + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    mkdir(path, 0755);
}

static void
put(const char *root, const char *rel, const void *data, size_t len)
{
    char path[512];

    pathf(path, sizeof(path), "%s/%s", root, rel);
    write_file(path, data, len);
}

void
fixture_sparse(const struct daemon *d, const char *rel, long long size)
{
    char path[512];
    int fd;

    pathf(path, sizeof(path), "%s/%s", d->root, rel);
    *strrchr(path, '/') = '\0';
    mkdirs(d->root, path + strlen(d->root) + 1);
    pathf(path, sizeof(path), "%s/%s", d->root, rel);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd != -1);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

void
fixture_put(const struct daemon *d, const char *rel, const void *data,
            size_t len)
{
    char dir[512];
    const char *slash = strrchr(rel, '/');

    if (slash != NULL) {
        pathf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
        mkdirs(d->root, dir);
    }
    put(d->root, rel, data, len);
}

void
fixture_twin(const struct daemon *d, const char *rel, size_t size,
             unsigned seed)
{
    const char *slash = strrchr(rel, '/');
    const char *name = slash != NULL ? slash + 1 : rel;
    unsigned char *bytes = malloc(size > 0 ? size : 1);
    char cab[512], cmd[1400];

    assert_non_null(bytes);
    assert_true(*name != '\0');
    fixture_bytes(size, seed, bytes);
    put(d->dir, name, bytes, size);
    free(bytes);
    if (slash != NULL) {
        pathf(cab, sizeof(cab), "%.*s", (int)(slash - rel), rel);
        mkdirs(d->root, cab);
    }
    pathf(cab, sizeof(cab), "%s/%s", d->root, rel);
    cab[strlen(cab) - 1] = '_';
    pathf(cmd, sizeof(cmd), "cd '%s' && gcab -c -z -n '%s' '%s'", d->dir, cab,
          name);
    assert_int_equal(system(cmd), 0);
}

void
fixture_make(struct daemon *d)
{
    unsigned char pdb[4000], exe[70000];
    char path[512];

    memset(d, 0, sizeof(*d));
    nallowed = 0;
    d->tls = use_tls;
    snprintf(d->dir, sizeof(d->dir), "/tmp/symsrvd-test-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->root, sizeof(d->root), "%s/store", d->dir);
    snprintf(d->access_log, sizeof(d->access_log), "%s/access.log", d->dir);
    snprintf(d->stderr_log, sizeof(d->stderr_log), "%s/stderr.log", d->dir);
    snprintf(d->addr_file, sizeof(d->addr_file), "%s/addrs", d->dir);
    assert_int_equal(mkdir(d->root, 0755), 0);
    fixture_bytes(sizeof(pdb), 1, pdb);
    fixture_bytes(sizeof(exe), 2, exe);
    mkdirs(d->root, "app.pdb/0123456789ABCDEF0123456789ABCDEF1");
    mkdirs(d->root, "app.exe/5F3E2A1B6000");
    mkdirs(d->root, "empty.pdb/00000000000000000000000000000000");
    mkdirs(d->root, "fifo.pdb/KEY");
    mkdirs(d->root, "000Admin");
    mkdirs(d->root, "locked");
    mkdirs(d->dir, "outside");
    put(d->root, "app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb", pdb,
        sizeof(pdb));
    put(d->root, "app.pdb/0123456789ABCDEF0123456789ABCDEF1/refs.ptr",
        "0000000001,file\r\n", 17);
    put(d->root, "app.pdb/0123456789ABCDEF0123456789ABCDEF1/file.ptr",
        "PATH:C:\\build\\app.pdb", 21);
    put(d->root, "app.exe/5F3E2A1B6000/app.exe", exe, sizeof(exe));
    put(d->root, "empty.pdb/00000000000000000000000000000000/empty.pdb", "", 0);
    put(d->root, "000Admin/lastid.txt", "0000000001", 10);
    put(d->root, ".hidden", "hidden", 6);
    put(d->root, "pingme.txt", "", 0);
    put(d->root, "locked/x.pdb", "locked", 6);
    put(d->dir, "outside/secret.txt", "TOP-SECRET", 10);
    snprintf(path, sizeof(path), "%s/fifo.pdb/KEY/fifo.pdb", d->root);
    assert_int_equal(mkfifo(path, 0644), 0);
    snprintf(path, sizeof(path), "%s/leak", d->root);
    assert_int_equal(symlink("../outside/secret.txt", path), 0);
    snprintf(path, sizeof(path), "%s/abs", d->root);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    snprintf(path, sizeof(path), "%s/inside", d->root);
    assert_int_equal(symlink("app.exe/5F3E2A1B6000", path), 0);
    snprintf(path, sizeof(path), "%s/locked", d->root);
    chmod(path, 0);
}

int
harness_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int st;

    va_start(ap, fmt);
    if (vsnprintf(cmd, sizeof(cmd), fmt, ap) >= (int)sizeof(cmd))
        fail_msg("command too long");
    va_end(ap);
    st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (fp == NULL)
        return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap * 2 + 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
    } while (got > 0);
    fclose(fp);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

bool
daemon_read_addrs(struct daemon *d)
{
    char *text = slurp(d->addr_file, NULL);
    char *line, *save = NULL;

    if (text == NULL)
        return false;
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "https://", 8) == 0)
            snprintf(d->https_base, sizeof(d->https_base), "%s", line);
        else if (strncmp(line, "metrics://", 10) == 0)
            snprintf(d->metrics_base, sizeof(d->metrics_base), "http://%s",
                     line + 10);
        else if (strncmp(line, "http://", 7) == 0)
            snprintf(d->http_base, sizeof(d->http_base), "%s", line);
    }
    free(text);
    return true;
}

static void
exec_daemon(const struct daemon *d, const char *const *extra)
{
    const char *argv[96];
    char cert[256], key[256], uid[32], gid[32];
    int n = 0, fd;

    if (d->cert[0] != '\0') {
        snprintf(cert, sizeof(cert), "%s", d->cert);
        snprintf(key, sizeof(key), "%s", d->key);
    } else if (snprintf(cert, sizeof(cert), "%s/server.pem", tls_dir) >=
                   (int)sizeof(cert) ||
               snprintf(key, sizeof(key), "%s/server.key", tls_dir) >=
                   (int)sizeof(key)) {
        _exit(126);
    }
    if (d->unprivileged) {
        snprintf(uid, sizeof(uid), "--reuid=%u", d->uid);
        snprintf(gid, sizeof(gid), "--regid=%u", d->gid);
        argv[n++] = "setpriv";
        argv[n++] = uid;
        argv[n++] = gid;
        argv[n++] = "--clear-groups";
        /* changing the uid clears the parent-death signal: set it again */
        argv[n++] = "--pdeathsig";
        argv[n++] = "KILL";
        argv[n++] = "--";
    }
    for (int i = 0; d->wrapper != NULL && d->wrapper[i] != NULL && n < 20; i++)
        argv[n++] = d->wrapper[i];
    argv[n++] = bin_path;
    argv[n++] = "-r";
    argv[n++] = d->root;
    if (!d->config_listeners) {
        argv[n++] = "-l";
        argv[n++] = "127.0.0.1:0";
        argv[n++] = "--tls-listen";
        argv[n++] = "127.0.0.1:0";
    }
    argv[n++] = "--tls-cert";
    argv[n++] = cert;
    argv[n++] = "--tls-key";
    argv[n++] = key;
    argv[n++] = "-a";
    argv[n++] = d->access_log;
    argv[n++] = "--addr-file";
    argv[n++] = d->addr_file;
    argv[n++] = "-w";
    argv[n++] = "2";
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 94; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* A test that dies must not leave its daemon holding ctest's pipe. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (d->nofile > 0) { /* hard too: symsrvd raises soft to hard */
        struct rlimit rl = {d->nofile, d->nofile};

        if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
            _exit(126);
    }
    fd = open(d->stderr_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
        _exit(127);
    execvp(argv[0], (char *const *)(uintptr_t)argv);
    _exit(127);
}

void
daemon_spawn(struct daemon *d, const char *const *extra)
{
    unlink(d->addr_file);
    d->http_base[0] = d->https_base[0] = d->metrics_base[0] = '\0';
    d->pid = fork();
    assert_true(d->pid != -1);
    if (d->pid == 0)
        exec_daemon(d, extra);
}

void
daemon_start(struct daemon *d, const char *const *extra)
{
    int status;

    daemon_spawn(d, extra);
    for (int i = 0; i < 1000; i++) {
        if (daemon_read_addrs(d))
            return;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            char *err = slurp(d->stderr_log, NULL);

            fail_msg("symsrvd exited at start-up: %s", err ? err : "?");
        }
        sleep_ms(10);
    }
    fail_msg("symsrvd did not write %s within 10 s", d->addr_file);
}

/* Copies the file at from to to, mode 0600. */
static void
copy_file(const char *from, const char *to)
{
    size_t len;
    char *bytes = slurp(from, &len);
    int fd;

    if (bytes == NULL)
        fail_msg("%s: cannot read", from);
    fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd != -1);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
    free(bytes);
}

/* True when user uid:gid can execute path (every directory above it
 * searchable): asks test -x, run as that user. */
static bool
user_can_run(unsigned uid, unsigned gid, const char *path)
{
    char cmd[700];

    if (strchr(path, '\'') != NULL)
        return false;
    pathf(cmd, sizeof(cmd),
          "setpriv --reuid=%u --regid=%u --clear-groups -- test -x '%s'", uid,
          gid, path);
    return system(cmd) == 0;
}

bool
daemon_start_unprivileged(struct daemon *d, const char *const *extra)
{
    const char *real = getenv("SYMSRVD_STANDIN_REAL"); /* see standin.c */
    struct passwd *pw;
    char from[256], cmd[400];

    if (geteuid() != 0) {
        daemon_start(d, extra);
        return true;
    }
    if (system("command -v setpriv >/dev/null 2>&1") != 0) {
        print_message("no setpriv: cannot start symsrvd unprivileged\n");
        return false;
    }
    pw = getpwnam("nobody");
    if (pw == NULL || pw->pw_uid == 0) {
        print_message("no user nobody: cannot start symsrvd unprivileged\n");
        return false;
    }
    d->uid = (unsigned)pw->pw_uid;
    d->gid = (unsigned)pw->pw_gid;
    if (!user_can_run(d->uid, d->gid, bin_path) ||
        (real != NULL && !user_can_run(d->uid, d->gid, real))) {
        print_message("nobody cannot run %s (a directory above it is not "
                      "searchable)\n",
                      bin_path);
        return false;
    }
    d->unprivileged = true;
    pathf(from, sizeof(from), "%s/server.pem", tls_dir);
    pathf(d->cert, sizeof(d->cert), "%s/server.pem", d->dir);
    copy_file(from, d->cert);
    pathf(from, sizeof(from), "%s/server.key", tls_dir);
    pathf(d->key, sizeof(d->key), "%s/server.key", d->dir);
    copy_file(from, d->key);
    /* -h: a symlink itself, never what it points at (store/abs) */
    pathf(cmd, sizeof(cmd), "chown -R -h %u:%u '%s'", d->uid, d->gid, d->dir);
    assert_int_equal(system(cmd), 0);
    daemon_start(d, extra);
    return true;
}

int
daemon_stop(struct daemon *d)
{
    int status;

    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    /* shutdown_timeout is 30 s by default: a daemon still there after 60 s
     * hangs */
    status = daemon_wait(d, 60000);
    if (status == -1) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
        daemon_failures++;
        fail_msg("symsrvd did not exit within 60 s of SIGTERM: killed");
    }
    return status;
}

static void
remove_tree(const char *path)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'",
             path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
}

void
fixture_remove(struct daemon *d)
{
    if (d->pid > 0)
        daemon_stop(d);
    if (d->dir[0] != '\0')
        remove_tree(d->dir);
}

/* The lines symsrvd writes on its own: start-up, signals, stop. */
static bool
known_line(const char *line)
{
    static const char *const ok[] = {
        "symsrvd: serving ",
        "symsrvd: listening on ",
        "symsrvd: stopping on ",
        "symsrvd: stopped",
        "symsrvd: access log reopened",
        "symsrvd: reloaded ",
    };

    if (*line == '\0')
        return true;
    for (size_t i = 0; i < nallowed; i++)
        if (strncmp(line, allowed[i], strlen(allowed[i])) == 0)
            return true;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strncmp(line, ok[i], strlen(ok[i])) == 0)
            return true;
    return false;
}

/* True if the daemon's stderr holds only known lines; else the others go
 * to bad[badsz], one per line (as many as fit: a sanitizer report opens
 * with a rule of '=' before the line that names it). */
static bool
stderr_clean(const struct daemon *d, char *bad, size_t badsz)
{
    char *text = slurp(d->stderr_log, NULL);
    char *line, *save = NULL;
    size_t n = 0;
    bool clean = true;

    bad[0] = '\0';
    if (text == NULL) {
        snprintf(bad, badsz, "(%s cannot be read)", d->stderr_log);
        return false;
    }
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        int r;

        if (known_line(line))
            continue;
        clean = false;
        r = snprintf(bad + n, badsz - n, "\n    %s", line);
        if (r < 0 || (size_t)r >= badsz - n)
            break; /* bad holds what fitted */
        n += (size_t)r;
    }
    free(text);
    return clean;
}

void
daemon_finish(struct daemon *d)
{
    int status = daemon_stop(d);
    char bad[2048];
    bool clean = stderr_clean(d, bad, sizeof(bad));

    fixture_remove(d);
    if (status != 0) {
        daemon_failures++;
        fail_msg("symsrvd exited with status %d on SIGTERM", status);
    }
    if (!clean) {
        daemon_failures++;
        fail_msg("unexpected daemon stderr lines:%s", bad);
    }
}

void
daemon_allow_stderr(const char *prefix)
{
    assert_true(nallowed < sizeof(allowed) / sizeof(allowed[0]));
    allowed[nallowed++] = prefix;
}

void
daemon_check_stderr(const struct daemon *d)
{
    char bad[2048];

    if (!stderr_clean(d, bad, sizeof(bad))) {
        daemon_failures++;
        fail_msg("unexpected daemon stderr lines:%s", bad);
    }
}

void
daemon_signal_and_wait(struct daemon *d, int sig, const char *text)
{
    size_t before = 0, after;
    char *s = slurp(d->stderr_log, &before);

    free(s);
    kill(d->pid, sig);
    for (int i = 0; i < 500; i++) {
        s = slurp(d->stderr_log, &after);
        if (s != NULL && after > before && strstr(s + before, text) != NULL) {
            free(s);
            return;
        }
        free(s);
        sleep_ms(10);
    }
    fail_msg("daemon did not log '%s' after signal %d", text, sig);
}

const char *
url_for(const struct daemon *d, const char *path, char *buf)
{
    snprintf(buf, 512, "%s%s", d->tls ? d->https_base : d->http_base, path);
    return buf;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct resp *r = arg;
    size_t n = size * nmemb;

    r->body = realloc(r->body, r->len + n + 1);
    assert_non_null(r->body);
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Keeps the headers of the last answer only (after 1xx, redirects). */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct resp *r = arg;
    size_t n = size * nmemb;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        r->hlen = 0;
    if (r->hlen + n < sizeof(r->headers)) {
        memcpy(r->headers + r->hlen, data, n);
        r->hlen += n;
        r->headers[r->hlen] = '\0';
    }
    return n;
}

static void
set_method(CURL *c, const char *method)
{
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

int
http_request(const struct daemon *d, const char *method, const char *target,
             const char *const *hdrs, bool http10, struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *list = NULL;
    char url[512], ca[256];
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
    curl_easy_setopt(c, CURLOPT_URL, url_for(d, "/", url));
    curl_easy_setopt(c, CURLOPT_REQUEST_TARGET, target);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (http10)
        curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_0);
    set_method(c, method);
    for (int i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
        list = curl_slist_append(list, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return (int)rc;
}

double
metrics_sample(const struct daemon *d, const char *series)
{
    CURL *c = curl_easy_init();
    struct resp r;
    char url[300];
    size_t n = strlen(series);
    double v = -1;

    memset(&r, 0, sizeof(r));
    assert_non_null(c);
    assert_true(d->metrics_base[0] != '\0');
    snprintf(url, sizeof(url), "%s/metrics", d->metrics_base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    for (const char *p = r.body; p != NULL && *p != '\0';) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    resp_free(&r);
    if (v < 0)
        fail_msg("no sample %s in %s", series, url);
    return v;
}

const char *
resp_header(const struct resp *r, const char *name, char *buf)
{
    size_t n = strlen(name);
    const char *p = r->headers;

    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            size_t len;

            while (*v == ' ')
                v++;
            len = strcspn(v, "\r\n");
            if (len > 255)
                len = 255;
            memcpy(buf, v, len);
            buf[len] = '\0';
            return buf;
        }
    }
    return NULL;
}

void
resp_free(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* Waits until the connection of c is readable or writable, up to ms. */
static int
wait_socket(CURL *c, bool for_read, long ms)
{
    curl_socket_t fd;
    struct pollfd p;

    if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK)
        return -1;
    p.fd = fd;
    p.events = for_read ? POLLIN : POLLOUT;
    return poll(&p, 1, (int)ms) > 0 ? 0 : -1;
}

static CURL *
connect_only(const struct daemon *d)
{
    CURL *c = curl_easy_init();
    char url[512], ca[256];

    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
    curl_easy_setopt(c, CURLOPT_URL, url_for(d, "/", url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    return c;
}

/* Sends p[0..len); -1 on an error or when 10 s pass. */
static int
send_all(CURL *c, const char *p, size_t len)
{
    long long end = now_ms() + 10000;

    while (len > 0) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(c, p, len, &n);
        long long left = end - now_ms();

        if (rc == CURLE_AGAIN) {
            if (left <= 0 ||
                wait_socket(c, false, left < 2000 ? (long)left : 2000) == -1)
                return -1;
            continue;
        }
        if (rc != CURLE_OK)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

int
raw_exchange(const struct daemon *d, const char *req, char *out, size_t outsz)
{
    CURL *c = connect_only(d);
    size_t got = 0;
    long long end;

    /* A server may answer and close before a huge request is sent whole. */
    (void)send_all(c, req, strlen(req));
    /* silence for 2 s ends the answer; one that trickles on, 10 s */
    end = now_ms() + 10000;
    while (got + 1 < outsz) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c, out + got, outsz - 1 - got, &n);
        long long left = end - now_ms();

        if (rc == CURLE_AGAIN) {
            if (left <= 0 ||
                wait_socket(c, true, left < 2000 ? (long)left : 2000) == -1)
                break;
            continue;
        }
        if (rc != CURLE_OK || n == 0)
            break;
        got += n;
    }
    out[got] = '\0';
    curl_easy_cleanup(c);
    return got > 0 ? 0 : -1;
}

void *
raw_open(const struct daemon *d, const char *req)
{
    CURL *c = connect_only(d);

    assert_int_equal(send_all(c, req, strlen(req)), 0);
    return c;
}

long
raw_read(void *conn, char *buf, size_t len, long ms)
{
    CURL *c = conn;
    long long end = now_ms() + ms;

    for (;;) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c, buf, len, &n);
        long long left = end - now_ms();

        if (rc == CURLE_OK)
            return (long)n;
        if (rc != CURLE_AGAIN)
            return -1;
        /* readable but no whole TLS record yet counts against ms too */
        if (left <= 0 || wait_socket(c, true, (long)left) == -1)
            return -2;
    }
}

void
raw_close(void *conn)
{
    curl_easy_cleanup(conn);
}

int
daemon_wait(struct daemon *d, long ms)
{
    int status;
    long long end = now_ms() + ms;

    for (;;) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + WTERMSIG(status);
        }
        if (now_ms() > end)
            return -1;
        sleep_ms(10);
    }
}

long
daemon_peak_rss_kib(const struct daemon *d)
{
    char path[64], *text, *p;
    long kib = -1;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
    text = slurp(path, NULL);
    assert_non_null(text);
    p = strstr(text, "VmHWM:");
    if (p != NULL)
        kib = strtol(p + 6, NULL, 10);
    free(text);
    return kib;
}

static int
count_lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

char *
access_log_lines(const char *path, int n)
{
    for (int i = 0; i < 500; i++) {
        char *text = slurp(path, NULL);

        if (text != NULL && count_lines(text) >= n)
            return text;
        free(text);
        sleep_ms(10);
    }
    fail_msg("%s: fewer than %d lines after 5 s", path, n);
    return NULL;
}

int
run_symsrvd(const char *const *args, char *err, size_t errlen)
{
    const char *argv[32];
    int pipefd[2], status, n = 0;
    size_t got = 0;
    ssize_t r;
    pid_t pid;
    long long end = now_ms() + 10000;

    argv[n++] = bin_path;
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid != -1);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        execv(bin_path, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(pipefd[1]);
    /* Until EOF, or 10 s: a symsrvd that started serving never closes. */
    for (;;) {
        struct pollfd p = {pipefd[0], POLLIN, 0};
        long long left = end - now_ms();
        char sink[512];

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        if (got + 1 < errlen)
            r = read(pipefd[0], err + got, errlen - 1 - got);
        else
            r = read(pipefd[0], sink, sizeof(sink));
        if (r <= 0)
            break;
        if (got + 1 < errlen)
            got += (size_t)r;
    }
    err[got] = '\0';
    close(pipefd[0]);
    for (;;) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (now_ms() > end)
            break;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}
