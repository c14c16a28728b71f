/* Listeners, workers, sites, signals, systemd; see server.h. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "daemon/accesslog.h"
#include "daemon/addr.h"
#include "daemon/clients.h"
#include "daemon/metrics.h"
#include "daemon/server.h"
#include "daemon/fetch.h"
#include "daemon/offload.h"
#include "daemon/site.h"
#include "daemon/worker.h"
#include "daemon/access.h"
#include "daemon/guard.h"
#include "store/cachedir.h"
#include "store/zcache.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/log.h"

#define MAX_SLOTS WORKER_MAX_LISTENERS
/* How long the main thread waits for every worker to act on a message. */
#define ACK_WAIT_MS 2000

/*
 * One listening address: either one SO_REUSEPORT socket per worker (the
 * kernel spreads connections), owned by the workers, or one socket systemd
 * passed (socket activation), shared by all workers and owned here.
 */
struct slot {
    struct listen_spec spec;
    char text[ADDR_INPUT_LEN]; /* as configured; "" for systemd's */
    bool shared;
    int shared_fd;
    int *fds;    /* [nworkers] when not shared */
    bool handed; /* fds[] belong to the workers now (they close them) */
};

struct server {
    int argc; /* what a reload loads the config from again */
    char *const *argv;
    const char *demo_root;
    struct site *site; /* what new requests get */
    /* Made once at start and kept across reloads (not a site's): */
    struct cachedir *cache;  /* the bound of cache_dir, or NULL */
    struct offload *offload; /* the job pool (CAB expansions, copies) */
    struct zcache *zcache;   /* compressed copies in cache_dir, or NULL */
    /* The upstreams (fetch.h), or NULL. */
    struct fetch_hub *upstream;
    struct accesslog *log;
    struct slot slots[MAX_SLOTS];
    unsigned nslots;
    struct worker_params params;
    struct clients *clients;   /* per-address counts; NULL: no cap */
    struct metrics *metrics;   /* the workers' counters, health state */
    struct guard *guard;       /* failed logins, check cache: across reloads */
    struct site_shared shared; /* what every site gets from the above */
    struct worker *workers;
    unsigned nworkers, ninit;
    struct event_base *base; /* main thread: signals and the watchdog */
    struct event *sigs[4];
    struct event *watchdog_ev;
    uint64_t watchdog_usec; /* 0: no watchdog */
    bool watchdog_warned;
    /* Workers that acted on the last message (flush or reload). */
    pthread_mutex_t ack_lock;
    pthread_cond_t ack_cond;
    unsigned acks;
    char boundary[40]; /* 64 random bits per process: a clash with file
                        * bytes is unlikely, not impossible */
};

static void
libevent_log(int severity, const char *msg)
{
    if (severity >= EVENT_LOG_WARN)
        log_warnx("libevent: %s", msg);
}

int
server_check(struct config *cfg, char *err, size_t errlen)
{
    struct site *s = site_new(cfg, NULL, NULL, true, err, errlen);

    site_release(s);
    return s != NULL ? 0 : -1;
}

/* --- listening sockets ----------------------------------------------------
 */

static void
slot_close(struct slot *sl, unsigned nworkers)
{
    if (sl->shared && sl->shared_fd != -1)
        close(sl->shared_fd);
    for (unsigned i = 0; !sl->handed && sl->fds != NULL && i < nworkers; i++)
        if (sl->fds[i] != -1)
            close(sl->fds[i]);
    free(sl->fds);
    sl->fds = NULL;
}

/*
 * Binds the address once without SO_REUSEPORT: a port held by anyone,
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

/* One SO_REUSEPORT socket per worker for a new address. */
static int
slot_open(struct slot *sl, const char *text, unsigned nworkers, char *err,
          size_t errlen)
{
    snprintf(sl->text, sizeof(sl->text), "%s", text);
    sl->shared = false;
    sl->shared_fd = -1;
    if (probe_spec(&sl->spec, text, err, errlen) == -1)
        return -1;
    sl->fds = malloc(nworkers * sizeof(*sl->fds));
    if (sl->fds == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < nworkers; i++)
        sl->fds[i] = -1;
    for (unsigned i = 0; i < nworkers; i++) {
        sl->fds[i] = worker_listen_socket(&sl->spec, true);
        if (sl->fds[i] == -1) {
            errbuf_set(err, errlen, "listen %s: %s", text, strerror(errno));
            slot_close(sl, nworkers);
            return -1;
        }
    }
    return 0;
}

/* An address's scheme in the address file and the log: the metrics
 * listener is plain HTTP, but told apart so that no client takes it for
 * the store. */
static const char *
spec_scheme(const struct listen_spec *sp)
{
    if (sp->metrics)
        return "metrics";
    return sp->tls ? "https" : "http";
}

static bool
same_address(const struct listen_spec *a, const struct listen_spec *b)
{
    return a->sslen == b->sslen && memcmp(&a->ss, &b->ss, a->sslen) == 0;
}

/* The same IP address, whatever the ports: a slot opened for port 0 has
 * the kernel's port in its spec. */
static bool
same_host(const struct listen_spec *a, const struct listen_spec *b)
{
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
    const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->ss;
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
    const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->ss;

    if (a->ss.ss_family != b->ss.ss_family)
        return false;
    if (a->ss.ss_family == AF_INET)
        return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
    return memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/*
 * The slot of old[0..nold), not taken yet, that serves text (resolved to
 * *sp, one of its addresses): the same text and address for the same
 * scheme first, then the same text and address or the same address with
 * a fixed port (the scheme changes). Its index, or -1. Systemd's slots
 * count even when taken: they serve any number. A name that resolves to
 * another address now gets a new slot.
 */
static int
find_slot(const struct slot *old, unsigned nold, const bool *taken,
          const char *text, const struct listen_spec *sp)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&sp->ss;

    for (unsigned i = 0; i < nold; i++)
        if ((!taken[i] || old[i].shared) && strcmp(old[i].text, text) == 0 &&
            same_host(&old[i].spec, sp) && old[i].spec.tls == sp->tls &&
            old[i].spec.metrics == sp->metrics)
            return (int)i;
    for (unsigned i = 0; i < nold; i++)
        if ((!taken[i] || old[i].shared) &&
            ((strcmp(old[i].text, text) == 0 && same_host(&old[i].spec, sp)) ||
             (sin->sin_port != 0 && same_address(&old[i].spec, sp))))
            return (int)i;
    return -1;
}

/*
 * The listening sockets systemd passed (socket activation): those named
 * "https" (FileDescriptorName=) serve TLS, those named "metrics" are
 * metrics listeners, the others serve plain HTTP. They stay for the life
 * of the process, whatever a reload says.
 */
static int
inherit_slots(struct server *srv, char *err, size_t errlen)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);

    if (n < 0) {
        errbuf_set(err, errlen, "systemd sockets: %s", strerror(-n));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        struct slot *sl = &srv->slots[srv->nslots];
        const char *name = names != NULL && names[i] != NULL ? names[i] : "";

        if (srv->nslots == MAX_SLOTS ||
            sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            errbuf_set(err, errlen,
                       "systemd socket %d (%s): not a listening stream "
                       "socket, or more than %d",
                       fd, name, MAX_SLOTS);
            n = -1;
            break;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        *sl = (struct slot){.shared = true, .shared_fd = fd};
        sl->spec.sslen = sizeof(sl->spec.ss);
        getsockname(fd, (struct sockaddr *)&sl->spec.ss, &sl->spec.sslen);
        sl->spec.tls = strcmp(name, "https") == 0;
        sl->spec.metrics = strcmp(name, "metrics") == 0;
        srv->nslots++;
    }
    for (int i = 0; names != NULL && names[i] != NULL; i++)
        free(names[i]);
    free(names);
    return n < 0 ? -1 : 0;
}

static bool
any_tls(const struct slot *slots, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (slots[i].spec.tls)
            return true;
    return false;
}

/*
 * The slots of one configured address into out[*n...]: a host name or "*"
 * stands for several addresses (addr_resolve(), looked up again on each
 * reload), each a slot of its own, kept from old[] or opened. tls,
 * metrics: what it serves. On failure *n counts what was added so far,
 * for plan_slots() to close.
 */
static int
plan_text(const char *text, bool tls, bool metrics, struct slot *old,
          unsigned nold, bool *taken, unsigned nworkers, struct slot *out,
          unsigned *n, char *err, size_t errlen)
{
    struct sockaddr_storage ss[ADDR_RESOLVE_MAX];
    socklen_t lens[ADDR_RESOLVE_MAX];
    char why[300];
    size_t got;

    if (*n == MAX_SLOTS) {
        errbuf_set(err, errlen, "listen %s: more than %d addresses", text,
                   MAX_SLOTS);
        return -1;
    }
    if (addr_resolve(text, ss, lens, MAX_SLOTS - *n, &got, why, sizeof(why)) ==
        -1) {
        errbuf_set(err, errlen, "listen %s", why);
        return -1;
    }
    for (size_t j = 0; j < got; j++) {
        struct listen_spec sp = {
            .ss = ss[j], .sslen = lens[j], .tls = tls, .metrics = metrics};
        int k = find_slot(old, nold, taken, text, &sp);

        if (k >= 0 && old[k].shared) {
            if (old[k].spec.tls != sp.tls ||
                old[k].spec.metrics != sp.metrics) {
                errbuf_set(err, errlen, "listen %s: systemd passed it as %s",
                           text, spec_scheme(&old[k].spec));
                return -1;
            }
            continue; /* systemd's socket serves it */
        }
        if (k >= 0 && !taken[k]) {
            taken[k] = true;
            out[*n] = old[k];
            out[*n].spec.tls = sp.tls;
            out[(*n)++].spec.metrics = sp.metrics;
            continue;
        }
        out[*n].spec = sp;
        if (slot_open(&out[*n], text, nworkers, err, errlen) == -1)
            return -1;
        (*n)++;
    }
    return 0;
}

/*
 * Slots for what cfg lists, into out[]: kept from old[0..nold) when
 * already open there (taken), else opened. Systemd's sockets come first
 * and always stay; a config address that one of them already serves is
 * not bound again, and with them the default address (no listen given)
 * is not bound at all. On failure
 * the slots opened here are closed and old is untouched. Without
 * have_tls (a certificate and key) no slot may serve https.
 */
static int
plan_slots(const struct config *cfg, bool have_tls, struct slot *old,
           unsigned nold, unsigned nworkers, struct slot *out, unsigned *nout,
           char *err, size_t errlen)
{
    char *const *lists[3] = {cfg->listen, cfg->tls_listen, cfg->metrics_listen};
    unsigned counts[3] = {cfg->nlisten, cfg->ntls_listen, cfg->nmetrics_listen};
    bool taken[MAX_SLOTS] = {false};
    unsigned n = 0;

    for (unsigned i = 0; i < nold; i++)
        if (old[i].shared) {
            out[n++] = old[i];
            taken[i] = true;
        }
    if (n > 0 && cfg->listen_default)
        counts[0] = 0;
    for (int t = 0; t < 3; t++) {
        for (unsigned i = 0; i < counts[t]; i++) {
            if (plan_text(lists[t][i], t == 1, t == 2, old, nold, taken,
                          nworkers, out, &n, err, errlen) == -1)
                goto fail;
        }
    }
    if (!have_tls && any_tls(out, n)) {
        errbuf_set(err, errlen, "an https socket needs tls_cert and tls_key");
        goto fail;
    }
    *nout = n;
    return 0;
fail:
    for (unsigned i = 0; i < n; i++) {
        bool from_old = false;

        for (unsigned j = 0; j < nold; j++)
            from_old = from_old || (taken[j] && out[i].fds == old[j].fds &&
                                    out[i].shared_fd == old[j].shared_fd);
        if (!from_old)
            slot_close(&out[i], nworkers);
    }
    return -1;
}

/* What worker i listens on: its own socket of each slot, or the shared. */
static unsigned
worker_lfds(const struct slot *slots, unsigned n, unsigned i,
            struct worker_lfd *out)
{
    for (unsigned k = 0; k < n; k++)
        out[k] = (struct worker_lfd){
            .fd = slots[k].shared ? slots[k].shared_fd : slots[k].fds[i],
            .tls = slots[k].spec.tls,
            .owned = !slots[k].shared,
            .metrics = slots[k].spec.metrics,
        };
    return n;
}

/* The workers have the sockets of slots[0..n): fds[] only names them. */
static void
hand_over(struct slot *slots, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        slots[i].handed = true;
}

/* --- set-up ---------------------------------------------------------------
 */

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

static int
make_boundary(struct server *srv, char *err, size_t errlen)
{
    unsigned char r[8];

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        errbuf_set(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    snprintf(srv->boundary, sizeof(srv->boundary),
             "symsrvd-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
    return 0;
}

/* Runs on a worker's thread once it has acted on a flush or a reload. */
static void
on_worker_acked(void *arg)
{
    struct server *srv = arg;

    pthread_mutex_lock(&srv->ack_lock);
    srv->acks++;
    pthread_cond_signal(&srv->ack_cond);
    pthread_mutex_unlock(&srv->ack_lock);
}

/*
 * systemd's watchdog (WatchdogSec=): the workers touch their heartbeat
 * four times per period, the main thread checks them twice per period.
 */
static void
watchdog_setup(struct server *srv)
{
    uint64_t usec = 0;

    if (sd_watchdog_enabled(1, &usec) > 0 && usec >= 4000)
        srv->watchdog_usec = usec;
}

static void
set_worker_params(struct server *srv)
{
    const struct config *cfg = &srv->site->cfg;

    srv->params = (struct worker_params){
        .log = srv->log,
        .max_header_size = cfg->max_header_size,
        .max_conns = cfg->max_connections,
        .clients = srv->clients,
        .offload = srv->offload,
        .upstream = srv->upstream,
        .heartbeat_ms = (unsigned)(srv->watchdog_usec / 4000),
        .acked = on_worker_acked,
        .acked_arg = srv,
    };
}

/* Files the cache bound remembers (about 100 bytes each); beyond, the
 * least recently used go whatever their size. */
#define CACHE_FILES_MAX 262144

/*
 * The compressed copies (http.compress), in cache_dir under its bound:
 * none without a cache_dir (docs/http.md).
 */
static int
open_zcache(struct server *srv, const struct config *cfg, char *err,
            size_t errlen)
{
    struct zcache_opts o = {cfg->cache_dir, srv->cache, cfg->compress_min,
                            (uint64_t)cfg->compress_max_mib << 20};

    if (!cfg->compress || cfg->cache_dir == NULL)
        return 0;
    srv->zcache = zcache_new(&o, err, errlen);
    return srv->zcache != NULL ? 0 : -1;
}

/*
 * The job pool and the cache bound, before the first site: owned by the
 * server, so that every site's store shares them (a reload that changes
 * job_threads, job_queue or cache_max_mib takes effect on restart).
 */
static int
open_jobs(struct server *srv, const struct config *cfg, char *err,
          size_t errlen)
{
    if (site_check_cache_dir(cfg, err, errlen) == -1)
        return -1;
    if ((cfg->expand_compressed || cfg->compress || config_fetches(cfg)) &&
        cfg->cache_dir != NULL && cfg->cache_max_mib > 0) {
        srv->cache =
            cachedir_new(cfg->cache_dir, (uint64_t)cfg->cache_max_mib << 20,
                         CACHE_FILES_MAX, err, errlen);
        if (srv->cache == NULL)
            return -1;
    }
    if (config_fetches(cfg)) { /* its libcurl set up before any thread */
        srv->upstream = fetch_hub_new(cfg, srv->cache, err, errlen);
        if (srv->upstream == NULL)
            return -1;
    }
    if (open_zcache(srv, cfg, err, errlen) == -1)
        return -1;
    srv->offload = offload_new(cfg->job_threads, cfg->job_queue, err, errlen);
    return srv->offload != NULL ? 0 : -1;
}

/*
 * The guard of logins (failure counts, lock-outs, the check cache): the
 * server's, so a reload neither forgets a brute-forcer nor resets its
 * lock-out; its limits take effect on restart.
 */
static int
open_guard(struct server *srv, const struct config *cfg, char *err,
           size_t errlen)
{
    struct guard_limits limits = access_guard_limits(cfg);

    srv->guard = guard_new(&limits);
    if (srv->guard == NULL) {
        errbuf_set(err, errlen, "access guard: out of memory");
        return -1;
    }
    return 0;
}

static int
server_open(struct server *srv, struct config *cfg, char *err, size_t errlen)
{
    if (make_boundary(srv, err, errlen) == -1)
        return -1;
    srv->nworkers = worker_count(cfg); /* restart-only: a reload keeps it */
    srv->metrics = metrics_new(srv->nworkers, SYMSRVD_VERSION);
    if (srv->metrics == NULL) {
        config_free(cfg);
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    if (open_jobs(srv, cfg, err, errlen) == -1 ||
        open_guard(srv, cfg, err, errlen) == -1) {
        config_free(cfg);
        return -1;
    }
    srv->shared =
        (struct site_shared){srv->boundary, srv->metrics, srv->cache,
                             srv->guard,    srv->zcache,  srv->upstream};
    srv->site = site_new(cfg, NULL, &srv->shared, false, err, errlen);
    if (srv->site == NULL)
        return -1;
    if (inherit_slots(srv, err, errlen) == -1 ||
        plan_slots(&srv->site->cfg, srv->site->ssl != NULL, srv->slots,
                   srv->nslots, srv->nworkers, srv->slots, &srv->nslots, err,
                   errlen) == -1)
        return -1;
    if (srv->nslots == 0) {
        errbuf_set(err, errlen, "nothing to listen on: give -l ADDR:PORT");
        return -1;
    }
    srv->log = accesslog_open(srv->site->cfg.access_log, err, errlen);
    if (srv->log == NULL)
        return -1;
    srv->base = event_base_new();
    if (srv->base == NULL) {
        errbuf_set(err, errlen, "event base: out of memory");
        return -1;
    }
    return 0;
}

static int
init_workers(struct server *srv, char *err, size_t errlen)
{
    const struct config *cfg = &srv->site->cfg;

    srv->workers = calloc(srv->nworkers, sizeof(*srv->workers));
    if (srv->workers == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    if (cfg->max_connections_per_client > 0) {
        srv->clients = clients_new(cfg->max_connections_per_client,
                                   srv->nworkers * cfg->max_connections);
        if (srv->clients == NULL) {
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
    }
    watchdog_setup(srv);
    set_worker_params(srv);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct worker_lfd lfds[MAX_SLOTS];
        unsigned n = worker_lfds(srv->slots, srv->nslots, i, lfds);

        srv->ninit++;
        srv->workers[i].metrics = &srv->metrics->workers[i];
        if (worker_init(&srv->workers[i], &srv->params, srv->site, lfds, n, err,
                        errlen) == -1) {
            /* Workers 0..i took theirs; the rest are closed here. */
            for (unsigned k = 0; k < srv->nslots; k++)
                for (unsigned j = 0; !srv->slots[k].shared && j <= i; j++)
                    srv->slots[k].fds[j] = -1;
            return -1;
        }
    }
    hand_over(srv->slots, srv->nslots);
    return 0;
}

struct server *
server_new(struct config *cfg, int argc, char *const argv[],
           const char *demo_root, char *err, size_t errlen)
{
    struct server *srv = calloc(1, sizeof(*srv));

    if (srv == NULL) {
        config_free(cfg);
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    srv->argc = argc;
    srv->argv = argv;
    srv->demo_root = demo_root;
    pthread_mutex_init(&srv->ack_lock, NULL);
    pthread_cond_init(&srv->ack_cond, NULL);
    event_set_log_callback(libevent_log);
    raise_nofile();
    if (server_open(srv, cfg, err, errlen) == -1 ||
        init_workers(srv, err, errlen) == -1) {
        server_free(srv);
        return NULL;
    }
    return srv;
}

/* --- messages to the workers ----------------------------------------------
 */

static void
reset_acks(struct server *srv)
{
    pthread_mutex_lock(&srv->ack_lock);
    srv->acks = 0;
    pthread_mutex_unlock(&srv->ack_lock);
}

/* Waits up to ACK_WAIT_MS for want workers to ack. */
static void
wait_acks(struct server *srv, unsigned want)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ACK_WAIT_MS / 1000;
    pthread_mutex_lock(&srv->ack_lock);
    while (srv->acks < want &&
           pthread_cond_timedwait(&srv->ack_cond, &srv->ack_lock, &until) == 0)
        ;
    pthread_mutex_unlock(&srv->ack_lock);
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
    unsigned want = 0;

    reset_acks(srv);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started &&
            worker_post(&srv->workers[i], WORKER_FLUSH) == 0)
            want++;
    wait_acks(srv, want);
}

static void
reopen_log(struct server *srv)
{
    flush_workers(srv);
    if (accesslog_reopen(srv->log) == -1)
        log_warn("access log %s: reopen", srv->site->cfg.access_log);
    else
        log_info("access log reopened");
}

/* Hands every worker the new site and its listeners; waits for them. */
static void
mail_workers(struct server *srv, struct site *site, const struct slot *slots,
             unsigned nslots)
{
    unsigned want = 0;

    reset_acks(srv);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        struct worker_mail *m = calloc(1, sizeof(*m));

        if (m == NULL) {
            log_warnx("reload: worker %u: out of memory", i);
            continue;
        }
        site_hold(site);
        m->site = site;
        m->nlfds = worker_lfds(slots, nslots, i, m->lfds);
        if (worker_send_mail(&srv->workers[i], m) == -1) {
            site_release(site);
            free(m);
            log_warnx("reload: worker %u: its pipe is broken", i);
            continue;
        }
        want++;
    }
    wait_acks(srv, want);
}

/* --- reload ---------------------------------------------------------------
 */

static void
warn_restart_only(const struct config *running, const struct config *next)
{
    const char *what = site_restart_only(running, next);

    if (what != NULL)
        log_warnx("reload: %s changed: it takes effect on restart (and any "
                  "other such setting)",
                  what);
}

static void write_addr_file(const struct server *srv);

/*
 * The new config, its site and its listeners, all made before anything
 * changes: a bad config, certificate or address leaves the running one
 * serving. Sockets of addresses that stay are kept; those of removed
 * addresses are closed by their workers.
 */
static int
reload(struct server *srv, char *err, size_t errlen)
{
    struct config cfg = {0};
    struct slot next[MAX_SLOTS];
    unsigned nnext = 0;
    struct site *site;

    if (config_load(&cfg, srv->argc, srv->argv, srv->demo_root, err, errlen) !=
        CONFIG_OK) {
        config_free(&cfg);
        return -1;
    }
    log_set_verbose(cfg.verbose);
    site = site_new(&cfg, srv->site, &srv->shared, false, err, errlen);
    if (site == NULL)
        return -1;
    if (plan_slots(&site->cfg, site->ssl != NULL, srv->slots, srv->nslots,
                   srv->nworkers, next, &nnext, err, errlen) == -1) {
        site_release(site);
        return -1;
    }
    warn_restart_only(&srv->site->cfg, &site->cfg);
    mail_workers(srv, site, next, nnext);
    hand_over(next, nnext);
    for (unsigned i = 0; i < srv->nslots; i++) {
        bool kept = false;

        for (unsigned k = 0; k < nnext; k++)
            kept = kept || (srv->slots[i].fds == next[k].fds &&
                            srv->slots[i].shared_fd == next[k].shared_fd);
        if (!kept) /* the workers closed its sockets */
            free(srv->slots[i].fds);
    }
    memcpy(srv->slots, next, nnext * sizeof(next[0]));
    srv->nslots = nnext;
    site_release(srv->site);
    srv->site = site;
    write_addr_file(srv);
    return 0;
}

static void
on_reload_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    char err[512] = "";

    (void)sig;
    (void)what;
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
               (unsigned long long)(clock_monotonic_ns() / 1000));
    reopen_log(srv);
    if (reload(srv, err, sizeof(err)) == -1) {
        metrics_reload(srv->metrics, false);
        log_warnx("reload refused, still serving the running config: %s", err);
        sd_notifyf(0, "READY=1\nSTATUS=reload refused: %s", err);
        return;
    }
    metrics_reload(srv->metrics, true);
    log_info("reloaded %s",
             srv->site->cfg.file != NULL ? srv->site->cfg.file : "the flags");
    sd_notifyf(0, "READY=1\nSTATUS=serving %s (reloaded)", srv->site->cfg.root);
}

/* --- running --------------------------------------------------------------
 */

static void
on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;

    (void)what;
    log_info("stopping on %s: running downloads get %u s",
             sig == SIGINT ? "SIGINT" : "SIGTERM",
             srv->site->cfg.shutdown_timeout);
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    metrics_set_stopping(srv->metrics); /* /readyz: 503 from now on */
    event_base_loopbreak(srv->base);
}

static void
on_reopen_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    reopen_log(arg);
}

static int
add_signals(struct server *srv)
{
    static const int sig[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    static void (*const cb[])(evutil_socket_t, short, void *) = {
        on_stop_signal, on_stop_signal, on_reload_signal, on_reopen_signal};

    for (int i = 0; i < 4; i++) {
        srv->sigs[i] = evsignal_new(srv->base, sig[i], cb[i], srv);
        if (srv->sigs[i] == NULL || evsignal_add(srv->sigs[i], NULL) == -1)
            return -1;
    }
    return 0;
}

/*
 * Tells the watchdog all is well only while every worker's loop turns: a
 * worker stuck in one pass (a blocking call, a loop without end) lets
 * systemd restart the service.
 */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    long long now = (long long)(clock_monotonic_ns() / CLOCK_NS_PER_S);
    long long limit = (long long)(srv->watchdog_usec / 1000000) + 1;

    (void)fd;
    (void)what;
    for (unsigned i = 0; i < srv->nworkers; i++) {
        long long beat =
            atomic_load_explicit(&srv->workers[i].beat, memory_order_relaxed);

        if (now - beat > limit) {
            if (!srv->watchdog_warned)
                log_warnx("worker %u has not run for %lld s: not telling "
                          "the watchdog",
                          i, now - beat);
            srv->watchdog_warned = true;
            return;
        }
    }
    srv->watchdog_warned = false;
    sd_notify(0, "WATCHDOG=1");
}

static int
add_watchdog(struct server *srv)
{
    struct timeval tv = {(time_t)(srv->watchdog_usec / 2000000),
                         (suseconds_t)(srv->watchdog_usec / 2 % 1000000)};

    if (srv->watchdog_usec == 0)
        return 0;
    srv->watchdog_ev = event_new(srv->base, -1, EV_PERSIST, on_watchdog, srv);
    if (srv->watchdog_ev == NULL || event_add(srv->watchdog_ev, &tv) == -1)
        return -1;
    sd_notify(0, "WATCHDOG=1");
    return 0;
}

/* Written to a temporary name and renamed: readers never see half. */
static void
write_addr_file(const struct server *srv)
{
    const char *path = srv->site->cfg.addr_file;
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
    for (unsigned i = 0; i < srv->nslots; i++) {
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&srv->slots[i].spec.ss, text);
        fprintf(fp, "%s://%s\n", spec_scheme(&srv->slots[i].spec), text);
    }
    if (fclose(fp) != 0 || rename(tmp, path) == -1)
        log_warn("addr_file %s", path);
}

static void
announce(struct server *srv)
{
    log_info("serving %s with %u worker%s", config_store_name(&srv->site->cfg),
             srv->nworkers, srv->nworkers == 1 ? "" : "s");
    for (unsigned i = 0; i < srv->nslots; i++) {
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&srv->slots[i].spec.ss, text);
        log_info("listening on %s://%s%s%s",
                 srv->slots[i].spec.tls ? "https" : "http", text,
                 srv->slots[i].spec.metrics ? " (metrics)" : "",
                 srv->slots[i].shared ? " (from systemd)" : "");
    }
    write_addr_file(srv);
    sd_notifyf(0, "READY=1\nSTATUS=serving %s on %u address%s",
               config_store_name(&srv->site->cfg), srv->nslots,
               srv->nslots == 1 ? "" : "es");
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
    if (add_signals(srv) == -1 || add_watchdog(srv) == -1) {
        log_warnx("cannot install signal handlers or the watchdog timer");
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
    /* First: a running expansion finishes and posts to the workers'
     * mailboxes, which worker_cleanup() frees. */
    offload_free(srv->offload);
    for (unsigned i = 0; i < srv->ninit; i++)
        worker_cleanup(&srv->workers[i]);
    free(srv->workers);
    clients_free(srv->clients); /* after the workers: they give back */
    for (unsigned i = 0; i < srv->nslots; i++)
        slot_close(&srv->slots[i], srv->nworkers);
    for (int i = 0; i < 4; i++)
        if (srv->sigs[i] != NULL)
            event_free(srv->sigs[i]);
    if (srv->watchdog_ev != NULL)
        event_free(srv->watchdog_ev);
    if (srv->base != NULL)
        event_base_free(srv->base);
    accesslog_close(srv->log);
    site_release(srv->site);
    /* After the workers' fetchers, before the bound it records in. */
    fetch_hub_free(srv->upstream);
    zcache_free(srv->zcache);   /* after the pool that makes copies */
    cachedir_free(srv->cache);  /* after the stores that record in it */
    metrics_free(srv->metrics); /* after the workers and the sites */
    guard_free(srv->guard);     /* after the sites that point to it */
    pthread_mutex_destroy(&srv->ack_lock);
    pthread_cond_destroy(&srv->ack_cond);
    free(srv);
}
