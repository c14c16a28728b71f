/*
 * include/store/dircache.h on a real directory tree in /tmp: case-blind
 * resolution, changes of a small directory seen on the very next lookup,
 * and a large directory (read again by the refresher thread) seen soon
 * after a change while lookups go on with its previous listing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/dircache.h"

static char root[] = "/tmp/symsrvd-test-dircache.XXXXXX";
static int root_fd = -1;

static int
setup(void **state)
{
    (void)state;
    if (mkdtemp(root) == NULL)
        return -1;
    root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return root_fd == -1 ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    close(root_fd);
    if (snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root) >= (int)sizeof(cmd))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

static void
make_dir(const char *rel)
{
    char path[PATH_MAX];

    assert_true(snprintf(path, sizeof(path), "%s/%s", root, rel) <
                (int)sizeof(path));
    assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A small directory: a new entry resolves on the next lookup. */
static void
test_small_dir_change_seen_at_once(void **state)
{
    struct dircache *dc = dircache_new(root_fd, 64, 64);
    char out[PATH_MAX];

    (void)state;
    assert_non_null(dc);
    make_dir("Small");
    make_dir("Small/Alpha.PDB");
    assert_int_equal(
        dircache_resolve(dc, "small/alpha.pdb", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "Small/Alpha.PDB");
    errno = 0;
    assert_int_equal(
        dircache_resolve(dc, "small/beta.pdb", out, sizeof(out), NULL), -1);
    assert_int_equal(errno, ENOENT);
    make_dir("Small/BETA.pdb");
    assert_int_equal(
        dircache_resolve(dc, "SMALL/beta.PDB", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "Small/BETA.pdb");
    dircache_free(dc);
}

/* A large directory: after a change, lookups keep answering (from the old
 * listing) and the new entry resolves within a bounded time. */
static void
test_large_dir_refreshed_in_background(void **state)
{
    struct dircache *dc = dircache_new(root_fd, 64, 64);
    char out[PATH_MAX], rel[64];
    long long deadline;
    int rc = -1;

    (void)state;
    assert_non_null(dc);
    make_dir("Big");
    for (int i = 0; i < 5000; i++) {
        snprintf(rel, sizeof(rel), "Big/m%d.pdb", i);
        make_dir(rel);
    }
    assert_int_equal(
        dircache_resolve(dc, "big/M42.PDB", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "Big/m42.pdb");
    make_dir("Big/Late.pdb");
    /* Old entries still resolve at once, whatever the refresher does. */
    assert_int_equal(
        dircache_resolve(dc, "big/m4999.pdb", out, sizeof(out), NULL), 0);
    for (deadline = now_ms() + 5000; rc != 0 && now_ms() < deadline;) {
        rc = dircache_resolve(dc, "BIG/late.PDB", out, sizeof(out), NULL);
        if (rc != 0)
            nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    }
    if (rc != 0)
        fail_msg("Big/Late.pdb not resolved within 5 s of its creation");
    assert_string_equal(out, "Big/Late.pdb");
    dircache_free(dc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_dir_change_seen_at_once),
        cmocka_unit_test(test_large_dir_refreshed_in_background),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
