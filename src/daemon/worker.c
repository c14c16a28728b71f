/* Worker threads; see worker.h. */
#define _GNU_SOURCE /* SO_REUSEPORT, accept4 with strict C11 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon/addr.h"
#include "daemon/fetch.h"
#include "daemon/offload.h"
#include "daemon/worker.h"
#include "store/stats.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/log.h"

/* Connections taken per readable listener before others get a turn. */
#define ACCEPT_BATCH 64
/* Out of descriptors: the listeners rest this long (milliseconds). */
#define ACCEPT_PAUSE_MS 100

int
worker_listen_socket(const struct listen_spec *sp, bool reuseport)
{
    int one = 1;
    int fd =
        socket(sp->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return -1;
    /* TCP_NODELAY on the listener is inherited by accepted sockets: the
     * answers are whole when written (MSG_MORE holds back the head). */
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

static void
pause_listeners(struct worker *w)
{
    struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};

    for (unsigned i = 0; i < w->nlisteners; i++)
        if (w->listeners[i].ev != NULL)
            event_del(w->listeners[i].ev);
    event_add(w->resume_ev, &tv);
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    w->accept_warned = 0;
    if (w->conns.stopping)
        return;
    for (unsigned i = 0; i < w->nlisteners; i++)
        if (w->listeners[i].ev != NULL)
            event_add(w->listeners[i].ev, NULL);
}

/*
 * Out of descriptors, accept() would fail at once again and again, with
 * the connection still queued: the loop would spin and log without end.
 * The listeners rest instead, while the open connections finish or time
 * out; one warning per pause.
 */
static void
accept_failed(struct worker *w, int err)
{
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        if (w->accept_warned++ == 0)
            log_warnx("accept: %s: not accepting for %d ms", strerror(err),
                      ACCEPT_PAUSE_MS);
        pause_listeners(w);
    }
    /* ECONNABORTED and the like: the client is gone, nothing to do. */
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct listener *l = arg;

    (void)what;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                accept_failed(l->w, errno);
            return;
        }
        conn_accept(&l->w->conns, fd, (const struct sockaddr *)&ss, l->l.tls,
                    l->l.metrics);
    }
}

static void drop_listener(struct worker *w, unsigned i);

/* Ends the loop; every connection left is closed by the cleanup. */
static void
worker_finish(void *arg)
{
    struct worker *w = arg;

    if (w->finished)
        return;
    w->finished = true;
    /* The metrics listeners too: the kernel then sends new connections to
     * the workers still draining, not to a socket nobody accepts on. */
    for (unsigned i = 0; i < w->nlisteners; i++)
        drop_listener(w, i);
    event_del(w->deadline_ev);
    event_del(w->pipe_ev);
    if (w->beat_ev != NULL)
        event_del(w->beat_ev);
    event_base_loopexit(w->base, NULL);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    conn_env_close_all(&w->conns);
    worker_finish(w);
}

/* Stops watching listener i; closes it when it is the worker's own. */
static void
drop_listener(struct worker *w, unsigned i)
{
    struct listener *l = &w->listeners[i];

    if (l->ev != NULL) {
        event_free(l->ev);
        l->ev = NULL;
    }
    if (l->l.owned && l->l.fd != -1)
        close(l->l.fd);
    l->l.fd = -1;
}

/*
 * Stop accepting, let running answers finish within shutdown_timeout.
 * The worker's own sockets close at once, so the kernel sends new
 * connections to no one here; shared ones stay open for the others. The
 * metrics listeners stay until the worker ends, so that /readyz can tell
 * a load balancer 503 while downloads drain.
 */
static void
worker_stop(struct worker *w)
{
    struct timeval tv = {(time_t)w->site->cfg.shutdown_timeout, 0};

    for (unsigned i = 0; i < w->nlisteners; i++) {
        struct listener *l = &w->listeners[i];

        if (!l->l.metrics)
            drop_listener(w, i);
        else if (l->ev != NULL)
            event_add(l->ev, NULL); /* out of an accept pause, if in one */
    }
    event_del(w->resume_ev);
    evtimer_add(w->deadline_ev, &tv);
    conn_env_stop(&w->conns); /* may call worker_finish() at once */
}

/* What the connections read from the site; between two requests. */
static void
use_site(struct worker *w, struct site *site)
{
    struct conn_env *e = &w->conns;

    if (w->site != NULL)
        site_release(w->site);
    w->site = site;
    e->ssl = site->ssl;
    e->handler = &site->handler;
    e->timeout = site->cfg.timeout;
    e->cache_control = site->cfg.cache_control;
    e->miss_cache_control = site->miss_cache_control;
    e->job_timeout = site->cfg.job_timeout;
}

static bool
has_fd(const struct worker_lfd *lfds, unsigned n, int fd)
{
    for (unsigned i = 0; i < n; i++)
        if (lfds[i].fd == fd)
            return true;
    return false;
}

/* Watches lfd; an owned descriptor is the worker's from here on. */
static int
add_listener(struct worker *w, const struct worker_lfd *lfd)
{
    struct listener *l;

    if (w->nlisteners == WORKER_MAX_LISTENERS) {
        if (lfd->owned)
            close(lfd->fd);
        return -1;
    }
    l = &w->listeners[w->nlisteners++];
    l->w = w;
    l->l = *lfd;
    l->ev = event_new(w->base, l->l.fd, EV_READ | EV_PERSIST, on_accept, l);
    if (l->ev == NULL)
        return -1;
    if (!w->conns.stopping && event_add(l->ev, NULL) == -1)
        return -1;
    return 0;
}

/*
 * The listeners of a reload: those not in lfds stop, those already
 * watched stay (a kept address never refuses a connection), the new ones
 * start. Listener structs are moved, so their events get new arguments.
 */
static void
use_listeners(struct worker *w, const struct worker_lfd *lfds, unsigned n)
{
    unsigned kept = 0;

    for (unsigned i = 0; i < w->nlisteners; i++) {
        if (!has_fd(lfds, n, w->listeners[i].l.fd)) {
            drop_listener(w, i);
            continue;
        }
        for (unsigned j = 0; j < n; j++) { /* flags the reload changed */
            if (lfds[j].fd == w->listeners[i].l.fd) {
                w->listeners[i].l.tls = lfds[j].tls;
                w->listeners[i].l.metrics = lfds[j].metrics;
            }
        }
        if (w->listeners[i].ev != NULL)
            event_free(w->listeners[i].ev);
        w->listeners[i].ev = NULL;
        w->listeners[kept++] = w->listeners[i];
    }
    w->nlisteners = 0;
    for (unsigned i = 0; i < kept; i++) {
        struct worker_lfd l = w->listeners[i].l;

        if (add_listener(w, &l) == -1)
            log_warnx("worker: cannot watch a listener: out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        bool known = false;

        for (unsigned j = 0; j < kept; j++)
            known = known || w->listeners[j].l.fd == lfds[i].fd;
        if (!known && add_listener(w, &lfds[i]) == -1)
            log_warnx("worker: cannot watch a listener: out of memory");
    }
}

/* Whether the worker watches fd (and, if owned, will close it). */
static bool
watches(const struct worker *w, int fd)
{
    for (unsigned i = 0; i < w->nlisteners; i++)
        if (w->listeners[i].l.fd == fd)
            return true;
    return false;
}

/*
 * The orphans of m that this worker never took: nobody else will close
 * them. Those it watches it closes itself when m does not list them
 * (use_listeners()). Runs on the worker's thread, which alone changes
 * its listeners.
 */
static void
close_orphans(struct worker *w, const struct worker_mail *m)
{
    for (unsigned i = 0; i < m->norphans; i++)
        if (!watches(w, m->orphans[i]))
            close(m->orphans[i]);
}

static void
take_mail(struct worker *w)
{
    struct worker_mail *m;

    pthread_mutex_lock(&w->mail_lock);
    m = w->mail;
    w->mail = NULL;
    pthread_mutex_unlock(&w->mail_lock);
    if (m == NULL)
        return;
    close_orphans(w, m);
    use_site(w, m->site);
    use_listeners(w, m->lfds, m->nlfds);
    free(m);
}

static void
on_message(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    char msg[16];
    ssize_t n;

    (void)what;
    while ((n = read(fd, msg, sizeof(msg))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (msg[i] == WORKER_FLUSH || msg[i] == WORKER_RELOAD) {
                if (msg[i] == WORKER_FLUSH)
                    accesslog_buf_flush(&w->log);
                else
                    take_mail(w);
                if (w->p->acked != NULL)
                    w->p->acked(w->p->acked_arg);
            } else if (msg[i] == WORKER_STOP && !w->conns.stopping) {
                worker_stop(w);
            }
        }
    }
}

int
worker_post(struct worker *w, enum worker_msg msg)
{
    char c = (char)msg;

    return write(w->pipe[1], &c, 1) == 1 ? 0 : -1;
}

/* Adds to orphans[] once; false when it is full. */
static bool
add_orphan(struct worker_mail *m, int fd)
{
    for (unsigned i = 0; i < m->norphans; i++)
        if (m->orphans[i] == fd)
            return true;
    if (m->norphans == WORKER_MAX_LISTENERS)
        return false;
    m->orphans[m->norphans++] = fd;
    return true;
}

/*
 * old is replaced before the worker took it (a second reload came first).
 * The owned sockets it lists and m does not are either the worker's
 * already (it closes them on taking m) or new in old, and then nobody's:
 * closing them here could close one of the worker's, so m carries them
 * and the worker, which knows its own, closes the rest.
 */
static void
adopt_orphans(struct worker_mail *m, const struct worker_mail *old)
{
    bool full = false;

    for (unsigned i = 0; i < old->norphans; i++)
        if (!has_fd(m->lfds, m->nlfds, old->orphans[i]))
            full = !add_orphan(m, old->orphans[i]) || full;
    for (unsigned i = 0; i < old->nlfds; i++)
        if (old->lfds[i].owned && !has_fd(m->lfds, m->nlfds, old->lfds[i].fd))
            full = !add_orphan(m, old->lfds[i].fd) || full;
    if (full) /* a storm of reloads while this worker's loop is stuck */
        log_warnx("reload: listening sockets of skipped reloads stay open");
}

int
worker_send_mail(struct worker *w, struct worker_mail *m)
{
    struct worker_mail *old;

    pthread_mutex_lock(&w->mail_lock);
    old = w->mail;   /* not taken yet: the newer one replaces it */
    if (old != NULL) /* before m is published: the worker may take it */
        adopt_orphans(m, old);
    w->mail = m;
    pthread_mutex_unlock(&w->mail_lock);
    if (old != NULL) {
        site_release(old->site);
        free(old);
    }
    if (worker_post(w, WORKER_RELOAD) == -1) {
        bool reclaimed;

        /* An earlier byte may still wake the worker: it then takes m. */
        pthread_mutex_lock(&w->mail_lock);
        reclaimed = w->mail == m;
        if (reclaimed)
            w->mail = NULL;
        pthread_mutex_unlock(&w->mail_lock);
        return reclaimed ? -1 : 0;
    }
    return 0;
}

/* The heartbeat's unit: whole seconds of the monotonic clock. */
static long long
monotonic_s(void)
{
    return (long long)(clock_monotonic_ns() / CLOCK_NS_PER_S);
}

static void
on_beat(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    (void)fd;
    (void)what;
    atomic_store_explicit(&w->beat, monotonic_s(), memory_order_relaxed);
}

/*
 * A base that only its own thread touches: no locks (the main thread
 * reaches it through the pipe), and epoll changes coalesced per pass.
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

static void
set_conn_env(struct worker *w, struct site *site)
{
    const struct worker_params *p = w->p;
    struct conn_env *e = &w->conns;

    e->base = w->base;
    e->log = &w->log;
    e->max_header_size = p->max_header_size;
    e->max_conns = p->max_conns;
    e->clients = p->clients;
    e->metrics = w->metrics;
    e->offload = p->offload;
    e->drained = worker_finish;
    e->drained_arg = w;
    w->log.log = p->log;
    site_hold(site);
    use_site(w, site);
}

static int
add_beat(struct worker *w)
{
    struct timeval tv = {w->p->heartbeat_ms / 1000,
                         (w->p->heartbeat_ms % 1000) * 1000};

    atomic_store(&w->beat, monotonic_s());
    if (w->p->heartbeat_ms == 0)
        return 0;
    w->beat_ev = event_new(w->base, -1, EV_PERSIST, on_beat, w);
    return w->beat_ev != NULL ? event_add(w->beat_ev, &tv) : -1;
}

int
worker_init(struct worker *w, const struct worker_params *p, struct site *site,
            const struct worker_lfd *lfds, unsigned n, char *err, size_t errlen)
{
    int rc = 0;

    w->p = p;
    w->pipe[0] = w->pipe[1] = -1;
    pthread_mutex_init(&w->mail_lock, NULL);
    w->base = worker_base();
    for (unsigned i = 0; i < n; i++) { /* ours from here on, whatever fails */
        if (w->base == NULL) {
            if (lfds[i].owned)
                close(lfds[i].fd);
        } else if (add_listener(w, &lfds[i]) == -1)
            rc = -1;
    }
    if (w->base == NULL || rc == -1)
        goto fail;
    set_conn_env(w, site);
    if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
        goto fail;
    w->pipe_ev =
        event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST, on_message, w);
    w->deadline_ev = evtimer_new(w->base, on_deadline, w);
    w->resume_ev = evtimer_new(w->base, on_resume, w);
    if (w->pipe_ev == NULL || w->deadline_ev == NULL || w->resume_ev == NULL ||
        event_add(w->pipe_ev, NULL) == -1 || conn_env_init(&w->conns) == -1 ||
        add_beat(w) == -1)
        goto fail;
    if (p->offload != NULL) {
        w->conns.box = offload_box_new(w->base, conn_task_ready, &w->conns);
        if (w->conns.box == NULL)
            goto fail;
    }
    if (p->upstream != NULL) {
        w->conns.fetcher = fetcher_new(p->upstream, w->base);
        if (w->conns.fetcher == NULL)
            goto fail;
    }
    return 0;
fail:
    errbuf_set(err, errlen, "worker: out of memory");
    return -1;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;

    store_stats_bind(&w->metrics->store); /* this thread's store counts */
    event_base_dispatch(w->base);
    return NULL;
}

int
worker_start(struct worker *w)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_warnx("worker thread: %s", strerror(rc));
        return -1;
    }
    w->started = true;
    return 0;
}

void
worker_join(struct worker *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

void
worker_cleanup(struct worker *w)
{
    if (w->conns.log != NULL) { /* set up: connections may be open */
        conn_env_close_all(&w->conns);
        conn_env_cleanup(&w->conns);
    }
    /* After its connections closed: */
    fetcher_free(w->conns.fetcher);
    w->conns.fetcher = NULL;
    offload_box_free(w->conns.box); /* after offload_free(): see server.c */
    if (w->mail != NULL) {          /* sent, never taken: its new sockets too */
        for (unsigned i = 0; i < w->mail->nlfds; i++)
            if (w->mail->lfds[i].owned &&
                !add_orphan(w->mail, w->mail->lfds[i].fd))
                break;
        close_orphans(w, w->mail); /* before the listeners close */
        site_release(w->mail->site);
        free(w->mail);
        w->mail = NULL;
    }
    for (unsigned i = 0; i < w->nlisteners; i++)
        drop_listener(w, i);
    w->nlisteners = 0;
    site_release(w->site);
    if (w->pipe_ev != NULL)
        event_free(w->pipe_ev);
    if (w->deadline_ev != NULL)
        event_free(w->deadline_ev);
    if (w->resume_ev != NULL)
        event_free(w->resume_ev);
    if (w->beat_ev != NULL)
        event_free(w->beat_ev);
    if (w->base != NULL)
        event_base_free(w->base);
    for (int i = 0; i < 2; i++)
        if (w->pipe[i] != -1)
            close(w->pipe[i]);
    pthread_mutex_destroy(&w->mail_lock);
}
