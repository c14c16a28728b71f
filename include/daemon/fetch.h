/*
 * Fetching missing files from upstream symbol servers (a SymProxy-style
 * caching proxy: docs/remote.md), with libcurl's multi interface on each
 * worker's event loop: no thread per request, no blocking call but the
 * local file writes.
 *
 * A source is one upstream: a base URL, the name patterns of what it may
 * be asked for, and a setup() hook that prepares libcurl's easy handle
 * beyond the URL and the common limits (credentials, proxy, timeouts
 * today; a bucket source's request signing later). The hub makes its
 * sources from the config's upstreams (hub_sources() in fetch.c); a
 * bucket store adds one there with its own setup() (CURLOPT_AWS_SIGV4,
 * the x-amz-content-sha256 header) and url (the bucket and prefix), and
 * the rest (one fetch per path, streaming, the cache, the negative cache)
 * is shared.
 *
 * With a bucket store (store.root s3://..., daemon/bucket.h), its source
 * comes first: the hub owns the bucket.
 *
 * The hub (one per server, all threads) holds the sources, the fetches
 * running, the negative cache and the back-off state (under one mutex),
 * and the cache directory. A fetch of a path is one object for the whole
 * process: the first request starts it on its worker's fetcher (which
 * owns it from then on), every later request for the same path (case
 * blind), on any worker, joins it. The sources are asked in order; a 404
 * (or 410) is remembered for upstream_negative_ttl and the next source is
 * asked; a failure (5xx, 401/403, timeouts, connection or TLS errors)
 * counts towards the source's back-off and the next source is asked, as
 * long as no byte has gone to a client.
 *
 * The body goes into an unnamed file (O_TMPFILE) in the cache directory
 * as it arrives; readers pread() it up to fetch_avail(), so the first
 * byte does not wait for the last. When it is whole (and its length is
 * what the upstream announced) it is fsync'd and linked into place
 * ("upstream/<path, lower case>" beneath the cache directory) and
 * recorded in the cache bound (cachedir.h). A crash at any moment leaves
 * no file behind, whole or partial: the name appears only once the bytes
 * are on disk.
 *
 * Waiting: a waiter on the owner's thread is woken through the fetch's
 * own event (after the libcurl callback returned); one on another worker
 * cannot be (the worker bases take no locks) and polls fetch_state() and
 * fetch_avail() (atomic loads) on a short timer instead (FETCH_POLL_MS).
 *
 * A fetch lives while anyone holds a reference: the fetcher while it
 * runs, each request that waits or reads. A client that goes away drops
 * its reference; the fetch goes on for the others and for the cache.
 */
#ifndef SYMSRVD_DAEMON_FETCH_H
#define SYMSRVD_DAEMON_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "daemon/bucket.h"
#include "daemon/config.h"
#include "http/range.h"

struct event_base;
struct cachedir;
struct fetch_hub;
struct fetcher;
struct fetch;

/* Milliseconds between two looks of a waiter on another worker. */
#define FETCH_POLL_MS 5

/* The cache directory's subdirectory that holds fetched files. */
#define FETCH_CACHE_SUBDIR "upstream"

/* One upstream: where, what it may be asked, how to set up a request. */
struct fetch_source {
    char *name;
    char *url; /* base, no final '/'; the store path is appended */
    char *patterns[CONFIG_MAX_PATTERNS];
    unsigned npatterns;
    /* Credentials, proxy, timeouts: what setup() reads (owned). */
    struct config_upstream cfg;
    /* Prepares easy for this source and the store path rel after the URL
     * and the common options are set (it may set another URL); a header
     * list it makes goes to *hdrs, freed after the transfer. 0, or -1
     * (the fetch then counts as this source failing). */
    int (*setup)(CURL *easy, const struct fetch_source *src, const char *rel,
                 struct curl_slist **hdrs);
    /* Whether the source may hold rel (NULL: ask it). False is a miss
     * known without a request: a bucket's listing index (bucket.h). */
    bool (*may_have)(const struct fetch_source *src, const char *rel);
    void *ctx;           /* setup()'s and may_have()'s state, or NULL */
    uint64_t neg_ttl_ms; /* how long its 404 is kept; 0: the hub's */
};

/* The default setup(): Basic or bearer credentials, proxy, timeouts. */
int fetch_setup_upstream(CURL *easy, const struct fetch_source *src,
                         const char *rel, struct curl_slist **hdrs);

enum fetch_state {
    FETCH_RUNNING,       /* asking; no body known yet */
    FETCH_STREAMING,     /* a 200 with a known length: bytes arrive */
    FETCH_DONE,          /* whole and in the cache */
    FETCH_MISS,          /* no source has it (a 404, or none may be asked) */
    FETCH_FAILED,        /* errors only, or cut after bytes went out */
    FETCH_TIMEDOUT,      /* as FAILED, the last error a timeout */
    FETCH_UNSATISFIABLE, /* a ranged fetch: the bucket answered 416 */
};

/* Counters of the hub, for /metrics (relaxed atomics). */
struct fetch_counts {
    uint64_t hits;      /* requests served from the cache of fetches */
    uint64_t started;   /* fetches started */
    uint64_t done;      /* fetches that brought a file */
    uint64_t missed;    /* fetches that ended in a 404 */
    uint64_t failed;    /* fetches that failed */
    uint64_t bytes;     /* body bytes received */
    uint64_t neg_hits;  /* requests answered 404 by the negative cache */
    unsigned neg_count; /* negative entries alive */
    uint64_t cache_bytes, cache_files; /* of the cache bound, if any */
    bool bucket;                       /* a bucket store: bk is filled */
    struct bucket_counts bk;
};

/*
 * The hub of cfg's bucket store and upstreams (config_fetches()): copies what
 * it needs of cfg. Opens (making it if missing) cfg->cache_dir; bound, if not
 * NULL, is the server's bound of that directory (borrowed). Call on the main
 * thread before any worker starts (it runs curl_global_init()). NULL with
 * the reason in err.
 */
struct fetch_hub *fetch_hub_new(const struct config *cfg,
                                struct cachedir *bound, char *err,
                                size_t errlen);

/* After every fetcher is freed. NULL is a no-op. */
void fetch_hub_free(struct fetch_hub *h);

/*
 * The cached copy of the canonical store path rel: its descriptor, *st
 * filled, recorded as a hit in the bound; or -1 with errno (ENOENT: not
 * cached). Any thread.
 */
int fetch_hub_cached(struct fetch_hub *h, const char *rel, struct stat *st);

/*
 * Whether a fetch of rel could find it now: some source's patterns match
 * rel and its 404 for rel is not remembered. False counts a negative hit.
 */
bool fetch_hub_wanted(struct fetch_hub *h, const char *rel);

void fetch_hub_counts(struct fetch_hub *h, struct fetch_counts *c);

/* A worker's fetcher on its base. NULL when out of memory. */
struct fetcher *fetcher_new(struct fetch_hub *h, struct event_base *base);

/*
 * Abandons the fetches this fetcher still runs (their readers see
 * FETCH_FAILED) and frees it; on its thread, before the base is freed,
 * after its connections are closed.
 */
void fetcher_free(struct fetcher *f);

/*
 * The fetch of rel: the running one (any worker's), or a new one started
 * on f. A reference for the caller (fetch_put()). NULL with errno ENOMEM.
 */
struct fetch *fetch_join(struct fetcher *f, const char *rel);

/* The longest range-spec fetch_range() passes on ("a-b", "a-", "-n"). */
#define FETCH_RANGE_SPEC_MAX 64

/*
 * A ranged fetch: one range of rel asked of the bucket store alone (a
 * Range request for a file neither cached nor being fetched; docs/remote.md
 * "Ranges, conditionals and HEAD"). spec is one range-spec as the client
 * sent it ("a-b", "a-" or "-n"), passed on as the bucket's Range. Not
 * joinable: only its caller reads it (a reference, fetch_put()). Its body
 * file holds the range's bytes at their own offsets (sparse before them):
 * fetch_avail() counts from the range's first byte, fetch_length() is the
 * whole file's size, fetch_range_got() the range; the bucket's
 * Content-Range must be what spec means for that size, else the fetch
 * FAILED (502: never wrong bytes). DONE when the range is whole. A range
 * short of the whole file is never cached; one that is all of it (first
 * byte 0, last the size's: symbolicator's first request) is cached as a
 * 200's body would be. FETCH_UNSATISFIABLE for the bucket's 416, with
 * fetch_length() the size it gave (-1 none). A 404 is a MISS and goes into
 * the negative cache as a whole fetch's would. The whole file is not
 * fetched for the cache: a reader of a few ranges of a large file does not
 * pull all of it; a plain GET caches it.
 *
 * NULL with errno: EEXIST, a whole fetch of rel runs (join it instead);
 * ENOTSUP, no bucket store, or the bucket may not be asked for rel now
 * (its index lacks rel, its 404 is remembered, it is backed off), or spec
 * too long; ENOMEM.
 */
struct fetch *fetch_range(struct fetcher *f, const char *rel, const char *spec);

/* The range a ranged fetch's bucket sent (STREAMING or DONE only). */
struct range_spec fetch_range_got(const struct fetch *x);

/* Drops a reference; the last closes the file and frees. Any thread. */
void fetch_put(struct fetch *x);

/* Atomic loads: the state; body bytes readable with pread(fetch_fd());
 * the announced length (-1 unknown). Any thread. */
enum fetch_state fetch_state(const struct fetch *x);
uint64_t fetch_avail(const struct fetch *x);
int64_t fetch_length(const struct fetch *x);

/* The body's descriptor (readable while the reference is held). */
int fetch_fd(const struct fetch *x);

/* Whether the state is final (DONE, MISS, FAILED, TIMEDOUT). */
bool fetch_over(enum fetch_state s);

/* A waiter of the owner's thread, woken on news of the fetch. */
struct fetch_waiter {
    struct fetch_waiter *next, *prev;
    struct fetch *on; /* the fetch it is linked to, or NULL */
    void (*wake)(struct fetch_waiter *w);
};

/*
 * Links w to x's wake-ups when the caller runs on x's owner (self) and x
 * is not over: true. False: poll instead (another worker), or nothing to
 * wait for. On self's thread.
 */
bool fetch_watch(struct fetch *x, struct fetcher *self, struct fetch_waiter *w);

/* Unlinks w if linked. On the thread that linked it. */
void fetch_unwatch(struct fetch_waiter *w);

#endif
