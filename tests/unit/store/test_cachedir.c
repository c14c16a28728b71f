/*
 * include/store/cachedir.h on a real directory in /tmp: the scan at
 * start, least recently used out first, hostile bounds (zero, a single
 * file over the bound), planted symlinks never followed, concurrent adds,
 * and the cost of a hit (printed, not asserted: timing is not a test).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/cachedir.h"

static char root[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/symsrvd-test-cachedir.XXXXXX");
    return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes size bytes to root/rel (directories made), mtime secs ago;
 * returns its inode. */
static uint64_t
put(const char *rel, size_t size, int age)
{
    char path[PATH_MAX + 128], *slash;
    struct stat st;
    struct timespec t[2];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (slash = strchr(path + strlen(root) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
        *slash = '/';
    }
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < size; i++)
        fputc('x', fp);
    assert_int_equal(fclose(fp), 0);
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_ino;
}

static bool
exists(const char *rel)
{
    char path[PATH_MAX + 128];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    return lstat(path, &st) == 0;
}

/* The scan takes what is there, oldest mtime least recently used; lock
 * files and temporaries are not cached files. */
static void
test_scan_learns_oldest_first(void **state)
{
    char err[256];
    struct cachedir *c;

    (void)state;
    put("a.pdb/K1/a.pd_", 100, 30);
    put("b.pdb/K1/b.pd_", 100, 20);
    put("c.pdb/K1/c.pd_", 100, 10);
    put("c.pdb/K1/c.pd_.lock", 0, 40);
    put("c.pdb/K1/c.pd_.tmp1234", 5000, 40);
    c = cachedir_new(root, 300, 100, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(cachedir_files(c), 3);
    assert_int_equal(cachedir_bytes(c), 300);
    /* One more file: the oldest (a) goes, then b, never c. */
    assert_true(
        cachedir_add(c, "d.pdb/K1/d.pd_", put("d.pdb/K1/d.pd_", 100, 0), 100));
    assert_false(exists("a.pdb/K1/a.pd_"));
    assert_true(exists("b.pdb/K1/b.pd_"));
    assert_true(exists("c.pdb/K1/c.pd_.tmp1234")); /* not ours to count */
    assert_int_equal(cachedir_bytes(c), 300);
    assert_int_equal(cachedir_evicted(c), 1);
    cachedir_free(c);
}

/* A hit makes a file the most recently used: the other one goes. */
static void
test_touch_reorders(void **state)
{
    char err[256];
    struct cachedir *c = cachedir_new(root, 250, 100, err, sizeof(err));
    uint64_t x, y;

    (void)state;
    assert_non_null(c);
    x = put("x", 100, 0);
    y = put("y", 100, 0);
    assert_true(cachedir_add(c, "x", x, 100));
    assert_true(cachedir_add(c, "y", y, 100));
    cachedir_touch(c, x);         /* x is now newer than y */
    cachedir_touch(c, 999999999); /* unknown: ignored */
    assert_true(cachedir_add(c, "z", put("z", 100, 0), 100));
    assert_true(exists("x"));
    assert_false(exists("y"));
    assert_true(exists("z"));
    assert_int_equal(cachedir_files(c), 2);
    cachedir_free(c);
}

/* Bound 0 keeps one file at a time; a file over the bound is kept alone
 * (a lookup must find it once) and goes with the next add; the file-count
 * bound evicts too. */
static void
test_hostile_bounds(void **state)
{
    char err[256];
    struct cachedir *c = cachedir_new(root, 0, 100, err, sizeof(err));

    (void)state;
    assert_non_null(c);
    assert_false(cachedir_add(c, "zero", put("zero", 1, 0), 1));
    assert_true(exists("zero"));
    assert_false(cachedir_add(c, "zero2", put("zero2", 1, 0), 1));
    assert_false(exists("zero"));
    assert_true(exists("zero2"));
    assert_int_equal(cachedir_files(c), 1);
    cachedir_free(c);

    c = cachedir_new(root, 150, 100, err, sizeof(err)); /* scans zero2 */
    assert_non_null(c);
    assert_true(cachedir_add(c, "small", put("small", 100, 0), 100));
    assert_true(exists("zero2")); /* 101 bytes fit */
    assert_false(cachedir_add(c, "big", put("big", 151, 0), 151));
    assert_true(exists("big"));
    assert_false(exists("small"));
    assert_false(exists("zero2"));
    assert_int_equal(cachedir_bytes(c), 151);
    assert_true(cachedir_add(c, "small", put("small", 100, 0), 100));
    assert_false(exists("big"));
    assert_int_equal(cachedir_bytes(c), 100);
    cachedir_free(c); /* small is learned again by the next scan */

    c = cachedir_new(root, 1000000, 2, err, sizeof(err));
    assert_non_null(c);
    assert_true(cachedir_add(c, "f1", put("f1", 1, 0), 1));
    assert_true(cachedir_add(c, "f2", put("f2", 1, 0), 1));
    assert_false(exists("small")); /* the oldest of three */
    assert_int_equal(cachedir_files(c), 2);
    cachedir_free(c);
}

/* An entry whose path now leads through a symlink (planted after it was
 * recorded) is forgotten without following the link: the file outside
 * stays. The same name added again replaces its old entry. */
static void
test_symlink_not_followed(void **state)
{
    char err[256], outside[128], link[PATH_MAX], cmd[512];
    struct cachedir *c = cachedir_new(root, 150, 100, err, sizeof(err));
    uint64_t ino;

    (void)state;
    assert_non_null(c);
    ino = put("d/victim", 100, 0);
    assert_true(cachedir_add(c, "d/victim", ino, 100));
    /* Move d away and plant a symlink to a copy holding the same inode. */
    snprintf(outside, sizeof(outside), "%s-outside", root);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mv '%s/d' '%s'", outside, root,
             outside);
    assert_int_equal(system(cmd), 0);
    snprintf(link, sizeof(link), "%s/d", root);
    assert_int_equal(symlink(outside, link), 0);
    assert_true(cachedir_add(c, "n", put("n", 100, 0), 100));
    snprintf(link, sizeof(link), "%s/victim", outside);
    assert_int_equal(access(link, F_OK), 0); /* not removed */
    assert_int_equal(cachedir_files(c), 1);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
    assert_int_equal(system(cmd), 0);
    /* A re-expanded name: the older entry is forgotten, not counted. */
    assert_true(cachedir_add(c, "n", put("n", 100, 0), 100));
    assert_int_equal(cachedir_files(c), 1);
    assert_int_equal(cachedir_bytes(c), 100);
    cachedir_free(c);
}

struct adder {
    struct cachedir *c;
    int id;
};

#define ADDERS 4
#define ADDS 200

static void *
add_many(void *arg)
{
    struct adder *a = arg;
    char rel[64];

    for (int i = 0; i < ADDS; i++) {
        snprintf(rel, sizeof(rel), "t%d/f%d", a->id, i);
        cachedir_add(a->c, rel, put(rel, 10, 0), 10);
        cachedir_touch(a->c, (uint64_t)i);
    }
    return NULL;
}

/* Threads adding at once: the bound holds, and what is recorded is what
 * is on disk. */
static void
test_concurrent_adds(void **state)
{
    char err[256];
    struct cachedir *c = cachedir_new(root, 500, 1000, err, sizeof(err));
    struct adder a[ADDERS];
    pthread_t t[ADDERS];
    unsigned on_disk = 0;

    (void)state;
    assert_non_null(c);
    for (int i = 0; i < ADDERS; i++) {
        a[i] = (struct adder){c, i};
        assert_int_equal(pthread_create(&t[i], NULL, add_many, &a[i]), 0);
    }
    for (int i = 0; i < ADDERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(cachedir_bytes(c), 500);
    assert_int_equal(cachedir_files(c), 50);
    assert_int_equal(cachedir_evicted(c), ADDERS * ADDS - 50);
    for (int i = 0; i < ADDERS; i++)
        for (int j = 0; j < ADDS; j++) {
            char rel[64];

            snprintf(rel, sizeof(rel), "t%d/f%d", i, j);
            on_disk += exists(rel);
        }
    assert_int_equal(on_disk, 50);
    cachedir_free(c);
}

/* The hot path's cost: printed for docs/store.md. */
static void
test_touch_cost(void **state)
{
    char err[256];
    struct cachedir *c = cachedir_new(root, 1 << 20, 4096, err, sizeof(err));
    uint64_t ino = put("hot", 1, 0);
    struct timespec t0, t1;
    const long n = 10 * 1000 * 1000;

    (void)state;
    assert_non_null(c);
    assert_true(cachedir_add(c, "hot", ino, 1));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++)
        cachedir_touch(c, ino);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("cachedir_touch: %.1f ns per hit\n",
           ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
            (double)(t1.tv_nsec - t0.tv_nsec)) /
               (double)n);
    cachedir_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_learns_oldest_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_touch_reorders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_adds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_cost, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
