/*
 * The pure state of the upstream caching proxy (docs/remote.md): which
 * request paths an upstream may be asked for (name patterns), the
 * negative cache of misses, and the back-off of an upstream that keeps
 * failing. No clock, no I/O, no lock: the caller passes the time in
 * milliseconds of CLOCK_MONOTONIC and serialises calls on one object
 * (fetch.c holds a mutex).
 */
#ifndef SYMSRVD_DAEMON_UPSTATE_H
#define SYMSRVD_DAEMON_UPSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Patterns one upstream may hold, and the longest pattern. */
#define UPSTATE_PATTERNS_MAX 32
#define UPSTATE_PATTERN_LEN 255

/*
 * Whether an upstream whose patterns are pats[0..n) may be asked for the
 * canonical store path rel ("app.pdb/KEY/app.pdb"). A pattern is matched
 * against rel's first segment (the file name the client asks for), case
 * blind, with '*' (any run of bytes), '?' (one byte) and no other special
 * byte: "*.pdb", "*.pd_", "libc.so*". No pattern (n 0) matches anything; an
 * empty rel or an empty first segment matches nothing.
 */
bool upstate_path_matches(char *const *pats, unsigned n, const char *rel);

/* Whether pat is a usable pattern (not empty, at most
 * UPSTATE_PATTERN_LEN bytes, no '/', no control byte). */
bool upstate_pattern_ok(const char *pat);

/*
 * The negative cache: (upstream index, path) pairs that answered 404,
 * each until its expiry. A fixed table of slots, 4-way associative by a
 * 64-bit hash of the pair (the path case-folded); a full set drops the
 * entry closest to expiry, so memory never grows and a flood of distinct
 * misses only shortens how long each is remembered. A hash collision
 * could hide a file for one TTL: at 2^-64 per pair, accepted.
 */
struct upstate_neg;

/* slots (rounded up to a multiple of 4, at least 4): NULL when out of
 * memory. Free with upstate_neg_free(). */
struct upstate_neg *upstate_neg_new(unsigned slots);
void upstate_neg_free(struct upstate_neg *n);

/* Remembers that upstream up had no rel, until now_ms + ttl_ms (ttl 0:
 * nothing is remembered). */
void upstate_neg_put(struct upstate_neg *n, unsigned up, const char *rel,
                     int64_t now_ms, uint64_t ttl_ms);

/* Whether upstream up is known to have no rel at now_ms. */
bool upstate_neg_has(const struct upstate_neg *n, unsigned up, const char *rel,
                     int64_t now_ms);

/* Entries not yet expired at now_ms (for /metrics). */
unsigned upstate_neg_count(const struct upstate_neg *n, int64_t now_ms);

/*
 * The back-off of one upstream. After `threshold` failures in a row
 * (5xx, 401/403, timeouts, connection and TLS errors) it is skipped for
 * `period_ms`, doubled with each further failure up to 16 times the
 * period; one success clears it. A skipped upstream is tried again once
 * the period is over (a probe: one more failure skips it again, longer).
 */
struct upstate_backoff {
    unsigned failures; /* in a row */
    int64_t until_ms;  /* skipped before this time */
};

bool upstate_backoff_skip(const struct upstate_backoff *b, int64_t now_ms);
void upstate_backoff_failed(struct upstate_backoff *b, int64_t now_ms,
                            unsigned threshold, uint64_t period_ms);
void upstate_backoff_ok(struct upstate_backoff *b);

#endif
