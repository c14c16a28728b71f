/* Worker threads; see worker.h. */
#define _GNU_SOURCE /* SO_REUSEPORT, accept4 with strict C11 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/addr.h"
#include "daemon/offload.h"
#include "daemon/worker.h"
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
        conn_accept(&l->w->conns, fd, (const struct sockaddr *)&ss, l->tls);
    }
}

/* Ends the loop; every connection left is closed by the cleanup. */
static void
worker_finish(void *arg)
{
    struct worker *w = arg;

    if (w->finished)
        return;
    w->finished = true;
    event_del(w->deadline_ev);
    event_del(w->pipe_ev);
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

/* Stop accepting, let running answers finish within shutdown_timeout. */
static void
worker_stop(struct worker *w)
{
    struct timeval tv = {(time_t)w->p->shutdown_timeout, 0};

    for (unsigned i = 0; i < w->nlisteners; i++) {
        event_del(w->listeners[i].ev);
        close(w->listeners[i].fd);
        w->listeners[i].fd = -1;
    }
    event_del(w->resume_ev);
    evtimer_add(w->deadline_ev, &tv);
    conn_env_stop(&w->conns); /* may call worker_finish() at once */
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
            if (msg[i] == WORKER_FLUSH) {
                accesslog_buf_flush(&w->log);
                if (w->p->flushed != NULL)
                    w->p->flushed(w->p->flushed_arg);
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

static int
bind_listeners(struct worker *w, char *err, size_t errlen)
{
    const struct worker_params *p = w->p;

    for (unsigned i = 0; i < p->nspecs && i < WORKER_MAX_LISTENERS; i++) {
        struct listener *l = &w->listeners[w->nlisteners];
        char text[ADDR_TEXT_LEN];

        addr_format((const struct sockaddr *)&p->specs[i].ss, text);
        l->w = w;
        l->tls = p->specs[i].tls;
        l->fd = worker_listen_socket(&p->specs[i], true);
        if (l->fd == -1) {
            errbuf_set(err, errlen, "listen %s: %s", text, strerror(errno));
            return -1;
        }
        w->nlisteners++;
        l->ev = event_new(w->base, l->fd, EV_READ | EV_PERSIST, on_accept, l);
        if (l->ev == NULL || event_add(l->ev, NULL) == -1) {
            errbuf_set(err, errlen, "listen %s: out of memory", text);
            return -1;
        }
    }
    return 0;
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
set_conn_env(struct worker *w)
{
    const struct worker_params *p = w->p;
    struct conn_env *e = &w->conns;

    e->base = w->base;
    e->ssl = p->ssl;
    e->handler = p->handler;
    e->log = &w->log;
    e->timeout = p->timeout;
    e->max_header_size = p->max_header_size;
    e->max_conns = p->max_conns;
    e->clients = p->clients;
    e->cache_control = p->cache_control;
    e->miss_cache_control = p->miss_cache_control;
    e->offload = p->offload;
    e->job_timeout = p->job_timeout;
    e->drained = worker_finish;
    e->drained_arg = w;
    w->log.log = p->log;
}

int
worker_init(struct worker *w, const struct worker_params *p, char *err,
            size_t errlen)
{
    w->p = p;
    w->pipe[0] = w->pipe[1] = -1;
    w->base = worker_base();
    if (w->base == NULL)
        goto fail;
    set_conn_env(w);
    if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) == -1)
        goto fail;
    w->pipe_ev =
        event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST, on_message, w);
    w->deadline_ev = evtimer_new(w->base, on_deadline, w);
    w->resume_ev = evtimer_new(w->base, on_resume, w);
    if (w->pipe_ev == NULL || w->deadline_ev == NULL || w->resume_ev == NULL ||
        event_add(w->pipe_ev, NULL) == -1 || conn_env_init(&w->conns) == -1)
        goto fail;
    if (p->offload != NULL) {
        w->conns.box = offload_box_new(w->base, conn_task_ready, &w->conns);
        if (w->conns.box == NULL)
            goto fail;
    }
    return bind_listeners(w, err, errlen);
fail:
    errbuf_set(err, errlen, "worker: out of memory");
    return -1;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;

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
    offload_box_free(w->conns.box); /* after offload_free(): see server.c */
    for (unsigned i = 0; i < w->nlisteners; i++) {
        if (w->listeners[i].ev != NULL)
            event_free(w->listeners[i].ev);
        if (w->listeners[i].fd != -1)
            close(w->listeners[i].fd);
    }
    if (w->pipe_ev != NULL)
        event_free(w->pipe_ev);
    if (w->deadline_ev != NULL)
        event_free(w->deadline_ev);
    if (w->resume_ev != NULL)
        event_free(w->resume_ev);
    if (w->base != NULL)
        event_base_free(w->base);
    for (int i = 0; i < 2; i++)
        if (w->pipe[i] != -1)
            close(w->pipe[i]);
}
