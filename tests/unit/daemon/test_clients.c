/*
 * Unit tests for include/daemon/clients.h: the per-address cap, IPv4 and
 * IPv4-mapped IPv6 as one client, and the table against a simple model
 * over long random sequences in a small table (long probe runs, deletions
 * inside them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "daemon/clients.h"

static struct sockaddr_storage
v4(uint32_t a)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

    memset(&ss, 0, sizeof(ss));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(a);
    return ss;
}

static struct sockaddr_storage
v6(const char *text)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0, sizeof(ss));
    sin6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
    return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void
test_cap_per_address(void **state)
{
    struct clients *t = clients_new(3, 100);
    struct sockaddr_storage a = v4(0x7f000001), b = v4(0x0a000005);

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < 3; i++)
        assert_true(clients_take(t, SA(a)));
    assert_false(clients_take(t, SA(a))); /* the fourth */
    assert_int_equal(clients_count(t, SA(a)), 3);
    assert_true(clients_take(t, SA(b))); /* another client is not held */
    clients_give(t, SA(a));
    assert_true(clients_take(t, SA(a))); /* room again */
    assert_false(clients_take(t, SA(a)));
    clients_free(t);
}

static void
test_v4_mapped_is_one_client(void **state)
{
    struct clients *t = clients_new(2, 100);
    struct sockaddr_storage a = v4(0xc0000207), m = v6("::ffff:192.0.2.7");
    struct sockaddr_storage other = v6("2001:db8::7");

    (void)state;
    assert_true(clients_take(t, SA(a)));
    assert_true(clients_take(t, SA(m)));
    assert_false(clients_take(t, SA(a)));
    assert_false(clients_take(t, SA(m)));
    assert_true(clients_take(t, SA(other)));
    clients_give(t, SA(m));
    assert_int_equal(clients_count(t, SA(a)), 1);
    clients_free(t);
}

/* Never more than half the slots hold addresses: the next one is refused,
 * and gets in once another has left. */
static void
test_table_full(void **state)
{
    struct clients *t = clients_new(5, 8); /* 16 slots, 8 addresses */
    struct sockaddr_storage ss;

    (void)state;
    for (uint32_t i = 0; i < 8; i++) {
        ss = v4(i + 1);
        assert_true(clients_take(t, SA(ss)));
    }
    ss = v4(100);
    assert_false(clients_take(t, SA(ss)));
    ss = v4(1);
    assert_true(clients_take(t, SA(ss))); /* a known address still counts */
    clients_give(t, SA(ss));
    clients_give(t, SA(ss));
    ss = v4(100);
    assert_true(clients_take(t, SA(ss)));
    clients_free(t);
}

/* Random takes and gives over 12 addresses in a 16-slot table, against a
 * plain array: every count must agree after every step. */
static void
test_against_model(void **state)
{
    enum { ADDRS = 12, STEPS = 200000, MAX = 4 };
    struct clients *t = clients_new(MAX, 8); /* 16 slots */
    unsigned model[ADDRS] = {0}, distinct = 0;
    uint64_t r = 0x9E3779B97F4A7C15ULL;

    (void)state;
    for (int step = 0; step < STEPS; step++) {
        unsigned k;
        struct sockaddr_storage ss;
        bool take;

        r ^= r << 13, r ^= r >> 7, r ^= r << 17; /* xorshift64 */
        k = (unsigned)(r % ADDRS);
        take = (r >> 32) % 3 != 0;
        ss = v4(0x0a000000u + k * 7919u);
        if (take) {
            bool want = model[k] < MAX && (model[k] > 0 || distinct < 8);

            assert_int_equal(clients_take(t, SA(ss)), want);
            if (want && model[k]++ == 0)
                distinct++;
        } else if (model[k] > 0) {
            clients_give(t, SA(ss));
            if (--model[k] == 0)
                distinct--;
        }
        for (unsigned j = 0; j < ADDRS; j++) {
            struct sockaddr_storage q = v4(0x0a000000u + j * 7919u);

            if (clients_count(t, SA(q)) != model[j])
                fail_msg("step %d: address %u counts %u, want %u", step, j,
                         clients_count(t, SA(q)), model[j]);
        }
    }
    clients_free(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_per_address),
        cmocka_unit_test(test_v4_mapped_is_one_client),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_against_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
