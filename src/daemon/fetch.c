/* Upstream fetches on the workers' loops; see fetch.h and docs/remote.md. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/bucket.h"
#include "daemon/fetch.h"
#include "daemon/upstate.h"
#include "store/beneath.h"
#include "store/cachedir.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/jobpool.h"
#include "util/log.h"

/* Negative cache slots (about 16 bytes each). */
#define NEG_SLOTS 65536
/* Header bytes an upstream may send for one fetch, redirects included. */
#define HEADER_MAX (64 * 1024)
/* Body bytes of a non-200 answer read before it is cut. */
#define ERROR_BODY_MAX (64 * 1024)
/* Redirects followed (Microsoft's server sends one to its CDN). */
#define REDIRECTS_MAX 5
/* Files being made durable (fsync, link) at once, and waiting to be. */
#define COMMIT_THREADS 1
#define COMMIT_QUEUE 4096
/* URL of a request: base, '/', the path percent-encoded. */
#define URL_MAX (PATH_MAX * 3 + 1024)

struct fetch_hub {
    struct bucket *bucket; /* the bucket store's, or NULL */
    struct fetch_source *src;
    unsigned nsrc;
    int cache_fd;
    struct cachedir *bound; /* borrowed, or NULL */
    uint64_t max_bytes;
    uint64_t neg_ttl_ms, backoff_ms;
    unsigned failures;
    pthread_mutex_t lock; /* running, neg, bo */
    struct fetch *running;
    struct upstate_neg *neg;
    struct upstate_backoff *bo; /* one per source */
    struct jobpool *commits;    /* fsync and link, off the loops */
    _Atomic uint64_t hits, started, done, missed, failed, bytes, neg_hits;
};

struct fetch {
    _Atomic unsigned refs;
    _Atomic int state;      /* enum fetch_state */
    _Atomic uint64_t avail; /* body bytes in fd */
    _Atomic int64_t length; /* announced, -1 unknown */
    int fd;                 /* the unnamed body file, or -1 */
    struct fetch_hub *hub;
    struct fetcher *owner;
    struct fetch *next; /* in hub->running (hub->lock) */
    /* The owner's alone from here. */
    CURL *easy;
    struct curl_slist *hdrs; /* the setup()'s, freed with easy */
    int src;                 /* the source being asked */
    bool saw_404, saw_error, saw_timeout;
    size_t header_bytes;
    uint64_t discarded;
    bool body_started; /* the write callback saw this attempt's body */
    int dir_fd;        /* the cache directory of key, or -1 */
    const char *base;  /* key's last segment */
    struct event *wake_ev;
    struct fetch_waiter *waiters;
    /* The commit (fsync, link) runs on the hub's pool; its result, 1 or
     * -1, is looked at by commit_ev on the owner's loop. */
    struct jobpool_job job;
    _Atomic int committed;
    struct event *commit_ev;
    char errbuf[CURL_ERROR_SIZE];
    /* A ranged fetch (fetch_range()): the range-spec asked, what the
     * bucket's last Content-Range said, and the range it brings. */
    bool ranged;
    char spec[FETCH_RANGE_SPEC_MAX];
    enum range_content_rc cr_rc;
    struct range_spec cr, got;
    uint64_t cr_size;
    char rel[PATH_MAX]; /* as first asked: what the sources are asked */
    char key[PATH_MAX]; /* FETCH_CACHE_SUBDIR "/" rel, lower case */
};

struct fetcher {
    struct fetch_hub *hub;
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
};

/* A socket libcurl asked us to watch. */
struct fsock {
    struct fetcher *f;
    curl_socket_t fd;
    struct event *ev;
};

static int64_t
now_ms(void)
{
    return (int64_t)(clock_monotonic_ns() / CLOCK_NS_PER_MS);
}

static void
count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* --- names ------------------------------------------------------------------
 */

/* FETCH_CACHE_SUBDIR "/" rel in lower case into key[PATH_MAX]; -1 when
 * it does not fit. One cached copy serves every spelling (store paths
 * are case-blind to symbol clients). */
static int
cache_key(const char *rel, char *key)
{
    size_t n = strlen(rel), pre = sizeof(FETCH_CACHE_SUBDIR);

    if (n == 0 || pre + n >= PATH_MAX)
        return -1;
    memcpy(key, FETCH_CACHE_SUBDIR "/", pre);
    for (size_t i = 0; i <= n; i++) {
        char c = rel[i];

        key[pre + i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    return 0;
}

/* base "/" rel with rel's bytes outside RFC 3986's unreserved set and
 * '/' percent-encoded, into url[URL_MAX]; -1 when it does not fit. */
static int
source_url(const char *base, const char *rel, char *url)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(base), o;

    if (n + 2 >= URL_MAX)
        return -1;
    memcpy(url, base, n);
    url[n] = '/';
    o = n + 1;
    for (const unsigned char *p = (const unsigned char *)rel; *p != '\0'; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL;

        if (o + 4 >= URL_MAX)
            return -1;
        if (plain) {
            url[o++] = (char)*p;
        } else {
            url[o++] = '%';
            url[o++] = hex[*p >> 4];
            url[o++] = hex[*p & 15];
        }
    }
    url[o] = '\0';
    return 0;
}

/* --- the hub
 * ------------------------------------------------------------------ */

static char *
dup_or_null(const char *s, bool *oom)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = strdup(s);
    *oom |= d == NULL;
    return d;
}

static void
source_free(struct fetch_source *s)
{
    free(s->name);
    free(s->url);
    free(s->cfg.user);
    free(s->cfg.password);
    free(s->cfg.token);
    free(s->cfg.proxy);
    for (unsigned i = 0; i < s->npatterns; i++)
        free(s->patterns[i]);
}

/* A source of its own from the config's upstream u. -1 out of memory. */
static int
source_copy(struct fetch_source *s, const struct config_upstream *u)
{
    bool oom = false;

    memset(s, 0, sizeof(*s));
    s->name = dup_or_null(u->name, &oom);
    s->url = dup_or_null(u->url, &oom);
    s->cfg.user = dup_or_null(u->user, &oom);
    s->cfg.password = dup_or_null(u->password, &oom);
    s->cfg.token = dup_or_null(u->token, &oom);
    s->cfg.proxy = dup_or_null(u->proxy, &oom);
    s->cfg.connect_timeout = u->connect_timeout;
    s->cfg.timeout = u->timeout;
    s->cfg.low_speed_time = u->low_speed_time;
    for (unsigned i = 0; i < u->npatterns; i++)
        s->patterns[s->npatterns++] = dup_or_null(u->patterns[i], &oom);
    s->setup = fetch_setup_upstream;
    return oom ? -1 : 0;
}

/* The bucket's object of the name the index gives for rel (the spelling
 * asked while there is no index yet), signed. */
static int
bucket_setup(CURL *e, const struct fetch_source *src, const char *rel,
             struct curl_slist **hdrs)
{
    struct bucket *b = src->ctx;
    char stored[PATH_MAX], err[256];

    /* Dropped from the index since may_have() (a swap in between): the
     * bucket is asked by the spelling sent, and its 404 remembered. */
    if (bucket_lookup(b, rel, stored, sizeof(stored)) == BUCKET_LACKS)
        snprintf(stored, sizeof(stored), "%s", rel);
    if (bucket_prepare(b, e, stored, hdrs, err, sizeof(err)) == -1) {
        log_warnx("bucket %s: %s", bucket_name(b), err);
        return -1;
    }
    return 0;
}

static bool
bucket_may_have(const struct fetch_source *src, const char *rel)
{
    char stored[PATH_MAX];

    return bucket_lookup(src->ctx, rel, stored, sizeof(stored)) != BUCKET_LACKS;
}

/* The bucket store's source, asked before any upstream. */
static int
bucket_source(struct fetch_source *s, struct bucket *b,
              const struct config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->name = strdup(bucket_name(b));
    s->url = strdup(bucket_name(b)); /* replaced by setup()'s own URL */
    s->setup = bucket_setup;
    s->may_have = bucket_may_have;
    s->ctx = b;
    /* 0 s is "not at all": 1 ms expires at once. */
    s->neg_ttl_ms =
        cfg->s3_negative_ttl > 0 ? (uint64_t)cfg->s3_negative_ttl * 1000 : 1;
    return s->name != NULL && s->url != NULL ? 0 : -1;
}

static int
hub_sources(struct fetch_hub *h, const struct config *cfg, char *err,
            size_t errlen)
{
    unsigned n = cfg->nupstreams + (cfg->bucket != NULL);

    h->src = calloc(n, sizeof(*h->src));
    h->bo = calloc(n, sizeof(*h->bo));
    if (h->src == NULL || h->bo == NULL)
        goto oom;
    if (cfg->bucket != NULL) {
        h->bucket = bucket_open(cfg, err, errlen);
        if (h->bucket == NULL)
            return -1;
        h->nsrc++;
        if (bucket_source(&h->src[0], h->bucket, cfg) == -1)
            goto oom;
    }
    for (unsigned i = 0; i < cfg->nupstreams; i++) {
        h->nsrc++;
        if (source_copy(&h->src[h->nsrc - 1],
                        &cfg->upstream_defs[cfg->upstream_order[i]]) == -1)
            goto oom;
    }
    return 0;
oom:
    errbuf_set(err, errlen, "upstreams: out of memory");
    return -1;
}

struct fetch_hub *
fetch_hub_new(const struct config *cfg, struct cachedir *bound, char *err,
              size_t errlen)
{
    struct fetch_hub *h = calloc(1, sizeof(*h));

    if (h == NULL) {
        errbuf_set(err, errlen, "upstreams: out of memory");
        return NULL;
    }
    h->cache_fd = -1;
    pthread_mutex_init(&h->lock, NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        errbuf_set(err, errlen, "upstreams: libcurl cannot start");
        free(h);
        return NULL;
    }
    h->bound = bound;
    h->max_bytes = (uint64_t)cfg->upstream_max_mib << 20;
    h->neg_ttl_ms = (uint64_t)cfg->upstream_negative_ttl * 1000;
    h->backoff_ms = (uint64_t)cfg->upstream_backoff * 1000;
    h->failures = cfg->upstream_failures;
    h->neg = upstate_neg_new(NEG_SLOTS);
    h->commits = jobpool_new(COMMIT_THREADS, COMMIT_QUEUE);
    if (h->neg == NULL || h->commits == NULL) {
        errbuf_set(err, errlen, "upstreams: out of memory");
        goto fail;
    }
    if (hub_sources(h, cfg, err, errlen) == -1)
        goto fail;
    if (mkdir(cfg->cache_dir, 0755) == -1 && errno != EEXIST) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", cfg->cache_dir,
                   strerror(errno));
        goto fail;
    }
    h->cache_fd = open(cfg->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->cache_fd == -1) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", cfg->cache_dir,
                   strerror(errno));
        goto fail;
    }
    return h;
fail:
    fetch_hub_free(h);
    return NULL;
}

void
fetch_hub_free(struct fetch_hub *h)
{
    if (h == NULL)
        return;
    jobpool_free(h->commits); /* a commit running ends first */
    for (unsigned i = 0; i < h->nsrc; i++)
        source_free(&h->src[i]);
    bucket_free(h->bucket);
    free(h->src);
    free(h->bo);
    upstate_neg_free(h->neg);
    if (h->cache_fd != -1)
        close(h->cache_fd);
    pthread_mutex_destroy(&h->lock);
    curl_global_cleanup();
    free(h);
}

int
fetch_hub_cached(struct fetch_hub *h, const char *rel, struct stat *st)
{
    char key[PATH_MAX];
    int fd;

    if (cache_key(rel, key) == -1) {
        errno = ENOENT;
        return -1;
    }
    fd = beneath_open(h->cache_fd, key,
                      O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1)
        return -1;
    if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = ENOENT;
        return -1;
    }
    if (h->bound != NULL)
        cachedir_touch(h->bound, (uint64_t)st->st_ino);
    count(&h->hits, 1);
    return fd;
}

bool
fetch_hub_wanted(struct fetch_hub *h, const char *rel)
{
    int64_t now = now_ms();
    bool any = false;

    pthread_mutex_lock(&h->lock);
    /* A bucket whose index lacks rel is a miss without a request. Its
     * lock nests in the hub's (its refresher never takes the hub's). */
    for (unsigned i = 0; i < h->nsrc && !any; i++)
        any =
            upstate_path_matches(h->src[i].patterns, h->src[i].npatterns,
                                 rel) &&
            !upstate_neg_has(h->neg, i, rel, now) &&
            (h->src[i].may_have == NULL || h->src[i].may_have(&h->src[i], rel));
    pthread_mutex_unlock(&h->lock);
    if (!any)
        count(&h->neg_hits, 1);
    return any;
}

void
fetch_hub_counts(struct fetch_hub *h, struct fetch_counts *c)
{
    c->hits = atomic_load_explicit(&h->hits, memory_order_relaxed);
    c->started = atomic_load_explicit(&h->started, memory_order_relaxed);
    c->done = atomic_load_explicit(&h->done, memory_order_relaxed);
    c->missed = atomic_load_explicit(&h->missed, memory_order_relaxed);
    c->failed = atomic_load_explicit(&h->failed, memory_order_relaxed);
    c->bytes = atomic_load_explicit(&h->bytes, memory_order_relaxed);
    c->neg_hits = atomic_load_explicit(&h->neg_hits, memory_order_relaxed);
    pthread_mutex_lock(&h->lock);
    c->neg_count = upstate_neg_count(h->neg, now_ms());
    pthread_mutex_unlock(&h->lock);
    c->cache_bytes = h->bound != NULL ? cachedir_bytes(h->bound) : 0;
    c->cache_files = h->bound != NULL ? cachedir_files(h->bound) : 0;
    c->bucket = h->bucket != NULL;
    if (c->bucket)
        bucket_counts(h->bucket, &c->bk);
}

/* --- a fetch: state, references, waiters ------------------------------------
 */

enum fetch_state
fetch_state(const struct fetch *x)
{
    return (enum fetch_state)atomic_load_explicit(&x->state,
                                                  memory_order_acquire);
}

uint64_t
fetch_avail(const struct fetch *x)
{
    return atomic_load_explicit(&x->avail, memory_order_acquire);
}

int64_t
fetch_length(const struct fetch *x)
{
    return atomic_load_explicit(&x->length, memory_order_acquire);
}

int
fetch_fd(const struct fetch *x)
{
    return x->fd;
}

bool
fetch_over(enum fetch_state s)
{
    return s != FETCH_RUNNING && s != FETCH_STREAMING;
}

void
fetch_put(struct fetch *x)
{
    if (atomic_fetch_sub(&x->refs, 1) != 1)
        return;
    if (x->fd != -1)
        close(x->fd);
    if (x->dir_fd != -1)
        close(x->dir_fd);
    free(x);
}

bool
fetch_watch(struct fetch *x, struct fetcher *self, struct fetch_waiter *w)
{
    if (x->owner != self || fetch_over(fetch_state(x)) || w->on != NULL)
        return w->on == x;
    w->on = x;
    w->prev = NULL;
    w->next = x->waiters;
    if (x->waiters != NULL)
        x->waiters->prev = w;
    x->waiters = w;
    return true;
}

void
fetch_unwatch(struct fetch_waiter *w)
{
    struct fetch *x = w->on;

    if (x == NULL)
        return;
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        x->waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
    w->on = NULL;
}

/*
 * The fetch's news, told to the waiters of the owner's thread, outside
 * libcurl's callbacks. The list is taken whole and each waiter unlinked
 * before any is woken: one that still waits links itself again, for the
 * next news (not this pass, which would never end). A waiter only ever
 * acts on its own connection, so none of the others goes away meanwhile.
 * Once the fetch is over, its event goes too.
 */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct fetch *x = arg;
    struct fetch_waiter *list = x->waiters, *w, *next;

    (void)fd;
    (void)what;
    atomic_fetch_add(&x->refs, 1); /* a waiter may drop the last one */
    x->waiters = NULL;
    for (w = list; w != NULL; w = w->next)
        w->on = NULL;
    for (w = list; w != NULL; w = next) {
        next = w->next;
        w->next = w->prev = NULL;
        w->wake(w);
    }
    if (fetch_over(fetch_state(x)) && x->wake_ev != NULL &&
        x->waiters == NULL) {
        event_free(x->wake_ev);
        x->wake_ev = NULL;
    }
    fetch_put(x);
}

static void
news(struct fetch *x)
{
    if (x->wake_ev != NULL)
        event_active(x->wake_ev, 0, 0);
}

/* --- a fetch on its owner
 * ------------------------------------------------------- */

static void try_next(struct fetch *x);

/* The fetch is over: out of the running list, its waiters told. */
static void
finish(struct fetch *x, enum fetch_state s)
{
    struct fetch_hub *h = x->hub;
    struct fetch **p;

    pthread_mutex_lock(&h->lock);
    for (p = &h->running; *p != NULL && *p != x; p = &(*p)->next)
        ;
    if (*p == x)
        *p = x->next;
    pthread_mutex_unlock(&h->lock);
    if (!x->ranged) /* the counters speak of whole files */
        count(s == FETCH_DONE   ? &h->done
              : s == FETCH_MISS ? &h->missed
                                : &h->failed,
              1);
    if (s != FETCH_DONE && x->fd != -1 && fetch_avail(x) == 0) {
        close(x->fd); /* nobody reads it */
        x->fd = -1;
    }
    atomic_store_explicit(&x->state, s, memory_order_release);
    log_debug("upstream fetch %s%s%s: %s", x->rel, x->ranged ? " range " : "",
              x->spec,
              s == FETCH_DONE && x->ranged ? "range whole"
              : s == FETCH_DONE            ? "cached"
              : s == FETCH_MISS            ? "not found"
                                           : "failed");
    if (x->commit_ev != NULL) { /* abandoned while it was committed */
        event_free(x->commit_ev);
        x->commit_ev = NULL;
    }
    if (x->wake_ev != NULL && x->waiters == NULL) {
        event_free(x->wake_ev); /* nobody of this thread waits */
        x->wake_ev = NULL;
    }
    news(x);
    fetch_put(x); /* the fetcher's reference */
}

/* The body file, made at the first byte of a 200 (or at its end, when
 * the body is empty): unnamed, in the directory it will be linked into. */
static int
open_body(struct fetch *x)
{
    if (x->dir_fd == -1)
        x->dir_fd = cachedir_open_parent(x->hub->cache_fd, x->key, &x->base);
    if (x->dir_fd == -1) {
        log_warn("upstream fetch %s: cache directory", x->rel);
        return -1;
    }
    x->fd = openat(x->dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (x->fd == -1) {
        log_warn("upstream fetch %s: unnamed file in the cache (O_TMPFILE)",
                 x->rel);
        return -1;
    }
    return 0;
}

/*
 * Whether the bucket's Content-Range (and Content-Length) is the range
 * x->spec means for the size it gives: the client gets no other bytes
 * than those it asked for.
 */
static bool
ranged_answer_matches(struct fetch *x)
{
    char value[FETCH_RANGE_SPEC_MAX + 8];
    struct range_spec want;
    size_t n = 0;
    curl_off_t len = -1;
    int vlen = snprintf(value, sizeof(value), "bytes=%s", x->spec);

    /* A size past INT64_MAX could not be told in our Content-Range. */
    if (x->cr_rc != RANGE_CONTENT_RANGE || x->cr_size > INT64_MAX || vlen < 0 ||
        (size_t)vlen >= sizeof(value) ||
        range_parse(value, (size_t)vlen, x->cr_size, &want, 1, &n) !=
            RANGE_OK ||
        n != 1 || want.first != x->cr.first || want.last != x->cr.last)
        return false;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    return len < 0 || (uint64_t)len == x->cr.last - x->cr.first + 1;
}

/* A ranged fetch's first body byte: only a 206 of the range asked opens
 * the file (a 200, the bucket ignoring Range, is not passed on). */
static bool
ranged_body_start(struct fetch *x, long code)
{
    if (code == 200) {
        log_warnx("upstream fetch %s: range %s: the bucket sent the whole "
                  "file (200), not the range",
                  x->rel, x->spec);
        return false;
    }
    if (code != 206)
        return true; /* read and dropped, up to ERROR_BODY_MAX */
    if (!ranged_answer_matches(x)) {
        log_warnx("upstream fetch %s: range %s: the bucket's Content-Range "
                  "does not match the range asked",
                  x->rel, x->spec);
        return false;
    }
    if (x->cr.last - x->cr.first + 1 > x->hub->max_bytes) {
        log_warnx("upstream fetch %s: range %s: longer than "
                  "store.upstream_max_mib",
                  x->rel, x->spec);
        return false;
    }
    if (open_body(x) == -1)
        return false;
    x->got = x->cr;
    /* Bytes go at their own offsets: the answer reads them there. */
    atomic_store_explicit(&x->avail, x->got.first, memory_order_release);
    atomic_store_explicit(&x->length, (int64_t)x->cr_size,
                          memory_order_release);
    atomic_store_explicit(&x->state, FETCH_STREAMING, memory_order_release);
    news(x);
    return true;
}

/* First byte of this attempt's body: a 200 opens the file; the length
 * announced (Content-Length) lets readers start before the end. */
static bool
body_start(struct fetch *x)
{
    long code = 0;
    curl_off_t len = -1;

    x->body_started = true;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (x->ranged)
        return ranged_body_start(x, code);
    if (code != 200)
        return true; /* read and dropped, up to ERROR_BODY_MAX */
    if (open_body(x) == -1)
        return false;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (len >= 0) {
        atomic_store_explicit(&x->length, (int64_t)len, memory_order_release);
        atomic_store_explicit(&x->state, FETCH_STREAMING, memory_order_release);
        news(x);
    }
    return true;
}

/* libcurl's body callback: into the file, for the readers at once. */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *x = arg;
    size_t len = size * n;
    uint64_t avail;

    if (!x->body_started && !body_start(x))
        return 0;
    if (x->fd == -1) { /* not a 200: dropped, within a bound */
        x->discarded += len;
        return x->discarded <= ERROR_BODY_MAX ? len : 0;
    }
    avail = fetch_avail(x);
    if (x->ranged && avail + len > x->got.last + 1) {
        log_warnx("upstream fetch %s: range %s: longer than announced", x->rel,
                  x->spec);
        return 0;
    }
    if (avail - (x->ranged ? x->got.first : 0) + len > x->hub->max_bytes ||
        (fetch_length(x) >= 0 && avail + len > (uint64_t)fetch_length(x))) {
        log_warnx("upstream fetch %s: longer than %s", x->rel,
                  fetch_length(x) >= 0 ? "announced"
                                       : "store.upstream_max_mib");
        return 0;
    }
    if (pwrite(x->fd, p, len, (off_t)avail) != (ssize_t)len) {
        log_warn("upstream fetch %s: write", x->rel);
        return 0;
    }
    atomic_store_explicit(&x->avail, avail + len, memory_order_release);
    count(&x->hub->bytes, len);
    news(x);
    return len;
}

/* A header line of a ranged fetch: a new answer (a redirect's next)
 * forgets the last Content-Range; a Content-Range is parsed. */
static void
ranged_header(struct fetch *x, const char *p, size_t len)
{
    static const char name[] = "content-range:";
    size_t nl = sizeof(name) - 1;

    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->cr_rc = RANGE_CONTENT_BAD;
        return;
    }
    if (len < nl || strncasecmp(p, name, nl) != 0)
        return;
    while (len > nl && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    x->cr_rc = range_content_parse(p + nl, len - nl, &x->cr, &x->cr_size);
}

/* libcurl's header callback: counts against a bound; a ranged fetch
 * keeps the Content-Range. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
    struct fetch *x = arg;

    x->header_bytes += size * n;
    if (x->header_bytes > HEADER_MAX)
        return 0;
    if (x->ranged)
        ranged_header(x, p, size * n);
    return size * n;
}

int
fetch_setup_upstream(CURL *e, const struct fetch_source *src, const char *rel,
                     struct curl_slist **hdrs)
{
    const struct config_upstream *u = &src->cfg;
    int bad = 0;

    (void)rel;
    (void)hdrs;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
                            (long)u->connect_timeout) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)u->timeout) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                            (long)u->low_speed_time) != CURLE_OK;
    if (u->user != NULL) {
        bad |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        bad |= curl_easy_setopt(e, CURLOPT_USERNAME, u->user) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_PASSWORD,
                                u->password != NULL ? u->password : "") !=
               CURLE_OK;
    } else if (u->token != NULL) {
        bad |= curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        bad |=
            curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, u->token) != CURLE_OK;
    }
    if (u->proxy != NULL)
        bad |= curl_easy_setopt(e, CURLOPT_PROXY, u->proxy) != CURLE_OK;
    return bad ? -1 : 0;
}

/* The options every fetch has: limits on what the upstream controls. */
static int
setup_common(struct fetch *x, CURL *e, const char *url)
{
    int bad = 0;

    bad |= curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
    bad |=
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)REDIRECTS_MAX) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
           CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)x->hub->max_bytes) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "symsrvd") != CURLE_OK;
    return bad ? -1 : 0;
}

/* Frees the attempt's handle and the header list its setup() made. */
static void
drop_easy(struct fetch *x)
{
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    x->easy = NULL;
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
}

/* Asks source i; -1 when the request could not even be made. */
static int
ask(struct fetch *x, unsigned i)
{
    const struct fetch_source *s = &x->hub->src[i];
    char url[URL_MAX];
    CURL *e;

    if (source_url(s->url, x->rel, url) == -1)
        return -1;
    e = curl_easy_init();
    if (e == NULL)
        return -1;
    x->errbuf[0] = '\0';
    x->header_bytes = 0;
    x->discarded = 0;
    x->body_started = false;
    x->cr_rc = RANGE_CONTENT_BAD;
    x->easy = e;
    if (setup_common(x, e, url) == -1 ||
        s->setup(e, s, x->rel, &x->hdrs) == -1 ||
        (x->ranged &&
         curl_easy_setopt(e, CURLOPT_RANGE, x->spec) != CURLE_OK) ||
        curl_multi_add_handle(x->owner->multi, e) != CURLM_OK) {
        drop_easy(x);
        return -1;
    }
    log_debug("upstream fetch %s: asking %s", x->rel, s->name);
    return 0;
}

/* Which sources may be asked for x now, from x->src on: the next one is
 * asked; none left ends the fetch (a 404 seen wins over errors: a miss
 * never becomes a 5xx for the client). */
static void
try_next(struct fetch *x)
{
    struct fetch_hub *h = x->hub;
    /* A ranged fetch asks the bucket (source 0) alone. */
    unsigned nsrc = x->ranged ? 1 : h->nsrc;

    for (x->src++; (unsigned)x->src < nsrc; x->src++) {
        const struct fetch_source *s = &h->src[x->src];
        int64_t now = now_ms();
        bool neg, skip;

        if (!upstate_path_matches(s->patterns, s->npatterns, x->rel))
            continue;
        if (s->may_have != NULL && !s->may_have(s, x->rel)) {
            x->saw_404 = true; /* its index lacks it: no request */
            continue;
        }
        pthread_mutex_lock(&h->lock);
        neg = upstate_neg_has(h->neg, (unsigned)x->src, x->rel, now);
        skip = upstate_backoff_skip(&h->bo[x->src], now);
        pthread_mutex_unlock(&h->lock);
        x->saw_404 |= neg;
        x->saw_error |= skip && !neg;
        if (neg || skip)
            continue;
        if (ask(x, (unsigned)x->src) == 0)
            return;
        log_warnx("upstream %s: %s: the request could not be made", s->name,
                  x->rel);
        x->saw_error = true;
    }
    finish(x, x->saw_404       ? FETCH_MISS
              : x->saw_timeout ? FETCH_TIMEDOUT
              : x->saw_error   ? FETCH_FAILED
                               : FETCH_MISS);
}

/* A 200 that came whole: on disk, then named, then recorded. */
static int
commit(struct fetch *x)
{
    char proc[64];
    struct stat st;
    int64_t len = fetch_length(x);

    if (x->fd == -1 && open_body(x) == -1) /* an empty body */
        return -1;
    if (len >= 0 && (uint64_t)len != fetch_avail(x)) {
        log_warnx("upstream fetch %s: %llu bytes of %lld", x->rel,
                  (unsigned long long)fetch_avail(x), (long long)len);
        return -1;
    }
    if (fsync(x->fd) == -1 || fstat(x->fd, &st) == -1) {
        log_warn("upstream fetch %s: fsync", x->rel);
        return -1;
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->fd);
    /* Another process may have put it there first: ours replaces it
     * (the same bytes, by its key). */
    if (linkat(AT_FDCWD, proc, x->dir_fd, x->base, AT_SYMLINK_FOLLOW) == -1 &&
        (errno != EEXIST || unlinkat(x->dir_fd, x->base, 0) == -1 ||
         linkat(AT_FDCWD, proc, x->dir_fd, x->base, AT_SYMLINK_FOLLOW) == -1)) {
        log_warn("upstream fetch %s: link into the cache", x->rel);
        return -1;
    }
    if (fsync(x->dir_fd) == -1)
        log_warn("upstream fetch %s: fsync of its directory", x->rel);
    atomic_store_explicit(&x->length, (int64_t)st.st_size,
                          memory_order_release);
    if (x->hub->bound != NULL &&
        !cachedir_add(x->hub->bound, x->key, (uint64_t)st.st_ino,
                      (uint64_t)st.st_size))
        log_warnx("upstream fetch %s: %lld bytes, over store.cache_max_mib: "
                  "kept alone until the next file",
                  x->rel, (long long)st.st_size);
    return 0;
}

static void
commit_run(struct jobpool_job *j)
{
    struct fetch *x =
        (struct fetch *)(void *)((char *)j - offsetof(struct fetch, job));

    atomic_store(&x->committed, commit(x) == 0 ? 1 : -1);
}

static void
commit_done(struct jobpool_job *j, bool ran)
{
    struct fetch *x =
        (struct fetch *)(void *)((char *)j - offsetof(struct fetch, job));

    if (!ran)
        atomic_store(&x->committed, -1);
    fetch_put(x); /* the job's reference */
}

/* The owner's look at the commit, every FETCH_POLL_MS until it ended. */
static void
on_commit_poll(evutil_socket_t fd, short what, void *arg)
{
    struct fetch *x = arg;
    struct timeval tv = {0, FETCH_POLL_MS * 1000};
    int c = atomic_load(&x->committed);

    (void)fd;
    (void)what;
    if (c == 0) {
        event_add(x->commit_ev, &tv);
        return;
    }
    event_free(x->commit_ev);
    x->commit_ev = NULL;
    finish(x, c > 0 ? FETCH_DONE : FETCH_FAILED);
}

/*
 * The whole body is in: its bytes are readable already (readers finish
 * without waiting); fsync and the link, which may take tens of
 * milliseconds, run on the hub's pool, not on the loop. Made here when
 * the pool cannot take it.
 */
static void
start_commit(struct fetch *x)
{
    struct timeval tv = {0, FETCH_POLL_MS * 1000};

    atomic_store(&x->committed, 0);
    x->job.run = commit_run;
    x->job.done = commit_done;
    x->commit_ev = evtimer_new(x->owner->base, on_commit_poll, x);
    atomic_fetch_add(&x->refs, 1); /* the job's */
    if (x->commit_ev != NULL && jobpool_submit(x->hub->commits, &x->job) == 0) {
        event_add(x->commit_ev, &tv);
        return;
    }
    atomic_fetch_sub(&x->refs, 1);
    if (x->commit_ev != NULL)
        event_free(x->commit_ev);
    x->commit_ev = NULL;
    finish(x, commit(x) == 0 ? FETCH_DONE : FETCH_FAILED);
}

/* A ranged fetch's 206 or 416 came whole: the bucket works; the range is
 * DONE when all its bytes came (and cached when they are the whole
 * file), the 416 keeps the size it gave. */
static void
ranged_done(struct fetch *x, long code)
{
    struct fetch_hub *h = x->hub;

    pthread_mutex_lock(&h->lock);
    upstate_backoff_ok(&h->bo[x->src]);
    pthread_mutex_unlock(&h->lock);
    if (code == 416) {
        atomic_store_explicit(&x->length,
                              x->cr_rc == RANGE_CONTENT_UNSAT &&
                                      x->cr_size <= INT64_MAX
                                  ? (int64_t)x->cr_size
                                  : -1,
                              memory_order_release);
        finish(x, FETCH_UNSATISFIABLE);
        return;
    }
    if (x->fd == -1 || fetch_avail(x) != x->got.last + 1) {
        log_warnx("upstream fetch %s: range %s: cut short", x->rel, x->spec);
        finish(x, FETCH_FAILED);
        return;
    }
    /* A range that is the whole file (symbolicator's first request,
     * bytes=0-134217727) is no partial body: cached as a 200 would be. */
    if (x->got.first == 0 && x->got.last + 1 == x->cr_size) {
        start_commit(x);
        return;
    }
    finish(x, FETCH_DONE);
}

/* An attempt ended (libcurl's CURLMSG_DONE, outside its callbacks). */
static void
attempt_done(struct fetch *x, CURLcode rc)
{
    struct fetch_hub *h = x->hub;
    const struct fetch_source *s = &h->src[x->src];
    long code = 0;
    int64_t now = now_ms();

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(x->owner->multi, x->easy);
    drop_easy(x);
    if (rc == CURLE_OK && (code == 404 || code == 410)) {
        pthread_mutex_lock(&h->lock);
        upstate_neg_put(h->neg, (unsigned)x->src, x->rel, now,
                        s->neg_ttl_ms > 0 ? s->neg_ttl_ms : h->neg_ttl_ms);
        upstate_backoff_ok(&h->bo[x->src]);
        pthread_mutex_unlock(&h->lock);
        x->saw_404 = true;
        try_next(x);
        return;
    }
    if (x->ranged && rc == CURLE_OK && (code == 206 || code == 416)) {
        ranged_done(x, code);
        return;
    }
    if (rc == CURLE_OK && code == 200 && !x->ranged) {
        pthread_mutex_lock(&h->lock);
        upstate_backoff_ok(&h->bo[x->src]);
        pthread_mutex_unlock(&h->lock);
        start_commit(x);
        return;
    }
    if (rc != CURLE_OK)
        log_warnx("upstream %s: %s: %s", s->name, x->rel,
                  x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
    else
        log_warnx("upstream %s: %s: HTTP %ld%s", s->name, x->rel, code,
                  code == 401 || code == 403
                      ? " (refused: check the credentials)"
                      : "");
    pthread_mutex_lock(&h->lock);
    upstate_backoff_failed(&h->bo[x->src], now, h->failures, h->backoff_ms);
    pthread_mutex_unlock(&h->lock);
    x->saw_error = true;
    x->saw_timeout |= rc == CURLE_OPERATION_TIMEDOUT;
    if (fetch_avail(x) > 0) { /* bytes went out: no other source now */
        finish(x, x->saw_timeout ? FETCH_TIMEDOUT : FETCH_FAILED);
        return;
    }
    if (x->fd != -1) {
        close(x->fd);
        x->fd = -1;
    }
    atomic_store_explicit(&x->length, -1, memory_order_release);
    atomic_store_explicit(&x->state, FETCH_RUNNING, memory_order_release);
    try_next(x);
}

/* --- the fetcher: libcurl's multi on the worker's loop ---------------------
 */

static void
check_done(struct fetcher *f)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        struct fetch *x = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        attempt_done(x, m->data.result);
    }
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct fsock *s = arg;
    struct fetcher *f = s->f;
    int running = 0;
    int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
                ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

    curl_multi_socket_action(f->multi, fd, flags, &running);
    check_done(f);
}

static void
on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fetcher *f = arg;
    int running = 0;

    (void)fd;
    (void)what;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as libcurl asks. */
static int
on_curl_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
    struct fetcher *f = arg;
    struct fsock *s = sockp;
    short ev;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            event_free(s->ev);
            free(s);
            curl_multi_assign(f->multi, fd, NULL);
        }
        return 0;
    }
    ev = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
    if (s == NULL) {
        s = calloc(1, sizeof(*s));
        if (s == NULL)
            return -1;
        s->f = f;
        s->fd = fd;
        curl_multi_assign(f->multi, fd, s);
    } else {
        event_free(s->ev);
    }
    s->ev = event_new(f->base, fd, ev, on_socket_event, s);
    if (s->ev == NULL || event_add(s->ev, NULL) == -1)
        return -1;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer, as libcurl sets it. */
static int
on_curl_timeout(CURLM *m, long ms, void *arg)
{
    struct fetcher *f = arg;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    (void)m;
    if (ms < 0)
        return event_del(f->timer);
    return event_add(f->timer, &tv);
}

struct fetcher *
fetcher_new(struct fetch_hub *h, struct event_base *base)
{
    struct fetcher *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->hub = h;
    f->base = base;
    f->multi = curl_multi_init();
    f->timer = evtimer_new(base, on_curl_timer, f);
    if (f->multi == NULL || f->timer == NULL ||
        curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) !=
            CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timeout) !=
            CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f) != CURLM_OK) {
        fetcher_free(f);
        return NULL;
    }
    return f;
}

void
fetcher_free(struct fetcher *f)
{
    struct fetch_hub *h;

    if (f == NULL)
        return;
    h = f->hub;
    for (;;) { /* this fetcher's fetches, abandoned */
        struct fetch *x;

        pthread_mutex_lock(&h->lock);
        for (x = h->running; x != NULL && x->owner != f; x = x->next)
            ;
        pthread_mutex_unlock(&h->lock);
        if (x == NULL)
            break;
        if (x->easy != NULL) {
            curl_multi_remove_handle(f->multi, x->easy);
            drop_easy(x);
        }
        x->waiters = NULL; /* its connections are closed */
        finish(x, FETCH_FAILED);
    }
    if (f->multi != NULL)
        curl_multi_cleanup(f->multi);
    if (f->timer != NULL)
        event_free(f->timer);
    free(f);
}

/* A new fetch of rel on f, in the running list (h->lock held). */
static struct fetch *
fetch_new(struct fetcher *f, const char *rel, const char *key)
{
    struct fetch *x = calloc(1, sizeof(*x));

    if (x == NULL)
        return NULL;
    x->wake_ev = event_new(f->base, -1, 0, on_wake, x);
    if (x->wake_ev == NULL) {
        free(x);
        return NULL;
    }
    atomic_init(&x->refs, 2); /* the caller's and the fetcher's */
    atomic_init(&x->state, FETCH_RUNNING);
    atomic_init(&x->avail, 0);
    atomic_init(&x->length, -1);
    atomic_init(&x->committed, 0);
    x->fd = x->dir_fd = -1;
    x->hub = f->hub;
    x->owner = f;
    x->src = -1;
    snprintf(x->rel, sizeof(x->rel), "%s", rel);
    memcpy(x->key, key, strlen(key) + 1);
    x->next = f->hub->running;
    f->hub->running = x;
    return x;
}

/* The whole-file fetch of key running, or NULL (h->lock held). */
static struct fetch *
running_whole(struct fetch_hub *h, const char *key)
{
    struct fetch *x;

    for (x = h->running; x != NULL && (x->ranged || strcmp(x->key, key) != 0);
         x = x->next)
        ;
    return x;
}

/* Whether the bucket (source 0) may be asked for rel now (h->lock held). */
static bool
bucket_askable(struct fetch_hub *h, const char *rel)
{
    const struct fetch_source *s = &h->src[0];
    int64_t now = now_ms();

    return upstate_path_matches(s->patterns, s->npatterns, rel) &&
           (s->may_have == NULL || s->may_have(s, rel)) &&
           !upstate_neg_has(h->neg, 0, rel, now) &&
           !upstate_backoff_skip(&h->bo[0], now);
}

struct fetch *
fetch_range(struct fetcher *f, const char *rel, const char *spec)
{
    struct fetch_hub *h = f->hub;
    char key[PATH_MAX];
    struct fetch *x;

    if (h->bucket == NULL || strlen(spec) >= FETCH_RANGE_SPEC_MAX ||
        cache_key(rel, key) == -1) {
        errno = ENOTSUP;
        return NULL;
    }
    pthread_mutex_lock(&h->lock);
    if (running_whole(h, key) != NULL) {
        pthread_mutex_unlock(&h->lock);
        errno = EEXIST;
        return NULL;
    }
    if (!bucket_askable(h, rel)) {
        pthread_mutex_unlock(&h->lock);
        errno = ENOTSUP;
        return NULL;
    }
    x = fetch_new(f, rel, key);
    if (x != NULL) { /* before the lock goes: fetch_join() skips it */
        x->ranged = true;
        memcpy(x->spec, spec, strlen(spec) + 1);
    }
    pthread_mutex_unlock(&h->lock);
    if (x == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    try_next(x); /* may finish at once: the caller learns it by news */
    return x;
}

struct range_spec
fetch_range_got(const struct fetch *x)
{
    return x->got;
}

struct fetch *
fetch_join(struct fetcher *f, const char *rel)
{
    struct fetch_hub *h = f->hub;
    char key[PATH_MAX];
    struct fetch *x;

    if (cache_key(rel, key) == -1) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    pthread_mutex_lock(&h->lock);
    x = running_whole(h, key);
    if (x != NULL) {
        atomic_fetch_add(&x->refs, 1);
        pthread_mutex_unlock(&h->lock);
        return x;
    }
    x = fetch_new(f, rel, key);
    pthread_mutex_unlock(&h->lock);
    if (x == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    count(&h->started, 1);
    try_next(x); /* may finish at once: the caller learns it by news */
    return x;
}
