/*
 * The request pipeline: method gate, path canonicalisation, lookup under
 * the store root, reply. One handler_worker per worker thread; one
 * handler_site per evhttp (plain or TLS) of that worker.
 */
#ifndef SYMSRVD_HANDLER_H
#define SYMSRVD_HANDLER_H

#include <stdbool.h>
#include <time.h>

#include "daemon/accesslog.h"
#include "http/httpdate.h"

/* Longest If-Match or If-None-Match list joined from repeated lines. */
#define HANDLER_LIST_MAX 16384

struct evhttp_request;
struct event;
struct debuginfod;
struct req_ctx;
struct store;

/* Per-thread state; only its own worker thread touches it. */
struct handler_worker {
    struct store *store;            /* borrowed from the server */
    struct debuginfod *debuginfod;  /* borrowed from the server */
    struct accesslog *log;          /* borrowed; shared by all workers */
    unsigned max_header_size;       /* request line + headers, bytes */
    bool serve_admin;               /* 000Admin/ is served */
    unsigned timeout;               /* http.timeout, seconds */
    unsigned max_ranges;            /* ranges honoured per request */
    const char *cache_control;      /* on 200, 206 and 304 */
    const char *miss_cache_control; /* on 404 */
    const char *boundary;           /* multipart/byteranges boundary */
    unsigned inflight;              /* requests between receipt and log line */
    bool stopping;                  /* SIGTERM seen: answer with close */
    struct event *drained;   /* activated when stopping and inflight is 0 */
    struct req_ctx *pool;    /* released contexts, reused: no malloc */
    time_t date_at;          /* second that date was formatted for */
    char date[HTTPDATE_LEN]; /* Date header value, cached per second */
    char line[ACCESSLOG_LINE_MAX];
    char list_buf[2][HANDLER_LIST_MAX]; /* joined If-Match, If-None-Match */
};

struct handler_site {
    struct handler_worker *w;
    bool tls; /* no sendfile: bodies go out in read chunks */
};

/* evhttp's general callback; arg is a struct handler_site. */
void handler_request(struct evhttp_request *req, void *arg);

/* Frees the context pool. Call after the worker's evhttps are freed. */
void handler_worker_cleanup(struct handler_worker *w);

#endif
