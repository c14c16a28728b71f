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

#include "daemon/answer.h"
#include "http/head.h"

struct debuginfod;
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
    bool offload; /* an expansion is left pending (a->pending), not made */
};

/* Scratch space of one worker thread, reused by every request. */
struct handler_scratch {
    char list[2][HANDLER_LIST_MAX]; /* joined If-Match, If-None-Match */
};

/*
 * Decides the answer to h (whose values are NUL-terminated: see
 * head_nul_terminate()) into a, which the caller reset. now: the time the
 * request is judged at. A file answer leaves its descriptor in a->fd for
 * the caller to send and close. With env->offload, an answer that needs
 * an expansion first sets a->pending and a->job, and nothing else: the
 * caller has the job run, then calls again with the same head.
 */
void handler_serve(const struct handler_env *env, struct handler_scratch *s,
                   const struct head *h, time_t now, struct answer *a);

#endif
