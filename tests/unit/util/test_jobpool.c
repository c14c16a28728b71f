/* Unit tests for include/util/jobpool.h: bounds, order, stop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/jobpool.h"

/* A job that waits for a gate before it ends, and counts itself. */
struct tjob {
    struct jobpool_job j;
    struct gate *g;
    int ran, done_ran, done_skipped;
    pthread_t done_thread;
};

struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    unsigned running, finished;
};

static struct gate *
gate_new(bool open)
{
    struct gate *g = calloc(1, sizeof(*g));

    assert_non_null(g);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->open = open;
    return g;
}

static void
gate_free(struct gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static void
gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

/* Waits until n jobs run at once (or have finished). */
static void
gate_wait_running(struct gate *g, unsigned n)
{
    pthread_mutex_lock(&g->lock);
    while (g->running + g->finished < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void
gate_wait_finished(struct gate *g, unsigned n)
{
    pthread_mutex_lock(&g->lock);
    while (g->finished < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void
trun(struct jobpool_job *j)
{
    struct tjob *t = (struct tjob *)j;

    pthread_mutex_lock(&t->g->lock);
    t->g->running++;
    pthread_cond_broadcast(&t->g->cond);
    while (!t->g->open)
        pthread_cond_wait(&t->g->cond, &t->g->lock);
    t->ran++;
    pthread_mutex_unlock(&t->g->lock);
}

static void
tdone(struct jobpool_job *j, bool ran)
{
    struct tjob *t = (struct tjob *)j;

    pthread_mutex_lock(&t->g->lock);
    if (ran) {
        t->done_ran++;
        t->g->running--;
    } else {
        t->done_skipped++;
    }
    t->done_thread = pthread_self();
    t->g->finished++;
    pthread_cond_broadcast(&t->g->cond);
    pthread_mutex_unlock(&t->g->lock);
}

static void
tjob_init(struct tjob *t, struct gate *g)
{
    *t = (struct tjob){{trun, tdone, NULL}, g, 0, 0, 0, 0};
}

static void
test_bad_sizes(void **state)
{
    static const unsigned sizes[][2] = {{0, 1}, {1, 0}, {0, 0}, {4096, 1}};

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        errno = 0;
        assert_null(jobpool_new(sizes[i][0], sizes[i][1]));
        assert_int_equal(errno, EINVAL);
    }
}

/* Every job runs once, done() follows run() on a pool thread. */
static void
test_runs_every_job(void **state)
{
    struct gate *g = gate_new(true);
    struct jobpool *p = jobpool_new(3, 64);
    struct tjob t[50];

    (void)state;
    assert_non_null(p);
    for (int i = 0; i < 50; i++) {
        tjob_init(&t[i], g);
        assert_int_equal(jobpool_submit(p, &t[i].j), 0);
    }
    gate_wait_finished(g, 50);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(t[i].ran, 1);
        assert_int_equal(t[i].done_ran, 1);
        assert_int_equal(t[i].done_skipped, 0);
        assert_false(pthread_equal(t[i].done_thread, pthread_self()));
    }
    jobpool_free(p);
    gate_free(g);
}

/* Two threads run two blocking jobs at once: one does not wait for the
 * other. */
static void
test_threads_run_in_parallel(void **state)
{
    struct gate *g = gate_new(false);
    struct jobpool *p = jobpool_new(2, 4);
    struct tjob t[2];

    (void)state;
    for (int i = 0; i < 2; i++) {
        tjob_init(&t[i], g);
        assert_int_equal(jobpool_submit(p, &t[i].j), 0);
    }
    gate_wait_running(g, 2); /* hangs (ctest timeout) if they serialise */
    gate_open(g);
    gate_wait_finished(g, 2);
    jobpool_free(p);
    gate_free(g);
}

/* One thread busy, queue_max waiting: the next is refused with EAGAIN and
 * never runs; freeing skips the queued ones with done(false). */
static void
test_bounded_queue_and_stop(void **state)
{
    struct gate *g = gate_new(false);
    struct jobpool *p = jobpool_new(1, 3);
    struct tjob busy, queued[3], extra;

    (void)state;
    tjob_init(&busy, g);
    assert_int_equal(jobpool_submit(p, &busy.j), 0);
    gate_wait_running(g, 1); /* the thread holds busy: the queue is empty */
    for (int i = 0; i < 3; i++) {
        tjob_init(&queued[i], g);
        assert_int_equal(jobpool_submit(p, &queued[i].j), 0);
    }
    assert_int_equal(jobpool_queued(p), 3);
    tjob_init(&extra, g);
    errno = 0;
    assert_int_equal(jobpool_submit(p, &extra.j), -1);
    assert_int_equal(errno, EAGAIN);
    gate_open(g); /* busy ends; the thread may take queued jobs or stop */
    gate_wait_finished(g, 1);
    jobpool_free(p);
    assert_int_equal(busy.ran, 1);
    for (int i = 0; i < 3; i++) /* each either ran or was skipped, once */
        assert_int_equal(queued[i].done_ran + queued[i].done_skipped, 1);
    assert_int_equal(extra.ran + extra.done_ran + extra.done_skipped, 0);
    gate_free(g);
}

/* What the opener thread of test_free_skips_queued needs. */
struct opener {
    struct jobpool *p;
    struct gate *g;
    struct tjob probes[64];
    int nprobes;
};

/* Submitting fails (with room in the queue) only once the pool stops:
 * then busy may end. Every probe accepted before that stays queued. */
static void *
open_when_stopping(void *arg)
{
    struct opener *o = arg;
    struct timespec ms = {0, 1000 * 1000};

    while (o->nprobes < 64) {
        tjob_init(&o->probes[o->nprobes], o->g);
        if (jobpool_submit(o->p, &o->probes[o->nprobes].j) == -1)
            break;
        o->nprobes++;
        nanosleep(&ms, NULL);
    }
    gate_open(o->g);
    return NULL;
}

/* Freed while the thread is busy: the queued jobs are skipped, not run. */
static void
test_free_skips_queued(void **state)
{
    struct gate *g = gate_new(false);
    struct jobpool *p = jobpool_new(1, 100);
    struct tjob busy, queued;
    struct opener *o = calloc(1, sizeof(*o));
    pthread_t opener;

    (void)state;
    assert_non_null(o);
    o->p = p;
    o->g = g;
    tjob_init(&busy, g);
    tjob_init(&queued, g);
    assert_int_equal(jobpool_submit(p, &busy.j), 0);
    gate_wait_running(g, 1);
    assert_int_equal(jobpool_submit(p, &queued.j), 0);
    assert_int_equal(pthread_create(&opener, NULL, open_when_stopping, o), 0);
    jobpool_free(p);
    pthread_join(opener, NULL);
    assert_true(o->nprobes < 64); /* it saw the stop */
    assert_int_equal(busy.done_ran, 1);
    assert_int_equal(queued.ran, 0);
    assert_int_equal(queued.done_skipped, 1);
    for (int i = 0; i < o->nprobes; i++)
        assert_int_equal(o->probes[i].done_skipped, 1);
    free(o);
    gate_free(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_runs_every_job),
        cmocka_unit_test(test_threads_run_in_parallel),
        cmocka_unit_test(test_bounded_queue_and_stop),
        cmocka_unit_test(test_free_skips_queued),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
