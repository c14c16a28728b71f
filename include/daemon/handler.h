/*
 * The request pipeline, from a parsed head to a decided answer: method
 * gate, path canonicalisation, hidden names, route (symbol path or
 * /buildid/), store lookup, preconditions, ranges. No socket, no libevent:
 * the connection (conn.c) calls handler_serve() and sends what it decided.
 */
#ifndef SYMSRVD_DAEMON_HANDLER_H
#define SYMSRVD_DAEMON_HANDLER_H

#include <stdbool.h>
#include <time.h>

#include "daemon/access.h"
#include "daemon/answer.h"
#include "daemon/metrics.h"
#include "http/head.h"
#include "store/debuginfod.h"

struct fetch_hub;
struct store;

/* Longest If-Match or If-None-Match list joined from repeated lines. */
#define HANDLER_LIST_MAX 16384

/* Read-only settings and shared objects; one for the whole server. */
struct handler_env {
    struct store *store;           /* borrowed */
    struct debuginfod *debuginfod; /* borrowed */
    bool serve_admin;              /* 000Admin/ is served */
    unsigned max_ranges;           /* ranges honoured per request */
    const char *boundary;          /* multipart/byteranges boundary */
    struct metrics *metrics;       /* borrowed: /metrics, /healthz, /readyz */
    bool offload; /* an expansion is left pending (a->pending), not made */
    const struct access *access; /* borrowed; NULL: everything open */
    struct guard *guard;         /* borrowed: failure counters, cache */
    struct zcache *zcache;       /* borrowed (the server's); NULL: no copies */
    struct fetch_hub *upstream;  /* borrowed; NULL: no upstreams */
};

/* Who asks: in from the connection, out the user for the access log. */
struct handler_client {
    struct acl_addr addr;       /* the client, trusted proxies resolved */
    char user[ACCESS_USER_LEN]; /* out: the authenticated user, or "" */
};

/*
 * The listener a request came on. The metrics listener answers /metrics,
 * /healthz and /readyz and nothing else (404); the serving listeners
 * answer /healthz and /readyz, and /metrics there is a store path.
 */
enum handler_listener { HANDLER_SERVING, HANDLER_METRICS };

/* Scratch space of one worker thread, reused by every request. */
struct handler_scratch {
    char list[2][HANDLER_LIST_MAX]; /* joined If-Match, If-None-Match */
    char metrics[METRICS_TEXT_MAX]; /* the /metrics text being sent */
    struct debuginfod_cands cands;  /* paths the identifier index gave */
};

/*
 * Decides the answer to h (whose values are NUL-terminated: see
 * head_nul_terminate()), which came on listener on, into a, which the
 * caller reset. now: the time the request is judged at. cl names the
 * client (access.h: access_client()) and receives the user. A file answer
 * leaves its descriptor in a->fd for the caller to send and close; a text
 * answer's text may point into s until the next call. A client the
 * [access] list refuses gets 403 with a->close set, before anything else
 * is looked at. With env->offload, an answer that needs an expansion
 * first sets a->pending and a->job, and nothing else: the caller has the
 * job run, then calls again with the same head. With env->upstream, a
 * local miss of a keyed store path that is not in the cache of fetches
 * sets a->fetch and a->fetch_rel (unless the upstreams are known not to
 * have it: 404): the caller fetches, then calls again.
 */
void handler_serve(const struct handler_env *env, struct handler_scratch *s,
                   const struct head *h, enum handler_listener on,
                   struct handler_client *cl, time_t now, struct answer *a);

/*
 * Whether a file still being fetched may be sent to h as it arrives: a
 * GET of the whole file, without Range or a precondition (those wait for
 * the whole file, then are answered from the cache like any file).
 */
bool handler_may_stream(const struct head *h);

/*
 * Whether h may be passed to a bucket as a range of a file not cached
 * (fetch_range()): a GET with a Range of exactly one range-spec that the
 * usual parse takes, and no If-Range or other precondition (which need
 * the file's validators). The range-spec ("a-b", "a-" or "-n") into
 * out[outlen]; false when it does not fit.
 */
bool handler_range_spec(const struct head *h, char *out, size_t outlen);

#endif
