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
    const struct access *access;   /* borrowed; NULL: everything open */
    struct guard *guard;           /* borrowed: failure counters, cache */
};

/* Who asks: in from the connection, out the user for the access log. */
struct handler_client {
    struct acl_addr addr;       /* the client, trusted proxies resolved */
    char user[ACCESS_USER_LEN]; /* out: the authenticated user, or "" */
};

/* Scratch space of one worker thread, reused by every request. */
struct handler_scratch {
    char list[2][HANDLER_LIST_MAX]; /* joined If-Match, If-None-Match */
};

/*
 * Decides the answer to h (whose values are NUL-terminated: see
 * head_nul_terminate()) into a, which the caller reset. now: the time the
 * request is judged at. cl names the client (access.h: access_client())
 * and receives the user. A file answer leaves its descriptor in a->fd for
 * the caller to send and close. A client the [access] list refuses gets
 * 403 with a->close set, before anything else is looked at.
 */
void handler_serve(const struct handler_env *env, struct handler_scratch *s,
                   const struct head *h, struct handler_client *cl, time_t now,
                   struct answer *a);

#endif
