/*
 * The daemon's metrics (GET /metrics on the metrics listener, in the
 * Prometheus text format: docs/metrics.md) and the state behind /healthz
 * and /readyz.
 *
 * Counting never takes a lock or writes a cache line another thread
 * writes: each worker has its own struct metrics_worker, written only by
 * its thread with relaxed loads and stores (metrics_add(): no atomic
 * read-modify-write), aligned to its own cache lines; the store's
 * counters go to the worker's store_stats slot the same way (stats.h).
 * A scrape, on whichever worker answers it, adds all slots up with
 * relaxed loads: each value is whole, the sum is not one instant's.
 * Process-wide values (reloads, the stop, the health check) are atomics
 * written rarely.
 */
#ifndef SYMSRVD_DAEMON_METRICS_H
#define SYMSRVD_DAEMON_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/answer.h"
#include "store/stats.h"
#include "store/store.h"

/* Status classes counted: 2xx to 5xx (no 1xx is ever sent). */
#define METRICS_CLASSES 4
/* Finite upper bounds of the request duration histogram (100 us..10 s). */
#define METRICS_BUCKETS 16
/* Room for the whole /metrics text (its size is fixed: no label value
 * comes from a client; test_metrics.c checks the largest fits). */
#define METRICS_TEXT_MAX (12 * 1024)
/* How often /healthz looks at the store root at most, in ms. */
#define METRICS_HEALTH_EVERY_MS 1000

enum metrics_refusal {
    METRICS_REFUSED_MAX_CONNECTIONS, /* server.max_connections */
    METRICS_REFUSED_PER_CLIENT,      /* server.max_connections_per_client */
    METRICS_REFUSALS
};

/* One worker's counters; only that worker's thread writes them. */
struct metrics_worker {
    _Alignas(64) _Atomic uint64_t requests[METRICS_CLASSES][ANSWER_ROUTES];
    _Atomic uint64_t sent_bytes;      /* heads and bodies */
    _Atomic uint64_t sent_body_bytes; /* bodies */
    /* Answers per duration bucket (not cumulative); [METRICS_BUCKETS]
     * holds those beyond the largest bound. */
    _Atomic uint64_t duration[METRICS_BUCKETS + 1];
    _Atomic uint64_t duration_ns; /* their sum */
    _Atomic uint64_t conns_open;  /* a gauge: stored, not added */
    _Atomic uint64_t conns_accepted;
    _Atomic uint64_t conns_refused[METRICS_REFUSALS];
    /* Answers whose body was a compressed copy, per coding. */
    _Atomic uint64_t coded[ZCACHE_CODINGS];
    struct store_stats store; /* bound to the thread: store_stats_bind() */
};

struct metrics {
    struct metrics_worker *workers; /* nworkers, cache-line aligned */
    unsigned nworkers;
    const char *version;         /* build_info's label; borrowed, static */
    struct timespec started;     /* CLOCK_REALTIME */
    atomic_bool stopping;        /* SIGTERM seen: /readyz says 503 */
    _Atomic uint64_t reloads[2]; /* [0] failed, [1] ok */
    atomic_bool last_reload_ok;  /* true from the start */
    _Atomic uint64_t last_reload_ok_ns; /* CLOCK_REALTIME */
    _Atomic int64_t root_checked_ms;    /* CLOCK_MONOTONIC */
    atomic_bool root_ok;                /* the last check's result */
};

/*
 * A registry for nworkers workers, counting from zero; version is the
 * build_info label (a static string). NULL when out of memory. Free with
 * metrics_free().
 */
struct metrics *metrics_new(unsigned nworkers, const char *version);

void metrics_free(struct metrics *m);

/* Adds n to a counter of the calling thread's own slot (one writer). */
static inline void
metrics_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Sets a gauge of the calling thread's own slot. */
static inline void
metrics_set(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

/*
 * One answer sent (or cut short): its status, route, the bytes that left
 * (sent, head included; body) and how long it took in ns.
 */
void metrics_count_answer(struct metrics_worker *w, int status,
                          enum answer_route route, uint64_t sent, uint64_t body,
                          uint64_t ns);

/*
 * For the lead's config reload: counts one, ok or not, and sets
 * symsrvd_config_last_reload_successful (and, when ok, its time). Any
 * thread.
 */
void metrics_reload(struct metrics *m, bool ok);

/* SIGTERM or SIGINT: /readyz answers 503 from now on. Any thread. */
void metrics_set_stopping(struct metrics *m);

bool metrics_stopping(struct metrics *m);

/*
 * Whether the store root can be read (store_check_root()), looked at by at
 * most one thread at a time and at most every METRICS_HEALTH_EVERY_MS;
 * meanwhile the last result. now_ms: CLOCK_MONOTONIC. A change is logged.
 */
bool metrics_root_ok(struct metrics *m, struct store *s, int64_t now_ms);

/*
 * The whole /metrics text into buf[cap], NUL-terminated, with the store's
 * cache sizes g. Returns its length, or 0 when it does not fit.
 */
size_t metrics_format(struct metrics *m, const struct store_gauges *g,
                      char *buf, size_t cap);

struct fetch_counts;

/*
 * The compressed copies' counters (zcache.h) and the answers that sent
 * one, in the same format, appended by the caller after
 * metrics_format()'s text. Returns the length, or 0 when it does not fit.
 */
size_t metrics_format_compress(struct metrics *m, const struct zcache_counts *z,
                               char *buf, size_t cap);

/*
 * The upstream proxy's counters (fetch.h) in the same format, appended
 * by the caller after metrics_format()'s text. Returns the length, or 0
 * when it does not fit in cap.
 */
size_t metrics_format_upstream(const struct fetch_counts *c, char *buf,
                               size_t cap);

#endif
