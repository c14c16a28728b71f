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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
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

    snprintf(path, sizeof(path), "%s/%s", base, rel);
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

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    write_file(path, data, len);
}

void
fixture_sparse(const struct daemon *d, const char *rel, long long size)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", d->root, rel);
    *strrchr(path, '/') = '\0';
    mkdirs(d->root, path + strlen(d->root) + 1);
    snprintf(path, sizeof(path), "%s/%s", d->root, rel);
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
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
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
        snprintf(cab, sizeof(cab), "%.*s", (int)(slash - rel), rel);
        mkdirs(d->root, cab);
    }
    snprintf(cab, sizeof(cab), "%s/%s", d->root, rel);
    cab[strlen(cab) - 1] = '_';
    snprintf(cmd, sizeof(cmd), "cd '%s' && gcab -c -z -n '%s' '%s'", d->dir,
             cab, name);
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

/* Reads the bound addresses the daemon wrote; false until it has. */
static bool
read_addrs(struct daemon *d)
{
    char *text = slurp(d->addr_file, NULL);
    char *line, *save = NULL;

    if (text == NULL)
        return false;
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "https://", 8) == 0)
            snprintf(d->https_base, sizeof(d->https_base), "%s", line);
        else if (strncmp(line, "http://", 7) == 0)
            snprintf(d->http_base, sizeof(d->http_base), "%s", line);
    }
    free(text);
    return true;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void
exec_daemon(const struct daemon *d, const char *const *extra)
{
    const char *argv[64];
    char cert[256], key[256];
    int n = 0, fd;

    snprintf(cert, sizeof(cert), "%s/server.pem", tls_dir);
    snprintf(key, sizeof(key), "%s/server.key", tls_dir);
    argv[n++] = bin_path;
    argv[n++] = "-r";
    argv[n++] = d->root;
    argv[n++] = "-l";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--tls-listen";
    argv[n++] = "127.0.0.1:0";
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
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    /* A test that dies must not leave its daemon holding ctest's pipe. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    fd = open(d->stderr_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
        _exit(127);
    execv(bin_path, (char *const *)(uintptr_t)argv);
    _exit(127);
}

void
daemon_start(struct daemon *d, const char *const *extra)
{
    int status;

    unlink(d->addr_file);
    d->http_base[0] = d->https_base[0] = '\0';
    d->pid = fork();
    assert_true(d->pid != -1);
    if (d->pid == 0)
        exec_daemon(d, extra);
    for (int i = 0; i < 1000; i++) {
        if (read_addrs(d))
            return;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            char *err = slurp(d->stderr_log, NULL);

            fail_msg("symsrvd exited at start-up: %s", err ? err : "?");
        }
        sleep_ms(10);
    }
    fail_msg("symsrvd did not write %s within 10 s", d->addr_file);
}

int
daemon_stop(struct daemon *d)
{
    int status = 0;

    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
    d->pid = 0;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
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

void
daemon_finish(struct daemon *d)
{
    assert_int_equal(daemon_stop(d), 0);
    daemon_check_stderr(d);
    fixture_remove(d);
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
    char *text = slurp(d->stderr_log, NULL);
    char *line, *save = NULL;

    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        if (!known_line(line))
            fail_msg("unexpected daemon stderr line: %s", line);
    free(text);
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

static int
send_all(CURL *c, const char *p, size_t len)
{
    while (len > 0) {
        size_t n = 0;
        CURLcode rc = curl_easy_send(c, p, len, &n);

        if (rc == CURLE_AGAIN) {
            if (wait_socket(c, false, 2000) == -1)
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

    /* A server may answer and close before a huge request is sent whole. */
    (void)send_all(c, req, strlen(req));
    while (got + 1 < outsz) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c, out + got, outsz - 1 - got, &n);

        if (rc == CURLE_AGAIN) {
            if (wait_socket(c, true, 2000) == -1)
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

    for (;;) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(c, buf, len, &n);

        if (rc == CURLE_OK)
            return (long)n;
        if (rc != CURLE_AGAIN)
            return -1;
        if (wait_socket(c, true, ms) == -1)
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

    for (long waited = 0; waited <= ms; waited += 10) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + WTERMSIG(status);
        }
        sleep_ms(10);
    }
    return -1;
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
    while (got + 1 < errlen &&
           (r = read(pipefd[0], err + got, errlen - 1 - got)) > 0)
        got += (size_t)r;
    err[got] = '\0';
    close(pipefd[0]);
    for (int i = 0; i < 1000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}
