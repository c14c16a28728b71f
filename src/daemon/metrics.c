/* Metrics and health state; see metrics.h and docs/metrics.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/fetch.h"
#include "daemon/metrics.h"
#include "daemon/promtext.h"
#include "util/log.h"

/* Upper bounds of the duration buckets: from a page-cache hit on
 * loopback (tens of us) to a large download on a slow link. */
static const struct {
    uint64_t ns;
    const char *le;
} buckets[METRICS_BUCKETS] = {
    {100000, "0.0001"},  {250000, "0.00025"}, {500000, "0.0005"},
    {1000000, "0.001"},  {2500000, "0.0025"}, {5000000, "0.005"},
    {10000000, "0.01"},  {25000000, "0.025"}, {50000000, "0.05"},
    {100000000, "0.1"},  {250000000, "0.25"}, {500000000, "0.5"},
    {1000000000, "1"},   {2500000000, "2.5"}, {5000000000, "5"},
    {10000000000, "10"},
};

static const char *const route_names[ANSWER_ROUTES] = {
    [ANSWER_ROUTE_OTHER] = "other",
    [ANSWER_ROUTE_SYMBOL] = "symbol",
    [ANSWER_ROUTE_DEBUGINFOD] = "debuginfod",
    [ANSWER_ROUTE_ADMIN] = "admin",
};

static const char *const class_names[METRICS_CLASSES] = {"2xx", "3xx", "4xx",
                                                         "5xx"};

static const char *const lookup_names[] = {
    [STORE_STAT_EXACT] = "exact",
    [STORE_STAT_CASE_FOLDED] = "case_folded",
    [STORE_STAT_TWO_TIER] = "two_tier",
    [STORE_STAT_TWIN] = "twin",
    [STORE_STAT_POINTER] = "pointer",
    [STORE_STAT_MISS] = "miss",
    [STORE_STAT_ERROR] = "error",
};

static const char *const refusal_names[METRICS_REFUSALS] = {
    [METRICS_REFUSED_MAX_CONNECTIONS] = "max_connections",
    [METRICS_REFUSED_PER_CLIENT] = "max_connections_per_client",
};

struct metrics *
metrics_new(unsigned nworkers, const char *version)
{
    struct metrics *m = calloc(1, sizeof(*m));
    size_t size = (nworkers > 0 ? nworkers : 1) * sizeof(*m->workers);

    if (m == NULL)
        return NULL;
    /* Each slot on cache lines of its own: no false sharing. */
    m->workers = aligned_alloc(_Alignof(struct metrics_worker), size);
    if (m->workers == NULL) {
        free(m);
        return NULL;
    }
    memset(m->workers, 0, size);
    m->nworkers = nworkers;
    m->version = version;
    clock_gettime(CLOCK_REALTIME, &m->started);
    atomic_init(&m->stopping, false);
    atomic_init(&m->last_reload_ok, true);
    atomic_init(&m->last_reload_ok_ns,
                (uint64_t)m->started.tv_sec * 1000000000u +
                    (uint64_t)m->started.tv_nsec);
    atomic_init(&m->root_checked_ms, INT64_MIN / 2);
    atomic_init(&m->root_ok, true);
    return m;
}

void
metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    free(m->workers);
    free(m);
}

void
metrics_count_answer(struct metrics_worker *w, int status,
                     enum answer_route route, uint64_t sent, uint64_t body,
                     uint64_t ns)
{
    int c = status / 100 - 2;
    size_t b = 0;

    if (c < 0) /* no 1xx is sent; a status below 200 would be a bug */
        c = 0;
    if (c >= METRICS_CLASSES)
        c = METRICS_CLASSES - 1;
    while (b < METRICS_BUCKETS && ns > buckets[b].ns)
        b++;
    metrics_add(&w->requests[c][route], 1);
    metrics_add(&w->sent_bytes, sent);
    metrics_add(&w->sent_body_bytes, body);
    metrics_add(&w->duration[b], 1);
    metrics_add(&w->duration_ns, ns);
}

void
metrics_reload(struct metrics *m, bool ok)
{
    struct timespec now;

    atomic_fetch_add_explicit(&m->reloads[ok ? 1 : 0], 1, memory_order_relaxed);
    atomic_store(&m->last_reload_ok, ok);
    if (ok && clock_gettime(CLOCK_REALTIME, &now) == 0)
        atomic_store(&m->last_reload_ok_ns, (uint64_t)now.tv_sec * 1000000000u +
                                                (uint64_t)now.tv_nsec);
}

void
metrics_set_stopping(struct metrics *m)
{
    atomic_store(&m->stopping, true);
}

bool
metrics_stopping(struct metrics *m)
{
    return atomic_load(&m->stopping);
}

bool
metrics_root_ok(struct metrics *m, struct store *s, int64_t now_ms)
{
    int64_t last = atomic_load(&m->root_checked_ms);
    bool ok, was;
    int err;

    /* One thread wins the exchange and looks; the others, and everyone
     * within the interval, take the last result. */
    if (now_ms - last < METRICS_HEALTH_EVERY_MS ||
        !atomic_compare_exchange_strong(&m->root_checked_ms, &last, now_ms))
        return atomic_load(&m->root_ok);
    ok = store_check_root(s) == 0;
    err = errno;
    was = atomic_exchange(&m->root_ok, ok);
    /* Said once per change, not once a second while it lasts. */
    if (!ok && was && err == ESTALE)
        log_warnx("healthz: the store root's path names another directory "
                  "now: reload or restart");
    else if (!ok && was)
        log_warnx("healthz: the store root cannot be read: %s", strerror(err));
    else if (ok && !was)
        log_info("healthz: the store root can be read again");
    return ok;
}

/* --- the text ------------------------------------------------------------
 */

/* The sums of every worker's slot (and the store's shared one). */
struct totals {
    uint64_t requests[METRICS_CLASSES][ANSWER_ROUTES];
    uint64_t sent_bytes, sent_body_bytes;
    uint64_t duration[METRICS_BUCKETS + 1];
    uint64_t duration_ns;
    uint64_t conns_open, conns_accepted, conns_refused[METRICS_REFUSALS];
    uint64_t store[STORE_STAT_COUNT];
};

static uint64_t
load(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void
add_worker(struct totals *t, struct metrics_worker *w)
{
    for (size_t c = 0; c < METRICS_CLASSES; c++)
        for (size_t r = 0; r < ANSWER_ROUTES; r++)
            t->requests[c][r] += load(&w->requests[c][r]);
    t->sent_bytes += load(&w->sent_bytes);
    t->sent_body_bytes += load(&w->sent_body_bytes);
    for (size_t b = 0; b <= METRICS_BUCKETS; b++)
        t->duration[b] += load(&w->duration[b]);
    t->duration_ns += load(&w->duration_ns);
    t->conns_open += load(&w->conns_open);
    t->conns_accepted += load(&w->conns_accepted);
    for (size_t i = 0; i < METRICS_REFUSALS; i++)
        t->conns_refused[i] += load(&w->conns_refused[i]);
    store_stats_read(&w->store, t->store);
}

static void
put_process(struct promtext *t, struct metrics *m)
{
    struct promtext_label version = {"version", m->version};
    char num[PROMTEXT_NUM_MAX];
    uint64_t started = (uint64_t)m->started.tv_sec * 1000000000u +
                       (uint64_t)m->started.tv_nsec;

    promtext_family(t, "symsrvd_build_info", "gauge",
                    "Always 1; the label is the symsrvd version.");
    promtext_sample(t, "symsrvd_build_info", &version, 1, "1");
    promtext_family(t, "symsrvd_start_time_seconds", "gauge",
                    "When the daemon started, in seconds since the epoch.");
    promtext_sample(t, "symsrvd_start_time_seconds", NULL, 0,
                    promtext_seconds(started, num));
}

static void
put_requests(struct promtext *t, const struct totals *s)
{
    promtext_family(t, "symsrvd_http_requests_total", "counter",
                    "Answers sent on the serving listeners, by route and "
                    "status class.");
    for (size_t r = 0; r < ANSWER_ROUTES; r++) {
        for (size_t c = 0; c < METRICS_CLASSES; c++) {
            struct promtext_label l[2] = {{"route", route_names[r]},
                                          {"class", class_names[c]}};

            promtext_sample_u64(t, "symsrvd_http_requests_total", l, 2,
                                s->requests[c][r]);
        }
    }
    promtext_family(t, "symsrvd_http_sent_bytes_total", "counter",
                    "Bytes of answers sent, heads and bodies.");
    promtext_sample_u64(t, "symsrvd_http_sent_bytes_total", NULL, 0,
                        s->sent_bytes);
    promtext_family(t, "symsrvd_http_sent_body_bytes_total", "counter",
                    "Bytes of answer bodies sent.");
    promtext_sample_u64(t, "symsrvd_http_sent_body_bytes_total", NULL, 0,
                        s->sent_body_bytes);
}

static void
put_duration(struct promtext *t, const struct totals *s)
{
    static const char name[] = "symsrvd_http_request_duration_seconds";
    char num[PROMTEXT_NUM_MAX];
    uint64_t cum = 0;

    promtext_family(t, name, "histogram",
                    "Time from a whole request head to the last byte of "
                    "its answer handed to the kernel.");
    for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
        struct promtext_label le = {"le", b < METRICS_BUCKETS ? buckets[b].le
                                                              : "+Inf"};

        cum += s->duration[b];
        promtext_sample_u64(t, "symsrvd_http_request_duration_seconds_bucket",
                            &le, 1, cum);
    }
    promtext_sample(t, "symsrvd_http_request_duration_seconds_sum", NULL, 0,
                    promtext_seconds(s->duration_ns, num));
    promtext_sample_u64(t, "symsrvd_http_request_duration_seconds_count", NULL,
                        0, cum);
}

static void
put_connections(struct promtext *t, const struct totals *s)
{
    promtext_family(t, "symsrvd_connections_open", "gauge",
                    "Connections open now, on every listener.");
    promtext_sample_u64(t, "symsrvd_connections_open", NULL, 0, s->conns_open);
    promtext_family(t, "symsrvd_connections_accepted_total", "counter",
                    "Connections taken into service.");
    promtext_sample_u64(t, "symsrvd_connections_accepted_total", NULL, 0,
                        s->conns_accepted);
    promtext_family(t, "symsrvd_connections_refused_total", "counter",
                    "Connections refused at a cap (a 503, or a close for "
                    "TLS).");
    for (size_t i = 0; i < METRICS_REFUSALS; i++) {
        struct promtext_label cap = {"cap", refusal_names[i]};

        promtext_sample_u64(t, "symsrvd_connections_refused_total", &cap, 1,
                            s->conns_refused[i]);
    }
}

static void
put_store(struct promtext *t, const struct totals *s,
          const struct store_gauges *g)
{
    static const struct promtext_label hit = {"result", "hit"},
                                       read = {"result", "read"};
    static const struct promtext_label ok = {"result", "ok"},
                                       failed = {"result", "failed"};

    promtext_family(t, "symsrvd_store_lookups_total", "counter",
                    "Store lookups by how they ended (a debuginfod request "
                    "may make two).");
    for (size_t k = STORE_STAT_LOOKUP_FIRST; k <= STORE_STAT_LOOKUP_LAST; k++) {
        struct promtext_label kind = {"kind", lookup_names[k]};

        promtext_sample_u64(t, "symsrvd_store_lookups_total", &kind, 1,
                            s->store[k]);
    }
    promtext_family(t, "symsrvd_dircache_listings", "gauge",
                    "Directory listings cached for case-blind lookups.");
    promtext_sample_u64(t, "symsrvd_dircache_listings", NULL, 0, g->listings);
    promtext_family(t, "symsrvd_dircache_spellings", "gauge",
                    "Stored spellings learned from case-blind hits.");
    promtext_sample_u64(t, "symsrvd_dircache_spellings", NULL, 0, g->spellings);
    promtext_family(t, "symsrvd_dircache_listing_uses_total", "counter",
                    "Directory listings a case-blind lookup used: cached "
                    "(hit) or read from the disk (read).");
    promtext_sample_u64(t, "symsrvd_dircache_listing_uses_total", &hit, 1,
                        s->store[STORE_STAT_LISTING_HIT]);
    promtext_sample_u64(t, "symsrvd_dircache_listing_uses_total", &read, 1,
                        s->store[STORE_STAT_LISTING_READ]);
    promtext_family(t, "symsrvd_cab_expansions_total", "counter",
                    "CAB twins expanded into the cache directory.");
    promtext_sample_u64(t, "symsrvd_cab_expansions_total", &ok, 1,
                        s->store[STORE_STAT_CAB_OK]);
    promtext_sample_u64(t, "symsrvd_cab_expansions_total", &failed, 1,
                        s->store[STORE_STAT_CAB_FAILED]);
    promtext_family(t, "symsrvd_cab_negative_cache_entries", "gauge",
                    "CAB twins remembered as failing to expand.");
    promtext_sample_u64(t, "symsrvd_cab_negative_cache_entries", NULL, 0,
                        g->failed_twins);
    promtext_family(t, "symsrvd_cab_negative_cache_hits_total", "counter",
                    "Requests for a twin that failed before and was not "
                    "tried again.");
    promtext_sample_u64(t, "symsrvd_cab_negative_cache_hits_total", NULL, 0,
                        s->store[STORE_STAT_CAB_SKIPPED]);
}

static void
put_reloads(struct promtext *t, struct metrics *m)
{
    struct promtext_label success = {"result", "success"},
                          failure = {"result", "failure"};
    char num[PROMTEXT_NUM_MAX];

    promtext_family(t, "symsrvd_config_reloads_total", "counter",
                    "Configuration reloads (SIGHUP), by result.");
    promtext_sample_u64(t, "symsrvd_config_reloads_total", &success, 1,
                        load(&m->reloads[1]));
    promtext_sample_u64(t, "symsrvd_config_reloads_total", &failure, 1,
                        load(&m->reloads[0]));
    promtext_family(t, "symsrvd_config_last_reload_successful", "gauge",
                    "1 when the last reload (or the start) succeeded.");
    promtext_sample(t, "symsrvd_config_last_reload_successful", NULL, 0,
                    atomic_load(&m->last_reload_ok) ? "1" : "0");
    promtext_family(t, "symsrvd_config_last_reload_success_timestamp_seconds",
                    "gauge",
                    "When the configuration in use was loaded, in seconds "
                    "since the epoch.");
    promtext_sample(t, "symsrvd_config_last_reload_success_timestamp_seconds",
                    NULL, 0,
                    promtext_seconds(load(&m->last_reload_ok_ns), num));
}

size_t
metrics_format(struct metrics *m, const struct store_gauges *g, char *buf,
               size_t cap)
{
    struct totals s;
    struct promtext t;

    memset(&s, 0, sizeof(s));
    for (unsigned i = 0; i < m->nworkers; i++)
        add_worker(&s, &m->workers[i]);
    store_stats_read_shared(s.store);
    promtext_init(&t, buf, cap);
    put_process(&t, m);
    put_requests(&t, &s);
    put_duration(&t, &s);
    put_connections(&t, &s);
    put_store(&t, &s, g);
    put_reloads(&t, m);
    return promtext_end(&t);
}

size_t
metrics_format_compress(struct metrics *m, const struct zcache_counts *z,
                        char *buf, size_t cap)
{
    static const struct promtext_label coding[ZCACHE_CODINGS] = {
        [ZCACHE_GZIP] = {"coding", "gzip"},
        [ZCACHE_ZSTD] = {"coding", "zstd"},
    };
    static const struct promtext_label as_is = {"result", "kept_as_stored"},
                                       failed = {"result", "failed"};
    struct promtext t;

    promtext_init(&t, buf, cap);
    promtext_family(&t, "symsrvd_compressed_answers_total", "counter",
                    "Answers whose body was a compressed copy.");
    for (int c = 0; c < ZCACHE_CODINGS; c++) {
        uint64_t n = 0;

        for (unsigned i = 0; i < m->nworkers; i++)
            n += load(&m->workers[i].coded[c]);
        promtext_sample_u64(&t, "symsrvd_compressed_answers_total", &coding[c],
                            1, n);
    }
    promtext_family(&t, "symsrvd_compressed_copies_total", "counter",
                    "Compressed copies made in the cache directory, files "
                    "found not worth it (kept_as_stored), failures.");
    for (int c = 0; c < ZCACHE_CODINGS; c++)
        promtext_sample_u64(&t, "symsrvd_compressed_copies_total", &coding[c],
                            1, z->made[c]);
    promtext_sample_u64(&t, "symsrvd_compressed_copies_total", &as_is, 1,
                        z->as_is);
    promtext_sample_u64(&t, "symsrvd_compressed_copies_total", &failed, 1,
                        z->failed);
    return promtext_end(&t);
}

/* A bucket store's listing index (bucket.h). */
static void
put_bucket(struct promtext *t, const struct bucket_counts *b)
{
    static const struct promtext_label ok = {"result", "ok"},
                                       failed = {"result", "failed"};

    promtext_family(t, "symsrvd_bucket_index_entries", "gauge",
                    "Stored files in the bucket's listing index.");
    promtext_sample_u64(t, "symsrvd_bucket_index_entries", NULL, 0, b->entries);
    promtext_family(t, "symsrvd_bucket_index_bytes", "gauge",
                    "Memory of the bucket's listing index.");
    promtext_sample_u64(t, "symsrvd_bucket_index_bytes", NULL, 0, b->bytes);
    promtext_family(t, "symsrvd_bucket_index_refreshes_total", "counter",
                    "Looks at the bucket for new transactions (the first a "
                    "whole listing).");
    promtext_sample_u64(t, "symsrvd_bucket_index_refreshes_total", &ok, 1,
                        b->refreshes);
    promtext_sample_u64(t, "symsrvd_bucket_index_refreshes_total", &failed, 1,
                        b->failures);
}

size_t
metrics_format_upstream(const struct fetch_counts *c, char *buf, size_t cap)
{
    static const struct promtext_label done = {"result", "done"},
                                       missed = {"result", "not_found"},
                                       failed = {"result", "failed"};
    struct promtext t;

    promtext_init(&t, buf, cap);
    promtext_family(&t, "symsrvd_upstream_cache_hits_total", "counter",
                    "Requests served from the cache of upstream files.");
    promtext_sample_u64(&t, "symsrvd_upstream_cache_hits_total", NULL, 0,
                        c->hits);
    promtext_family(&t, "symsrvd_upstream_fetches_total", "counter",
                    "Upstream fetches started.");
    promtext_sample_u64(&t, "symsrvd_upstream_fetches_total", NULL, 0,
                        c->started);
    promtext_family(&t, "symsrvd_upstream_fetches_ended_total", "counter",
                    "Upstream fetches ended: a file kept (done), a 404 of "
                    "every upstream asked (not_found), or failures.");
    promtext_sample_u64(&t, "symsrvd_upstream_fetches_ended_total", &done, 1,
                        c->done);
    promtext_sample_u64(&t, "symsrvd_upstream_fetches_ended_total", &missed, 1,
                        c->missed);
    promtext_sample_u64(&t, "symsrvd_upstream_fetches_ended_total", &failed, 1,
                        c->failed);
    promtext_family(&t, "symsrvd_upstream_received_bytes_total", "counter",
                    "Body bytes received from upstreams.");
    promtext_sample_u64(&t, "symsrvd_upstream_received_bytes_total", NULL, 0,
                        c->bytes);
    promtext_family(&t, "symsrvd_upstream_negative_cache_entries", "gauge",
                    "Upstream 404s remembered.");
    promtext_sample_u64(&t, "symsrvd_upstream_negative_cache_entries", NULL, 0,
                        c->neg_count);
    promtext_family(&t, "symsrvd_upstream_negative_cache_hits_total", "counter",
                    "Requests answered 404 without asking an upstream.");
    promtext_sample_u64(&t, "symsrvd_upstream_negative_cache_hits_total", NULL,
                        0, c->neg_hits);
    promtext_family(&t, "symsrvd_cache_dir_bytes", "gauge",
                    "Bytes in the bounded cache directory (expansions and "
                    "upstream files).");
    promtext_sample_u64(&t, "symsrvd_cache_dir_bytes", NULL, 0, c->cache_bytes);
    promtext_family(&t, "symsrvd_cache_dir_files", "gauge",
                    "Files in the bounded cache directory.");
    promtext_sample_u64(&t, "symsrvd_cache_dir_files", NULL, 0, c->cache_files);
    if (c->bucket)
        put_bucket(&t, &c->bk);
    return promtext_end(&t);
}
