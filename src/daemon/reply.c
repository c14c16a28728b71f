/* Building and sending answers; see reply.h. */
#define _GNU_SOURCE /* TCP_CORK */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/accesslog.h"
#include "http/etag.h"
#include "http/httpdate.h"
#include "util/log.h"
#include "http/range.h"
#include "daemon/reply.h"

/* TLS bodies are read in chunks of this size: the memory a download costs. */
#define TLS_CHUNK (128 * 1024)
/* Bodies from this size on go out corked (see set_cork()). */
#define CORK_MIN (256 * 1024)

static const char *
reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 412:
        return "Precondition Failed";
    case 416:
        return "Range Not Satisfiable";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    }
    return "Unknown";
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    }
    return "-";
}

static void
log_request(struct req_ctx *rc, struct evhttp_connection *evcon, uint64_t bytes)
{
    struct handler_worker *w = rc->site->w;
    struct evhttp_request *req = rc->req;
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    char proto[32];
    char *peer = NULL;
    ev_uint16_t port;
    struct accesslog_entry e;

    evhttp_connection_get_peer(evcon, &peer, &port);
    snprintf(proto, sizeof(proto), "HTTP/%d.%d", req->major, req->minor);
    e.peer = peer != NULL ? peer : "-";
    e.when = time(NULL);
    e.method = method_name(evhttp_request_get_command(req));
    e.target = evhttp_request_get_uri(req);
    e.proto = proto;
    e.status = rc->status;
    e.bytes = bytes;
    e.referer = evhttp_find_header(in, "Referer");
    e.user_agent = evhttp_find_header(in, "User-Agent");
    accesslog_write(w->log, w->line, accesslog_format(w->line, &e));
}

static void
ctx_release(struct req_ctx *rc)
{
    struct handler_worker *w = rc->site->w;

    if (rc->fd != -1)
        close(rc->fd);
    if (rc->chunk != NULL)
        evbuffer_drain(rc->chunk, evbuffer_get_length(rc->chunk));
    rc->fd = -1;
    rc->req = NULL;
    rc->next_free = w->pool;
    w->pool = rc;
    w->inflight--;
    if (w->stopping && w->inflight == 0)
        event_active(w->drained, 0, 0);
}

/*
 * TCP_CORK while a large body is sent: the kernel then sends only full
 * segments, headers in the first one with the body, which lets a 1 GiB
 * sendfile run about 1.4x faster on loopback than with TCP_NODELAY alone.
 * Small answers skip it: two more syscalls would cost more than they save.
 */
static void
set_cork(struct req_ctx *rc, int on)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(rc->req);
    evutil_socket_t fd =
        bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));

    if (setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0)
        rc->corked = on;
}

/*
 * While evhttp writes an answer it keeps reading, to notice a close, and
 * libevent 2.1 keeps the read timeout running meanwhile: a client that
 * reads a long download steadily but sends nothing would be cut after
 * http.timeout. So the read timeout is off while an answer is under way
 * (the write timeout still ends a download that stops moving) and back on
 * once it is complete, for the idle keep-alive wait.
 */
static void
set_read_timeout(struct req_ctx *rc, int on)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(rc->req);
    struct timeval tv = {(time_t)rc->site->w->timeout, 0};

    bufferevent_set_timeouts(evhttp_connection_get_bufferevent(evcon),
                             on ? &tv : NULL, &tv);
    rc->read_timeout_off = !on;
}

/* The answer has been written whole. */
static void
on_complete(struct evhttp_request *req, void *arg)
{
    struct req_ctx *rc = arg;

    if (rc->corked)
        set_cork(rc, 0); /* flush the last partial segment now */
    if (rc->read_timeout_off)
        set_read_timeout(rc, 1);

    evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL,
                                  NULL);
    log_request(rc, evhttp_request_get_connection(req), rc->body_len);
    ctx_release(rc);
}

/*
 * The connection closed before the answer was written whole (client gone,
 * write timeout, shutdown deadline): log the body bytes that did leave,
 * that is what was handed over minus what still waits in the output.
 *
 * A streamed answer (TLS) that evhttp failed has been detached from its
 * connection and is ours: evhttp_send_reply_end() on a detached request
 * frees it. Any other request evhttp frees right after this callback.
 */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
    struct req_ctx *rc = arg;
    struct evhttp_request *req = rc->req;
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    size_t pending = evbuffer_get_length(bufferevent_get_output(bev));

    log_request(rc, evcon, pending >= rc->queued ? 0 : rc->queued - pending);
    ctx_release(rc);
    if (evhttp_request_get_connection(req) == NULL)
        evhttp_send_reply_end(req);
}

struct req_ctx *
reply_begin(struct handler_site *site, struct evhttp_request *req)
{
    struct handler_worker *w = site->w;
    struct req_ctx *rc = w->pool;

    if (rc != NULL) {
        w->pool = rc->next_free;
    } else {
        rc = calloc(1, sizeof(*rc));
        if (rc == NULL)
            return NULL;
    }
    rc->req = req;
    rc->site = site;
    rc->status = 0;
    rc->fd = -1;
    rc->corked = rc->read_timeout_off = rc->keyed = 0;
    rc->debuginfod_file = NULL;
    rc->off = rc->end = rc->body_len = rc->queued = rc->size = 0;
    rc->nranges = rc->part = 0;
    rc->in_part = rc->multipart = rc->body_done = 0;
    w->inflight++;
    evhttp_request_set_on_complete_cb(req, on_complete, rc);
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close,
                                  rc);
    return rc;
}

static const char *
date_now(struct handler_worker *w)
{
    time_t now = time(NULL);

    if (now != w->date_at && httpdate_format(now, w->date) == 0)
        w->date_at = now;
    return w->date;
}

/* Headers every answer carries. */
static void
add_common_headers(struct req_ctx *rc, struct evkeyvalq *out)
{
    evhttp_add_header(out, "Date", date_now(rc->site->w));
    evhttp_add_header(out, "Server", "symsrvd");
    if (rc->site->w->stopping)
        evhttp_add_header(out, "Connection", "close");
}

static void
set_length(struct evkeyvalq *out, uint64_t len)
{
    char num[24];

    snprintf(num, sizeof(num), "%llu", (unsigned long long)len);
    evhttp_add_header(out, "Content-Length", num);
}

static int
is_head(const struct req_ctx *rc)
{
    return evhttp_request_get_command(rc->req) == EVHTTP_REQ_HEAD;
}

/*
 * evhttp only queues an answer: it turns write interest on, writes on the
 * next loop pass and turns it off again, two epoll_ctl calls and a pass
 * per request. For a plain connection we write at once instead; when the
 * socket takes everything, we report the buffer drained the way the
 * socket's write callback would, and evhttp completes the request now
 * (its read path expects the request may be freed by then). Whatever the
 * socket does not take stays queued and leaves the usual way.
 */
static int
write_now(struct evhttp_connection *evcon)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
    struct evbuffer *out = bufferevent_get_output(bev);
    evutil_socket_t fd = bufferevent_getfd(bev);

    /* The socket's buffer is frozen at its start for everyone else. */
    evbuffer_unfreeze(out, 1);
    /* Headers first; a sendfile body needs a second call. */
    if (evbuffer_write(out, fd) > 0 && evbuffer_get_length(out) > 0)
        evbuffer_write(out, fd);
    evbuffer_freeze(out, 1);
    if (evbuffer_get_length(out) > 0)
        return 0;
    bufferevent_trigger(bev, EV_WRITE, 0); /* may release rc */
    return 1;
}

/* Sends what the output buffer holds; on_complete follows, maybe at once. */
static void
send_now(struct req_ctx *rc)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(rc->req);
    int direct = !rc->site->tls && !rc->corked;

    evhttp_send_reply(rc->req, rc->status, reason_phrase(rc->status), NULL);
    if (direct && write_now(evcon))
        return; /* complete: rc may be released already */
    set_read_timeout(rc, 0);
}

void
reply_text(struct req_ctx *rc, int status, const char *text)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(rc->req);
    size_t len = status == 204 ? 0 : strlen(text);

    rc->status = status;
    add_common_headers(rc, out);
    if (status == 404)
        evhttp_add_header(out, "Cache-Control",
                          rc->site->w->miss_cache_control);
    if (len > 0) {
        evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
        set_length(out, len);
    }
    if (len > 0 && !is_head(rc)) {
        evbuffer_add(evhttp_request_get_output_buffer(rc->req), text, len);
        rc->body_len = rc->queued = len;
    }
    send_now(rc);
}

/* Headers a file answer (200, 206, 304) shares: validators, caching. */
static void
add_validators(struct req_ctx *rc, const struct stat *st, const char *etag)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(rc->req);
    char date[HTTPDATE_LEN];

    add_common_headers(rc, out);
    if (httpdate_format(st->st_mtim.tv_sec, date) == 0)
        evhttp_add_header(out, "Last-Modified", date);
    evhttp_add_header(out, "ETag", etag);
    evhttp_add_header(out, "Cache-Control",
                      rc->keyed ? rc->site->w->cache_control
                                : rc->site->w->miss_cache_control);
}

/*
 * debuginfod(8)'s own headers on a file it asked for: X-DEBUGINFOD-SIZE is
 * the size of the whole file (a 206 carries it too), X-DEBUGINFOD-FILE
 * names the file; clients print them and may read the size from them.
 */
static void
add_debuginfod_headers(struct evkeyvalq *out, const char *file, uint64_t size)
{
    char num[24];

    snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
    evhttp_add_header(out, "X-DEBUGINFOD-SIZE", num);
    evhttp_add_header(out, "X-DEBUGINFOD-FILE", file);
}

/* Content-Type, Content-Length and Content-Range of a 200 or 206. */
static void
add_body_headers(struct req_ctx *rc, uint64_t size)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(rc->req);
    const struct range_spec *r = &rc->ranges[0];
    char value[128];

    evhttp_add_header(out, "Accept-Ranges", "bytes");
    if (rc->multipart) {
        snprintf(value, sizeof(value), "multipart/byteranges; boundary=%s",
                 rc->site->w->boundary);
        evhttp_add_header(out, "Content-Type", value);
    } else {
        evhttp_add_header(out, "Content-Type", "application/octet-stream");
    }
    if (rc->status == 206 && !rc->multipart) {
        snprintf(value, sizeof(value), "bytes %llu-%llu/%llu",
                 (unsigned long long)r->first, (unsigned long long)r->last,
                 (unsigned long long)size);
        evhttp_add_header(out, "Content-Range", value);
    }
    set_length(out, rc->body_len);
    if (rc->debuginfod_file != NULL)
        add_debuginfod_headers(out, rc->debuginfod_file, size);
}

/*
 * Appends memory to a body that may end in a file segment. libevent 2.1's
 * evbuffer_add() sizes a new chain after the last one's buffer_len, which
 * for a file segment is its end offset: a 10-byte part header after a
 * range near the end of a 10 GiB file asked malloc for 16 GiB. Adding into
 * an empty scratch buffer and linking its chain over costs what it should.
 * TLS chunks (rc->chunk itself) hold memory chains only.
 */
static int
add_mem(struct req_ctx *rc, struct evbuffer *buf, const void *p, size_t n)
{
    rc->queued += n;
    if (buf == rc->chunk)
        return evbuffer_add(buf, p, n);
    if (rc->chunk == NULL)
        rc->chunk = evbuffer_new();
    if (rc->chunk == NULL || evbuffer_add(rc->chunk, p, n) == -1)
        return -1;
    return evbuffer_add_buffer(buf, rc->chunk);
}

/* Queues the header of multipart part rc->ranges[i] into buf. */
static int
add_part_header(struct req_ctx *rc, struct evbuffer *buf, size_t i)
{
    char hdr[256];
    size_t n = range_part_header(hdr, sizeof(hdr), rc->site->w->boundary,
                                 &rc->ranges[i], rc->size);

    return n < sizeof(hdr) ? add_mem(rc, buf, hdr, n) : -1;
}

static int
add_trailer(struct req_ctx *rc, struct evbuffer *buf)
{
    char end[128];
    size_t n = range_trailer(end, sizeof(end), rc->site->w->boundary);

    return n < sizeof(end) ? add_mem(rc, buf, end, n) : -1;
}

/*
 * Plain HTTP: the whole body goes into the output buffer at once, file
 * parts as references into one segment (sendfile, no copy) between small
 * memory parts. libevent makes sendfile references only for a buffer
 * flagged as draining to a descriptor; evhttp moves them unchanged into
 * the socket's buffer, which is. Without the flag it would mmap the file.
 */
static int
queue_plain(struct req_ctx *rc, int fd, struct evbuffer *body)
{
    struct evbuffer_file_segment *seg = evbuffer_file_segment_new(
        fd, 0, (ev_off_t)rc->size, EVBUF_FS_CLOSE_ON_FREE);
    int rc_add = 0;

    if (seg == NULL) {
        close(fd);
        return -1;
    }
    evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
    for (size_t i = 0; i < rc->nranges && rc_add == 0; i++) {
        const struct range_spec *r = &rc->ranges[i];
        ev_off_t len = (ev_off_t)(r->last - r->first + 1);

        if (rc->multipart)
            rc_add |= add_part_header(rc, body, i);
        rc_add |= evbuffer_add_file_segment(body, seg, (ev_off_t)r->first, len);
        rc->queued += (uint64_t)len;
        if (rc->multipart)
            rc_add |= add_mem(rc, body, "\r\n", 2);
    }
    if (rc->multipart && rc_add == 0)
        rc_add = add_trailer(rc, body);
    evbuffer_file_segment_free(seg); /* the buffer holds its own refs */
    return rc_add == 0 ? 0 : -1;
}

/* Reads up to want bytes at rc->off into rc->chunk; -1 on error or EOF. */
static int
read_into_chunk(struct req_ctx *rc, size_t want)
{
    struct evbuffer_iovec vec;
    ssize_t n;

    if (evbuffer_reserve_space(rc->chunk, (ev_ssize_t)want, &vec, 1) < 1)
        return -1;
    do
        n = pread(rc->fd, vec.iov_base, want, (off_t)rc->off);
    while (n == -1 && errno == EINTR);
    if (n <= 0) {
        if (n == 0)
            errno = EIO; /* the file shrank while being served */
        return -1;
    }
    vec.iov_len = (size_t)n;
    evbuffer_commit_space(rc->chunk, &vec, 1);
    rc->off += (uint64_t)n;
    rc->queued += (uint64_t)n;
    return 0;
}

/* Starts part rc->part (its header, when multipart) or the trailer. */
static int
open_part(struct req_ctx *rc)
{
    if (rc->part == rc->nranges)
        return rc->multipart ? add_trailer(rc, rc->chunk) : 0;
    rc->off = rc->ranges[rc->part].first;
    rc->end = rc->ranges[rc->part].last + 1;
    rc->in_part = 1;
    return rc->multipart ? add_part_header(rc, rc->chunk, rc->part) : 0;
}

/*
 * TLS: fills rc->chunk with up to TLS_CHUNK bytes of the body from where
 * the last chunk stopped: part headers, file data, part ends, trailer.
 */
static int
fill_chunk(struct req_ctx *rc)
{
    while (evbuffer_get_length(rc->chunk) < TLS_CHUNK &&
           rc->part <= rc->nranges && !rc->body_done) {
        size_t room = TLS_CHUNK - evbuffer_get_length(rc->chunk);
        uint64_t left = rc->end - rc->off;

        if (!rc->in_part) {
            if (open_part(rc) == -1)
                return -1;
            rc->body_done = rc->part == rc->nranges;
        } else if (left > 0) {
            if (read_into_chunk(rc, left < room ? (size_t)left : room) == -1)
                return -1;
        } else {
            if (rc->multipart && add_mem(rc, rc->chunk, "\r\n", 2) == -1)
                return -1;
            rc->in_part = 0;
            rc->part++;
        }
    }
    return 0;
}

/*
 * Hands over the chunk filled last and fills the next once evhttp has
 * written it, so a download holds one chunk at a time.
 */
static void
stream_next(struct evhttp_connection *evcon, void *arg)
{
    struct req_ctx *rc = arg;

    if (fill_chunk(rc) == -1) {
        log_warn("read body of %s", evhttp_request_get_uri(rc->req));
        evhttp_connection_free(evcon); /* logs and releases rc */
        return;
    }
    if (evbuffer_get_length(rc->chunk) == 0) {
        evhttp_send_reply_end(rc->req); /* may complete and release rc */
        return;
    }
    evhttp_send_reply_chunk_with_cb(rc->req, rc->chunk, stream_next, rc);
}

static void
send_tls(struct req_ctx *rc, int fd)
{
    rc->fd = fd;
    if (rc->chunk == NULL)
        rc->chunk = evbuffer_new();
    if (rc->chunk == NULL || fill_chunk(rc) == -1) {
        log_warn("read %s", evhttp_request_get_uri(rc->req));
        evhttp_clear_headers(evhttp_request_get_output_headers(rc->req));
        reply_text(rc, 500, "internal error: the file cannot be read\n");
        return;
    }
    evhttp_send_reply_start(rc->req, rc->status, reason_phrase(rc->status));
    set_read_timeout(rc, 0);
    evhttp_send_reply_chunk_with_cb(rc->req, rc->chunk, stream_next, rc);
}

/* Which body: the whole file, one range, or multipart/byteranges. */
static void
plan_body(struct req_ctx *rc, uint64_t size, size_t nranges)
{
    rc->size = size;
    rc->status = nranges > 0 ? 206 : 200;
    rc->multipart = nranges > 1;
    rc->nranges = nranges > 0 ? nranges : 1;
    if (nranges == 0) {
        rc->ranges[0].first = 0;
        rc->ranges[0].last = size - 1;
    }
    if (rc->multipart)
        rc->body_len = range_multipart_length(rc->site->w->boundary, rc->ranges,
                                              nranges, size);
    else
        rc->body_len = rc->ranges[0].last - rc->ranges[0].first + 1;
}

void
reply_file(struct req_ctx *rc, int fd, const struct stat *st, const char *etag,
           size_t nranges)
{
    uint64_t size = (uint64_t)st->st_size;

    if (size == 0) {
        /* Nothing to send (libevent 2.1 fails to add 0 bytes of a file). */
        rc->status = 200;
        add_validators(rc, st, etag);
        add_body_headers(rc, 0);
        close(fd);
        send_now(rc);
        return;
    }
    plan_body(rc, size, nranges);
    add_validators(rc, st, etag);
    add_body_headers(rc, size);
    if (is_head(rc)) {
        rc->body_len = 0;
        close(fd);
        send_now(rc);
    } else if (rc->site->tls) {
        send_tls(rc, fd);
    } else if (queue_plain(rc, fd, evhttp_request_get_output_buffer(rc->req)) ==
               -1) {
        evhttp_clear_headers(evhttp_request_get_output_headers(rc->req));
        evbuffer_drain(evhttp_request_get_output_buffer(rc->req), (size_t)-1);
        rc->queued = 0;
        reply_text(rc, 500, "internal error: the file cannot be sent\n");
    } else {
        if (rc->body_len >= CORK_MIN)
            set_cork(rc, 1);
        send_now(rc);
    }
}

void
reply_not_modified(struct req_ctx *rc, const struct stat *st, const char *etag)
{
    rc->status = 304;
    add_validators(rc, st, etag);
    send_now(rc);
}

void
reply_unsatisfiable(struct req_ctx *rc, uint64_t size)
{
    char value[64];

    snprintf(value, sizeof(value), "bytes */%llu", (unsigned long long)size);
    evhttp_add_header(evhttp_request_get_output_headers(rc->req),
                      "Content-Range", value);
    reply_text(rc, 416, "range not satisfiable\n");
}

void
reply_pool_free(struct req_ctx *pool)
{
    while (pool != NULL) {
        struct req_ctx *next = pool->next_free;

        if (pool->chunk != NULL)
            evbuffer_free(pool->chunk);
        free(pool);
        pool = next;
    }
}
