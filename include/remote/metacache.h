/*
 * The metadata cache of a bucket store: what the last HEAD or GET of an
 * object said, its size when it exists (positive) or that it does not
 * (negative), for a time-to-live each, so that a storm of requests for
 * one missing file costs the bucket one request per negative TTL, and a
 * hit needs no HEAD before the fetch. Pure: the caller gives the time
 * (milliseconds of a monotonic clock) and does the requests.
 *
 * Bounded: at most max entries; a full cache drops its oldest entry
 * (first in, first out: an entry is re-put when it expires, so the
 * oldest is also the nearest to expiry among entries of the same kind).
 * Keys are store paths as the bucket spells them, compared exactly.
 * Not thread-safe: one per worker, or the caller locks.
 */
#ifndef SYMSRVD_REMOTE_METACACHE_H
#define SYMSRVD_REMOTE_METACACHE_H

#include <stddef.h>
#include <stdint.h>

enum metacache_rc {
    METACACHE_UNKNOWN, /* not cached, or expired: ask the bucket */
    METACACHE_PRESENT, /* exists, *size set */
    METACACHE_ABSENT,  /* known missing */
};

struct metacache;

/* NULL when out of memory or max is 0. */
struct metacache *metacache_new(size_t max, uint64_t present_ttl_ms,
                                uint64_t absent_ttl_ms);
void metacache_free(struct metacache *mc);

enum metacache_rc metacache_get(struct metacache *mc, const char *key,
                                uint64_t now_ms, uint64_t *size);

/* Records what the bucket said at now_ms. -1 when out of memory (the
 * cache is unchanged). */
int metacache_put(struct metacache *mc, const char *key, uint64_t now_ms,
                  int present, uint64_t size);

/* Drops key (a writer changed it). */
void metacache_forget(struct metacache *mc, const char *key);

size_t metacache_count(const struct metacache *mc);

#endif
