/* The request pipeline; see handler.h and docs/internals.md. */
#include <errno.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/debuginfod.h"
#include "http/etag.h"
#include "daemon/handler.h"
#include "util/log.h"
#include "http/path.h"
#include "http/precond.h"
#include "http/range.h"
#include "daemon/reply.h"
#include "store/layout.h"
#include "store/store.h"

#define ALLOWED "GET, HEAD, OPTIONS"

/*
 * RFC 9112 section 3.2: an HTTP/1.1 request carries exactly one Host; no
 * request may carry two. A major version other than 1 gets 505; in
 * practice only 0 gets here, as evhttp itself answers 400 to HTTP/2.0 and
 * up on the request line.
 */
static int
check_version(struct evhttp_request *req, const char **why)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyval *h;
    int hosts = 0;

    if (req->major != 1) {
        *why = "only HTTP/1.x is served\n";
        return 505;
    }
    for (h = in->tqh_first; h != NULL; h = h->next.tqe_next)
        if (strcasecmp(h->key, "Host") == 0)
            hosts++;
    if (hosts > 1) {
        *why = "bad request: more than one Host header\n";
        return 400;
    }
    if (hosts == 0 && req->minor >= 1) {
        *why = "bad request: HTTP/1.1 request without a Host header\n";
        return 400;
    }
    return 0;
}

/*
 * The request line and headers together may not exceed max_header_size.
 * evhttp enforces a looser cap of its own (see server.c), and a single
 * over-long line never gets this far.
 */
static int
check_head_size(struct evhttp_request *req, size_t max, const char **why)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyval *h;
    size_t total = strlen(evhttp_request_get_uri(req)) + 16;

    for (h = in->tqh_first; h != NULL; h = h->next.tqe_next)
        total += strlen(h->key) + strlen(h->value) + 4;
    if (total <= max)
        return 0;
    *why = "request header fields too large\n";
    return 431;
}

/* 405 for methods we know but refuse; evhttp itself 501s unknown ones. */
static int
check_method(enum evhttp_cmd_type cmd, const char **why)
{
    if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD ||
        cmd == EVHTTP_REQ_OPTIONS)
        return 0;
    *why = "method not allowed: this server only reads\n";
    return 405;
}

static int
status_for_errno(int err, const char **why)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EXDEV: /* a symlink leading out of the root: as if absent */
        *why = "not found\n";
        return 404;
    case ENAMETOOLONG:
        *why = "URI too long\n";
        return 414;
    case EACCES:
    case EPERM:
        /*
         * symsrv drops a server that answers 403 for the rest of the
         * session (docs/protocols.md): an unreadable file is a miss to clients
         * and a warning to the operator.
         */
        *why = "not found\n";
        return 404;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
        *why = "service unavailable: out of file descriptors or memory\n";
        return 503;
    }
    *why = "internal error\n";
    return 500;
}

static void
reply_status(struct req_ctx *rc, int status, const char *why)
{
    if (status == 405)
        evhttp_add_header(evhttp_request_get_output_headers(rc->req), "Allow",
                          ALLOWED);
    reply_text(rc, status, why);
}

/*
 * The ranges to send: 0 for the whole file, else rc->ranges[0..n); -1
 * when none is satisfiable (416). Only GET honours Range, and only when
 * If-Range, if present, still holds (RFC 9110 sections 13.1.5, 14.2).
 */
static long
select_ranges(struct req_ctx *rc, const struct stat *st, const char *etag,
              time_t now)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(rc->req);
    const char *range = evhttp_find_header(in, "Range");
    const char *if_range = evhttp_find_header(in, "If-Range");
    size_t n = 0;

    if (range == NULL ||
        evhttp_request_get_command(rc->req) != EVHTTP_REQ_GET ||
        (if_range != NULL &&
         !precond_if_range(if_range, etag, st->st_mtime, now)))
        return 0;
    switch (range_parse(range, strlen(range), (uint64_t)st->st_size, rc->ranges,
                        rc->site->w->max_ranges, &n)) {
    case RANGE_OK:
        return (long)n;
    case RANGE_UNSATISFIABLE:
        return -1;
    case RANGE_NONE:
        break;
    }
    return 0;
}

/*
 * A list-valued field as one value: RFC 9110 section 5.3 makes repeated
 * If-Match or If-None-Match lines one comma-separated list. A single line
 * is returned as it is; several are joined into buf[HANDLER_LIST_MAX]. A
 * join that does not fit becomes "", a list that matches nothing (so
 * If-Match fails and If-None-Match lets the request through: both safe).
 * NULL when the field is absent.
 */
static const char *
list_header(struct evkeyvalq *in, const char *name, char *buf)
{
    const char *first = NULL;
    size_t n = 0;
    int lines = 0;

    for (struct evkeyval *h = in->tqh_first; h != NULL; h = h->next.tqe_next) {
        size_t len = strlen(h->value);

        if (strcasecmp(h->key, name) != 0)
            continue;
        if (lines++ == 0) {
            first = h->value;
            n = len < HANDLER_LIST_MAX ? len : HANDLER_LIST_MAX;
            memcpy(buf, first, n);
            continue;
        }
        if (n + 2 + len >= HANDLER_LIST_MAX) {
            buf[0] = '\0';
            return buf;
        }
        memcpy(buf + n, ", ", 2);
        memcpy(buf + n + 2, h->value, len);
        n += 2 + len;
    }
    if (lines <= 1)
        return first;
    buf[n] = '\0';
    return buf;
}

/* A file that exists: preconditions, then ranges, then the answer. */
static void
serve_file(struct req_ctx *rc, int fd, const struct stat *st)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(rc->req);
    struct handler_worker *w = rc->site->w;
    struct precond_hdrs h = {
        list_header(in, "If-Match", w->list_buf[0]),
        list_header(in, "If-None-Match", w->list_buf[1]),
        evhttp_find_header(in, "If-Modified-Since"),
        evhttp_find_header(in, "If-Unmodified-Since"),
    };
    char etag[ETAG_LEN];
    time_t now = time(NULL);
    long n;

    etag_format(st, etag);
    switch (precond_evaluate(&h, true, etag, st->st_mtime, now)) {
    case PRECOND_NOT_MODIFIED:
        close(fd);
        reply_not_modified(rc, st, etag);
        return;
    case PRECOND_FAILED:
        close(fd);
        reply_status(rc, 412, "precondition failed\n");
        return;
    case PRECOND_PASS:
        break;
    }
    n = select_ranges(rc, st, etag, now);
    if (n < 0) {
        close(fd);
        reply_unsatisfiable(rc, (uint64_t)st->st_size);
        return;
    }
    reply_file(rc, fd, st, etag, (size_t)n);
}

/*
 * The file a debuginfod request names (debuginfod.h): the build-id as
 * asked, then zero-padded to 20 bytes as SSQP stores a shorter one.
 */
static int
open_debuginfod(struct req_ctx *rc, enum debuginfod_kind kind,
                const struct debuginfod_req *dr, char *rel, size_t relsz,
                struct stat *st)
{
    struct handler_worker *w = rc->site->w;
    const char *ids[2] = {dr->id, dr->padded};
    int fd = -1;

    if (kind == DEBUGINFOD_EXECUTABLE) {
        if (debuginfod_executable(w->debuginfod, dr, rel, relsz) == -1)
            return -1;
        return store_lookup(w->store, rel, st);
    }
    for (int i = 0; i < 2 && ids[i][0] != '\0'; i++) {
        snprintf(rel, relsz, "_.debug/elf-buildid-sym-%s/_.debug", ids[i]);
        fd = store_lookup(w->store, rel, st);
        if (fd != -1 || errno != ENOENT)
            break;
    }
    return fd;
}

static void
serve_debuginfod(struct req_ctx *rc, enum debuginfod_kind kind,
                 const struct debuginfod_req *dr)
{
    char rel[PATH_MAX] = "", file[3 * PATH_MAX + 2];
    const char *why = "not found\n";
    struct stat st;
    int fd = -1;

    errno = ENOENT; /* DEBUGINFOD_OTHER: source, section, bad build-ids */
    if (kind != DEBUGINFOD_OTHER)
        fd = open_debuginfod(rc, kind, dr, rel, sizeof(rel), &st);
    if (fd == -1) {
        int status = status_for_errno(errno, &why);

        if (status >= 500)
            log_warn("open %s", rel);
        reply_status(rc, status, why);
        return;
    }
    rc->keyed = 1; /* a build-id names one file for good */
    if (debuginfod_file_value(rel, file, sizeof(file)) > 0)
        rc->debuginfod_file = file;
    serve_file(rc, fd, &st);
}

static void
serve_path(struct req_ctx *rc, const char *target)
{
    char path[PATH_MAX];
    size_t len;
    struct stat st;
    struct debuginfod_req dr;
    enum debuginfod_kind kind;
    const char *why = "not found\n";
    int fd;

    switch (
        path_canonicalize(target, strlen(target), path, sizeof(path), &len)) {
    case PATH_OK:
        break;
    case PATH_BAD:
        reply_status(rc, 400, "bad request: malformed or unsafe path\n");
        return;
    case PATH_TOO_LONG:
        reply_status(rc, 414, "URI too long\n");
        return;
    }
    if (evhttp_request_get_command(rc->req) == EVHTTP_REQ_OPTIONS) {
        reply_status(rc, 204, "");
        return;
    }
    /* Before the hidden-name check: these paths name no stored file. */
    kind = debuginfod_parse(path, &dr);
    if (kind != DEBUGINFOD_NONE) {
        serve_debuginfod(rc, kind, &dr);
        return;
    }
    if (layout_is_hidden(path, rc->site->w->serve_admin)) {
        reply_status(rc, 404, why);
        return;
    }
    /* <name>/<key>/<name> (or deeper, two-tier) never changes; the rest
     * (index2.txt, pingme.txt, 000Admin) may: cached like a miss. */
    rc->keyed =
        strchr(path, '/') != NULL && strchr(path, '/') != strrchr(path, '/');
    fd = store_lookup(rc->site->w->store, path, &st);
    if (fd == -1) {
        int status = status_for_errno(errno, &why);

        if (status >= 500 || errno == EACCES || errno == EPERM)
            log_warn("open %s", path);
        reply_status(rc, status, why);
        return;
    }
    serve_file(rc, fd, &st);
}

static void
serve(struct req_ctx *rc)
{
    struct evhttp_request *req = rc->req;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const char *target = evhttp_request_get_uri(req);
    const char *why = "";
    int status;

    status = check_version(req, &why);
    if (status == 0)
        status = check_head_size(req, rc->site->w->max_header_size, &why);
    if (status == 0)
        status = check_method(cmd, &why);
    if (status != 0) {
        reply_status(rc, status, why);
        return;
    }
    if (cmd == EVHTTP_REQ_OPTIONS)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          ALLOWED);
    if (cmd == EVHTTP_REQ_OPTIONS && strcmp(target, "*") == 0) {
        reply_status(rc, 204, "");
        return;
    }
    serve_path(rc, target);
}

void
handler_request(struct evhttp_request *req, void *arg)
{
    struct req_ctx *rc = reply_begin(arg, req);

    if (rc == NULL) {
        /* No context, so no log line: say so once here instead. */
        log_warnx("out of memory: answering 503");
        evhttp_send_reply(req, 503, "Service Unavailable", NULL);
        return;
    }
    serve(rc);
}

void
handler_worker_cleanup(struct handler_worker *w)
{
    reply_pool_free(w->pool);
    w->pool = NULL;
}
