/*
 * The access policy: IP allow/deny lists, trusted proxies, per-path rules,
 * the htpasswd users, the bearer tokens and the realm, built once from a
 * struct config and the files it names. It never changes once built, so
 * every worker thread reads it without a lock, and a reload builds a new
 * one and swaps a pointer. What changes (failure counters, the check
 * cache) lives in a struct guard (guard.h) that the caller owns.
 */
#ifndef SYMSRVD_DAEMON_ACCESS_H
#define SYMSRVD_DAEMON_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "daemon/acl.h"
#include "daemon/guard.h"
#include "http/head.h"

struct config;
struct access;

/* Longest WWW-Authenticate value (the realm is escaped into it). */
#define ACCESS_CHALLENGE_MAX 600

/* Longest user name reported for the access log, NUL included. */
#define ACCESS_USER_LEN 256

/*
 * Builds the policy of cfg, reading auth.htpasswd and auth.tokens. NULL
 * with one line in err naming the file and line of a problem. The caller
 * owns the result: access_free().
 */
struct access *access_new(const struct config *cfg, char *err, size_t errlen);

void access_free(struct access *ac);

/* The limits of the guard a server keeps beside this policy. */
struct guard_limits access_guard_limits(const struct config *cfg);

/*
 * The client of a request: peer, or when peer is a trusted proxy the
 * address X-Forwarded-For (else Forwarded) names (acl_forwarded_client()).
 */
void access_client(const struct access *ac, const struct acl_addr *peer,
                   const struct head *h, struct acl_addr *client);

/* The [access] allow/deny list: first match wins; no match: allowed. */
bool access_ip_allowed(const struct access *ac, const struct acl_addr *client);

enum access_rc {
    ACCESS_OK,           /* go on; user may name who */
    ACCESS_FORBIDDEN,    /* 403: the path's allow/deny list refuses */
    ACCESS_UNAUTHORIZED, /* 401: no or wrong credentials */
    ACCESS_LOCKED,       /* 429: too many failures; retry_after seconds */
};

struct access_result {
    char user[ACCESS_USER_LEN]; /* "" when not authenticated */
    unsigned retry_after;       /* ACCESS_LOCKED */
};

/*
 * The rule of path (canonical, root-relative: path_canonicalize()) for a
 * request whose client is client: its path's allow/deny list, then, where
 * the path needs credentials, h's Authorization (Basic or Bearer), with
 * failures counted in g. now: for the lock-out.
 */
enum access_rc access_check(const struct access *ac, struct guard *g,
                            const char *path, const struct acl_addr *client,
                            const struct head *h, time_t now,
                            struct access_result *res);

/* The WWW-Authenticate value of a 401: Basic realm="..." (and Bearer). */
const char *access_challenge(const struct access *ac);

#endif
