/* Off-loop tasks and their delivery to the workers; see offload.h. */
#define _GNU_SOURCE /* eventfd */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/offload.h"
#include "util/errbuf.h"
#include "util/jobpool.h"
#include "util/log.h"

/* The kinds of job: a CAB expansion that requests wait for, or a
 * compressed copy that nobody waits for (they are sent identity). */
enum task_kind { TASK_EXPAND, TASK_COMPRESS };

struct offload_task {
    struct jobpool_job j; /* first: the pool hands back &j */
    struct offload *o;
    enum task_kind kind;
    struct store *store; /* TASK_EXPAND: a reference */
    struct store_job job;
    struct zcache *zc; /* TASK_COMPRESS: borrowed (the server's) */
    int src_fd;        /* TASK_COMPRESS: a duplicate, owned; else -1 */
    struct stat src;   /* of src_fd when the request opened it */
    enum zcache_coding coding;
    _Atomic unsigned refs;
    int err;                    /* set before the task is posted */
    struct offload_task *next;  /* in o->running while not done */
    struct offload_box **boxes; /* to tell when done (o->lock) */
    unsigned nboxes, capboxes;
};

struct offload {
    struct jobpool *pool;
    pthread_mutex_t lock; /* running, and each task's boxes */
    struct offload_task *running;
    unsigned compress_max; /* TASK_COMPRESS in running, at most */
};

struct offload_box {
    int efd;
    struct event *ev;
    void (*ready)(struct offload_task *t, void *arg);
    void *arg;
    pthread_mutex_t lock; /* posted */
    struct offload_task **posted;
    size_t nposted, capposted;
};

void
offload_task_put(struct offload_task *t)
{
    if (atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    store_free(t->store); /* drops the task's reference */
    if (t->src_fd != -1)
        close(t->src_fd);
    free(t->boxes);
    free(t);
}

int
offload_task_error(const struct offload_task *t)
{
    return t->err;
}

/* Appends t to b and wakes b's loop; on the pool thread. */
static void
post(struct offload_box *b, struct offload_task *t)
{
    uint64_t one = 1;
    bool ok = true;

    pthread_mutex_lock(&b->lock);
    if (b->nposted == b->capposted) {
        size_t cap = b->capposted ? b->capposted * 2 : 16;
        struct offload_task **v = realloc(b->posted, cap * sizeof(*v));

        if (v != NULL) {
            b->posted = v;
            b->capposted = cap;
        }
        ok = v != NULL;
    }
    if (ok) {
        atomic_fetch_add(&t->refs, 1);
        b->posted[b->nposted++] = t;
    }
    pthread_mutex_unlock(&b->lock);
    /* Lost only when out of memory: its waiters then meet their job
     * deadline (503), nothing worse. */
    if (!ok)
        log_warnx("expand %s: out of memory: waiters not told", t->job.twin);
    else if (write(b->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
        log_warn("expand %s: wake worker", t->job.twin);
}

static void
task_run(struct jobpool_job *j)
{
    struct offload_task *t = (struct offload_task *)j;

    if (t->kind == TASK_EXPAND) {
        t->err = store_expand(t->store, &t->job) == 0 ? 0 : errno;
        return;
    }
    t->err = zcache_make(t->zc, t->src_fd, &t->src, t->coding) == 0 ? 0 : errno;
    if (t->err != 0 && t->err != ESTALE)
        log_warnx("compress %llx:%llx: %s", (unsigned long long)t->src.st_dev,
                  (unsigned long long)t->src.st_ino, strerror(t->err));
}

/* The task leaves the running list (later requests start a new one, which
 * finds the file made), then every mailbox that waits is told. */
static void
task_done(struct jobpool_job *j, bool ran)
{
    struct offload_task *t = (struct offload_task *)j;
    struct offload *o = t->o;
    struct offload_task **p;

    if (!ran)
        t->err = ESHUTDOWN;
    pthread_mutex_lock(&o->lock);
    for (p = &o->running; *p != NULL && *p != t; p = &(*p)->next)
        ;
    if (*p == t)
        *p = t->next;
    pthread_mutex_unlock(&o->lock);
    /* boxes no longer changes: nobody finds t any more. */
    for (unsigned i = 0; i < t->nboxes; i++)
        post(t->boxes[i], t);
    offload_task_put(t); /* the pool's reference */
}

/* Adds b to the boxes t tells (o->lock held). -1 when out of memory. */
static int
task_add_box(struct offload_task *t, struct offload_box *b)
{
    for (unsigned i = 0; i < t->nboxes; i++)
        if (t->boxes[i] == b)
            return 0;
    if (t->nboxes == t->capboxes) {
        unsigned cap = t->capboxes ? t->capboxes * 2 : 4;
        struct offload_box **v = realloc(t->boxes, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        t->boxes = v;
        t->capboxes = cap;
    }
    t->boxes[t->nboxes++] = b;
    return 0;
}

/* A new task for job, queued (o->lock held). */
static struct offload_task *
task_start(struct offload *o, struct store *store, const struct store_job *job,
           struct offload_box *b)
{
    struct offload_task *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->j.run = task_run;
    t->j.done = task_done;
    t->o = o;
    t->kind = TASK_EXPAND;
    t->src_fd = -1;
    t->store = store;
    t->job = *job;
    atomic_init(&t->refs, 2); /* the caller's and the pool's */
    if (task_add_box(t, b) == -1 || jobpool_submit(o->pool, &t->j) == -1) {
        int e = t->nboxes == 0 ? ENOMEM : EAGAIN;

        free(t->boxes);
        free(t);
        errno = e;
        return NULL;
    }
    store_hold(store);
    t->next = o->running;
    o->running = t;
    log_debug("expand %s: queued", job->twin);
    return t;
}

struct offload_task *
offload_expand(struct offload *o, struct store *store,
               const struct store_job *job, struct offload_box *box)
{
    struct offload_task *t;

    pthread_mutex_lock(&o->lock);
    for (t = o->running; t != NULL; t = t->next)
        if (t->kind == TASK_EXPAND && t->store == store &&
            strcmp(t->job.twin, job->twin) == 0)
            break;
    if (t != NULL && task_add_box(t, box) == 0) {
        atomic_fetch_add(&t->refs, 1);
    } else if (t != NULL) {
        t = NULL;
        errno = ENOMEM;
    } else {
        t = task_start(o, store, job, box);
    }
    pthread_mutex_unlock(&o->lock);
    return t;
}

/* Is the copy of src in coding c being made, and how many copies are
 * (o->lock held)? */
static bool
compress_running(const struct offload *o, const struct zcache *z,
                 const struct stat *src, enum zcache_coding c, unsigned *n)
{
    *n = 0;
    for (const struct offload_task *t = o->running; t != NULL; t = t->next) {
        if (t->kind != TASK_COMPRESS)
            continue;
        if (t->zc == z && t->coding == c && t->src.st_dev == src->st_dev &&
            t->src.st_ino == src->st_ino && t->src.st_size == src->st_size &&
            t->src.st_mtim.tv_sec == src->st_mtim.tv_sec &&
            t->src.st_mtim.tv_nsec == src->st_mtim.tv_nsec)
            return true;
        (*n)++;
    }
    return false;
}

/* A new compression task, queued (o->lock held). */
static int
compress_start(struct offload *o, struct zcache *z, int fd,
               const struct stat *src, enum zcache_coding c)
{
    struct offload_task *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    t->j.run = task_run;
    t->j.done = task_done;
    t->o = o;
    t->kind = TASK_COMPRESS;
    t->zc = z;
    t->src = *src;
    t->coding = c;
    atomic_init(&t->refs, 1); /* the pool's: nobody waits */
    t->src_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (t->src_fd == -1 || jobpool_submit(o->pool, &t->j) == -1) {
        int e = t->src_fd == -1 ? errno : EAGAIN;

        if (t->src_fd != -1)
            close(t->src_fd);
        free(t);
        errno = e;
        return -1;
    }
    t->next = o->running;
    o->running = t;
    return 0;
}

int
offload_compress(struct offload *o, struct zcache *z, int fd,
                 const struct stat *src, enum zcache_coding c)
{
    unsigned n;
    int rc = 0;

    pthread_mutex_lock(&o->lock);
    if (!compress_running(o, z, src, c, &n)) {
        if (n >= o->compress_max) {
            errno = EAGAIN;
            rc = -1;
        } else {
            rc = compress_start(o, z, fd, src, c);
        }
    }
    pthread_mutex_unlock(&o->lock);
    return rc;
}

struct offload *
offload_new(unsigned threads, unsigned queue_max, char *err, size_t errlen)
{
    struct offload *o = calloc(1, sizeof(*o));

    if (o == NULL) {
        errbuf_set(err, errlen, "job pool: out of memory");
        return NULL;
    }
    pthread_mutex_init(&o->lock, NULL);
    /* Copies are made when the pool has room: at most half its threads,
     * so that expansions, which requests wait for, always find one. */
    o->compress_max = threads > 1 ? threads / 2 : 1;
    o->pool = jobpool_new(threads, queue_max);
    if (o->pool == NULL) {
        errbuf_set(err, errlen, "job pool: %s", strerror(errno));
        pthread_mutex_destroy(&o->lock);
        free(o);
        return NULL;
    }
    return o;
}

void
offload_free(struct offload *o)
{
    if (o == NULL)
        return;
    jobpool_free(o->pool); /* every task is done: running is empty */
    pthread_mutex_destroy(&o->lock);
    free(o);
}

/* The worker's side: take what was posted, then tell each. */
static void
on_posted(evutil_socket_t fd, short what, void *arg)
{
    struct offload_box *b = arg;
    struct offload_task **v;
    uint64_t n;
    size_t count;

    (void)what;
    if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
        log_warn("job mailbox: read");
    pthread_mutex_lock(&b->lock);
    v = b->posted;
    count = b->nposted;
    b->posted = NULL;
    b->nposted = b->capposted = 0;
    pthread_mutex_unlock(&b->lock);
    for (size_t i = 0; i < count; i++) {
        b->ready(v[i], b->arg);
        offload_task_put(v[i]);
    }
    free(v);
}

struct offload_box *
offload_box_new(struct event_base *base,
                void (*ready)(struct offload_task *t, void *arg), void *arg)
{
    struct offload_box *b = calloc(1, sizeof(*b));

    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->ready = ready;
    b->arg = arg;
    b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (b->efd != -1)
        b->ev = event_new(base, b->efd, EV_READ | EV_PERSIST, on_posted, b);
    if (b->ev == NULL || event_add(b->ev, NULL) == -1) {
        offload_box_free(b);
        return NULL;
    }
    return b;
}

void
offload_box_free(struct offload_box *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nposted; i++)
        offload_task_put(b->posted[i]);
    free(b->posted);
    if (b->ev != NULL)
        event_free(b->ev);
    if (b->efd != -1)
        close(b->efd);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
