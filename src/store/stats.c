/* Per-thread store counters; see stats.h. */
#include <stddef.h>

#include "store/stats.h"

/*
 * The two mutable globals of the store layer, on purpose: the counters
 * must survive the struct store they count for (a reload replaces it),
 * and a thread's slot is found without a lookup. bound is per thread.
 */
static _Thread_local struct store_stats *bound;
static struct store_stats shared;

void
store_stats_bind(struct store_stats *mine)
{
    bound = mine;
}

void
store_stats_count(enum store_stat s)
{
    struct store_stats *mine = bound;

    if (mine != NULL) {
        /* The only writer of this slot: no read-modify-write needed. */
        uint64_t v = atomic_load_explicit(&mine->n[s], memory_order_relaxed);

        atomic_store_explicit(&mine->n[s], v + 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&shared.n[s], 1, memory_order_relaxed);
}

void
store_stats_read(struct store_stats *slot, uint64_t out[STORE_STAT_COUNT])
{
    for (size_t i = 0; i < STORE_STAT_COUNT; i++)
        out[i] += atomic_load_explicit(&slot->n[i], memory_order_relaxed);
}

void
store_stats_read_shared(uint64_t out[STORE_STAT_COUNT])
{
    store_stats_read(&shared, out);
}
