/*
 * A worker thread: its own event_base, its own SO_REUSEPORT listening
 * sockets (the kernel spreads connections over the workers), its
 * connections (conn.h) and its access-log buffer. The main thread talks to
 * a worker only through its pipe (worker_post()): nothing is locked on the
 * request path.
 */
#ifndef SYMSRVD_DAEMON_WORKER_H
#define SYMSRVD_DAEMON_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "daemon/conn.h"

#define WORKER_MAX_LISTENERS 32

/* One address to listen on. */
struct listen_spec {
    struct sockaddr_storage ss; /* port resolved when the config said 0 */
    socklen_t sslen;
    bool tls;
};

/* What a worker is given; owned by the server, outliving the worker. */
struct worker_params {
    const struct listen_spec *specs;
    unsigned nspecs;
    SSL_CTX *ssl;                      /* NULL without TLS listeners */
    const struct handler_env *handler; /* shared, read-only */
    struct accesslog *log;
    unsigned timeout;          /* http.timeout */
    unsigned shutdown_timeout; /* seconds answers get after a stop */
    unsigned max_header_size;
    unsigned max_conns;             /* per worker */
    struct clients *clients;        /* per address; NULL: no cap */
    const char *cache_control;      /* hits */
    const char *miss_cache_control; /* 404s */
    struct offload *offload;        /* the job pool; NULL: none */
    unsigned job_timeout;           /* seconds a request waits for a job */
    /* Called on the worker's thread once a WORKER_FLUSH has been done. */
    void (*flushed)(void *arg);
    void *flushed_arg;
};

struct listener {
    struct worker *w;
    struct event *ev;
    int fd;
    bool tls;
};

struct worker {
    const struct worker_params *p;
    pthread_t thread;
    bool started;
    bool finished;
    struct event_base *base;
    struct listener listeners[WORKER_MAX_LISTENERS];
    unsigned nlisteners;
    struct event *pipe_ev, *deadline_ev, *resume_ev;
    int pipe[2];            /* the main thread writes a message byte */
    unsigned accept_warned; /* EMFILE warnings this pause */
    struct conn_env conns;
    struct accesslog_buf log;
};

/* Messages from the main thread. */
enum worker_msg {
    WORKER_STOP = 's',  /* stop accepting; finish answers, then exit */
    WORKER_FLUSH = 'f', /* write the buffered access log, then p->flushed */
};

/*
 * Makes the worker's base, binds its listening sockets, prepares its
 * connections. 0, or -1 with one line in err (a port that cannot be
 * bound). Call worker_cleanup() either way.
 */
int worker_init(struct worker *w, const struct worker_params *p, char *err,
                size_t errlen);

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
