/* A bucket store as a source of fetches; see bucket.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/bucket.h"
#include "remote/listindex.h"
#include "remote/s3.h"
#include "remote/s3index.h"
#include "util/errbuf.h"
#include "util/log.h"

struct bucket {
    char name[S3URL_BUCKET_MAX + S3URL_PREFIX_MAX + 8];
    struct s3 *prep;   /* s3_prepare() only: read by any thread */
    struct s3 *lister; /* the refresher's blocking requests */
    uint64_t refresh_ms;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* shown, stop */
    pthread_cond_t wake;  /* stop */
    bool stop;
    struct listindex *shown; /* published copy, or NULL: none yet */
    /* The refresher's alone. */
    struct listindex *work;
    struct s3index_state st;
    _Atomic uint64_t refreshes, failures;
};

const char *
bucket_name(const struct bucket *b)
{
    return b->name;
}

/* Swaps a copy of the refresher's index in; the old one goes. */
static void
publish(struct bucket *b)
{
    struct listindex *copy = listindex_clone(b->work), *old;

    if (copy == NULL) {
        log_warnx("bucket %s: out of memory copying the index: the last "
                  "one stays in use",
                  b->name);
        return;
    }
    pthread_mutex_lock(&b->lock);
    old = b->shown;
    b->shown = copy;
    pthread_mutex_unlock(&b->lock);
    listindex_free(old);
}

/* One look at the bucket: the whole listing first, then refreshes. */
static void
refresh_once(struct bucket *b)
{
    char err[512];
    enum s3index_rc rc;

    if (b->work == NULL) {
        struct listindex *li = listindex_new();

        if (li == NULL ||
            s3index_full(b->lister, li, &b->st, err, sizeof(err)) == -1) {
            if (li == NULL)
                errbuf_set(err, sizeof(err), "out of memory");
            listindex_free(li);
            atomic_fetch_add(&b->failures, 1);
            log_warnx("bucket %s: listing: %s (paths are asked by the "
                      "spelling the client sent until a listing works)",
                      b->name, err);
            return;
        }
        b->work = li;
        rc = S3INDEX_UPDATED;
    } else {
        rc = s3index_refresh(b->lister, &b->work, &b->st, err, sizeof(err));
    }
    if (rc == S3INDEX_ERROR) {
        atomic_fetch_add(&b->failures, 1);
        log_warnx("bucket %s: index refresh: %s (the last index stays in "
                  "use)",
                  b->name, err);
        return;
    }
    atomic_fetch_add(&b->refreshes, 1);
    if (rc == S3INDEX_UPDATED && atomic_load(&b->refreshes) == 1) {
        publish(b);
        /* Once, at info: from now on any letter case is found. */
        log_info("bucket %s: index of %zu objects up to transaction %ld "
                 "(%u requests)",
                 b->name, listindex_count(b->work), b->st.last_id,
                 b->st.requests);
    } else if (rc == S3INDEX_UPDATED) {
        publish(b);
        log_debug("bucket %s: index of %zu objects up to transaction %ld "
                  "(%u requests)",
                  b->name, listindex_count(b->work), b->st.last_id,
                  b->st.requests);
    }
}

static void *
refresher(void *arg)
{
    struct bucket *b = arg;
    struct timespec until;

    pthread_mutex_lock(&b->lock);
    while (!b->stop) {
        pthread_mutex_unlock(&b->lock);
        refresh_once(b);
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)(b->refresh_ms / 1000);
        until.tv_nsec += (long)(b->refresh_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&b->lock);
        while (!b->stop &&
               pthread_cond_timedwait(&b->wake, &b->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static enum s3_addressing
addressing(const char *s)
{
    if (s != NULL && strcmp(s, "path") == 0)
        return S3_ADDR_PATH;
    if (s != NULL && strcmp(s, "virtual") == 0)
        return S3_ADDR_VIRTUAL;
    return S3_ADDR_AUTO;
}

struct bucket *
bucket_open(const struct config *cfg, char *err, size_t errlen)
{
    struct s3_conf conf = {
        .endpoint = cfg->s3_endpoint,
        .region = cfg->s3_region,
        .addressing = addressing(cfg->s3_addressing),
        .access_key = cfg->s3_access_key,
        .secret_key = cfg->s3_secret_key,
    };
    struct bucket *b = calloc(1, sizeof(*b));
    pthread_condattr_t ca;

    if (b == NULL) {
        errbuf_set(err, errlen, "bucket: out of memory");
        return NULL;
    }
    snprintf(b->name, sizeof(b->name), "%s", cfg->bucket);
    b->refresh_ms = (uint64_t)cfg->s3_index_refresh * 1000;
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_condattr_destroy(&ca);
    b->prep = s3_open(&conf, cfg->bucket, err, errlen);
    if (b->prep == NULL)
        goto fail;
    b->lister = s3_open(&conf, cfg->bucket, err, errlen);
    if (b->lister == NULL)
        goto fail;
    errno = pthread_create(&b->thread, NULL, refresher, b);
    if (errno != 0) {
        errbuf_set(err, errlen, "bucket %s: the refresher: %s", b->name,
                   strerror(errno));
        goto fail;
    }
    b->started = true;
    return b;
fail:
    bucket_free(b);
    return NULL;
}

void
bucket_free(struct bucket *b)
{
    if (b == NULL)
        return;
    if (b->started) {
        pthread_mutex_lock(&b->lock);
        b->stop = true;
        pthread_cond_signal(&b->wake);
        pthread_mutex_unlock(&b->lock);
        pthread_join(b->thread, NULL);
    }
    s3_close(b->prep);
    s3_close(b->lister);
    listindex_free(b->shown);
    listindex_free(b->work);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

enum bucket_look
bucket_lookup(struct bucket *b, const char *rel, char *out, size_t outlen)
{
    enum bucket_look r;
    const char *found;

    pthread_mutex_lock(&b->lock);
    if (b->shown == NULL) {
        r = BUCKET_UNKNOWN;
        found = rel;
    } else {
        found = listindex_find(b->shown, rel, strlen(rel));
        r = found != NULL ? BUCKET_HAS : BUCKET_LACKS;
    }
    /* Copied under the lock: a swap frees the published index. */
    if (found != NULL && (size_t)snprintf(out, outlen, "%s", found) >= outlen)
        r = BUCKET_LACKS;
    pthread_mutex_unlock(&b->lock);
    return r;
}

int
bucket_prepare(const struct bucket *b, CURL *e, const char *stored,
               struct curl_slist **hdrs, char *err, size_t errlen)
{
    return s3_prepare(b->prep, e, S3_GET, stored, NULL, NULL, NULL, hdrs, err,
                      errlen);
}

void
bucket_counts(struct bucket *b, struct bucket_counts *c)
{
    c->refreshes = atomic_load(&b->refreshes);
    c->failures = atomic_load(&b->failures);
    pthread_mutex_lock(&b->lock);
    c->entries = b->shown != NULL ? listindex_count(b->shown) : 0;
    c->bytes = b->shown != NULL ? listindex_bytes(b->shown) : 0;
    pthread_mutex_unlock(&b->lock);
}
