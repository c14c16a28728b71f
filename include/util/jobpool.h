/*
 * A small pool of threads for blocking jobs (a CAB expansion, later a
 * compressed copy or an upstream fetch) that must not run on a worker's
 * event loop. The queue is bounded: a job that does not fit is refused at
 * once (the caller answers 503), never made to wait.
 *
 * The pool knows nothing of connections or event loops: a job is two
 * functions on the caller's object. run() does the blocking work on a pool
 * thread; done() follows on the same thread and must only hand the result
 * over (post to an event loop, signal a condition), never touch state
 * another thread owns. A job that never ran because the pool was freed
 * first gets done() with ran false. Thread-safe.
 */
#ifndef SYMSRVD_JOBPOOL_H
#define SYMSRVD_JOBPOOL_H

#include <stdbool.h>

struct jobpool;

/* One job; owned by the caller, which must keep it alive until done(). */
struct jobpool_job {
    void (*run)(struct jobpool_job *j);
    void (*done)(struct jobpool_job *j, bool ran);
    struct jobpool_job *next; /* the pool's */
};

/*
 * Starts threads (1 or more) that take jobs from a queue of at most
 * queue_max (1 or more) waiting jobs. NULL with errno (EINVAL, ENOMEM,
 * EAGAIN: no thread). Threads block every signal. Free with
 * jobpool_free().
 */
struct jobpool *jobpool_new(unsigned threads, unsigned queue_max);

/*
 * Queues j. 0, or -1 with errno EAGAIN when queue_max jobs already wait
 * (or the pool is stopping): j is then not the pool's and done() is not
 * called.
 */
int jobpool_submit(struct jobpool *p, struct jobpool_job *j);

/* Jobs waiting in the queue now (not those running). */
unsigned jobpool_queued(struct jobpool *p);

/*
 * Stops: the jobs still queued get done(j, false) without running, the
 * running ones finish (an expansion is not interrupted), then the threads
 * are joined and p is freed. NULL is a no-op.
 */
void jobpool_free(struct jobpool *p);

#endif
