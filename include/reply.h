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

#include "handler.h"

struct evbuffer;

struct req_ctx {
    struct evhttp_request *req;
    struct handler_site *site;
    int status;
    int fd;                 /* file still being read (TLS), else -1 */
    int corked;             /* TCP_CORK set for this body */
    uint64_t off, end;      /* TLS: next byte to read, end of the body */
    uint64_t body_len;      /* body bytes this answer carries */
    uint64_t queued;        /* body bytes handed to evhttp so far */
    struct evbuffer *chunk; /* TLS read buffer, kept across requests */
    struct req_ctx *next_free;
};

/* Returns a context for req, or NULL when out of memory. */
struct req_ctx *reply_begin(struct handler_site *site,
                            struct evhttp_request *req);

/* A short text/plain answer (no body for HEAD, 204 and 304). */
void reply_text(struct req_ctx *rc, int status, const char *text);

/*
 * 200 with the whole file: Content-Length, Last-Modified, ETag,
 * Accept-Ranges. Always consumes fd. Plain connections send it with
 * sendfile; TLS ones in fixed-size read chunks: constant memory either way.
 */
void reply_file(struct req_ctx *rc, int fd, const struct stat *st);

/* Frees a pool of released contexts. */
void reply_pool_free(struct req_ctx *pool);

#endif
