/* Listeners, workers, TLS, signals; see server.h. */
#define _GNU_SOURCE /* SO_REUSEPORT with strict C11 */
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/errbuf.h"
#include "daemon/accesslog.h"
#include "daemon/addr.h"
#include "store/debuginfod.h"
#include "daemon/handler.h"
#include "util/log.h"
#include "daemon/reply.h"
#include "daemon/server.h"
#include "store/store.h"
#include "daemon/tls.h"

#define MAX_SPECS (2 * CONFIG_MAX_ADDRS)

struct listen_spec {
    struct sockaddr_storage ss; /* port resolved when the config said 0 */
    socklen_t sslen;
    int tls;
};

struct bound {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
};

struct worker {
    struct server *srv;
    pthread_t thread;
    int started;
    struct event_base *base;
    struct evhttp *http[2]; /* [0] plain, [1] TLS; NULL when unused */
    struct bound bound[MAX_SPECS];
    unsigned nbound;
    struct handler_worker hw;
    struct handler_site site[2];
    struct event *stop_ev, *deadline_ev;
    int stop_pipe[2]; /* main thread writes a byte: stop */
    int finished;
};

struct server {
    const struct config *cfg;
    struct store *store;
    struct debuginfod *debuginfod;
    struct accesslog *log;
    SSL_CTX *ssl;
    struct listen_spec specs[MAX_SPECS];
    unsigned nspecs;
    struct worker *workers;
    unsigned nworkers;
    struct event_base *base; /* main thread: signals only */
    struct event *sigs[4];
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

static struct store *
open_store(const struct config *cfg, char *err, size_t errlen)
{
    struct store_opts o = {cfg->root, cfg->pointer_roots, cfg->npointer_roots,
                           cfg->expand_compressed ? cfg->cache_dir : NULL};

    return store_new(&o, err, errlen);
}

int
server_check(const struct config *cfg, char *err, size_t errlen)
{
    struct store *store = open_store(cfg, err, errlen);
    SSL_CTX *ssl;

    if (store == NULL)
        return -1;
    store_free(store);
    if (cfg->ntls_listen == 0)
        return 0;
    ssl = tls_ctx_new(cfg->tls_cert, cfg->tls_key, err, errlen);
    if (ssl == NULL)
        return -1;
    SSL_CTX_free(ssl);
    return 0;
}

static int
listen_socket(const struct listen_spec *sp, int reuseport)
{
    int one = 1;
    int fd =
        socket(sp->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return -1;
    /*
     * TCP_NODELAY on the listener is inherited by accepted sockets: without
     * it evhttp over TLS stalls ~40 ms per answer (Nagle + delayed ACK).
     */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
        (reuseport &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
        (sp->ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
        bind(fd, (const struct sockaddr *)&sp->ss, sp->sslen) == -1 ||
        (reuseport && listen(fd, 1024) == -1)) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
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
    int fd = listen_socket(sp, 0);

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
        sp->tls = tls;
        if (probe_spec(sp, addrs[i], err, errlen) == -1)
            return -1;
        srv->nspecs++;
    }
    return 0;
}

/*
 * Guards the request head before evhttp parses it. A head whose unparsed
 * part exceeds max_header_size without ending (one huge request line or
 * header line) is replaced by a line evhttp cannot parse, so evhttp
 * answers 400 and closes: memory stays bounded and no request with a cut
 * line is ever served. Bodies cannot trip it: evhttp's body limit is the
 * same size (see setup_http()).
 */
static void
guard_head(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
    const struct handler_worker *hw = arg;
    size_t len = evbuffer_get_length(in), max = hw->max_header_size;
    struct evbuffer_ptr end;

    if (info->n_added == 0 || len <= max)
        return;
    end = evbuffer_search(in, "\n\r\n", 3, NULL);
    if (end.pos != -1 && (size_t)end.pos < max)
        return;
    end = evbuffer_search(in, "\n\n", 2, NULL);
    if (end.pos != -1 && (size_t)end.pos < max)
        return;
    evbuffer_drain(in, len);
    evbuffer_add(in, "\x01\r\n\r\n", 5);
}

static struct bufferevent *
plain_bev(struct event_base *base, void *arg)
{
    struct worker *wk = arg;
    struct bufferevent *bev =
        bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    if (bev == NULL)
        return NULL;
    evbuffer_add_cb(bufferevent_get_input(bev), guard_head, &wk->hw);
    return bev;
}

static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
    struct worker *wk = arg;
    SSL *ssl = SSL_new(wk->srv->ssl);
    struct bufferevent *bev;

    if (ssl == NULL)
        return NULL;
    bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        SSL_free(ssl);
        return NULL;
    }
    /* Clients that just close without close_notify are not an error. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    evbuffer_add_cb(bufferevent_get_input(bev), guard_head, &wk->hw);
    return bev;
}

static struct evhttp *
setup_http(struct worker *wk, int tls)
{
    const struct config *cfg = wk->srv->cfg;
    struct evhttp *http = evhttp_new(wk->base);

    if (http == NULL)
        return NULL;
    /* Every method reaches handler_request, which answers 405 + Allow. */
    evhttp_set_allowed_methods(
        http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS |
                  EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                  EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
    /*
     * evhttp's own header cap is a backstop for many short lines; the
     * handler answers 431 above max_header_size, guard_head() 400 for one
     * over-long line. Request bodies are never used: same small cap.
     */
    evhttp_set_max_headers_size(http, 4 * (ev_ssize_t)cfg->max_header_size);
    evhttp_set_max_body_size(http, (ev_ssize_t)cfg->max_header_size);
    evhttp_set_timeout(http, (int)cfg->timeout);
    wk->site[tls].w = &wk->hw;
    wk->site[tls].tls = tls != 0;
    evhttp_set_gencb(http, handler_request, &wk->site[tls]);
    evhttp_set_bevcb(http, tls ? tls_bev : plain_bev, wk);
    return http;
}

static int
bind_worker(struct worker *wk, char *err, size_t errlen)
{
    struct server *srv = wk->srv;

    for (unsigned i = 0; i < srv->nspecs; i++) {
        const struct listen_spec *sp = &srv->specs[i];
        struct evhttp *http = wk->http[sp->tls];
        int fd = listen_socket(sp, 1);
        struct evhttp_bound_socket *b;
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&sp->ss, text);
        if (fd == -1) {
            errbuf_set(err, errlen, "listen %s: %s", text, strerror(errno));
            return -1;
        }
        b = evhttp_accept_socket_with_handle(http, fd);
        if (b == NULL) {
            close(fd);
            errbuf_set(err, errlen, "listen %s: evhttp refused it", text);
            return -1;
        }
        wk->bound[wk->nbound].http = http;
        wk->bound[wk->nbound++].sock = b;
    }
    return 0;
}

/* Frees the evhttps: closes idle and unfinished connections alike. */
static void
worker_finish(evutil_socket_t fd, short what, void *arg)
{
    struct worker *wk = arg;

    (void)fd;
    (void)what;
    if (wk->finished)
        return;
    wk->finished = 1;
    event_del(wk->deadline_ev);
    for (int i = 0; i < 2; i++) {
        if (wk->http[i] != NULL)
            evhttp_free(wk->http[i]);
        wk->http[i] = NULL;
    }
    event_base_loopexit(wk->base, NULL);
}

/* In the worker's thread: stop accepting, let running answers finish. */
static void
worker_stop(evutil_socket_t fd, short what, void *arg)
{
    struct worker *wk = arg;
    struct timeval tv = {(time_t)wk->srv->cfg->shutdown_timeout, 0};

    (void)fd;
    (void)what;
    event_del(wk->stop_ev);
    wk->hw.stopping = true;
    for (unsigned i = 0; i < wk->nbound; i++)
        evhttp_del_accept_socket(wk->bound[i].http, wk->bound[i].sock);
    wk->nbound = 0;
    if (wk->hw.inflight == 0)
        worker_finish(-1, 0, wk);
    else
        evtimer_add(wk->deadline_ev, &tv);
}

/*
 * A base that only its own thread touches: no locks (the main thread
 * reaches it through stop_pipe), and epoll changes coalesced per loop
 * pass, since evhttp toggles read and write interest on every request.
 */
static struct event_base *
worker_base(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base;

    if (ec == NULL)
        return NULL;
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK |
                                  EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(ec);
    event_config_free(ec);
    return base;
}

static int
worker_init(struct worker *wk, struct server *srv, char *err, size_t errlen)
{
    wk->srv = srv;
    wk->hw.store = srv->store;
    wk->hw.debuginfod = srv->debuginfod;
    wk->hw.log = srv->log;
    wk->hw.max_header_size = srv->cfg->max_header_size;
    wk->hw.max_ranges = srv->cfg->max_ranges;
    wk->hw.timeout = srv->cfg->timeout;
    wk->hw.serve_admin = srv->cfg->serve_admin;
    wk->hw.cache_control = srv->cfg->cache_control;
    wk->hw.miss_cache_control = srv->miss_cache_control;
    wk->hw.boundary = srv->boundary;
    wk->stop_pipe[0] = wk->stop_pipe[1] = -1;
    wk->base = worker_base();
    if (wk->base == NULL || pipe2(wk->stop_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
        goto fail;
    wk->stop_ev =
        event_new(wk->base, wk->stop_pipe[0], EV_READ, worker_stop, wk);
    wk->deadline_ev = evtimer_new(wk->base, worker_finish, wk);
    wk->hw.drained = event_new(wk->base, -1, 0, worker_finish, wk);
    if (wk->stop_ev == NULL || wk->deadline_ev == NULL ||
        wk->hw.drained == NULL || event_add(wk->stop_ev, NULL) == -1)
        goto fail;
    if (srv->cfg->nlisten > 0)
        wk->http[0] = setup_http(wk, 0);
    if (srv->ssl != NULL)
        wk->http[1] = setup_http(wk, 1);
    if ((srv->cfg->nlisten > 0 && wk->http[0] == NULL) ||
        (srv->ssl != NULL && wk->http[1] == NULL))
        goto fail;
    return bind_worker(wk, err, errlen);
fail:
    errbuf_set(err, errlen, "worker: out of memory");
    return -1;
}

static void
worker_cleanup(struct worker *wk)
{
    for (int i = 0; i < 2; i++)
        if (wk->http[i] != NULL)
            evhttp_free(wk->http[i]);
    handler_worker_cleanup(&wk->hw);
    if (wk->stop_ev != NULL)
        event_free(wk->stop_ev);
    if (wk->deadline_ev != NULL)
        event_free(wk->deadline_ev);
    if (wk->hw.drained != NULL)
        event_free(wk->hw.drained);
    if (wk->base != NULL)
        event_base_free(wk->base);
    for (int i = 0; i < 2; i++)
        if (wk->stop_pipe[i] != -1)
            close(wk->stop_pipe[i]);
}

static void *
worker_main(void *arg)
{
    struct worker *wk = arg;

    event_base_dispatch(wk->base);
    return NULL;
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
    srv->base = event_base_new();
    if (srv->base == NULL) {
        errbuf_set(err, errlen, "event base: out of memory");
        return -1;
    }
    return 0;
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
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (worker_init(&srv->workers[i], srv, err, errlen) == -1)
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

static void
on_reopen_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;

    (void)sig;
    (void)what;
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

/* Workers never take signals: the main thread's event_base does. */
static int
start_workers(struct server *srv)
{
    sigset_t all, old;
    int rc = 0;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < srv->nworkers && rc == 0; i++) {
        struct worker *wk = &srv->workers[i];

        rc = pthread_create(&wk->thread, NULL, worker_main, wk);
        if (rc != 0)
            log_warnx("worker thread: %s", strerror(rc));
        wk->started = rc == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? 0 : -1;
}

static void
stop_workers(struct server *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started &&
            write(srv->workers[i].stop_pipe[1], "", 1) != 1)
            log_warn("stop worker %u", i);
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started)
            pthread_join(srv->workers[i].thread, NULL);
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
    free(srv);
}
