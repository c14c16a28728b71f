/* Unit tests for include/daemon/guard.h: lock-outs and the check cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/guard.h"

static struct acl_addr
addr(const char *text)
{
    struct acl_addr a;

    assert_int_equal(acl_addr_parse(text, strlen(text), &a), 0);
    return a;
}

static void
test_lockout(void **state)
{
    struct guard_limits l = {3, 60, 300};
    struct guard *g = guard_new(&l);
    struct acl_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
    unsigned retry = 0;

    (void)state;
    assert_non_null(g);
    assert_false(guard_locked(g, &a, 1000, &retry));
    assert_false(guard_fail(g, &a, 1000));
    assert_false(guard_fail(g, &a, 1001));
    assert_true(guard_fail(g, &a, 1002)); /* the third locks */
    assert_true(guard_locked(g, &a, 1002, &retry));
    assert_int_equal(retry, 300);
    assert_true(guard_locked(g, &a, 1301, &retry));
    assert_int_equal(retry, 1);
    assert_false(guard_locked(g, &a, 1302, &retry)); /* over */
    assert_false(guard_locked(g, &b, 1002, &retry)); /* others unaffected */
    guard_free(g);
}

/* Failures spread wider than the window never lock. */
static void
test_window(void **state)
{
    struct guard_limits l = {3, 60, 300};
    struct guard *g = guard_new(&l);
    struct acl_addr a = addr("192.0.2.1");
    unsigned retry;

    (void)state;
    assert_false(guard_fail(g, &a, 0 + 100));
    assert_false(guard_fail(g, &a, 50 + 100));
    assert_false(guard_fail(g, &a, 161 + 100)); /* a new window */
    assert_false(guard_fail(g, &a, 170 + 100));
    assert_false(guard_locked(g, &a, 170 + 100, &retry));
    assert_true(guard_fail(g, &a, 180 + 100));
    guard_free(g);
}

/* IPv6 clients are counted per /64; max_failures 0 turns it off. */
static void
test_v6_prefix_and_off(void **state)
{
    struct guard_limits l = {2, 60, 10}, off = {0, 60, 10};
    struct guard *g = guard_new(&l);
    struct acl_addr a = addr("2001:db8:1:2::1"), b = addr("2001:db8:1:2::2");
    struct acl_addr c = addr("2001:db8:1:3::1");
    unsigned retry;

    (void)state;
    assert_false(guard_fail(g, &a, 100));
    assert_true(guard_fail(g, &b, 100));
    assert_true(guard_locked(g, &a, 100, &retry));
    assert_false(guard_locked(g, &c, 100, &retry));
    guard_free(g);
    g = guard_new(&off);
    for (int i = 0; i < 100; i++)
        assert_false(guard_fail(g, &a, 100));
    assert_false(guard_locked(g, &a, 100, &retry));
    guard_free(g);
}

/* Many addresses: memory stays fixed, and a fresh failure still counts. */
static void
test_flood(void **state)
{
    struct guard_limits l = {2, 60, 300};
    struct guard *g = guard_new(&l);
    struct acl_addr a = addr("198.51.100.1");
    unsigned retry;

    (void)state;
    for (uint32_t i = 0; i < 3 * GUARD_CLIENTS; i++) {
        struct acl_addr x = addr("10.0.0.0");

        memcpy(x.b + 13, &i, 3);
        guard_fail(g, &x, 100);
    }
    assert_false(guard_fail(g, &a, 101));
    assert_true(guard_fail(g, &a, 101));
    assert_true(guard_locked(g, &a, 101, &retry));
    guard_free(g);
}

static void
test_cache(void **state)
{
    struct guard_limits l = {3, 60, 300};
    struct guard *g = guard_new(&l);
    uint8_t d1[32], d2[32];
    char user[GUARD_USER_MAX + 1];
    char long_name[GUARD_USER_MAX + 2];

    (void)state;
    memset(d1, 1, sizeof(d1));
    memset(d2, 1, sizeof(d2));
    d2[31] = 2; /* same slot, other digest */
    assert_false(guard_cache_find(g, d1, user));
    guard_cache_put(g, d1, "alice");
    assert_true(guard_cache_find(g, d1, user));
    assert_string_equal(user, "alice");
    assert_false(guard_cache_find(g, d2, user));
    guard_cache_put(g, d2, "bob"); /* evicts d1 */
    assert_false(guard_cache_find(g, d1, user));
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    guard_cache_put(g, d1, long_name); /* too long: not kept */
    assert_false(guard_cache_find(g, d1, user));
    guard_free(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_v6_prefix_and_off),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_cache),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
