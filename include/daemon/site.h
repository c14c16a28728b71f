/*
 * What one configuration serves: the settings, the store and its
 * debuginfod index, the TLS context and the handler's view of them. A
 * reload (SIGHUP) builds a new site and the workers swap to it between
 * requests; the old one goes when the last worker lets it go.
 *
 * A site never changes once built, so workers read it without locks. It
 * is reference-counted: the server holds one reference, each worker one.
 * Strings answers keep pointing to after the handler ran (the multipart
 * boundary) belong to the server, not to a site, so an answer in flight
 * never outlives what it points to.
 */
#ifndef SYMSRVD_DAEMON_SITE_H
#define SYMSRVD_DAEMON_SITE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/config.h"
#include "daemon/handler.h"

typedef struct ssl_ctx_st SSL_CTX;
struct access;
struct cachedir;
struct guard;
struct metrics;
struct fetch_hub;
struct site_store;

/* What the server owns for its whole life and every site uses. */
struct site_shared {
    const char *boundary;    /* the multipart boundary */
    struct metrics *metrics; /* counters and health state */
    struct cachedir *bound;  /* the bound of cache_dir, or NULL */
    struct guard *guard;     /* failed logins and the check cache */
    struct zcache *zcache;   /* compressed copies in cache_dir, or NULL */
    /* The upstreams (fetch.h), or NULL. */
    struct fetch_hub *upstream;
};

struct site {
    atomic_uint refs;
    struct config cfg;        /* owned */
    struct site_store *store; /* shared with the next site when unchanged */
    SSL_CTX *ssl;             /* NULL without TLS listeners */
    struct access *access;    /* the access policy (users, tokens, rules) */
    struct handler_env handler;
    char miss_cache_control[48]; /* "public, max-age=N" of 404s */
};

/*
 * Builds a site from *cfg, whose strings it takes over (cfg is zeroed).
 * The store and debuginfod index of prev (may be NULL) are reused when
 * the store settings did not change, so a reload does not rescan a large
 * store. The access policy is built from cfg and the htpasswd and token
 * files it names (read again by every reload). sh (the server's, for its
 * lifetime; NULL with check_only) gives the handler its multipart
 * boundary, metrics registry and login guard, and bounds the store's
 * cache_dir when that is the directory sh->bound was made for. Without
 * check_only the handler leaves expansions to the server's job pool
 * (handler_env.offload). With check_only, nothing is started (no index
 * thread). Returns a site holding one reference, or NULL with one line in
 * err (the store root, the certificate or key, a user or token file);
 * cfg is freed then.
 */
struct site *site_new(struct config *cfg, const struct site *prev,
                      const struct site_shared *sh, bool check_only, char *err,
                      size_t errlen);

/*
 * The cache directory is evicted from (least recently used files go past
 * cache_max_mib): it must not be, hold or sit in the store root or a
 * pointer root, or a start-up would delete symbol files. 0, or -1 with
 * one line in err. A cache directory that does not exist yet passes.
 */
int site_check_cache_dir(const struct config *cfg, char *err, size_t errlen);

/* Takes one more reference. */
void site_hold(struct site *s);

/* Gives one back; the last frees the site. NULL is ignored. */
void site_release(struct site *s);

/*
 * Settings a reload cannot change in a running daemon, one per call: the
 * name of the first that differs between a and b, or NULL. The server
 * logs them and keeps the running values.
 */
const char *site_restart_only(const struct config *a, const struct config *b);

#endif
