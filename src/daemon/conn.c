/* HTTP/1.1 connections; see conn.h. */
#define _GNU_SOURCE /* MSG_MORE, TCP_CORK */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/clients.h"
#include "daemon/conn.h"
#include "daemon/fetch.h"
#include "daemon/offload.h"
#include "util/clock.h"
#include "util/log.h"

/* The output buffer: answer heads, text bodies, small multipart bodies
 * whole, and TLS body chunks (a TLS record's worth). */
#define OUT_CAP (16 * 1024)
/* A text answer is copied whole into out[] after its head. */
_Static_assert(METRICS_TEXT_MAX + 2048 <= OUT_CAP,
               "the /metrics text and its head fit in out[]");
/* Bodies from this size on go out corked (see set_cork()). */
#define CORK_MIN (256 * 1024)
/* Seconds a closing connection waits for the client's unread bytes. */
#define LINGER_SECS 2
/* Bytes a lingering connection drops per read event. */
#define LINGER_DRAIN (1024 * 1024)
/* Free exchanges a worker keeps; more are freed when given back. */
#define POOL_KEEP 256
/* Largest single sendfile(2) call. */
#define SENDFILE_MAX 0x7ffff000

enum conn_state {
    C_READ,   /* waiting for or reading a head */
    C_WRITE,  /* sending an answer */
    C_LINGER, /* answered, closing: reading what the client still sends */
    C_PARKED, /* waiting for a job (task) before the answer is decided */
};

/* Where a file body stands (multipart/byteranges: RFC 9110 14.6). */
enum body_phase {
    B_PART_HEADER, /* the part header of ranges[part] (multipart only) */
    B_DATA,        /* bytes off..end of the file */
    B_PART_END,    /* the CRLF after a part's data (multipart only) */
    B_TRAILER,     /* the close delimiter (multipart only) */
    B_DONE,
};

/* One request and its answer: the buffers, pooled per worker. */
struct xchg {
    struct xchg *next_free;
    struct answer a;
    size_t in_len;   /* bytes in in[] */
    size_t scanned;  /* of in[], searched for the head's end */
    size_t head_len; /* the head being answered, 0 while reading */
    /* The body plan of a file answer. */
    enum body_phase phase;
    size_t part;
    uint64_t off, end;
    bool sendfile;      /* file data leaves by (SSL_)sendfile, not pread */
    bool corked;        /* TCP_CORK is on */
    size_t out_len;     /* bytes in out[] */
    size_t out_off;     /* of them sent */
    size_t hdr_len;     /* answer head bytes: the rest are body */
    uint64_t sent;      /* bytes of this answer sent */
    uint64_t began_ns;  /* CLOCK_MONOTONIC: the head was whole */
    bool parked;        /* this request waited for a job already */
    const char *method; /* for the access log: NUL-terminated in in[] */
    const char *target, *version, *referer, *user_agent;
    char client[ACL_ADDR_TEXT]; /* for the log: "" is the peer */
    char user[ACCESS_USER_LEN]; /* for the log: "" is none */
    /* Upstream fetches (fetch.h): this request waited for one already,
     * and how it ended; the body is a file still arriving (growing),
     * sendable up to grow_lim; the last news seen and since when. */
    bool fetched, growing;
    /* The fetch is a ranged one (fetch_range()): its 206 is passed on;
     * range_tried: one was tried, the next fetch is the whole file's. */
    bool ranged, range_tried;
    enum fetch_state fetch_end;
    uint64_t grow_lim;
    int seen_state;
    uint64_t seen_avail;
    uint64_t wait_since_ns;
    char out[OUT_CAP];
    char in[]; /* max_header_size bytes */
};

struct conn {
    struct conn_env *env;
    struct conn *prev, *next;
    int fd;
    SSL *ssl;            /* NULL for plain HTTP */
    bool ktls;           /* kernel TLS sends: SSL_sendfile works */
    bool rd_ready;       /* bytes may be waiting (edge-triggered read) */
    bool wr_wait;        /* the write event is added */
    bool tls_io_blocked; /* a TLS call wants the other direction */
    bool counted; /* clients_take() counted it: clients_give() on close */
    bool metrics; /* on the metrics listener: not logged, not counted */
    enum conn_state state;
    uint64_t discard; /* body bytes of the last request still to skip */
    struct event *rev, *wev, *tev;
    struct xchg *x; /* NULL while idle */
    /* C_PARKED: the job waited for (a reference), and the parsed head,
     * whose pieces point into x->in (env->head is reused meanwhile). */
    struct offload_task *task;
    struct head *parked_head;
    /* C_PARKED on an upstream fetch, or C_WRITE of its growing body: the
     * fetch (a reference); fw is linked while woken by its owner's event,
     * fetch_poll while polling it instead (another worker's fetch);
     * fetch_wait while the timer is for the fetch, not the socket. */
    struct fetch *fetch;
    struct fetch_waiter fw;
    bool fetch_poll, fetch_wait;
    char peer[INET6_ADDRSTRLEN];
    struct sockaddr_storage peer_addr;
};

/* What a step of the state machine left: go on, wait for an event, or
 * nothing (the connection was closed and freed: touch it no more). */
enum step { STEP_GO, STEP_WAIT, STEP_GONE };

static void conn_close(struct conn *c);
static enum step conn_input(struct conn *c);
static enum step linger_read(struct conn *c);
static void conn_resume(struct conn *c);
static enum step decide(struct conn *c, const struct head *h, time_t now,
                        int job_err);
static enum step start_answer(struct conn *c, bool keep_alive_10, time_t now);
static bool must_close(struct conn *c, const struct head *h);

/* --- exchanges ----------------------------------------------------------
 */

static struct xchg *
xchg_take(struct conn_env *env)
{
    struct xchg *x = env->pool;

    if (x != NULL) {
        env->pool = x->next_free;
        env->npool--;
    } else {
        x = malloc(sizeof(*x) + env->max_header_size);
        if (x == NULL)
            return NULL;
    }
    answer_reset(&x->a);
    x->in_len = x->scanned = x->head_len = 0;
    x->out_len = x->out_off = x->hdr_len = 0;
    x->phase = B_DONE;
    x->sendfile = x->corked = false;
    x->parked = false;
    x->fetched = x->growing = false;
    x->ranged = x->range_tried = false;
    x->sent = 0;
    return x;
}

static void
xchg_give(struct conn_env *env, struct xchg *x)
{
    if (env->npool >= POOL_KEEP) {
        free(x);
        return;
    }
    x->next_free = env->pool;
    env->pool = x;
    env->npool++;
}

/* --- timers and events ---------------------------------------------------
 */

static void
arm_timer(struct conn *c, unsigned secs)
{
    struct timeval tv = {(time_t)secs, 0};

    event_add(c->tev, &tv);
}

static void
wait_write(struct conn *c)
{
    if (!c->wr_wait) {
        event_add(c->wev, NULL);
        c->wr_wait = true;
    }
}

static void
stop_wait_write(struct conn *c)
{
    if (c->wr_wait) {
        event_del(c->wev);
        c->wr_wait = false;
    }
}

/* --- socket I/O, plain or TLS --------------------------------------------
 */

enum io_rc { IO_OK, IO_AGAIN, IO_EOF, IO_ERROR };

/*
 * What a TLS call's result r means: r > 0 bytes done (into *n), else the
 * failure; sets tls_io_blocked when it waits for the other direction (a
 * handshake or key update in the middle).
 */
static enum io_rc
tls_rc(struct conn *c, ssize_t r, bool writing, size_t *n)
{
    if (r > 0) {
        *n = (size_t)r;
        return IO_OK;
    }
    switch (SSL_get_error(c->ssl, (int)r)) {
    case SSL_ERROR_WANT_READ:
        c->tls_io_blocked = writing;
        if (writing)
            c->rd_ready = false;
        return IO_AGAIN;
    case SSL_ERROR_WANT_WRITE:
        c->tls_io_blocked = !writing;
        wait_write(c);
        return IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return IO_EOF;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return r == 0 ? IO_EOF : IO_ERROR;
    default:
        ERR_clear_error();
        return IO_ERROR;
    }
}

/* SSL_read() and SSL_write() take an int length. */
static int
tls_len(size_t len)
{
    return len > INT32_MAX ? INT32_MAX : (int)len;
}

static enum io_rc
io_read(struct conn *c, char *buf, size_t len, size_t *n)
{
    ssize_t r;

    if (c->ssl != NULL)
        return tls_rc(c, SSL_read(c->ssl, buf, tls_len(len)), false, n);
    do
        r = recv(c->fd, buf, len, 0);
    while (r == -1 && errno == EINTR);
    if (r > 0) {
        *n = (size_t)r;
        return IO_OK;
    }
    if (r == 0)
        return IO_EOF;
    return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
}

/* Sends buf; more: body bytes follow at once (the kernel may wait). */
static enum io_rc
io_write(struct conn *c, const char *buf, size_t len, bool more, size_t *n)
{
    ssize_t r;

    if (c->ssl != NULL)
        return tls_rc(c, SSL_write(c->ssl, buf, tls_len(len)), true, n);
    do
        r = send(c->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    while (r == -1 && errno == EINTR);
    if (r >= 0) {
        *n = (size_t)r;
        return IO_OK;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
}

static enum io_rc
io_sendfile(struct conn *c, int fd, uint64_t off, size_t len, size_t *n)
{
    off_t o = (off_t)off;
    ssize_t r;

    if (c->ssl != NULL)
        return tls_rc(c, SSL_sendfile(c->ssl, fd, o, len, 0), true, n);

    do
        r = sendfile(c->fd, fd, &o, len);
    while (r == -1 && errno == EINTR);
    if (r > 0) {
        *n = (size_t)r;
        return IO_OK;
    }
    if (r == 0) {
        errno = EIO; /* the file shrank while being served */
        return IO_ERROR;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
}

/*
 * TCP_CORK while a large body is sent: the kernel then sends only full
 * segments, headers in the first one with the body; a 1 GiB sendfile runs
 * about 1.4x faster on loopback than with TCP_NODELAY alone. Small answers
 * skip it: two more syscalls would cost more than they save.
 */
static void
set_cork(struct conn *c, bool on)
{
    int v = on;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) == 0)
        c->x->corked = on;
}

/* --- the access log ------------------------------------------------------
 */

static void
log_answer(struct conn *c, time_t now)
{
    struct conn_env *env = c->env;
    struct xchg *x = c->x;
    char line[ACCESSLOG_LINE_MAX];
    struct accesslog_entry e = {
        x->client[0] != '\0' ? x->client : c->peer,
        now,
        x->method,
        x->target,
        x->version,
        x->a.status,
        x->sent > x->hdr_len ? x->sent - x->hdr_len : 0,
        x->referer,
        x->user_agent,
        x->user,
    };
    struct timeval flush = {0, 100 * 1000};
    size_t len = now == env->date_at
                     ? accesslog_format_dated(line, &e, env->log_date)
                     : accesslog_format(line, &e);

    if (accesslog_buf_add(env->log, line, len))
        event_add(env->log_timer, &flush);
}

/*
 * An answer is over, sent whole or cut short: its access-log line and its
 * counts. The metrics listener's answers get neither: scrapes and probes
 * are not traffic, and a scrape must not move what it reads.
 */
static void
answer_done(struct conn *c, time_t now)
{
    struct xchg *x = c->x;

    if (c->metrics)
        return;
    log_answer(c, now);
    metrics_count_answer(c->env->metrics, x->a.status, x->a.route, x->sent,
                         x->sent > x->hdr_len ? x->sent - x->hdr_len : 0,
                         clock_monotonic_ns() - x->began_ns);
    if (x->a.encoding != NULL && !x->a.head_only)
        metrics_add(&c->env->metrics->coded[x->a.coding], 1);
}

static void
on_log_timer(evutil_socket_t fd, short what, void *arg)
{
    struct conn_env *env = arg;

    (void)fd;
    (void)what;
    accesslog_buf_flush(env->log);
}

/* --- upstream fetches (fetch.h) ---------------------------------------------
 */

/* Drops the connection's fetch, if any; the fetch goes on. */
static void
fetch_release(struct conn *c)
{
    if (c->fetch == NULL)
        return;
    fetch_unwatch(&c->fw);
    fetch_put(c->fetch);
    c->fetch = NULL;
    c->fetch_wait = c->fetch_poll = false;
}

/*
 * Waits for news of c->fetch: woken by the fetch's event when this worker
 * owns it (the timer then is the no-progress limit, secs), else polled
 * every FETCH_POLL_MS (fetch_news() checks the limit).
 */
static void
fetch_wait(struct conn *c, unsigned secs)
{
    c->fetch_wait = true;
    c->fetch_poll = !fetch_watch(c->fetch, c->env->fetcher, &c->fw);
    if (c->fetch_poll) {
        struct timeval tv = {0, FETCH_POLL_MS * 1000};

        event_add(c->tev, &tv);
    } else {
        arm_timer(c, secs);
    }
}

/* Whether the fetch moved since the last look (the no-progress clock
 * starts again when it did). */
static bool
fetch_moved(struct conn *c)
{
    struct xchg *x = c->x;
    int st = (int)fetch_state(c->fetch);
    uint64_t avail = fetch_avail(c->fetch);

    if (st == x->seen_state && avail == x->seen_avail)
        return false;
    x->seen_state = st;
    x->seen_avail = avail;
    x->wait_since_ns = clock_monotonic_ns();
    return true;
}

static bool
fetch_stalled(const struct conn *c)
{
    return clock_monotonic_ns() - c->x->wait_since_ns >=
           (uint64_t)c->env->timeout * CLOCK_NS_PER_S;
}

/* The answer to a request whose fetch ended without a file for it: a
 * miss stays a 404 (never a 403 or 5xx: symsrv drops such servers); only
 * upstreams that all failed make a 502 (504: a timeout), which no cache
 * keeps and clients retry. */
static void
answer_fetch_end(struct xchg *x)
{
    x->a.fetch = false;
    switch (x->fetch_end) {
    case FETCH_MISS:
        answer_text(&x->a, 404, "not found\n");
        return;
    case FETCH_TIMEDOUT:
        answer_text(&x->a, 504,
                    "gateway timeout: the upstream did not "
                    "answer in time\n");
        x->a.no_store = true;
        return;
    case FETCH_FAILED:
        answer_text(&x->a, 502, "bad gateway: the upstreams failed\n");
        x->a.no_store = true;
        return;
    case FETCH_RUNNING:
    case FETCH_STREAMING:
    case FETCH_UNSATISFIABLE: /* answered in fetch_unpark() */
    case FETCH_DONE:          /* evicted at once, or a race with a cleaner */
        break;
    }
    answer_text(&x->a, 503, "service unavailable: busy, try again\n");
}

/*
 * The 200 of a file still arriving: its length as announced, no
 * validators (its inode and time are not known yet: a later request gets
 * them from the cache), the bytes as they come (conn_output()). For a
 * ranged fetch, the 206 of the range the bucket sent (checked against the
 * range asked by fetch.c), with the file's size in its Content-Range: the
 * body file holds the range at its own offsets.
 */
static enum step
start_stream(struct conn *c, const struct head *h, time_t now)
{
    struct xchg *x = c->x;
    struct answer *a = &x->a;

    answer_reset(a);
    a->route = ANSWER_ROUTE_SYMBOL;
    a->keyed = true;
    a->fd = fcntl(fetch_fd(c->fetch), F_DUPFD_CLOEXEC, 0);
    if (a->fd == -1) {
        fetch_release(c);
        answer_text(a, 503, "service unavailable: out of file descriptors\n");
    } else {
        memset(&a->st, 0, sizeof(a->st));
        a->st.st_size = (off_t)fetch_length(c->fetch);
        a->st.st_mtime = now;
        if (x->ranged)
            a->ranges[0] = fetch_range_got(c->fetch);
        answer_plan_file(a, x->ranged ? 1 : 0, c->env->handler->boundary);
        a->validators = false;
        x->growing = true;
    }
    a->close = a->close || must_close(c, h);
    return start_answer(c, !a->close && h->minor == 0, now);
}

/*
 * The bucket's 416 for a ranged fetch: ours, with the size it gave. A
 * 416 without one: the whole file is fetched, and the handler answers
 * from the cache (with the size).
 */
static enum step
range_unsatisfiable(struct conn *c, const struct head *h, time_t now)
{
    struct xchg *x = c->x;
    int64_t size = fetch_length(c->fetch);

    fetch_release(c);
    x->ranged = false;
    if (size < 0) {
        x->fetched = false;
        return decide(c, h, now, 0);
    }
    answer_reset(&x->a);
    answer_text(&x->a, 416, "range not satisfiable\n");
    x->a.st.st_size = (off_t)size;
    x->a.close = must_close(c, h);
    return start_answer(c, !x->a.close && h->minor == 0, now);
}

/* The parked request's fetch has news it was waiting for: answer. */
static void
fetch_unpark(struct conn *c, bool timed_out)
{
    struct conn_env *env = c->env;
    struct head *h = &env->head;
    enum fetch_state s = fetch_state(c->fetch);
    enum step st;

    fetch_unwatch(&c->fw);
    c->fetch_wait = false;
    memcpy(h, c->parked_head, sizeof(*h));
    free(c->parked_head);
    c->parked_head = NULL;
    c->state = C_READ; /* decide() or start_stream() moves it on */
    if (!timed_out && c->x->ranged &&
        (s == FETCH_STREAMING || s == FETCH_DONE)) {
        st = start_stream(c, h, time(NULL));
    } else if (!timed_out && c->x->ranged && s == FETCH_UNSATISFIABLE) {
        st = range_unsatisfiable(c, h, time(NULL));
    } else if (!timed_out && s == FETCH_STREAMING && handler_may_stream(h)) {
        st = start_stream(c, h, time(NULL));
    } else {
        c->x->fetch_end = timed_out ? FETCH_TIMEDOUT : s;
        fetch_release(c);
        st = decide(c, h, time(NULL), 0); /* from the cache, or the end */
    }
    if (st == STEP_GO && c->state == C_READ)
        conn_input(c);
}

/* News of the fetch (its event, or a poll): go on where it waited. */
static void
fetch_news(struct conn *c)
{
    bool moved = fetch_moved(c);
    enum fetch_state s = fetch_state(c->fetch);

    c->fetch_wait = false;
    if (c->state == C_PARKED) {
        if (fetch_over(s) ||
            (s == FETCH_STREAMING &&
             (c->x->ranged || handler_may_stream(c->parked_head))))
            fetch_unpark(c, false);
        else if (!moved && fetch_stalled(c))
            fetch_unpark(c, true);
        else
            fetch_wait(c, c->env->timeout);
        return;
    }
    if (!moved && fetch_stalled(c)) {
        conn_close(c); /* C_WRITE: nothing new within the limit */
        return;
    }
    conn_resume(c);
}

static void
on_fetch_wake(struct fetch_waiter *w)
{
    struct conn *c =
        (struct conn *)(void *)((char *)w - offsetof(struct conn, fw));

    fetch_news(c);
}

/*
 * Waits for the fetch of the handler's a->fetch_rel: with a Range the
 * bucket may be asked for alone (handler_range_spec()), a ranged fetch of
 * it when the file is not being fetched yet (fetch_range()); else the one
 * running (this worker's or another's) or a new one. Its state is looked
 * at on the next pass of the loop (it may be over already). -1 when it
 * cannot be started.
 */
static int
park_fetch(struct conn *c, const struct head *h)
{
    struct conn_env *env = c->env;
    struct xchg *x = c->x;
    struct timeval now = {0, 0};
    char spec[FETCH_RANGE_SPEC_MAX];

    if (env->fetcher == NULL)
        return -1;
    c->parked_head = malloc(sizeof(*h));
    if (c->parked_head == NULL)
        return -1;
    x->ranged =
        !x->range_tried && handler_range_spec(h, spec, sizeof(spec)) &&
        (c->fetch = fetch_range(env->fetcher, x->a.fetch_rel, spec)) != NULL;
    x->range_tried = true;
    if (!x->ranged)
        c->fetch = fetch_join(env->fetcher, x->a.fetch_rel);
    if (c->fetch == NULL) {
        free(c->parked_head);
        c->parked_head = NULL;
        return -1;
    }
    memcpy(c->parked_head, h, sizeof(*h));
    c->fw.wake = on_fetch_wake;
    x->fetched = true;
    x->seen_state = -1;
    x->wait_since_ns = clock_monotonic_ns();
    c->state = C_PARKED;
    c->fetch_wait = c->fetch_poll = true;
    event_add(c->tev, &now);
    return 0;
}

/*
 * A growing body: the end of what may be sent now, into x->grow_lim
 * (more than x->off). Else waits for the fetch (STEP_WAIT), or the fetch
 * failed after bytes went out: the connection closes (STEP_GONE), the
 * client sees a body shorter than its Content-Length.
 */
static enum step
growing_end(struct conn *c)
{
    struct xchg *x = c->x;
    enum fetch_state s = fetch_state(c->fetch); /* before avail: final */
    uint64_t avail = fetch_avail(c->fetch);

    x->grow_lim = avail < x->end ? avail : x->end;
    if (x->grow_lim > x->off)
        return STEP_GO;
    if (fetch_over(s)) {
        log_warnx("%s: %s: the upstream fetch failed after %llu bytes", c->peer,
                  x->target, (unsigned long long)avail);
        conn_close(c);
        return STEP_GONE;
    }
    fetch_moved(c);
    fetch_wait(c, c->env->timeout);
    return STEP_WAIT;
}

/* --- closing ---------------------------------------------------------------
 */

/* The answer in progress, if any, is logged with the body bytes that left. */
static void
conn_close(struct conn *c)
{
    struct conn_env *env = c->env;

    if (c->x != NULL) {
        if (c->state == C_WRITE)
            answer_done(c, time(NULL));
        if (c->x->a.fd != -1)
            close(c->x->a.fd);
        xchg_give(env, c->x);
    }
    if (c->task != NULL) /* the job goes on for the others */
        offload_task_put(c->task);
    fetch_release(c); /* the fetch goes on for the others and the cache */
    free(c->parked_head);
    if (c->rev != NULL)
        event_free(c->rev);
    if (c->wev != NULL)
        event_free(c->wev);
    if (c->tev != NULL)
        event_free(c->tev);
    if (c->ssl != NULL)
        SSL_free(c->ssl);
    if (c->counted)
        clients_give(env->clients, (const struct sockaddr *)&c->peer_addr);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        env->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    env->nmetrics -= c->metrics;
    free(c);
    env->nconns--;
    metrics_set(&env->metrics->conns_open, env->nconns);
    if (env->stopping && env->nconns == 0 && env->drained != NULL)
        env->drained(env->drained_arg);
}

/*
 * After an answer that ends the connection: the write side closes, and
 * what the client still sends is read and dropped for a moment, so that
 * the kernel does not answer unread bytes with a reset that could destroy
 * the answer before the client has read it (RFC 9112 section 9.6).
 */
static enum step
conn_linger(struct conn *c)
{
    c->state = C_LINGER; /* the answer is logged: conn_close() must not */
    if (c->ssl != NULL) {
        SSL_shutdown(c->ssl); /* close_notify, without waiting for theirs */
        ERR_clear_error();    /* SSL_get_error() needs an empty queue */
    }
    if (shutdown(c->fd, SHUT_WR) == -1) {
        conn_close(c);
        return STEP_GONE;
    }
    if (c->x != NULL) {
        xchg_give(c->env, c->x);
        c->x = NULL;
    }
    stop_wait_write(c);
    arm_timer(c, LINGER_SECS);
    return linger_read(c); /* what is already there, at once */
}

/*
 * Reads and drops what the client sends until it closes. At most
 * LINGER_DRAIN bytes a call: a client that never stops sending cannot
 * hold the worker here, and is closed by the linger timer instead.
 */
static enum step
linger_read(struct conn *c)
{
    char scratch[4096];
    size_t drained = 0;

    for (;;) {
        ssize_t r = recv(c->fd, scratch, sizeof(scratch), 0);

        if (r > 0 && (drained += (size_t)r) < LINGER_DRAIN)
            continue;
        if (r > 0)
            return STEP_WAIT; /* the timer ends it */
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return STEP_WAIT;
        conn_close(c); /* EOF or error: the client has it all */
        return STEP_GONE;
    }
}

/* --- the body of a file answer ---------------------------------------------
 */

static void
next_part(struct xchg *x)
{
    x->part++;
    if (x->part < x->a.nranges)
        x->phase = x->a.multipart ? B_PART_HEADER : B_DATA;
    else
        x->phase = x->a.multipart ? B_TRAILER : B_DONE;
    if (x->phase == B_DATA) {
        x->off = x->a.ranges[x->part].first;
        x->end = x->a.ranges[x->part].last + 1;
    }
}

static void
start_body(struct xchg *x)
{
    x->part = 0;
    x->phase = x->a.multipart ? B_PART_HEADER : B_DATA;
    x->off = x->a.ranges[0].first;
    x->end = x->a.ranges[0].last + 1;
}

/*
 * Appends to out[] what of the body goes through memory: part headers,
 * part ends, the trailer, and file bytes unless they leave by sendfile.
 * Stops when out[] is full, when file data is next and leaves by
 * sendfile, or at the end. Returns -1 when the file cannot be read.
 */
static int
fill_out(struct conn *c)
{
    struct xchg *x = c->x;
    const char *boundary = c->env->handler->boundary;

    while (x->phase != B_DONE) {
        size_t room = OUT_CAP - x->out_len, n;
        char *at = x->out + x->out_len;
        uint64_t end;
        ssize_t r;

        switch (x->phase) {
        case B_PART_HEADER:
            n = range_part_header(at, room, boundary, &x->a.ranges[x->part],
                                  (uint64_t)x->a.st.st_size);
            if (n >= room)
                return 0;
            x->out_len += n;
            x->phase = B_DATA;
            x->off = x->a.ranges[x->part].first;
            x->end = x->a.ranges[x->part].last + 1;
            break;
        case B_DATA:
            end = x->growing ? x->grow_lim : x->end;
            if (x->sendfile || room == 0 || x->off >= end)
                return 0;
            n = end - x->off < room ? (size_t)(end - x->off) : room;
            do
                r = pread(x->a.fd, at, n, (off_t)(x->a.window_off + x->off));
            while (r == -1 && errno == EINTR);
            if (r <= 0) {
                if (r == 0)
                    errno = EIO; /* the file shrank while being served */
                return -1;
            }
            x->out_len += (size_t)r;
            x->off += (uint64_t)r;
            if (x->off == x->end) {
                if (x->a.multipart)
                    x->phase = B_PART_END;
                else
                    next_part(x);
            }
            break;
        case B_PART_END:
            if (room < 2)
                return 0;
            memcpy(at, "\r\n", 2);
            x->out_len += 2;
            next_part(x);
            break;
        case B_TRAILER:
            n = range_trailer(at, room, boundary);
            if (n >= room)
                return 0;
            x->out_len += n;
            x->phase = B_DONE;
            break;
        case B_DONE:
            break;
        }
    }
    return 0;
}

/* --- answering ---------------------------------------------------------------
 */

/* The answer is out: log it, then close or wait for the next request. */
static enum step
complete(struct conn *c)
{
    struct xchg *x = c->x;

    if (x->corked)
        set_cork(c, false); /* push the last partial segment now */
    stop_wait_write(c);
    answer_done(c, time(NULL));
    if (x->a.fd != -1)
        close(x->a.fd);
    x->a.fd = -1;
    fetch_release(c);
    x->fetched = x->growing = false;
    x->ranged = x->range_tried = false;
    if (x->a.close || c->env->stopping)
        return conn_linger(c);
    /* Pipelined bytes after this head move to the front for the next. */
    memmove(x->in, x->in + x->head_len, x->in_len - x->head_len);
    x->in_len -= x->head_len;
    x->head_len = x->scanned = 0;
    x->parked = false;
    answer_reset(&x->a);
    c->state = C_READ;
    arm_timer(c, c->env->timeout);
    return STEP_GO;
}

/* A send could not go on: the write event resumes it. */
static void
output_blocked(struct conn *c)
{
    c->fetch_wait = false; /* the timer is the socket's now */
    if (c->ssl == NULL || !c->tls_io_blocked)
        wait_write(c);
    arm_timer(c, c->env->timeout); /* no progress within T: close */
}

/* Sends what out[] holds. */
static enum step
flush_out(struct conn *c)
{
    struct xchg *x = c->x;

    while (x->out_off < x->out_len) {
        bool more = x->phase != B_DONE;
        size_t n = 0;

        switch (io_write(c, x->out + x->out_off, x->out_len - x->out_off, more,
                         &n)) {
        case IO_OK:
            x->out_off += n;
            x->sent += n;
            break;
        case IO_AGAIN:
            output_blocked(c);
            return STEP_WAIT;
        case IO_EOF:
        case IO_ERROR:
            conn_close(c);
            return STEP_GONE;
        }
    }
    x->out_off = x->out_len = 0;
    return STEP_GO;
}

/* Sends file data off..end by (SSL_)sendfile. */
static enum step
send_file_data(struct conn *c)
{
    struct xchg *x = c->x;
    uint64_t end = x->growing ? x->grow_lim : x->end;

    while (x->off < end) {
        uint64_t left = end - x->off;
        size_t n = 0;

        switch (io_sendfile(c, x->a.fd, x->a.window_off + x->off,
                            left > SENDFILE_MAX ? SENDFILE_MAX : (size_t)left,
                            &n)) {
        case IO_OK:
            x->off += n;
            x->sent += n;
            break;
        case IO_AGAIN:
            output_blocked(c);
            return STEP_WAIT;
        case IO_EOF:
        case IO_ERROR:
            if (errno == EIO) /* ours, not the client's doing */
                log_warn("%s: send %s", c->peer, x->target);
            conn_close(c);
            return STEP_GONE;
        }
    }
    if (x->off < x->end)
        return STEP_GO; /* growing: what has arrived is sent */
    if (x->a.multipart)
        x->phase = B_PART_END;
    else
        next_part(x);
    return STEP_GO;
}

/* Sends the answer on as far as the socket takes it. */
static enum step
conn_output(struct conn *c)
{
    struct xchg *x = c->x;

    for (;;) {
        enum step st = STEP_GO;

        if (x->out_off < x->out_len)
            st = flush_out(c);
        if (st != STEP_GO)
            return st;
        if (x->phase == B_DONE)
            return complete(c);
        if (x->phase == B_DATA && x->growing) {
            st = growing_end(c);
            if (st != STEP_GO)
                return st;
        }
        if (x->phase == B_DATA && x->sendfile) {
            st = send_file_data(c);
            if (st != STEP_GO)
                return st;
        } else if (fill_out(c) == -1) {
            log_warn("%s: read body of %s", c->peer, x->target);
            conn_close(c);
            return STEP_GONE;
        }
    }
}

/* The Date value and the access-log date of this second, formatted once
 * per second per worker. */
static void
dates_at(struct conn_env *env, time_t now)
{
    if (now != env->date_at && httpdate_format(now, env->date) == 0 &&
        httpdate_format_log(now, env->log_date) == 0)
        env->date_at = now;
}

/* Whether the connection may carry another request after this one. */
static bool
must_close(struct conn *c, const struct head *h)
{
    if (!h->keep_alive || c->env->stopping)
        return true;
    if (!h->has_body)
        return false;
    /*
     * A body nobody asked for: skipped when its length is known and small;
     * a chunked one, a large one, or one the client holds back for a 100
     * (Continue) we never send ends the connection (RFC 9110 10.1.1).
     */
    if (h->chunked || h->expect_continue || h->length > CONN_DRAIN_MAX)
        return true;
    c->discard = h->length;
    return false;
}

/*
 * The head could not be parsed: the access log shows its first line, cut
 * into method, target and version at its first and last space when it
 * has two, as nginx's "$request" shows it.
 */
static void
log_fields_of_bad_head(struct xchg *x, size_t len)
{
    size_t lead = 0, end;
    char *line, *sp1, *sp2;

    while (lead < len && (x->in[lead] == '\r' || x->in[lead] == '\n'))
        lead++;
    for (end = lead; end < len && x->in[end] != '\r' && x->in[end] != '\n';
         end++)
        ;
    /* No line end at all (len may be the whole buffer): the last byte
     * makes room for the NUL. len > 0: a bad head has at least a byte. */
    if (end >= len)
        end = len - 1;
    if (lead > end)
        lead = end;
    x->in[end] = '\0';
    line = x->in + lead;
    x->method = x->version = "-";
    x->target = line;
    x->referer = x->user_agent = NULL;
    sp1 = strchr(line, ' ');
    sp2 = strrchr(line, ' ');
    if (sp1 != NULL && sp2 != sp1) {
        *sp1 = *sp2 = '\0';
        x->method = line;
        x->target = sp1 + 1;
        x->version = sp2 + 1;
    }
}

static void
log_fields_of_head(struct xchg *x, const struct head *h)
{
    const struct head_str *ref = head_get(h, HEAD_F_REFERER);
    const struct head_str *ua = head_get(h, HEAD_F_USER_AGENT);

    x->method = h->method.p;
    x->target = h->target.p;
    x->version = h->version.p;
    x->referer = ref != NULL ? ref->p : NULL;
    x->user_agent = ua != NULL ? ua->p : NULL;
}

/* Turns the decided answer into bytes and starts sending them. */
static enum step
start_answer(struct conn *c, bool keep_alive_10, time_t now)
{
    struct conn_env *env = c->env;
    struct xchg *x = c->x;
    struct reply_env re = {env->date, env->cache_control,
                           env->miss_cache_control, env->handler->boundary};
    bool file = x->a.body == ANSWER_BODY_FILE && !x->a.head_only;

    dates_at(env, now);
    x->hdr_len = reply_head(&x->a, &re, keep_alive_10, x->out, OUT_CAP);
    if (x->hdr_len == 0) { /* cannot happen with OUT_CAP; stay safe */
        if (x->a.fd != -1)
            close(x->a.fd);
        answer_reset(&x->a);
        answer_text(&x->a, 500, "internal error\n");
        x->a.close = true;
        x->hdr_len = reply_head(&x->a, &re, false, x->out, OUT_CAP);
        file = false;
    }
    x->out_len = x->hdr_len;
    x->out_off = 0;
    x->sent = 0;
    x->phase = B_DONE;
    if (x->a.body == ANSWER_BODY_TEXT && !x->a.head_only) {
        size_t n = strlen(x->a.text);

        memcpy(x->out + x->out_len, x->a.text, n); /* short: always fits */
        x->out_len += n;
    }
    if (!file && x->a.fd != -1) {
        close(x->a.fd); /* 304, 412, 416, HEAD: the file is not sent */
        x->a.fd = -1;
    }
    if (file) {
        start_body(x);
        if (c->ssl != NULL) /* known once the handshake is done */
            c->ktls = BIO_get_ktls_send(SSL_get_wbio(c->ssl)) > 0;
        /* A small multipart answer is read whole into out[]: one send. */
        x->sendfile =
            (c->ssl == NULL || c->ktls) &&
            !(x->a.multipart && x->a.body_len <= OUT_CAP - x->hdr_len);
        if (c->ssl == NULL && x->a.body_len >= CORK_MIN && !x->growing)
            set_cork(c, true);
    }
    c->state = C_WRITE;
    return conn_output(c);
}

/*
 * The handler's answer for the client behind the peer (trusted proxies
 * resolved: access.h), whose address and user the log line shows.
 */
static void
serve_client(struct conn *c, const struct head *h, time_t now)
{
    struct conn_env *env = c->env;
    struct xchg *x = c->x;
    struct handler_client cl;
    struct acl_addr peer;

    if (acl_addr_from_sockaddr((const struct sockaddr *)&c->peer_addr, &peer) ==
        -1)
        memset(&peer, 0, sizeof(peer));
    access_client(env->handler->access, &peer, h, &cl.addr);
    if (memcmp(&cl.addr, &peer, sizeof(peer)) != 0)
        acl_addr_format(&cl.addr, x->client);
    handler_serve(env->handler, &env->scratch, h,
                  c->metrics ? HANDLER_METRICS : HANDLER_SERVING, &cl, now,
                  &x->a);
    memcpy(x->user, cl.user, sizeof(x->user));
}

/*
 * Waits for the job the handler asked for: shared with whoever else
 * waits for the same expansion, or queued. -1 when it cannot be queued.
 */
static int
park(struct conn *c, const struct head *h)
{
    struct conn_env *env = c->env;
    struct offload_task *t;

    if (env->offload == NULL || env->box == NULL)
        return -1;
    c->parked_head = malloc(sizeof(*h));
    if (c->parked_head == NULL)
        return -1;
    t = offload_expand(env->offload, env->handler->store, &c->x->a.job,
                       env->box);
    if (t == NULL) {
        free(c->parked_head);
        c->parked_head = NULL;
        return -1;
    }
    memcpy(c->parked_head, h, sizeof(*h));
    c->task = t;
    c->x->parked = true;
    c->state = C_PARKED;
    arm_timer(c, env->job_timeout); /* the job's deadline, not idleness */
    return 0;
}

/*
 * The answer goes out identity while a compressed copy is made for later
 * requests, off the loop (offload_compress()). A full queue is no error:
 * a later request asks again.
 */
static void
ask_copy(struct conn *c)
{
    struct conn_env *env = c->env;
    struct answer *a = &c->x->a;

    if (env->offload == NULL || env->handler->zcache == NULL || a->fd == -1)
        return;
    if (offload_compress(env->offload, env->handler->zcache, a->fd, &a->st,
                         a->compress_coding) == -1 &&
        errno != EAGAIN)
        log_warn("%s: compress", c->peer);
}

/*
 * Asks the handler (again, after a job: job_err is its outcome, 0 when
 * it made what was asked) and answers, or parks the connection.
 */
static enum step
decide(struct conn *c, const struct head *h, time_t now, int job_err)
{
    struct xchg *x = c->x;

    answer_reset(&x->a);
    /* A job that failed for want of room or time: not a miss (ENOENT, a
     * bad CAB, is remembered by the store and answered 404 below). */
    if (job_err != 0 && job_err != ENOENT)
        x->a.pending = true;
    else
        serve_client(c, h, now);
    if (x->a.fetch && x->fetched) {
        answer_fetch_end(x);
    } else if (x->a.fetch) {
        if (park_fetch(c, h) == 0)
            return STEP_WAIT;
        x->a.fetch = false;
        answer_text(&x->a, 503, "service unavailable: busy, try again\n");
    }
    if (x->a.pending && (x->parked || park(c, h) == -1)) {
        x->a.pending = false;
        answer_text(&x->a, 503, "service unavailable: busy, try again\n");
    } else if (x->a.pending) {
        return STEP_WAIT;
    }
    x->a.close = x->a.close || must_close(c, h);
    if (x->a.compress)
        ask_copy(c);
    return start_answer(c, !x->a.close && h->minor == 0, now);
}

/* The head in[0..end) has arrived: parse, decide, answer. */
static enum step
serve_head(struct conn *c, size_t end)
{
    struct conn_env *env = c->env;
    struct xchg *x = c->x;
    struct head *h = &env->head;
    const char *why = "";
    time_t now = time(NULL);
    enum head_rc rc;
    static const int status[] = {
        [HEAD_OK] = 200,           [HEAD_BAD] = 400,
        [HEAD_URI_TOO_LONG] = 414, [HEAD_TOO_LARGE] = 431,
        [HEAD_VERSION] = 505,      [HEAD_NOT_IMPLEMENTED] = 501,
    };

    x->began_ns = clock_monotonic_ns();
    rc = head_parse(x->in, end, h, &why);
    x->head_len = end;
    answer_reset(&x->a);
    x->client[0] = x->user[0] = '\0';
    if (rc != HEAD_OK) {
        log_fields_of_bad_head(x, end);
        answer_text(&x->a, status[rc], why);
        x->a.close = true; /* where the next request starts is unknown */
        return start_answer(c, false, now);
    }
    head_nul_terminate(x->in, h);
    log_fields_of_head(x, h);
    return decide(c, h, now, 0);
}

/* The head buffer is full and no head has ended in it: 414 or 431. */
static enum step
serve_overflow(struct conn *c)
{
    struct xchg *x = c->x;
    const char *why = "";
    enum head_rc rc = head_overflow(x->in, x->in_len, &why);

    x->began_ns = clock_monotonic_ns();
    x->head_len = x->in_len;
    answer_reset(&x->a);
    x->client[0] = x->user[0] = '\0';
    log_fields_of_bad_head(x, x->in_len);
    answer_text(&x->a, rc == HEAD_URI_TOO_LONG ? 414 : 431, why);
    x->a.close = true;
    return start_answer(c, false, time(NULL));
}

/* Drops the unread body bytes of the last request that in[] holds. */
static void
skip_body(struct conn *c)
{
    struct xchg *x = c->x;
    size_t n = c->discard < x->in_len ? (size_t)c->discard : x->in_len;

    memmove(x->in, x->in + n, x->in_len - n);
    x->in_len -= n;
    c->discard -= n;
}

/*
 * Reads and answers heads while the connection is reading: those already
 * in in[] (pipelined), then what the socket has. Returns STEP_WAIT when
 * the socket has nothing more or an answer blocks, STEP_GONE when the
 * connection closed.
 */
static enum step
conn_input(struct conn *c)
{
    while (c->state == C_READ) {
        struct xchg *x = c->x;
        size_t end, n = 0;
        enum step st;

        if (x == NULL) {
            if (!c->rd_ready)
                return STEP_WAIT;
            x = c->x = xchg_take(c->env);
            if (x == NULL) {
                log_warnx("%s: out of memory: connection closed", c->peer);
                conn_close(c);
                return STEP_GONE;
            }
        }
        if (c->discard > 0)
            skip_body(c);
        end = c->discard == 0 ? head_end(x->in, x->in_len, &x->scanned) : 0;
        if (end > 0 || x->in_len == c->env->max_header_size) {
            st = end > 0 ? serve_head(c, end) : serve_overflow(c);
            if (st != STEP_GO)
                return st;
            continue;
        }
        if (!c->rd_ready) {
            if (x->in_len == 0 && c->discard == 0) {
                xchg_give(c->env, x); /* idle: hold no buffer */
                c->x = NULL;
            }
            return STEP_WAIT;
        }
        switch (io_read(c, x->in + x->in_len,
                        c->env->max_header_size - x->in_len, &n)) {
        case IO_OK:
            if (x->in_len == 0 && c->discard == 0)
                arm_timer(c, c->env->timeout); /* the head's deadline */
            /* A plain recv() that did not fill the room took all there
             * was: more bytes make a new edge, so no recv() just to hear
             * EAGAIN. (SSL_read() may hold decrypted bytes back: no.) */
            if (c->ssl == NULL && n < c->env->max_header_size - x->in_len)
                c->rd_ready = false;
            x->in_len += n;
            break;
        case IO_AGAIN:
            if (!c->tls_io_blocked)
                c->rd_ready = false;
            else
                return STEP_WAIT; /* TLS wants to write first */
            break;
        case IO_EOF:
        case IO_ERROR:
            conn_close(c);
            return STEP_GONE;
        }
    }
    return STEP_WAIT;
}

/* --- events ------------------------------------------------------------------
 */

/* Resumes whatever the connection was doing; then reads on if it can. */
static void
conn_resume(struct conn *c)
{
    enum step st = STEP_GO;

    if (c->state == C_WRITE)
        st = conn_output(c);
    if (st == STEP_GO && c->state == C_READ)
        conn_input(c);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    (void)what;
    c->rd_ready = true;
    switch (c->state) {
    case C_READ:
        conn_input(c);
        break;
    case C_WRITE:
        /* Pipelined bytes wait for the answer; a TLS write that needs to
         * read first goes on now. */
        if (c->tls_io_blocked) {
            c->tls_io_blocked = false;
            conn_resume(c);
        }
        break;
    case C_LINGER:
        (void)linger_read(c);
        break;
    case C_PARKED: /* pipelined bytes wait for the answer */
        break;
    }
}

/* The job is over (or its deadline passed: ETIMEDOUT): answer. */
static void
unpark(struct conn *c, int job_err)
{
    struct conn_env *env = c->env;
    struct head *h = &env->head;
    enum step st;

    offload_task_put(c->task);
    c->task = NULL;
    memcpy(h, c->parked_head, sizeof(*h));
    free(c->parked_head);
    c->parked_head = NULL;
    c->state = C_READ; /* decide() moves it on */
    st = decide(c, h, time(NULL), job_err);
    if (st == STEP_GO && c->state == C_READ)
        conn_input(c);
}

void
conn_task_ready(struct offload_task *t, void *arg)
{
    struct conn_env *env = arg;
    struct conn *c = env->conns, *next;

    for (; c != NULL; c = next) {
        next = c->next; /* unpark() may close c, never another */
        if (c->state == C_PARKED && c->task == t)
            unpark(c, offload_task_error(t));
    }
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    (void)what;
    stop_wait_write(c);
    if (c->state == C_READ && c->tls_io_blocked) {
        c->tls_io_blocked = false; /* a TLS read that had to write first */
        c->rd_ready = true;
    }
    conn_resume(c);
}

/* Idle too long, a head too slow, a send without progress, or lingered;
 * or a job past its deadline: that request gets a 503. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    (void)what;
    if (c->fetch != NULL && c->fetch_wait && c->fetch_poll)
        fetch_news(c); /* a look at another worker's fetch */
    else if (c->fetch != NULL && c->state == C_PARKED)
        fetch_unpark(c, true); /* no news within the limit */
    else if (c->state == C_PARKED)
        unpark(c, ETIMEDOUT);
    else
        conn_close(c);
}

/* --- accepting ---------------------------------------------------------------
 */

static void
peer_text(const struct sockaddr *sa, char *buf)
{
    const void *addr =
        sa->sa_family == AF_INET6
            ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
            : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

    if (inet_ntop(sa->sa_family, addr, buf, INET6_ADDRSTRLEN) == NULL)
        memcpy(buf, "-", 2);
}

/* Beyond the cap: a fixed answer, best effort, and the socket closes. */
static void
refuse(int fd)
{
#define BUSY_TEXT "service unavailable: too many connections\n"
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Server: symsrvd\r\n"
                               "Retry-After: 1\r\n"
                               "Connection: close\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Content-Length: 42\r\n"
                               "\r\n" BUSY_TEXT;
    _Static_assert(sizeof(BUSY_TEXT) - 1 == 42, "Content-Length of the text");
#undef BUSY_TEXT

    if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        (void)0; /* the client may be gone already: nothing to do */
    close(fd);
}

static int
conn_events(struct conn *c)
{
    struct event_base *base = c->env->base;

    c->rev = event_new(base, c->fd, EV_READ | EV_PERSIST | EV_ET, on_read, c);
    c->wev = event_new(base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
    c->tev = evtimer_new(base, on_timer, c);
    if (c->rev == NULL || c->wev == NULL || c->tev == NULL ||
        event_add(c->rev, NULL) == -1)
        return -1;
    arm_timer(c, c->env->timeout);
    return 0;
}

static int
conn_tls(struct conn *c)
{
    c->ssl = SSL_new(c->env->ssl);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
        return -1;
    SSL_set_accept_state(c->ssl);
    return 0;
}

/* Whether a new connection may be taken; counts the refusals at a cap. */
static bool
may_take(struct conn_env *env, const struct sockaddr *peer, bool metrics)
{
    enum metrics_refusal why;

    if (env->stopping && !metrics)
        return false; /* closing listeners: not a cap, not counted */
    /* Scrapes and probes have room of their own: they get through when
     * the cap is reached (when they are needed most), and never take a
     * client's place. */
    if (metrics ? env->nmetrics >= CONN_METRICS_MAX
                : env->nconns - env->nmetrics >= env->max_conns)
        why = METRICS_REFUSED_MAX_CONNECTIONS;
    else if (env->clients != NULL && !clients_take(env->clients, peer))
        why = METRICS_REFUSED_PER_CLIENT;
    else
        return true;
    metrics_add(&env->metrics->conns_refused[why], 1);
    return false;
}

void
conn_accept(struct conn_env *env, int fd, const struct sockaddr *peer, bool tls,
            bool metrics)
{
    struct conn *c;

    if (!may_take(env, peer, metrics)) {
        if (tls)
            close(fd); /* plain text would be a broken TLS record */
        else
            refuse(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        if (env->clients != NULL)
            clients_give(env->clients, peer);
        close(fd);
        return;
    }
    c->counted = env->clients != NULL;
    memcpy(&c->peer_addr, peer,
           peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in));
    c->env = env;
    c->fd = fd;
    c->metrics = metrics;
    c->state = C_READ;
    c->rd_ready = true; /* bytes may have come with the connection */
    peer_text(peer, c->peer);
    c->next = env->conns;
    if (env->conns != NULL)
        env->conns->prev = c;
    env->conns = c;
    env->nconns++;
    env->nmetrics += metrics;
    metrics_add(&env->metrics->conns_accepted, 1);
    metrics_set(&env->metrics->conns_open, env->nconns);
    if ((tls && conn_tls(c) == -1) || conn_events(c) == -1) {
        log_warnx("%s: out of memory: connection closed", c->peer);
        conn_close(c);
        return;
    }
    conn_input(c);
}

/* --- the worker's side
 * ---------------------------------------------------------
 */

int
conn_env_init(struct conn_env *env)
{
    env->log_timer = evtimer_new(env->base, on_log_timer, env);
    return env->log_timer != NULL ? 0 : -1;
}

void
conn_env_stop(struct conn_env *env)
{
    struct conn *c = env->conns, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        /* Idle, or a head not complete yet: nothing promised, close. */
        if (c->state == C_READ)
            conn_close(c);
    }
    /* Set after the loop: conn_close() above must not report drained. */
    env->stopping = true;
    if (env->nconns == 0 && env->drained != NULL)
        env->drained(env->drained_arg);
}

void
conn_env_close_all(struct conn_env *env)
{
    while (env->conns != NULL)
        conn_close(env->conns);
}

void
conn_env_cleanup(struct conn_env *env)
{
    while (env->pool != NULL) {
        struct xchg *x = env->pool;

        env->pool = x->next_free;
        free(x);
    }
    env->npool = 0;
    if (env->log_timer != NULL)
        event_free(env->log_timer);
    env->log_timer = NULL;
    accesslog_buf_flush(env->log);
}
