/*
 * symsrvd: argv, config and wiring only. Runs in the foreground. Start-up
 * failures are logged at the err priority (fatalx) after cleaning up.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "util/log.h"
#include "daemon/server.h"

static const char *
on_off(bool b)
{
    return b ? "on" : "off";
}

/* -v: the settings in effect once defaults, the file and flags merged. */
static void
log_access_settings(const struct config *cfg)
{
    log_debug("auth.htpasswd %s, tokens %s, realm %s",
              cfg->htpasswd != NULL ? cfg->htpasswd : "none",
              cfg->tokens != NULL ? cfg->tokens : "none", cfg->auth_realm);
    log_debug("auth.max_failures %u per %u s, lockout %u s",
              cfg->auth_max_failures, cfg->auth_window, cfg->auth_lockout);
    for (unsigned i = 0; i < cfg->nacl; i++)
        log_debug("access.%s %s", cfg->acl[i][0] == '+' ? "allow" : "deny",
                  cfg->acl[i] + 1);
    for (unsigned i = 0; i < cfg->ntrusted_proxies; i++)
        log_debug("access.trusted_proxies %s", cfg->trusted_proxies[i]);
    for (unsigned i = 0; i < cfg->npaths; i++) {
        const struct config_path *p = &cfg->paths[i];

        log_debug("path \"%s\": auth %s, %u allow/deny rules", p->prefix,
                  p->auth == -1 ? "as the server" : on_off(p->auth == 1),
                  p->nacl);
        for (unsigned j = 0; j < p->nacl; j++)
            log_debug("path \"%s\".%s %s", p->prefix,
                      p->acl[j][0] == '+' ? "allow" : "deny", p->acl[j] + 1);
    }
}

/* A bucket store's settings; credentials are never logged, only where
 * they come from. */
static void
log_bucket_settings(const struct config *cfg)
{
    if (cfg->bucket == NULL)
        return;
    log_debug("store.root %s: s3.endpoint %s, region %s, addressing %s, "
              "index_refresh %u s, negative_ttl %u s, credentials from %s",
              cfg->bucket, cfg->s3_endpoint != NULL ? cfg->s3_endpoint : "AWS",
              cfg->s3_region != NULL ? cfg->s3_region : "AWS_REGION/us-east-1",
              cfg->s3_addressing, cfg->s3_index_refresh, cfg->s3_negative_ttl,
              cfg->s3_secret_key != NULL ? "the config file"
                                         : "the environment or ~/.aws");
}

/* The upstreams in the order asked; credentials are never logged. */
static void
log_upstream_settings(const struct config *cfg)
{
    if (cfg->nupstreams == 0)
        return;
    log_debug("store.upstream_negative_ttl %u s, upstream_failures %u, "
              "upstream_backoff %u s, upstream_max_mib %u",
              cfg->upstream_negative_ttl, cfg->upstream_failures,
              cfg->upstream_backoff, cfg->upstream_max_mib);
    for (unsigned i = 0; i < cfg->nupstreams; i++) {
        const struct config_upstream *u =
            &cfg->upstream_defs[cfg->upstream_order[i]];

        log_debug("upstream %u \"%s\" %s: %s, proxy %s, %u patterns, "
                  "timeouts %u/%u/%u s",
                  i + 1, u->name, u->url,
                  u->user != NULL    ? "basic"
                  : u->token != NULL ? "bearer"
                                     : "no credentials",
                  u->proxy != NULL ? u->proxy : "none", u->npatterns,
                  u->connect_timeout, u->timeout, u->low_speed_time);
    }
}

static void
log_settings(const struct config *cfg)
{
    log_debug("settings: %s, then flags",
              cfg->file != NULL ? cfg->file : "defaults");
    log_debug("store.root %s", cfg->root);
    log_debug("store.serve_admin %s, expand_compressed %s, cache_dir %s",
              on_off(cfg->serve_admin), on_off(cfg->expand_compressed),
              cfg->cache_dir != NULL ? cfg->cache_dir : "none");
    for (unsigned i = 0; i < cfg->npointer_roots; i++)
        log_debug("store.pointer_roots %s", cfg->pointer_roots[i]);
    log_debug("http.compress %s (%u bytes to %u MiB)",
              cfg->compress && cfg->cache_dir != NULL ? "on" : "off",
              cfg->compress_min, cfg->compress_max_mib);
    for (unsigned i = 0; i < cfg->nlisten; i++)
        log_debug("server.listen %s", cfg->listen[i]);
    for (unsigned i = 0; i < cfg->ntls_listen; i++)
        log_debug("server.tls_listen %s (cert %s, key %s)", cfg->tls_listen[i],
                  cfg->tls_cert, cfg->tls_key);
    for (unsigned i = 0; i < cfg->nmetrics_listen; i++)
        log_debug("server.metrics_listen %s", cfg->metrics_listen[i]);
    log_debug("server.workers %u (0: one per CPU), shutdown_timeout %u s, "
              "max_connections %u per worker, %u per client",
              cfg->workers, cfg->shutdown_timeout, cfg->max_connections,
              cfg->max_connections_per_client);
    log_debug("store.cache_max_mib %u (0: no bound), server.job_threads %u, "
              "job_queue %u, job_timeout %u s",
              cfg->cache_max_mib, cfg->job_threads, cfg->job_queue,
              cfg->job_timeout);
    log_debug("log.access_log %s", cfg->access_log);
    log_debug("http.timeout %u s, max_header_size %u, max_ranges %u, "
              "miss_max_age %u s",
              cfg->timeout, cfg->max_header_size, cfg->max_ranges,
              cfg->miss_max_age);
    log_debug("http.cache_control %s", cfg->cache_control);
    log_upstream_settings(cfg);
    log_bucket_settings(cfg);
    log_access_settings(cfg);
}

int
main(int argc, char *argv[])
{
    struct config cfg;
    struct server *srv;
    char err[512] = "";
    int rc = 1;

    log_init("symsrvd");
    memset(&cfg, 0, sizeof(cfg));
    /* No default store: an installed binary knows no source tree, so
     * without -r or -c it says which of them it needs. */
    switch (config_load(&cfg, argc, argv, NULL, err, sizeof(err))) {
    case CONFIG_EXIT:
        config_free(&cfg);
        return 0;
    case CONFIG_ERROR:
        config_free(&cfg);
        fatalx("%s", err);
    case CONFIG_OK:
        break;
    }
    log_set_verbose(cfg.verbose);
    /* Clients can make the daemon warn (an unreadable file asked for in a
     * loop, a corrupt CAB): at most this many warnings a second reach the
     * journal, and one line counts the rest. */
    log_set_warn_limit(50);
    log_settings(&cfg);
    if (cfg.check_only) {
        char name[4096];

        snprintf(name, sizeof(name), "%s", cfg.file ? cfg.file : "flags");
        if (server_check(&cfg, err, sizeof(err)) == 0) {
            printf("%s: configuration ok\n", name);
            rc = 0;
        } else
            log_warnx("%s", err);
        return rc;
    }
    srv = server_new(&cfg, argc, argv, NULL, err, sizeof(err));
    if (srv == NULL)
        fatalx("%s", err);
    if (server_run(srv) == 0)
        rc = 0;
    server_free(srv);
    return rc;
}
