/* The request pipeline; see handler.h and docs/internals.md. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/fetch.h"
#include "daemon/handler.h"
#include "http/acceptenc.h"
#include "http/etag.h"
#include "http/path.h"
#include "http/precond.h"
#include "http/range.h"
#include "store/debuginfod.h"
#include "store/elfsect.h"
#include "store/layout.h"
#include "store/store.h"
#include "store/zcache.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/log.h"

/* 405 for methods of RFC 9110 we refuse, 501 for tokens we do not know. */
static bool
method_allowed(const struct head *h, struct answer *a)
{
    switch (h->m) {
    case HEAD_M_GET:
    case HEAD_M_HEAD:
    case HEAD_M_OPTIONS:
        return true;
    case HEAD_M_OTHER:
        a->allow = true;
        answer_text(a, 405, "method not allowed: this server only reads\n");
        return false;
    case HEAD_M_UNKNOWN:
        break;
    }
    answer_text(a, 501, "not implemented: unknown method\n");
    return false;
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
         * session (docs/protocols.md): an unreadable file is a miss to
         * clients and a warning to the operator.
         */
        *why = "not found\n";
        return 404;
    case EMFILE:
    case ENFILE:
    case ENOMEM:
        *why = "service unavailable: out of file descriptors or memory\n";
        return 503;
    case ENOSPC: /* the cache is full: never a 404, which clients keep */
    case EDQUOT:
    case EIO:
    case EAGAIN: /* openat2 raced renames 64 times in a row */
        *why = "service unavailable: temporarily, try again\n";
        return 503;
    }
    *why = "internal error\n";
    return 500;
}

/* The value of the first line of field id, or NULL. */
static const char *
field(const struct head *h, enum head_known id)
{
    const struct head_str *v = head_get(h, id);

    return v != NULL ? v->p : NULL;
}

/*
 * The ranges to send: 0 for the whole file, else a->ranges[0..n); -1
 * when none is satisfiable (416). Only GET honours Range, and only when
 * If-Range, if present, still holds (RFC 9110 sections 13.1.5, 14.2).
 */
static long
select_ranges(const struct handler_env *env, const struct head *h,
              struct answer *a, time_t now)
{
    const struct head_str *range = head_get(h, HEAD_F_RANGE);
    const char *if_range = field(h, HEAD_F_IF_RANGE);
    size_t n = 0;

    if (range == NULL || h->m != HEAD_M_GET ||
        (if_range != NULL &&
         !precond_if_range(if_range, a->etag, a->st.st_mtime, now)))
        return 0;
    switch (range_parse(range->p, range->len, (uint64_t)a->st.st_size,
                        a->ranges, env->max_ranges, &n)) {
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
list_field(const struct head *h, enum head_known id, char *buf)
{
    const char *first = NULL;
    size_t n = 0;
    int lines = 0;

    for (size_t i = 0; i < h->nfields; i++) {
        const struct head_str *v = &h->fields[i].value;

        if (h->fields[i].id != id)
            continue;
        if (lines++ == 0) {
            first = v->p;
            n = v->len < HANDLER_LIST_MAX ? v->len : HANDLER_LIST_MAX;
            memcpy(buf, first, n);
            continue;
        }
        if (n + 2 + v->len >= HANDLER_LIST_MAX) {
            buf[0] = '\0';
            return buf;
        }
        memcpy(buf + n, ", ", 2);
        memcpy(buf + n + 2, v->p, v->len);
        n += 2 + v->len;
    }
    if (lines <= 1)
        return first;
    buf[n] = '\0';
    return buf;
}

/*
 * The last segment of the request target, without a query (a pointer
 * into h, up to *len bytes): the name zcache_wants() judges. Percent
 * escapes stay: a name that hides its extension so is still caught by
 * its magic bytes when the copy is made.
 */
static const char *
target_name(const struct head *h, size_t *len)
{
    const char *p = h->target.p, *end = p + h->target.len, *q, *base = p;

    q = memchr(p, '?', h->target.len);
    if (q != NULL)
        end = q;
    for (const char *c = p; c < end; c++)
        if (*c == '/')
            base = c + 1;
    *len = (size_t)(end - base);
    return base;
}

/*
 * Is a->fd a file env compresses? Copies are offered only then. Never a
 * debuginfod section: a window of its file, whose copy would be made of
 * the whole file.
 */
static bool
compressible(const struct handler_env *env, const struct head *h,
             const struct answer *a)
{
    char name[NAME_MAX + 1];
    size_t len;
    const char *base;

    if (env->zcache == NULL || a->window)
        return false;
    base = target_name(h, &len);
    if (len > NAME_MAX)
        len = NAME_MAX;
    memcpy(name, base, len);
    name[len] = '\0';
    return zcache_wants(env->zcache, name, &a->st);
}

/*
 * The coding to answer in (RFC 9110 section 12.5.3): identity for a
 * Range request (ranges are of the file as stored) and for a client that
 * offers no coding we make; a malformed Accept-Encoding line offers none.
 */
static enum acceptenc_coding
negotiate(const struct head *h)
{
    struct acceptenc ae;

    if (head_get(h, HEAD_F_RANGE) != NULL)
        return ACCEPTENC_IDENTITY;
    acceptenc_init(&ae);
    for (size_t i = 0; i < h->nfields; i++)
        if (h->fields[i].id == HEAD_F_ACCEPT_ENCODING)
            (void)acceptenc_parse(h->fields[i].value.p, h->fields[i].value.len,
                                  &ae);
    return acceptenc_choose(&ae,
                            (1u << ACCEPTENC_GZIP) | (1u << ACCEPTENC_ZSTD));
}

/* The copy's body: the whole copy open as fd, of size bytes. */
static void
plan_coded(const struct handler_env *env, enum acceptenc_coding c, int fd,
           uint64_t size, struct answer *a)
{
    close(a->fd);
    a->fd = fd;
    answer_plan_file(a, 0, env->boundary); /* validators of the file */
    a->ranges[0].last = size - 1;
    a->body_len = size;
    a->encoding = acceptenc_name(c);
}

/*
 * The file in coding c (not identity), with its own ETag. True when that
 * answered: a 304 when If-None-Match names the coded tag (whether or not
 * the copy is still cached: the same file gives the same bytes), else
 * the copy when one is made. False to answer identity: preconditions
 * that do not pass on the coded tag are judged on the file's own, and a
 * GET of a file with no copy yet asks for one (a->compress).
 */
static bool
serve_coded(const struct handler_env *env, const struct precond_hdrs *p,
            const struct head *h, time_t now, enum acceptenc_coding c,
            struct answer *a)
{
    enum zcache_coding zc = c == ACCEPTENC_ZSTD ? ZCACHE_ZSTD : ZCACHE_GZIP;
    char tag[ETAG_LEN];
    struct stat st;
    int fd;

    etag_format_coded(&a->st, zc == ZCACHE_ZSTD ? "zst" : "gz", tag);
    switch (precond_evaluate(p, true, tag, a->st.st_mtime, now)) {
    case PRECOND_NOT_MODIFIED:
        memcpy(a->etag, tag, sizeof(tag));
        a->validators = true;
        answer_text(a, 304, NULL);
        return true;
    case PRECOND_FAILED:
        return false;
    case PRECOND_PASS:
        break;
    }
    fd = zcache_open(env->zcache, &a->st, zc, &st);
    if (fd == -1) {
        a->compress = errno != ENODATA && h->m == HEAD_M_GET;
        a->compress_coding = zc;
        return false;
    }
    memcpy(a->etag, tag, sizeof(tag));
    plan_coded(env, c, fd, (uint64_t)st.st_size, a);
    a->coding = zc;
    a->head_only = h->m == HEAD_M_HEAD;
    return true;
}

/* A file that exists (a->fd, a->st): preconditions, ranges, the answer. */
static void
serve_file(const struct handler_env *env, struct handler_scratch *s,
           const struct head *h, time_t now, struct answer *a)
{
    struct precond_hdrs p = {
        list_field(h, HEAD_F_IF_MATCH, s->list[0]),
        list_field(h, HEAD_F_IF_NONE_MATCH, s->list[1]),
        field(h, HEAD_F_IF_MODIFIED_SINCE),
        field(h, HEAD_F_IF_UNMODIFIED_SINCE),
    };
    enum acceptenc_coding c;
    long n;

    a->vary = compressible(env, h, a);
    c = a->vary ? negotiate(h) : ACCEPTENC_IDENTITY;
    if (c != ACCEPTENC_IDENTITY && serve_coded(env, &p, h, now, c, a))
        return;
    if (a->window)
        etag_format_window(&a->st, a->window_off, a->etag);
    else
        etag_format(&a->st, a->etag);
    switch (precond_evaluate(&p, true, a->etag, a->st.st_mtime, now)) {
    case PRECOND_NOT_MODIFIED:
        a->validators = true;
        answer_text(a, 304, NULL);
        return;
    case PRECOND_FAILED:
        answer_text(a, 412, "precondition failed\n");
        return;
    case PRECOND_PASS:
        break;
    }
    n = select_ranges(env, h, a, now);
    if (n < 0) {
        answer_text(a, 416, "range not satisfiable\n");
        return;
    }
    answer_plan_file(a, (size_t)n, env->boundary);
    a->head_only = h->m == HEAD_M_HEAD;
}

/* store_find(): an expansion still to make is left pending (a->job). */
static int
find(const struct handler_env *env, const char *rel, struct stat *st,
     struct answer *a)
{
    return store_find(env->store, rel, st, env->offload ? &a->job : NULL);
}

/*
 * A keyed store path neither the store nor its identifier index has:
 * with upstreams configured, the cached copy of an upstream's file, else
 * a fetch to make (a->fetch, answered as EINPROGRESS so that opened()
 * leaves the answer undecided), else ENOENT. Only <file>/<key>/<file>
 * paths go upstream: index2.txt, pingme.txt and the like are this
 * server's own.
 */
static int
fetch_upstream(const struct handler_env *env, const char *path,
               struct answer *a)
{
    int fd;

    if (env->upstream == NULL || a->route != ANSWER_ROUTE_SYMBOL) {
        errno = ENOENT;
        return -1;
    }
    fd = fetch_hub_cached(env->upstream, path, &a->st);
    if (fd != -1 || errno != ENOENT)
        return fd;
    if (!fetch_hub_wanted(env->upstream, path)) {
        errno = ENOENT;
        return -1;
    }
    a->fetch = true;
    snprintf(a->fetch_rel, sizeof(a->fetch_rel), "%s", path);
    errno = EINPROGRESS;
    return -1;
}

/*
 * The file a debuginfod request names (debuginfod.h): the build-id as
 * asked, then zero-padded to 20 bytes as SSQP stores a shorter one.
 */
static int
open_debuginfod(const struct handler_env *env, enum debuginfod_kind kind,
                const struct debuginfod_req *dr, char *rel, size_t relsz,
                struct answer *a)
{
    const char *ids[2] = {dr->id, dr->padded};
    int fd = -1;

    if (kind == DEBUGINFOD_EXECUTABLE) {
        if (debuginfod_executable(env->debuginfod, dr, rel, relsz) == -1)
            return -1;
        return find(env, rel, &a->st, a);
    }
    for (int i = 0; i < 2 && ids[i][0] != '\0'; i++) {
        snprintf(rel, relsz, "_.debug/elf-buildid-sym-%s/_.debug", ids[i]);
        fd = find(env, rel, &a->st, a);
        if (fd != -1 || errno != ENOENT)
            break;
    }
    return fd;
}

/* Opened a->fd for rel, or answered the error; true when opened. */
static bool
opened(int fd, const char *rel, bool warn_unreadable, struct answer *a)
{
    const char *why;
    int status;

    if (fd != -1) {
        a->fd = fd;
        return true;
    }
    if (errno == EINPROGRESS) { /* the caller runs a->job, then asks again */
        a->pending = !a->fetch;
        return false;
    }
    status = status_for_errno(errno, &why);
    if (status >= 500 ||
        (warn_unreadable && (errno == EACCES || errno == EPERM)))
        log_warn("open %s", rel);
    answer_text(a, status, why);
    return false;
}

/*
 * Section name of the file just opened (a->fd, a->st), as a window of it:
 * true when it has bytes there. The locator reads only headers, with
 * pread on this thread: 3 or 4 reads of a few KiB for real files (5 to
 * 20 us warm), no more blocking than the open beside it, so not worth a
 * job and a park (offload.c); a crafted file is bounded by elfsect.h's
 * limits (about 4 ms warm, docs/debuginfod.md). Otherwise a->fd is
 * closed; a file that is not usable ELF is logged (the store holds
 * something wrong), a read error answered 503.
 */
static bool
open_window(const char *rel, const char *name, struct answer *a)
{
    struct elfsect_loc loc;
    char why[160], shown[64];
    const char *text;

    switch (elfsect_find_fd(a->fd, (uint64_t)a->st.st_size, name, &loc, why,
                            sizeof(why))) {
    case ELFSECT_FOUND:
        a->window = true;
        a->window_off = loc.off;
        a->st.st_size = (off_t)loc.size;
        return true;
    case ELFSECT_BAD:
        log_warnx("%s: section %s: %s", rel,
                  errbuf_printable(name, shown, sizeof(shown)), why);
        break;
    case ELFSECT_IO: {
        int status = status_for_errno(errno, &text); /* before text is read */

        log_warn("%s: read section headers", rel);
        answer_text(a, status, text);
        break;
    }
    case ELFSECT_ABSENT:
    case ELFSECT_NOBITS:
        break;
    }
    close(a->fd);
    a->fd = -1;
    return false;
}

/*
 * /buildid/<id>/section/<name>, as debuginfod(8) answers it: the section
 * from the debuginfo file, else (not stored, no such section, or one
 * without bytes there: SHT_NOBITS, size 0) from the executable; in
 * neither, 404. Bytes as stored, SHF_COMPRESSED ones too (debuginfod
 * sends elf_rawdata()). X-DEBUGINFOD-FILE names the file the section
 * comes from, X-DEBUGINFOD-SIZE is the section's size.
 */
static bool
open_section(const struct handler_env *env, const struct debuginfod_req *dr,
             char *rel, size_t relsz, struct answer *a)
{
    static const enum debuginfod_kind from[2] = {DEBUGINFOD_DEBUGINFO,
                                                 DEBUGINFOD_EXECUTABLE};
    const char *why;

    for (int i = 0; i < 2; i++) {
        int fd = open_debuginfod(env, from[i], dr, rel, relsz, a);

        if (fd == -1 && errno != EINPROGRESS &&
            status_for_errno(errno, &why) == 404)
            continue; /* not stored: the next */
        if (!opened(fd, rel, false, a))
            return false;
        if (open_window(rel, dr->section, a))
            return true;
        if (a->status != 0)
            return false; /* a read error, answered */
    }
    answer_text(a, 404, "not found\n");
    return false;
}

static void
serve_debuginfod(const struct handler_env *env, struct handler_scratch *s,
                 const struct head *h, time_t now, enum debuginfod_kind kind,
                 const struct debuginfod_req *dr, struct answer *a)
{
    char rel[PATH_MAX] = "";
    int fd = -1;

    if (kind == DEBUGINFOD_SECTION) {
        if (!open_section(env, dr, rel, sizeof(rel), a))
            return;
    } else {
        errno = ENOENT; /* DEBUGINFOD_OTHER: source, bad build-ids */
        if (kind != DEBUGINFOD_OTHER)
            fd = open_debuginfod(env, kind, dr, rel, sizeof(rel), a);
        if (!opened(fd, rel, false, a))
            return;
    }
    a->keyed = true; /* a build-id names one file for good */
    if (debuginfod_file_value(rel, a->debuginfod_file,
                              sizeof(a->debuginfod_file)) == 0)
        a->debuginfod_file[0] = '\0';
    serve_file(env, s, h, now, a);
}

/*
 * A store path that missed, asked again through the identifier index
 * (debuginfod.h, ids.h): Backtrace's Breakpad and code ids, symbolicator's
 * unified layout. The first candidate that opens answers; its stored path
 * goes to rel. -1 with errno ENOENT when none does (or the path is none
 * of those forms), or the error of the first that failed otherwise.
 */
static int
find_by_ids(const struct handler_env *env, struct handler_scratch *s,
            const char *path, char *rel, size_t relsz, struct answer *a)
{
    struct ids_req q;
    struct debuginfod_cands *c = &s->cands;

    debuginfod_ids(env->debuginfod, ids_classify(path, &q), &q, c);
    for (size_t i = 0; i < c->n; i++) {
        int fd = find(env, c->path[i], &a->st, a);

        if (fd != -1 || errno != ENOENT) {
            snprintf(rel, relsz, "%s", c->path[i]);
            return fd;
        }
    }
    errno = ENOENT;
    return -1;
}

/* A text answer no cache may keep: health, metrics, and answers that
 * depend on who asks (401, 403, 429). */
static void
answer_uncached(struct answer *a, int status, const char *text)
{
    answer_text(a, status, text);
    a->no_store = true;
}

static void
serve_metrics(const struct handler_env *env, struct handler_scratch *s,
              struct answer *a)
{
    struct store_gauges g;
    struct fetch_counts up;
    size_t n;

    store_gauges(env->store, &g);
    n = metrics_format(env->metrics, &g, s->metrics, sizeof(s->metrics));
    if (n > 0 && env->zcache != NULL) {
        struct zcache_counts zc;
        size_t more;

        zcache_counts(env->zcache, &zc);
        more = metrics_format_compress(env->metrics, &zc, s->metrics + n,
                                       sizeof(s->metrics) - n);
        n = more > 0 ? n + more : 0;
    }
    if (n > 0 && env->upstream != NULL) {
        size_t more;

        fetch_hub_counts(env->upstream, &up);
        more = metrics_format_upstream(&up, s->metrics + n,
                                       sizeof(s->metrics) - n);
        n = more > 0 ? n + more : 0;
    }
    if (n == 0) {
        log_warnx("metrics: the text does not fit in %zu bytes",
                  sizeof(s->metrics));
        answer_uncached(a, 500, "internal error\n");
        return;
    }
    answer_uncached(a, 200, s->metrics);
    a->text_type = "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * The health endpoints, canonical path in: /healthz and /readyz on every
 * listener. True when it answered. The [access] address list applies to
 * them (handler_serve()), credentials and path rules do not: a load
 * balancer asks without them.
 */
static bool
serve_health(const struct handler_env *env, const char *path, struct answer *a)
{
    if (strcmp(path, "healthz") == 0) {
        if (metrics_root_ok(env->metrics, env->store,
                            (int64_t)(clock_monotonic_ns() / CLOCK_NS_PER_MS)))
            answer_uncached(a, 200, "ok\n");
        else
            answer_uncached(a, 503,
                            "unhealthy: the store root cannot be "
                            "read\n");
    } else if (strcmp(path, "readyz") == 0) {
        if (metrics_stopping(env->metrics))
            answer_uncached(a, 503, "stopping\n");
        else if (env->debuginfod != NULL && !debuginfod_ready(env->debuginfod))
            /* Breakpad and code ids would miss, and clients remember
             * misses: a balancer sends them to a node that has its index. */
            answer_uncached(a, 503,
                            "starting: the identifier index is "
                            "being built\n");
        else
            answer_uncached(a, 200, "ready\n");
    } else {
        return false;
    }
    return true;
}

/*
 * The metrics listener: /metrics, and a 404 for anything else. True when
 * it answered (always, on that listener). The access rules of the path
 * ran before.
 */
static bool
serve_metrics_listener(const struct handler_env *env, struct handler_scratch *s,
                       enum handler_listener on, const char *path,
                       struct answer *a)
{
    if (on != HANDLER_METRICS)
        return false;
    if (strcmp(path, "metrics") == 0)
        serve_metrics(env, s, a);
    else
        answer_uncached(a, 404, "not found\n");
    return true;
}

/* Which route the request metrics count a canonical store path under. */
static enum answer_route
store_route(const char *path)
{
    if (layout_is_admin(path))
        return ANSWER_ROUTE_ADMIN;
    return strchr(path, '/') != NULL ? ANSWER_ROUTE_SYMBOL : ANSWER_ROUTE_OTHER;
}

/*
 * The path's access rule (access.h); true when the request may go on,
 * else the answer is decided: 403 (closing), 401 with the challenge, 429.
 */
static bool
access_granted(const struct handler_env *env, const struct head *h,
               const char *path, struct handler_client *cl, time_t now,
               struct answer *a)
{
    struct access_result res;

    if (env->access == NULL)
        return true;
    switch (
        access_check(env->access, env->guard, path, &cl->addr, h, now, &res)) {
    case ACCESS_OK:
        memcpy(cl->user, res.user, sizeof(cl->user));
        return true;
    case ACCESS_FORBIDDEN:
        answer_uncached(a, 403, "forbidden\n");
        a->close = true;
        return false;
    case ACCESS_UNAUTHORIZED:
        answer_uncached(a, 401, "unauthorized: credentials needed\n");
        a->challenge = access_challenge(env->access);
        return false;
    case ACCESS_LOCKED:
        answer_uncached(a, 429, "too many failed logins: try again later\n");
        a->retry_after = res.retry_after;
        return false;
    }
    return false;
}

static void
serve_path(const struct handler_env *env, struct handler_scratch *s,
           const struct head *h, enum handler_listener on,
           struct handler_client *cl, time_t now, struct answer *a)
{
    char path[PATH_MAX], rel[PATH_MAX] = "";
    size_t len;
    struct debuginfod_req dr;
    enum debuginfod_kind kind;
    bool keyed;
    int fd;

    switch (path_canonicalize(h->target.p, h->target.len, path, sizeof(path),
                              &len)) {
    case PATH_OK:
        break;
    case PATH_BAD:
        answer_text(a, 400, "bad request: malformed or unsafe path\n");
        return;
    case PATH_TOO_LONG:
        answer_text(a, 414, "URI too long\n");
        return;
    }
    if (serve_health(env, path, a))
        return;
    if (!access_granted(env, h, path, cl, now, a))
        return;
    if (h->m == HEAD_M_OPTIONS) {
        answer_text(a, 204, "");
        return;
    }
    if (serve_metrics_listener(env, s, on, path, a))
        return;
    /* Before the hidden-name check: these paths name no stored file. */
    kind = debuginfod_parse(path, &dr);
    if (kind != DEBUGINFOD_NONE) {
        a->route = ANSWER_ROUTE_DEBUGINFOD;
        serve_debuginfod(env, s, h, now, kind, &dr, a);
        return;
    }
    a->route = store_route(path);
    if (layout_is_hidden(path, env->serve_admin)) {
        answer_text(a, 404, "not found\n");
        return;
    }
    /* <name>/<key>/<name> (or deeper, two-tier) never changes; the rest
     * (index2.txt, pingme.txt, 000Admin) may: cached like a miss. */
    a->keyed =
        strchr(path, '/') != NULL && strchr(path, '/') != strrchr(path, '/');
    keyed = a->keyed;
    fd = find(env, path, &a->st, a);
    if (fd == -1 && errno == ENOENT && env->debuginfod != NULL) {
        /* What the index answers may become a better file later (a debug
         * file stored after the executable): cached like a miss. */
        a->keyed = false;
        fd = find_by_ids(env, s, path, rel, sizeof(rel), a);
    }
    if (fd == -1 && errno == ENOENT && keyed) { /* local miss: upstreams */
        a->keyed = true;
        fd = fetch_upstream(env, path, a);
    }
    if (opened(fd, fd == -1 && rel[0] != '\0' ? rel : path, true, a))
        serve_file(env, s, h, now, a);
}

bool
handler_may_stream(const struct head *h)
{
    static const enum head_known conds[] = {
        HEAD_F_RANGE,
        HEAD_F_IF_MATCH,
        HEAD_F_IF_NONE_MATCH,
        HEAD_F_IF_MODIFIED_SINCE,
        HEAD_F_IF_UNMODIFIED_SINCE,
    };

    if (h->m != HEAD_M_GET)
        return false;
    for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
        if (head_get(h, conds[i]) != NULL)
            return false;
    return true;
}

bool
handler_range_spec(const struct head *h, char *out, size_t outlen)
{
    static const enum head_known conds[] = {
        HEAD_F_IF_RANGE,
        HEAD_F_IF_MATCH,
        HEAD_F_IF_NONE_MATCH,
        HEAD_F_IF_MODIFIED_SINCE,
        HEAD_F_IF_UNMODIFIED_SINCE,
    };
    const struct head_str *range = head_get(h, HEAD_F_RANGE);
    struct range_spec r;
    size_t n = 0, i, b;

    if (h->m != HEAD_M_GET || range == NULL)
        return false;
    for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
        if (head_get(h, conds[i]) != NULL)
            return false;
    /* The usual parse, against the largest size there is: one range-spec,
     * valid, satisfiable by some file. */
    if (range_parse(range->p, range->len, UINT64_MAX, &r, 1, &n) != RANGE_OK ||
        n != 1)
        return false;
    /* Its text: after "bytes=", the one element among blanks and empty
     * ones (range_parse() took no other form). */
    for (i = 6; i < range->len && strchr(" \t,", range->p[i]) != NULL; i++)
        ;
    for (b = i; i < range->len && strchr("0123456789-", range->p[i]) != NULL &&
                range->p[i] != '\0';
         i++)
        ;
    if (i == b || i - b >= outlen)
        return false;
    memcpy(out, range->p + b, i - b);
    out[i - b] = '\0';
    return true;
}

void
handler_serve(const struct handler_env *env, struct handler_scratch *s,
              const struct head *h, enum handler_listener on,
              struct handler_client *cl, time_t now, struct answer *a)
{
    cl->user[0] = '\0';
    /* First of all: a refused address learns nothing, not even 405. */
    if (env->access != NULL && !access_ip_allowed(env->access, &cl->addr)) {
        answer_uncached(a, 403, "forbidden\n");
        a->close = true;
        return;
    }
    if (!method_allowed(h, a))
        return;
    if (h->m == HEAD_M_OPTIONS)
        a->allow = true;
    if (h->m == HEAD_M_OPTIONS && head_str_ieq(h->target, "*")) {
        answer_text(a, 204, "");
        return;
    }
    serve_path(env, s, h, on, cl, now, a);
    if (a->body == ANSWER_BODY_TEXT && h->m == HEAD_M_HEAD)
        a->head_only = true;
}
