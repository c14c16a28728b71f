/* One configuration's objects; see site.h. */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
#include <limits.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/access.h"
#include "daemon/site.h"
#include "daemon/tls.h"
#include "store/cachedir.h"
#include "store/debuginfod.h"
#include "store/store.h"
#include "util/errbuf.h"

/*
 * The store and its debuginfod index, shared by consecutive sites while
 * the store settings stay the same: the index of a large store takes a
 * full scan to build.
 */
struct site_store {
    atomic_uint refs;
    struct store *store;
    struct debuginfod *debuginfod; /* NULL in a check-only site */
    struct stat root_st;           /* the root as opened */
};

static void
site_store_release(struct site_store *ss)
{
    if (ss == NULL || atomic_fetch_sub(&ss->refs, 1) != 1)
        return;
    debuginfod_free(ss->debuginfod);
    store_free(ss->store);
    free(ss);
}

static bool
same_list(char *const *a, unsigned na, char *const *b, unsigned nb)
{
    if (na != nb)
        return false;
    for (unsigned i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool
same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * prev's store serves cfg as well: the same settings, and the root path
 * still names the directory prev opened (a deployment that switches a
 * symlink to a new tree gets the new tree).
 */
static bool
store_reusable(const struct site *prev, const struct config *cfg)
{
    const struct config *o;
    struct stat st;

    if (prev == NULL || prev->store->debuginfod == NULL)
        return false;
    o = &prev->cfg;
    return strcmp(o->root, cfg->root) == 0 &&
           same_list(o->pointer_roots, o->npointer_roots, cfg->pointer_roots,
                     cfg->npointer_roots) &&
           o->expand_compressed == cfg->expand_compressed &&
           same_str(o->cache_dir, cfg->cache_dir) &&
           o->max_expanded_mib == cfg->max_expanded_mib &&
           stat(cfg->root, &st) == 0 &&
           st.st_dev == prev->store->root_st.st_dev &&
           st.st_ino == prev->store->root_st.st_ino;
}

/* a and b (real paths) are the same directory or one holds the other. */
static bool
nested(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

    if (strncmp(a, b, n) != 0)
        return false;
    return la == lb ||
           (la < lb ? b[la] == '/' || la == 1 : a[lb] == '/' || lb == 1);
}

int
site_check_cache_dir(const struct config *cfg, char *err, size_t errlen)
{
    char cache[PATH_MAX], other[PATH_MAX];

    if ((!cfg->expand_compressed && !cfg->compress && !config_fetches(cfg)) ||
        cfg->cache_dir == NULL)
        return 0;
    if (realpath(cfg->cache_dir, cache) == NULL) {
        if (errno == ENOENT)
            return 0; /* made later, empty: nothing to lose yet */
        errbuf_set(err, errlen, "store.cache_dir %s: %s", cfg->cache_dir,
                   strerror(errno));
        return -1;
    }
    /* A bucket store's local root is the cache's own (empty) subtree. */
    for (unsigned i = cfg->bucket != NULL; i <= cfg->npointer_roots; i++) {
        const char *dir = i == 0 ? cfg->root : cfg->pointer_roots[i - 1];

        if (realpath(dir, other) != NULL && nested(cache, other)) {
            errbuf_set(err, errlen,
                       "store.cache_dir %s: overlaps %s: files there would "
                       "be evicted; give the cache a directory of its own",
                       cfg->cache_dir, dir);
            return -1;
        }
    }
    return 0;
}

/*
 * A bucket store's local tree (config.c): the cache directory's empty
 * CONFIG_BUCKET_ROOT, made here (also by --check-config: it is empty). The
 * store layer serves nothing from it; every file is fetched (fetch.h).
 */
static int
make_bucket_root(const struct config *cfg, char *err, size_t errlen)
{
    if ((mkdir(cfg->cache_dir, 0755) == -1 && errno != EEXIST) ||
        (mkdir(cfg->root, 0755) == -1 && errno != EEXIST)) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", cfg->root,
                   strerror(errno));
        return -1;
    }
    return 0;
}

static struct site_store *
site_store_open(const struct config *cfg, struct cachedir *bound,
                bool check_only, char *err, size_t errlen)
{
    /* A cache_dir changed by a reload is not bounded until a restart. */
    bool bounded = bound != NULL && cfg->cache_dir != NULL &&
                   strcmp(cfg->cache_dir, cachedir_path(bound)) == 0;
    struct store_opts o = {cfg->root,
                           cfg->pointer_roots,
                           cfg->npointer_roots,
                           cfg->expand_compressed ? cfg->cache_dir : NULL,
                           (uint64_t)cfg->max_expanded_mib << 20,
                           bounded ? bound : NULL};
    struct site_store *ss = calloc(1, sizeof(*ss));

    if (ss == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&ss->refs, 1);
    if (cfg->bucket != NULL && make_bucket_root(cfg, err, errlen) == -1)
        goto fail;
    ss->store = store_new(&o, err, errlen);
    if (ss->store == NULL)
        goto fail;
    if (site_check_cache_dir(cfg, err, errlen) == -1)
        goto fail;
    if (stat(cfg->root, &ss->root_st) == -1) {
        errbuf_set(err, errlen, "store root %s: %s", cfg->root,
                   strerror(errno));
        goto fail;
    }
    if (!check_only) {
        ss->debuginfod =
            debuginfod_new(cfg->root, DEBUGINFOD_START_BUDGET_MS, err, errlen);
        if (ss->debuginfod == NULL)
            goto fail;
    }
    return ss;
fail:
    site_store_release(ss);
    return NULL;
}

struct site *
site_new(struct config *cfg, const struct site *prev,
         const struct site_shared *sh, bool check_only, char *err,
         size_t errlen)
{
    static const struct site_shared none = {"", NULL, NULL, NULL, NULL, NULL};
    struct site *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        config_free(cfg);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    if (store_reusable(prev, &s->cfg)) {
        s->store = prev->store;
        atomic_fetch_add(&s->store->refs, 1);
    } else {
        s->store = site_store_open(&s->cfg, sh != NULL ? sh->bound : NULL,
                                   check_only, err, errlen);
        if (s->store == NULL)
            goto fail;
    }
    /* A certificate alone is loaded too: systemd may pass an https socket
     * (socket activation) that the config does not list. */
    if (s->cfg.ntls_listen > 0 ||
        (s->cfg.tls_cert != NULL && s->cfg.tls_key != NULL)) {
        s->ssl = tls_ctx_new(s->cfg.tls_cert, s->cfg.tls_key, err, errlen);
        if (s->ssl == NULL)
            goto fail;
    }
    s->access = access_new(&s->cfg, err, errlen);
    if (s->access == NULL)
        goto fail;
    snprintf(s->miss_cache_control, sizeof(s->miss_cache_control),
             "public, max-age=%u", s->cfg.miss_max_age);
    if (sh == NULL)
        sh = &none;
    s->handler = (struct handler_env){
        .store = s->store->store,
        .debuginfod = s->store->debuginfod,
        .serve_admin = s->cfg.serve_admin,
        .max_ranges = s->cfg.max_ranges,
        .boundary = sh->boundary,
        .metrics = sh->metrics,
        .offload = !check_only,
        .access = s->access,
        .guard = sh->guard,
        .zcache = sh->zcache,
        .upstream = sh->upstream,
    };
    return s;
fail:
    site_release(s);
    return NULL;
}

void
site_hold(struct site *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void
site_release(struct site *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->ssl != NULL)
        SSL_CTX_free(s->ssl);
    access_free(s->access);
    site_store_release(s->store);
    config_free(&s->cfg);
    free(s);
}

/* Whether a and b ask the same upstreams the same way. */
static bool
same_upstreams(const struct config *a, const struct config *b)
{
    if (!same_str(a->bucket, b->bucket) ||
        !same_str(a->s3_endpoint, b->s3_endpoint) ||
        !same_str(a->s3_region, b->s3_region) ||
        !same_str(a->s3_addressing, b->s3_addressing) ||
        !same_str(a->s3_access_key, b->s3_access_key) ||
        !same_str(a->s3_secret_key, b->s3_secret_key) ||
        a->s3_index_refresh != b->s3_index_refresh ||
        a->s3_negative_ttl != b->s3_negative_ttl ||
        (a->bucket != NULL && !same_str(a->cache_dir, b->cache_dir)))
        return false;
    if (a->nupstreams != b->nupstreams ||
        a->upstream_negative_ttl != b->upstream_negative_ttl ||
        a->upstream_backoff != b->upstream_backoff ||
        a->upstream_failures != b->upstream_failures ||
        a->upstream_max_mib != b->upstream_max_mib ||
        (a->nupstreams > 0 && !same_str(a->cache_dir, b->cache_dir)))
        return false;
    for (unsigned i = 0; i < a->nupstreams; i++) {
        const struct config_upstream *u =
            &a->upstream_defs[a->upstream_order[i]];
        const struct config_upstream *v =
            &b->upstream_defs[b->upstream_order[i]];

        if (!same_str(u->url, v->url) || !same_str(u->user, v->user) ||
            !same_str(u->password, v->password) ||
            !same_str(u->token, v->token) || !same_str(u->proxy, v->proxy) ||
            u->npatterns != v->npatterns ||
            u->connect_timeout != v->connect_timeout ||
            u->timeout != v->timeout || u->low_speed_time != v->low_speed_time)
            return false;
        for (unsigned j = 0; j < u->npatterns; j++)
            if (!same_str(u->patterns[j], v->patterns[j]))
                return false;
    }
    return true;
}

const char *
site_restart_only(const struct config *a, const struct config *b)
{
    if (a->workers != b->workers)
        return "server.workers";
    if (a->max_connections != b->max_connections)
        return "server.max_connections";
    if (a->max_connections_per_client != b->max_connections_per_client)
        return "server.max_connections_per_client";
    if (a->max_header_size != b->max_header_size)
        return "http.max_header_size";
    if (!same_str(a->access_log, b->access_log))
        return "log.access_log";
    if (!same_str(a->addr_file, b->addr_file))
        return "server.addr_file";
    if (a->job_threads != b->job_threads)
        return "server.job_threads";
    if (a->job_queue != b->job_queue)
        return "server.job_queue";
    if (a->cache_max_mib != b->cache_max_mib ||
        ((b->expand_compressed || b->compress) &&
         !same_str(a->cache_dir, b->cache_dir)))
        return "store.cache_max_mib (the bound of cache_dir)";
    if (a->compress != b->compress || a->compress_min != b->compress_min ||
        a->compress_max_mib != b->compress_max_mib)
        return "http.compress, compress_min_bytes or compress_max_mib";
    if (a->expand_compressed != b->expand_compressed && b->cache_max_mib > 0)
        return "store.expand_compressed (the bound of cache_dir)";
    if (!same_upstreams(a, b))
        return "store.upstream, the [upstream] sections, a bucket store.root "
               "or [s3] (the hub of fetches)";
    if (a->auth_max_failures != b->auth_max_failures ||
        a->auth_window != b->auth_window || a->auth_lockout != b->auth_lockout)
        return "auth.max_failures, failure_window or lockout";
    return NULL;
}
