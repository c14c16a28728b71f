/*
 * HTTP/1.1 connections on libevent core (no evhttp, no bufferevents).
 *
 * A connection has one persistent, edge-triggered read event that is
 * never switched off, a write event added only while a send is blocked,
 * and one timer. The request head is read with recv() (or SSL_read()) into
 * a fixed buffer of max_header_size bytes, parsed in place (http/head.h),
 * answered by the handler (handler.h), and sent from a fixed output buffer
 * built by reply.c: headers and body leave together (MSG_MORE, then
 * sendfile; TLS: SSL_sendfile with kernel TLS, else read chunks), so
 * plain and TLS share one implementation of HTTP.
 *
 * Buffers belong to an exchange taken from the worker's pool when bytes
 * arrive and given back when the connection is idle again: an idle
 * keep-alive connection holds no buffer, and no request allocates.
 *
 * Timeouts (http.timeout, T seconds): an idle connection closes after T;
 * a head must arrive whole within T of its first byte; a blocked send must
 * make progress every T. Requests on one connection are answered in order
 * (pipelining); a body sent with GET or HEAD is skipped up to
 * CONN_DRAIN_MAX bytes, beyond which (or when chunked) the answer closes
 * the connection.
 *
 * An answer that needs a job off the loop (the handler's a->pending: a CAB
 * expansion) parks the connection: it reads nothing more, its timer is
 * the job's deadline (job_timeout; then 503 with Retry-After) instead of
 * the idle limit, and when the job is done (conn_task_ready(), on this
 * thread) the request is handled again and answered. A job the pool
 * cannot queue is a 503 with Retry-After at once. A stop leaves parked
 * connections their answer, within shutdown_timeout like any other.
 *
 * A local miss the upstreams are to be asked for (the handler's
 * a->fetch, fetch.h) parks the connection on the fetch of that path
 * (shared by every request for it, on any worker); on news a plain GET
 * of a file whose length is known is answered at once and its body sent
 * as it arrives (no progress within T: closed); anything else is handled
 * again once the fetch is over (from the cache, or 404/502/504).
 *
 * Everything here runs on the one thread of the worker that owns the
 * conn_env: no locks.
 */
#ifndef SYMSRVD_DAEMON_CONN_H
#define SYMSRVD_DAEMON_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/accesslog.h"
#include "daemon/handler.h"
#include "daemon/metrics.h"
#include "daemon/reply.h"
#include "http/head.h"
#include "http/httpdate.h"

/* Connections of the metrics listeners a worker holds at most; they do
 * not count towards max_conns. */
#define CONN_METRICS_MAX 16

/* Request bodies (on GET, HEAD, ...) skipped to keep a connection. */
#define CONN_DRAIN_MAX (64 * 1024)

struct event_base;
struct event;
struct conn;
struct xchg;
struct clients;
struct offload;
struct offload_box;
struct offload_task;
struct fetcher;
typedef struct ssl_ctx_st SSL_CTX;

/* A worker's connections and what they share; owned by the worker. */
struct conn_env {
    struct event_base *base;
    SSL_CTX *ssl;                      /* borrowed; for TLS connections */
    const struct handler_env *handler; /* borrowed */
    struct accesslog_buf *log;         /* the worker's */
    struct event *log_timer;           /* flushes log 100 ms after a line */
    unsigned timeout;                  /* http.timeout, seconds */
    size_t max_header_size;            /* the head buffer */
    unsigned max_conns;                /* beyond: 503 and close */
    struct clients *clients;           /* shared per-address counts, or NULL */
    const char *cache_control;         /* hits */
    const char *miss_cache_control;    /* 404s */
    struct metrics_worker *metrics;    /* the worker's counters */
    struct offload *offload;           /* borrowed; NULL: no jobs */
    struct offload_box *box;           /* the worker's, for offload */
    unsigned job_timeout;              /* seconds a parked request waits */
    struct fetcher *fetcher;           /* the worker's; NULL: no upstreams */
    bool stopping;                     /* no new requests; close when done */
    void (*drained)(void *arg);        /* stopping and the last one closed */
    void *drained_arg;
    /* Owned state. */
    unsigned nconns;
    unsigned nmetrics;  /* of them, on a metrics listener */
    struct conn *conns; /* every open connection */
    struct xchg *pool;  /* free exchanges */
    unsigned npool;
    time_t date_at; /* the second date and log_date were made for */
    char date[HTTPDATE_LEN];
    char log_date[HTTPDATE_LOG_LEN];
    struct head head; /* scratch: the head being handled */
    struct handler_scratch scratch;
};

/*
 * Prepares env (whose settings the caller filled, stopping false): its log
 * timer. Returns 0, or -1 when out of memory.
 */
int conn_env_init(struct conn_env *env);

/*
 * Takes over an accepted, non-blocking socket fd from peer (TLS when tls).
 * Beyond max_conns, or beyond the client address's share in clients, the
 * client gets a short 503 with Retry-After and the socket closes. Always
 * consumes fd. metrics: it came on the metrics listener; its answers are
 * neither logged nor counted, it counts towards CONN_METRICS_MAX instead
 * of max_conns, and it is served while stopping (for /readyz), one
 * request each.
 */
void conn_accept(struct conn_env *env, int fd, const struct sockaddr *peer,
                 bool tls, bool metrics);

/*
 * Stop: idle connections close now, those in an answer close when it is
 * complete; env->drained runs once none is left (maybe before this
 * returns).
 */
void conn_env_stop(struct conn_env *env);

/* Closes every connection now, answers or not (the shutdown deadline). */
void conn_env_close_all(struct conn_env *env);

/*
 * A job is done: every connection of env (a struct conn_env *) parked on
 * t is handled again. The ready() of env->box; on env's thread.
 */
void conn_task_ready(struct offload_task *t, void *env);

/* Frees the pool and the timer; call once no connection is left. */
void conn_env_cleanup(struct conn_env *env);

#endif
