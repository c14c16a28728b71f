/*
 * A worker thread: its own event_base, its listening sockets (its own
 * SO_REUSEPORT socket per address, so the kernel spreads connections over
 * the workers, or sockets shared by all workers when systemd passed them),
 * its connections (conn.h), its access-log buffer and the site (site.h) it
 * serves. The main thread talks to a worker only through its pipe
 * (worker_post()) and, for a reload, one mailbox taken under a lock when
 * the message arrives: nothing is locked on the request path.
 */
#ifndef SYMSRVD_DAEMON_WORKER_H
#define SYMSRVD_DAEMON_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "daemon/conn.h"
#include "daemon/site.h"

#define WORKER_MAX_LISTENERS 48

/* One address to listen on. */
struct listen_spec {
    struct sockaddr_storage ss; /* port resolved when the config said 0 */
    socklen_t sslen;
    bool tls;
    bool metrics; /* the metrics listener (plain HTTP) */
};

/* A listening socket handed to a worker. */
struct worker_lfd {
    int fd;
    bool tls;
    bool owned;   /* the worker closes it (its own SO_REUSEPORT socket);
                   * else the server does, after the workers ended */
    bool metrics; /* /metrics, /healthz, /readyz only; kept while
                   * stopping, for /readyz */
};

/*
 * What a worker is given; owned by the server, outliving the worker.
 * Settings a reload may change come from the worker's site instead.
 */
struct worker_params {
    struct accesslog *log;
    unsigned max_header_size;
    unsigned max_conns;      /* per worker */
    struct clients *clients; /* per address; NULL: no cap */
    unsigned heartbeat_ms;   /* > 0: touch worker.beat this often */
    struct offload *offload; /* the job pool, the server's */
    /* Called on the worker's thread once a WORKER_FLUSH or WORKER_RELOAD
     * has been done. */
    void (*acked)(void *arg);
    void *acked_arg;
};

struct listener {
    struct worker *w;
    struct event *ev;
    struct worker_lfd l;
};

/* A reload for one worker: what it serves and listens on from now. */
struct worker_mail {
    struct site *site; /* a reference, given to the worker */
    struct worker_lfd lfds[WORKER_MAX_LISTENERS];
    unsigned nlfds;
    /* Owned sockets that earlier mails, replaced before the worker took
     * them, brought and this one no longer lists: the worker closes those
     * it does not watch (worker_send_mail()). */
    int orphans[WORKER_MAX_LISTENERS];
    unsigned norphans;
};

struct worker {
    const struct worker_params *p;
    pthread_t thread;
    bool started;
    bool finished;
    struct event_base *base;
    struct listener listeners[WORKER_MAX_LISTENERS];
    unsigned nlisteners;
    struct event *pipe_ev, *deadline_ev, *resume_ev, *beat_ev;
    int pipe[2];            /* the main thread writes a message byte */
    unsigned accept_warned; /* EMFILE warnings this pause */
    struct site *site;      /* a reference */
    struct conn_env conns;
    struct accesslog_buf log;
    struct metrics_worker *metrics; /* set before worker_init(); counted
                                     * into by this thread only */
    /* CLOCK_MONOTONIC seconds of the last heartbeat: the main thread tells
     * systemd's watchdog all is well only while every loop turns. */
    _Atomic long long beat;
    pthread_mutex_t mail_lock;
    struct worker_mail *mail; /* under mail_lock; NULL: none waiting */
};

/* Messages from the main thread. */
enum worker_msg {
    WORKER_STOP = 's',   /* stop accepting; finish answers, then exit */
    WORKER_FLUSH = 'f',  /* write the buffered access log, then p->acked */
    WORKER_RELOAD = 'r', /* take the mail (worker_mail()), then p->acked */
};

/*
 * Makes the worker's base, watches the listening sockets lfds[0..n) (the
 * owned ones become the worker's even on failure), prepares its
 * connections to serve site (the worker takes a reference); w->metrics
 * must be set. 0, or -1 with one line in err. Call worker_cleanup()
 * either way.
 */
int worker_init(struct worker *w, const struct worker_params *p,
                struct site *site, const struct worker_lfd *lfds, unsigned n,
                char *err, size_t errlen);

/*
 * Leaves m (malloc'd; the worker frees it and takes over its site
 * reference and the owned descriptors it does not know yet) for the
 * worker, then posts WORKER_RELOAD. A listener not in m stops; an owned
 * one closes. Never after WORKER_STOP (the worker has closed its own
 * sockets then, and would take them again). -1 when the pipe is broken
 * (m is then the caller's again).
 */
int worker_send_mail(struct worker *w, struct worker_mail *m);

/* Starts the thread (all signals blocked in it). 0 or -1. */
int worker_start(struct worker *w);

/* Sends msg; safe from any thread. -1 when the pipe is broken. */
int worker_post(struct worker *w, enum worker_msg msg);

/* Waits for the thread to end (after WORKER_STOP). */
void worker_join(struct worker *w);

void worker_cleanup(struct worker *w);

/*
 * A listening socket for sp: SO_REUSEADDR, TCP_NODELAY (inherited by
 * accepted sockets), v6-only for IPv6, and SO_REUSEPORT plus listen() when
 * reuseport. -1 with errno.
 */
int worker_listen_socket(const struct listen_spec *sp, bool reuseport);

#endif
