/* A bounded pool of threads for blocking jobs; see jobpool.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "util/jobpool.h"

struct jobpool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or stopping */
    struct jobpool_job *head, *tail;
    unsigned queued, queue_max;
    bool stopping;
    unsigned nthreads;
    pthread_t threads[];
};

/* The next job, or NULL once stopping. */
static struct jobpool_job *
next_job(struct jobpool *p)
{
    struct jobpool_job *j;

    pthread_mutex_lock(&p->lock);
    while (p->head == NULL && !p->stopping)
        pthread_cond_wait(&p->work, &p->lock);
    j = p->stopping ? NULL : p->head;
    if (j != NULL) {
        p->head = j->next;
        if (p->head == NULL)
            p->tail = NULL;
        p->queued--;
    }
    pthread_mutex_unlock(&p->lock);
    return j;
}

static void *
pool_main(void *arg)
{
    struct jobpool *p = arg;
    struct jobpool_job *j;

    while ((j = next_job(p)) != NULL) {
        j->run(j);
        j->done(j, true);
    }
    return NULL;
}

/* Stops and joins the first n threads. */
static void
stop_threads(struct jobpool *p, unsigned n)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < n; i++)
        pthread_join(p->threads[i], NULL);
}

struct jobpool *
jobpool_new(unsigned threads, unsigned queue_max)
{
    struct jobpool *p;
    sigset_t all, old;
    int rc = 0;

    if (threads == 0 || queue_max == 0 || threads > 1024) {
        errno = EINVAL;
        return NULL;
    }
    p = calloc(1, sizeof(*p) + threads * sizeof(pthread_t));
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    p->queue_max = queue_max;
    /* Signals belong to the main thread's loop (server.c). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (; p->nthreads < threads && rc == 0; p->nthreads++) {
        rc = pthread_create(&p->threads[p->nthreads], NULL, pool_main, p);
        if (rc != 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        jobpool_free(p);
        errno = rc;
        return NULL;
    }
    return p;
}

int
jobpool_submit(struct jobpool *p, struct jobpool_job *j)
{
    int rc = -1;

    pthread_mutex_lock(&p->lock);
    if (!p->stopping && p->queued < p->queue_max) {
        j->next = NULL;
        if (p->tail != NULL)
            p->tail->next = j;
        else
            p->head = j;
        p->tail = j;
        p->queued++;
        pthread_cond_signal(&p->work);
        rc = 0;
    }
    pthread_mutex_unlock(&p->lock);
    if (rc == -1)
        errno = EAGAIN;
    return rc;
}

unsigned
jobpool_queued(struct jobpool *p)
{
    unsigned n;

    pthread_mutex_lock(&p->lock);
    n = p->queued;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void
jobpool_free(struct jobpool *p)
{
    struct jobpool_job *j;

    if (p == NULL)
        return;
    stop_threads(p, p->nthreads);
    /* No thread is left: the queue is ours. */
    while ((j = p->head) != NULL) {
        p->head = j->next;
        j->done(j, false);
    }
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
