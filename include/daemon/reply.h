/*
 * The one place that builds an answer: status, headers and body, and the
 * access-log line once the answer has left (or the client went away).
 *
 * A request gets a req_ctx from reply_begin(); exactly one reply_*() call
 * then answers it. The context returns to its worker's pool when the
 * answer is complete or the connection closes, never earlier.
 */
#ifndef SYMSRVD_REPLY_H
#define SYMSRVD_REPLY_H

#include <stdint.h>
#include <sys/stat.h>

#include "daemon/handler.h"
#include "http/range.h"

struct evbuffer;

struct req_ctx {
    struct evhttp_request *req;
    struct handler_site *site;
    int status;
    int fd;               /* file still being read (TLS), else -1 */
    int corked;           /* TCP_CORK set for this body */
    int read_timeout_off; /* while the answer is written */
    int keyed;            /* a file under its key: immutable */
    uint64_t size;        /* size of the file being sent */
    uint64_t body_len;    /* body bytes this answer carries */
    uint64_t queued;      /* body bytes handed to evhttp so far */
    /* A debuginfod answer: the X-DEBUGINFOD-FILE value, borrowed until the
     * reply_*() call returns; NULL for any other request. */
    const char *debuginfod_file;
    /* The body: these ranges of the file, as multipart when more than 1. */
    struct range_spec ranges[RANGE_MAX];
    size_t nranges;
    int multipart;
    /* TLS streaming: where the next chunk starts. */
    size_t part;            /* index into ranges; nranges: the trailer */
    int in_part;            /* part's header queued, data under way */
    int body_done;          /* trailer queued (or no trailer needed) */
    uint64_t off, end;      /* next byte of the part to read, its end */
    struct evbuffer *chunk; /* TLS read buffer, kept across requests */
    struct req_ctx *next_free;
};

/* Returns a context for req, or NULL when out of memory. */
struct req_ctx *reply_begin(struct handler_site *site,
                            struct evhttp_request *req);

/* A short text/plain answer (no body for HEAD, 204 and 304). */
void reply_text(struct req_ctx *rc, int status, const char *text);

/*
 * A file answer: 200 with the whole file when nranges is 0, else 206 with
 * rc->ranges[0..nranges) (one range, or multipart/byteranges for more),
 * carrying Content-Length, Last-Modified, ETag (etag), Accept-Ranges and
 * Cache-Control, plus X-DEBUGINFOD-SIZE (the whole file's size) and
 * X-DEBUGINFOD-FILE when rc->debuginfod_file is set. Always consumes fd.
 * Plain connections send file bytes with sendfile; TLS ones in fixed-size
 * read chunks: constant memory either way, whatever the file's size or
 * the number of parts.
 */
void reply_file(struct req_ctx *rc, int fd, const struct stat *st,
                const char *etag, size_t nranges);

/* 304: ETag, Last-Modified, Date, Cache-Control; no body. */
void reply_not_modified(struct req_ctx *rc, const struct stat *st,
                        const char *etag);

/* 416 with "Content-Range: bytes * / size" and a short text body. */
void reply_unsatisfiable(struct req_ctx *rc, uint64_t size);

/* Frees a pool of released contexts. */
void reply_pool_free(struct req_ctx *pool);

#endif
