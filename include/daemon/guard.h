/*
 * The mutable side of access control, owned by the server and shared by
 * every worker thread (one mutex): failed authentications counted per
 * client address, with lock-outs, and a cache of successful password
 * checks. It outlives a reload: the policy (access.h) is rebuilt, the
 * counters go on. Memory is fixed at creation, whatever clients send.
 */
#ifndef SYMSRVD_DAEMON_GUARD_H
#define SYMSRVD_DAEMON_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/acl.h"

/* Client addresses whose failures are counted at once. */
#define GUARD_CLIENTS 4096
/* Successful password checks remembered. */
#define GUARD_CACHE 1024
/* Longest user name a cache entry holds (longer: not cached). */
#define GUARD_USER_MAX 64

struct guard_limits {
    unsigned max_failures; /* failures within window that lock out; 0: off */
    unsigned window;       /* seconds */
    unsigned lockout;      /* seconds */
};

struct guard;

/* NULL when out of memory. Caller owns it: guard_free(). */
struct guard *guard_new(const struct guard_limits *limits);

void guard_free(struct guard *g);

/*
 * Is a locked out at now? Then *retry_after is the seconds left (at least
 * 1). IPv6 clients are counted per /64, since one host has many.
 */
bool guard_locked(struct guard *g, const struct acl_addr *a, time_t now,
                  unsigned *retry_after);

/* Counts a failed authentication of a; true when it locks a out. */
bool guard_fail(struct guard *g, const struct acl_addr *a, time_t now);

/*
 * The cache of successful checks, keyed by a digest the caller makes (a
 * keyed hash of the Authorization value: see access.c). guard_cache_find()
 * copies the user into user[GUARD_USER_MAX + 1] on a hit.
 */
bool guard_cache_find(struct guard *g, const uint8_t digest[32], char *user);
void guard_cache_put(struct guard *g, const uint8_t digest[32],
                     const char *user);

#endif
