/*
 * Counters of what the store decides (lookups by how they ended, the
 * directory-listing cache, CAB expansions), kept per thread so that
 * counting costs the request path neither a lock nor a cache line shared
 * with other threads.
 *
 * A thread that binds a slot (store_stats_bind(), a worker at its start)
 * counts into it alone: a relaxed load and store, no atomic add. Any
 * other thread (the dircache refresher, a job pool) counts into one
 * shared slot with relaxed atomic adds. A reader (the /metrics scrape)
 * adds up the slots it knows with store_stats_read() and the shared one
 * with store_stats_read_shared(); each value is read whole, the sum is not
 * a snapshot of one instant. The counters outlive any one struct store
 * (a reload makes a new one), so they only ever grow.
 */
#ifndef SYMSRVD_STORE_STATS_H
#define SYMSRVD_STORE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

enum store_stat {
    /* store_lookup() results, one per call (docs/metrics.md). */
    STORE_STAT_EXACT,       /* the path as asked */
    STORE_STAT_CASE_FOLDED, /* another letter case of it */
    STORE_STAT_TWO_TIER,    /* under the tier prefix of a two-tier store */
    STORE_STAT_TWIN,        /* the CAB twin, expanded */
    STORE_STAT_POINTER,     /* a file.ptr's target */
    STORE_STAT_MISS,        /* not there (a 404) */
    STORE_STAT_ERROR,       /* not readable now (EACCES, EMFILE, ENOSPC...) */
    /* Directory listings a case-blind walk used. */
    STORE_STAT_LISTING_HIT,  /* cached and current */
    STORE_STAT_LISTING_READ, /* read from the disk: new or changed */
    /* CAB twins. */
    STORE_STAT_CAB_OK,      /* expanded into the cache */
    STORE_STAT_CAB_FAILED,  /* expansion failed (bad CAB, full disk...) */
    STORE_STAT_CAB_SKIPPED, /* failed before, unchanged: not tried again */
    STORE_STAT_COUNT
};

#define STORE_STAT_LOOKUP_FIRST STORE_STAT_EXACT
#define STORE_STAT_LOOKUP_LAST STORE_STAT_ERROR

struct store_stats {
    _Atomic uint64_t n[STORE_STAT_COUNT];
};

/*
 * The calling thread counts into mine from now on (only this thread may
 * write it: it must be zeroed and outlive the thread's counting), or into
 * the shared slot again when mine is NULL.
 */
void store_stats_bind(struct store_stats *mine);

/* Counts one s for the calling thread. */
void store_stats_count(enum store_stat s);

/* Adds the counts of slot to out[STORE_STAT_COUNT]. */
void store_stats_read(struct store_stats *slot, uint64_t out[STORE_STAT_COUNT]);

/* Adds the counts of the shared slot to out[STORE_STAT_COUNT]. */
void store_stats_read_shared(uint64_t out[STORE_STAT_COUNT]);

#endif
