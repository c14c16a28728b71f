/* Unit tests for include/util/num.h: hostile inputs first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/num.h"

struct num_case {
    const char *s;
    size_t len; /* (size_t)-1: strlen(s) */
    uint64_t max;
    int rc;
    uint64_t want;
};

#define ALL ((size_t)-1)

static const struct num_case cases[] = {
    {"", ALL, UINT64_MAX, -1, 0},
    {"-1", ALL, UINT64_MAX, -1, 0},
    {"+1", ALL, UINT64_MAX, -1, 0},
    {" 1", ALL, UINT64_MAX, -1, 0},
    {"1 ", ALL, UINT64_MAX, -1, 0},
    {"1\n", ALL, UINT64_MAX, -1, 0},
    {"0x10", ALL, UINT64_MAX, -1, 0},
    {"1e3", ALL, UINT64_MAX, -1, 0},
    {"1.0", ALL, UINT64_MAX, -1, 0},
    {"1_000", ALL, UINT64_MAX, -1, 0},
    {"\xd9\xa1", ALL, UINT64_MAX, -1, 0}, /* Arabic-Indic one */
    {"12a", ALL, UINT64_MAX, -1, 0},
    {"1\0"
     "2",
     3, UINT64_MAX, -1, 0},
    {"18446744073709551616", ALL, UINT64_MAX, -1, 0}, /* 2^64 */
    {"18446744073709551620", ALL, UINT64_MAX, -1, 0},
    {"99999999999999999999999999", ALL, UINT64_MAX, -1, 0},
    {"65536", ALL, 65535, -1, 0},
    {"70000", ALL, 65535, -1, 0},
    {"655350", ALL, 65535, -1, 0},
    {"10000000000", ALL, 9999999999, -1, 0},
    {"1", ALL, 0, -1, 0},
    {"9", ALL, 8, -1, 0},
    {"12", 0, UINT64_MAX, -1, 0}, /* len 0: nothing to parse */
    {"0", ALL, 0, 0, 0},
    {"0", ALL, UINT64_MAX, 0, 0},
    {"00000000000000000000000000007", ALL, 7, 0, 7}, /* zeros: no overflow */
    {"65535", ALL, 65535, 0, 65535},
    {"8080", ALL, 65535, 0, 8080},
    {"9999999999", ALL, 9999999999, 0, 9999999999},
    {"0000000001", ALL, 9999999999, 0, 1},
    {"18446744073709551615", ALL, UINT64_MAX, 0, UINT64_MAX},
    {"18446744073709551614", ALL, UINT64_MAX - 1, 0, UINT64_MAX - 1},
    {"123xyz", 3, UINT64_MAX, 0, 123}, /* len bounds the parse */
    {"8", ALL, 8, 0, 8},
};

static void
test_num_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct num_case *c = &cases[i];
        size_t len = c->len == ALL ? strlen(c->s) : c->len;
        /* An exact-size heap copy: a read past len is an ASan error. */
        char *copy = malloc(len > 0 ? len : 1);
        uint64_t out = 4242;
        int rc;

        assert_non_null(copy);
        memcpy(copy, c->s, len);
        rc = num_parse_u64(copy, len, c->max, &out);
        free(copy);
        if (rc != c->rc)
            fail_msg("row %zu \"%s\": rc %d, want %d", i, c->s, rc, c->rc);
        if (rc == 0 && out != c->want)
            fail_msg("row %zu \"%s\": %llu", i, c->s, (unsigned long long)out);
        if (rc == -1 && out != 4242)
            fail_msg("row %zu \"%s\": *out written on failure", i, c->s);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
