/* Unit tests for include/remote/metacache.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/metacache.h"

static void
test_bad_sizes(void **state)
{
    (void)state;
    assert_null(metacache_new(0, 1000, 1000));
    assert_null(metacache_new(SIZE_MAX, 1000, 1000));
}

/* Positive and negative entries, each with its own TTL. */
static void
test_ttls(void **state)
{
    struct metacache *mc = metacache_new(8, 60000, 5000);
    uint64_t size = 0;

    (void)state;
    assert_int_equal(metacache_get(mc, "a.pdb/K/a.pdb", 0, &size),
                     METACACHE_UNKNOWN);
    assert_int_equal(metacache_put(mc, "a.pdb/K/a.pdb", 1000, 1, 4242), 0);
    assert_int_equal(metacache_put(mc, "b.pdb/K/b.pdb", 1000, 0, 99), 0);
    assert_int_equal(metacache_get(mc, "a.pdb/K/a.pdb", 1000, &size),
                     METACACHE_PRESENT);
    assert_int_equal(size, 4242);
    assert_int_equal(metacache_get(mc, "b.pdb/K/b.pdb", 5999, &size),
                     METACACHE_ABSENT);
    /* The negative TTL ends first; at its very millisecond. */
    assert_int_equal(metacache_get(mc, "b.pdb/K/b.pdb", 6000, &size),
                     METACACHE_UNKNOWN);
    assert_int_equal(metacache_get(mc, "a.pdb/K/a.pdb", 60999, &size),
                     METACACHE_PRESENT);
    assert_int_equal(metacache_get(mc, "a.pdb/K/a.pdb", 61000, &size),
                     METACACHE_UNKNOWN);
    assert_int_equal(metacache_count(mc), 0); /* expired ones went */
    /* Exact keys: another case is another key. */
    assert_int_equal(metacache_put(mc, "c", 0, 1, 1), 0);
    assert_int_equal(metacache_get(mc, "C", 0, &size), METACACHE_UNKNOWN);
    /* A TTL past the end of time does not wrap to "expired". */
    assert_int_equal(metacache_put(mc, "d", UINT64_MAX - 10, 1, 1), 0);
    assert_int_equal(metacache_get(mc, "d", UINT64_MAX - 1, NULL),
                     METACACHE_PRESENT);
    metacache_free(mc);
}

/* A put replaces; a forget drops; a full cache drops its oldest entry. */
static void
test_bound(void **state)
{
    struct metacache *mc = metacache_new(3, 1000, 1000);
    uint64_t size = 0;

    (void)state;
    metacache_put(mc, "k1", 0, 1, 1);
    metacache_put(mc, "k2", 0, 1, 2);
    metacache_put(mc, "k3", 0, 0, 0);
    metacache_put(mc, "k1", 0, 0, 0); /* k1 now newest, and absent */
    assert_int_equal(metacache_count(mc), 3);
    assert_int_equal(metacache_get(mc, "k1", 1, &size), METACACHE_ABSENT);
    metacache_put(mc, "k4", 0, 1, 4); /* drops k2, the oldest */
    assert_int_equal(metacache_count(mc), 3);
    assert_int_equal(metacache_get(mc, "k2", 1, &size), METACACHE_UNKNOWN);
    assert_int_equal(metacache_get(mc, "k3", 1, &size), METACACHE_ABSENT);
    assert_int_equal(metacache_get(mc, "k4", 1, &size), METACACHE_PRESENT);
    assert_int_equal(size, 4);
    metacache_forget(mc, "k3");
    metacache_forget(mc, "nothing");
    assert_int_equal(metacache_count(mc), 2);
    assert_int_equal(metacache_get(mc, "k3", 1, &size), METACACHE_UNKNOWN);
    metacache_free(mc);
}

/* A storm of distinct misses stays within the bound, and the newest are
 * the ones kept. */
static void
test_storm(void **state)
{
    enum { MAX = 1000, N = 100000 };
    struct metacache *mc = metacache_new(MAX, 1000, 1000);
    char key[32];

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "miss%d.pdb/K/miss%d.pdb", i, i);
        assert_int_equal(metacache_put(mc, key, 0, 0, 0), 0);
        assert_true(metacache_count(mc) <= MAX);
    }
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "miss%d.pdb/K/miss%d.pdb", i, i);
        assert_int_equal(metacache_get(mc, key, 1, NULL),
                         i >= N - MAX ? METACACHE_ABSENT : METACACHE_UNKNOWN);
    }
    metacache_free(mc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_ttls),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_storm),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
