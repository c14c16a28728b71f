/*
 * Work that must not run on a worker's event loop, run on the job pool
 * (util/jobpool.h): CAB expansions, delivered back to the loops of the
 * workers whose connections wait for them, and compressed copies of
 * served files (zcache.h), which nobody waits for.
 *
 * One task per expansion: requests for the same CAB twin, on any worker,
 * share the running task (across processes the store's lock file still
 * makes one expansion). A task lives while anyone holds a reference: the
 * pool while it runs, each waiting connection, each mailbox it is posted
 * to. A client that goes away drops its reference; the expansion goes on
 * for the others (and for the cache).
 *
 * Completion crosses threads through a mailbox per worker: the pool
 * thread appends the task under the mailbox's mutex and writes its
 * eventfd; the worker's loop reads it and calls ready() on its own
 * thread, where connection state may be touched. (An eventfd rather than
 * event_active(): the worker bases are made with EVENT_BASE_FLAG_NOLOCK
 * so that the request path takes no lock, and event_active() from another
 * thread needs evthread locking on the base.)
 */
#ifndef SYMSRVD_DAEMON_OFFLOAD_H
#define SYMSRVD_DAEMON_OFFLOAD_H

#include <stddef.h>

#include <sys/stat.h>

#include "store/store.h"
#include "store/zcache.h"

struct event_base;
struct offload;
struct offload_box;
struct offload_task;

/*
 * The pool: threads, at most queue_max tasks waiting. NULL with the
 * reason in err.
 */
struct offload *offload_new(unsigned threads, unsigned queue_max, char *err,
                            size_t errlen);

/*
 * Stops the pool: queued tasks are not run, running ones finish. Their
 * mailboxes must still exist (free them after this). NULL is a no-op.
 */
void offload_free(struct offload *o);

/*
 * A worker's mailbox on base: ready(task, arg) runs on base's thread for
 * each finished task posted to it (the mailbox holds its own reference
 * around the call). NULL when out of descriptors or memory.
 */
struct offload_box *
offload_box_new(struct event_base *base,
                void (*ready)(struct offload_task *t, void *arg), void *arg);

/* Drops tasks not delivered yet; call on the box's thread or after it
 * ended, after offload_free(). */
void offload_box_free(struct offload_box *b);

/*
 * The task that makes job's expansion in store (which the task holds a
 * reference to, store_hold(), so a reload may drop it meanwhile): the
 * running one for the same store and twin, or a new one queued. Returns it with
 * a reference for the caller, box to be told when it is done. NULL with errno
 * EAGAIN when the queue is full (answer 503), ENOMEM.
 */
struct offload_task *offload_expand(struct offload *o, struct store *store,
                                    const struct store_job *job,
                                    struct offload_box *box);

/*
 * Has the copy of the file open as fd (stat src) in coding c made in z
 * (zcache_make()) on the pool, unless the same copy is being made
 * already; the task takes a duplicate of fd. Nobody waits for it: the
 * request that asked is answered with the file as stored, later ones
 * find the copy. At most half the pool's threads (at least one) make
 * copies at once, so that expansions always find a thread. 0 when
 * queued or running; -1 with errno EAGAIN (the queue or the copies'
 * share of threads is full: a later request asks again), EMFILE,
 * ENOMEM. z must outlive the pool (offload_free()).
 */
int offload_compress(struct offload *o, struct zcache *z, int fd,
                     const struct stat *src, enum zcache_coding c);

/* Once ready: 0, or the errno store_expand() failed with. */
int offload_task_error(const struct offload_task *t);

/* Drops a reference; the last frees the task. Any thread. */
void offload_task_put(struct offload_task *t);

#endif
