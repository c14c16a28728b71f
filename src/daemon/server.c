/* Listeners, workers, TLS, signals; see server.h. */
#include <errno.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/accesslog.h"
#include "daemon/addr.h"
#include "daemon/clients.h"
#include "daemon/handler.h"
#include "daemon/server.h"
#include "daemon/tls.h"
#include "daemon/worker.h"
#include "store/debuginfod.h"
#include "store/store.h"
#include "daemon/access.h"
#include "util/errbuf.h"
#include "util/log.h"

#define MAX_SPECS (2 * CONFIG_MAX_ADDRS)
/* How long a reopen waits for the workers to write their buffered lines. */
#define FLUSH_WAIT_MS 2000

struct server {
    const struct config *cfg;
    struct store *store;
    struct debuginfod *debuginfod;
    struct accesslog *log;
    SSL_CTX *ssl;
    struct listen_spec specs[MAX_SPECS];
    unsigned nspecs;
    struct handler_env handler;
    struct worker_params params;
    struct clients *clients; /* per-address counts; NULL: no cap */
    struct access *access;   /* the policy: read-only once built */
    struct guard *guard;     /* failure counters and check cache */
    struct worker *workers;
    unsigned nworkers;
    struct event_base *base; /* main thread: signals only */
    struct event *sigs[4];
    /* Workers that have flushed their log since a reopen began. */
    pthread_mutex_t flush_lock;
    pthread_cond_t flush_cond;
    unsigned flushed;
    char miss_cache_control[48];
    char boundary[40]; /* 64 random bits per process: a clash with file
                        * bytes is unlikely, not impossible */
};

static void
libevent_log(int severity, const char *msg)
{
    if (severity >= EVENT_LOG_WARN)
        log_warnx("libevent: %s", msg);
}

/* The policy and, beside it, the guard that outlives reloads. */
static int
open_access(struct server *srv, const struct config *cfg, char *err,
            size_t errlen)
{
    struct guard_limits limits = access_guard_limits(cfg);

    srv->access = access_new(cfg, err, errlen);
    if (srv->access == NULL)
        return -1;
    srv->guard = guard_new(&limits);
    if (srv->guard == NULL) {
        errbuf_set(err, errlen, "access guard: out of memory");
        return -1;
    }
    return 0;
}

static struct store *
open_store(const struct config *cfg, char *err, size_t errlen)
{
    struct store_opts o = {cfg->root, cfg->pointer_roots, cfg->npointer_roots,
                           cfg->expand_compressed ? cfg->cache_dir : NULL,
                           (uint64_t)cfg->max_expanded_mib << 20};

    return store_new(&o, err, errlen);
}

int
server_check(const struct config *cfg, char *err, size_t errlen)
{
    struct store *store = open_store(cfg, err, errlen);
    SSL_CTX *ssl;

    struct access *ac;

    if (store == NULL)
        return -1;
    store_free(store);
    ac = access_new(cfg, err, errlen); /* reads htpasswd and tokens */
    if (ac == NULL)
        return -1;
    access_free(ac);
    if (cfg->ntls_listen == 0)
        return 0;
    ssl = tls_ctx_new(cfg->tls_cert, cfg->tls_key, err, errlen);
    if (ssl == NULL)
        return -1;
    SSL_CTX_free(ssl);
    return 0;
}

/*
 * Binds each address once without SO_REUSEPORT: a port held by anyone,
 * even another symsrvd with SO_REUSEPORT, fails here with EADDRINUSE
 * instead of being shared silently. Port 0 is resolved to the kernel's
 * choice, which every worker then binds.
 */
static int
probe_spec(struct listen_spec *sp, const char *text, char *err, size_t errlen)
{
    int fd = worker_listen_socket(sp, false);

    if (fd == -1 ||
        getsockname(fd, (struct sockaddr *)&sp->ss, &sp->sslen) == -1) {
        errbuf_set(err, errlen, "listen %s: %s", text, strerror(errno));
        if (fd != -1)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int
add_specs(struct server *srv, char *const *addrs, unsigned n, int tls,
          char *err, size_t errlen)
{
    for (unsigned i = 0; i < n; i++) {
        struct listen_spec *sp = &srv->specs[srv->nspecs];

        if (addr_parse(addrs[i], &sp->ss, &sp->sslen) == -1) {
            errbuf_set(err, errlen, "listen %s: malformed address", addrs[i]);
            return -1;
        }
        sp->tls = tls != 0;
        if (probe_spec(sp, addrs[i], err, errlen) == -1)
            return -1;
        srv->nspecs++;
    }
    return 0;
}

static unsigned
worker_count(const struct config *cfg)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (cfg->workers > 0)
        return cfg->workers;
    return n > 0 ? (unsigned)n : 1;
}

/* Every connection is a descriptor: take all the kernel allows us. */
static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
            log_warn("setrlimit NOFILE");
    }
}

/* Values every worker shares, made once. */
static int
make_shared_values(struct server *srv, char *err, size_t errlen)
{
    unsigned char r[8];

    snprintf(srv->miss_cache_control, sizeof(srv->miss_cache_control),
             "public, max-age=%u", srv->cfg->miss_max_age);
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        errbuf_set(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    snprintf(srv->boundary, sizeof(srv->boundary),
             "symsrvd-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    return 0;
}

static int
server_open(struct server *srv, char *err, size_t errlen)
{
    const struct config *cfg = srv->cfg;

    if (make_shared_values(srv, err, errlen) == -1)
        return -1;
    srv->store = open_store(cfg, err, errlen);
    if (srv->store == NULL)
        return -1;
    srv->debuginfod = debuginfod_new(cfg->root, err, errlen);
    if (srv->debuginfod == NULL)
        return -1;
    if (cfg->ntls_listen > 0) {
        srv->ssl = tls_ctx_new(cfg->tls_cert, cfg->tls_key, err, errlen);
        if (srv->ssl == NULL)
            return -1;
    }
    if (add_specs(srv, cfg->listen, cfg->nlisten, 0, err, errlen) == -1 ||
        add_specs(srv, cfg->tls_listen, cfg->ntls_listen, 1, err, errlen) == -1)
        return -1;
    srv->log = accesslog_open(cfg->access_log, err, errlen);
    if (srv->log == NULL)
        return -1;
    if (open_access(srv, cfg, err, errlen) == -1)
        return -1;
    srv->handler = (struct handler_env){
        srv->store,    srv->debuginfod, cfg->serve_admin, cfg->max_ranges,
        srv->boundary, srv->access,     srv->guard};
    srv->base = event_base_new();
    if (srv->base == NULL) {
        errbuf_set(err, errlen, "event base: out of memory");
        return -1;
    }
    return 0;
}

/* Runs on a worker's thread once it has written its buffered lines. */
static void
on_worker_flushed(void *arg)
{
    struct server *srv = arg;

    pthread_mutex_lock(&srv->flush_lock);
    srv->flushed++;
    pthread_cond_signal(&srv->flush_cond);
    pthread_mutex_unlock(&srv->flush_lock);
}

static void
set_worker_params(struct server *srv)
{
    const struct config *cfg = srv->cfg;

    srv->params = (struct worker_params){
        .specs = srv->specs,
        .nspecs = srv->nspecs,
        .ssl = srv->ssl,
        .handler = &srv->handler,
        .log = srv->log,
        .timeout = cfg->timeout,
        .shutdown_timeout = cfg->shutdown_timeout,
        .max_header_size = cfg->max_header_size,
        .max_conns = cfg->max_connections,
        .clients = srv->clients,
        .cache_control = cfg->cache_control,
        .miss_cache_control = srv->miss_cache_control,
        .flushed = on_worker_flushed,
        .flushed_arg = srv,
    };
}

struct server *
server_new(const struct config *cfg, char *err, size_t errlen)
{
    struct server *srv = calloc(1, sizeof(*srv));

    if (srv == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    pthread_mutex_init(&srv->flush_lock, NULL);
    pthread_cond_init(&srv->flush_cond, NULL);
    event_set_log_callback(libevent_log);
    raise_nofile();
    if (server_open(srv, err, errlen) == -1)
        goto fail;
    srv->nworkers = worker_count(cfg);
    srv->workers = calloc(srv->nworkers, sizeof(*srv->workers));
    if (srv->workers == NULL) {
        errbuf_set(err, errlen, "out of memory");
        goto fail;
    }
    if (cfg->max_connections_per_client > 0) {
        srv->clients = clients_new(cfg->max_connections_per_client,
                                   srv->nworkers * cfg->max_connections);
        if (srv->clients == NULL) {
            errbuf_set(err, errlen, "out of memory");
            goto fail;
        }
    }
    set_worker_params(srv);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (worker_init(&srv->workers[i], &srv->params, err, errlen) == -1)
            goto fail;
    return srv;
fail:
    server_free(srv);
    return NULL;
}

static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;

    (void)what;
    log_info("stopping on %s: running downloads get %u s",
             sig == SIGINT ? "SIGINT" : "SIGTERM", srv->cfg->shutdown_timeout);
    event_base_loopbreak(srv->base);
}

/*
 * Before a reopen every worker writes what it has buffered, so lines
 * logged before the signal land in the file logrotate renamed. A worker
 * that does not answer in time (a long pass of its loop) writes its lines
 * to the new file instead: late, never lost.
 */
static void
flush_workers(struct server *srv)
{
    struct timespec until;
    unsigned want = 0;

    pthread_mutex_lock(&srv->flush_lock);
    srv->flushed = 0;
    pthread_mutex_unlock(&srv->flush_lock);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started &&
            worker_post(&srv->workers[i], WORKER_FLUSH) == 0)
            want++;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FLUSH_WAIT_MS / 1000;
    pthread_mutex_lock(&srv->flush_lock);
    while (srv->flushed < want &&
           pthread_cond_timedwait(&srv->flush_cond, &srv->flush_lock, &until) ==
               0)
        ;
    pthread_mutex_unlock(&srv->flush_lock);
}

static void
on_reopen_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;

    (void)sig;
    (void)what;
    flush_workers(srv);
    if (accesslog_reopen(srv->log) == -1)
        log_warn("access log %s: reopen", srv->cfg->access_log);
    else
        log_info("access log reopened");
}

static int
add_signals(struct server *srv)
{
    static const int stop[] = {SIGTERM, SIGINT};
    static const int reopen[] = {SIGUSR1, SIGHUP};

    for (int i = 0; i < 2; i++) {
        srv->sigs[i] = evsignal_new(srv->base, stop[i], on_stop_signal, srv);
        srv->sigs[2 + i] =
            evsignal_new(srv->base, reopen[i], on_reopen_signal, srv);
    }
    for (int i = 0; i < 4; i++)
        if (srv->sigs[i] == NULL || evsignal_add(srv->sigs[i], NULL) == -1)
            return -1;
    return 0;
}

/* Written to a temporary name and renamed: readers never see half. */
static void
write_addr_file(struct server *srv)
{
    const char *path = srv->cfg->addr_file;
    char tmp[4096];
    FILE *fp;

    if (path == NULL)
        return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        log_warn("addr_file %s", tmp);
        return;
    }
    for (unsigned i = 0; i < srv->nspecs; i++) {
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&srv->specs[i].ss, text);
        fprintf(fp, "%s://%s\n", srv->specs[i].tls ? "https" : "http", text);
    }
    if (fclose(fp) != 0 || rename(tmp, path) == -1)
        log_warn("addr_file %s", path);
}

static void
announce(struct server *srv)
{
    log_info("serving %s with %u worker%s", srv->cfg->root, srv->nworkers,
             srv->nworkers == 1 ? "" : "s");
    for (unsigned i = 0; i < srv->nspecs; i++) {
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&srv->specs[i].ss, text);
        log_info("listening on %s://%s", srv->specs[i].tls ? "https" : "http",
                 text);
    }
    write_addr_file(srv);
}

static int
start_workers(struct server *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (worker_start(&srv->workers[i]) == -1)
            return -1;
    return 0;
}

static void
stop_workers(struct server *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started &&
            worker_post(&srv->workers[i], WORKER_STOP) == -1)
            log_warn("stop worker %u", i);
    for (unsigned i = 0; i < srv->nworkers; i++)
        worker_join(&srv->workers[i]);
}

int
server_run(struct server *srv)
{
    int rc = 0;

    signal(SIGPIPE, SIG_IGN);
    if (add_signals(srv) == -1) {
        log_warnx("cannot install signal handlers");
        return -1;
    }
    if (start_workers(srv) == -1)
        rc = -1;
    else {
        announce(srv);
        event_base_dispatch(srv->base);
    }
    stop_workers(srv);
    log_info("stopped");
    return rc;
}

void
server_free(struct server *srv)
{
    if (srv == NULL)
        return;
    for (unsigned i = 0; srv->workers != NULL && i < srv->nworkers; i++)
        worker_cleanup(&srv->workers[i]);
    free(srv->workers);
    clients_free(srv->clients); /* after the workers: they give back */
    for (int i = 0; i < 4; i++)
        if (srv->sigs[i] != NULL)
            event_free(srv->sigs[i]);
    if (srv->base != NULL)
        event_base_free(srv->base);
    accesslog_close(srv->log);
    if (srv->ssl != NULL)
        SSL_CTX_free(srv->ssl);
    debuginfod_free(srv->debuginfod);
    store_free(srv->store);
    access_free(srv->access);
    guard_free(srv->guard);
    pthread_mutex_destroy(&srv->flush_lock);
    pthread_cond_destroy(&srv->flush_cond);
    free(srv);
}
