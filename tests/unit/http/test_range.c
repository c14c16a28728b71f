/* Unit tests for include/range.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/range.h"

#include "../common/unit.h"

/* A string literal and its length, so that headers may hold a raw NUL. */
#define T(s) s, sizeof(s) - 1

#define MAX RANGE_MAX
#define U64MAX UINT64_MAX
/* UINT64_MAX and UINT64_MAX + 1 in decimal. */
#define U64MAX_S "18446744073709551615"
#define U64OVER_S "18446744073709551616"
#define HUGE_S "99999999999999999999"

/* The most ranges a table row expects. */
#define WANT_MAX 4
#define CANARY 0xA5A5A5A5A5A5A5A5ULL

struct range_case {
    const char *name;
    const char *hdr;
    size_t len;
    uint64_t size;
    size_t max;
    enum range_rc rc;
    size_t n;
    struct range_spec want[WANT_MAX];
};

static const struct range_case cases[] = {
    /* Not a Range header at all. */
    {"empty", T(""), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"unit only", T("bytes"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"no range-spec", T("bytes="), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"only a comma", T("bytes=,"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"only empty elements",
     T("bytes= , ,\t"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"space for =", T("bytes 0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"space before =", T("bytes =0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"no unit", T("=0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"double =", T("bytes==0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"other unit", T("items=0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"unit prefix", T("byte=0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"unit longer", T("bytesx=0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"unit with NUL", T("byt\0s=0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    /* Broken range-specs. */
    {"space inside", T("bytes=0 -1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"space after dash", T("bytes=0- 1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"space in suffix", T("bytes=- 1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"double dash", T("bytes=--1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"dash only", T("bytes=-"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"no dash", T("bytes=1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"two dashes", T("bytes=0-1-2"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"dash dash last", T("bytes=0--1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"suffix then dash", T("bytes=-1-"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"plus first", T("bytes=+1-2"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"plus last", T("bytes=1-+2"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"plus suffix", T("bytes=-+2"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"hex", T("bytes=0x10-20"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"exponent", T("bytes=1e3-"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"letters", T("bytes=a-b"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"Arabic-Indic digit",
     T("bytes=0-\xd9\xa1"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"missing comma", T("bytes=0-1 5-6"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"semicolon", T("bytes=0-1;5-6"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"garbage after a good one",
     T("bytes=0-1,x"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"garbage after an unsatisfiable one",
     T("bytes=0-1,5000-,abc"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"trailing NUL", T("bytes=0-1\0"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"NUL inside", T("bytes=0\0-1"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"CRLF is not OWS", T("bytes=0-1\r\n"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"vertical tab is not OWS",
     T("bytes=\v0-1"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"5-1: last before first",
     T("bytes=5-1"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"1000-999: invalid before unsatisfiable",
     T("bytes=1000-999"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"invalid after a good one",
     T("bytes=0-1,5-1"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"huge last before huger first",
     T("bytes=9" HUGE_S "-" HUGE_S),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"huge first, small last",
     T("bytes=" HUGE_S "-5"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"huge, one less",
     T("bytes=99999999999999999999-99999999999999999998"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"huge with zeros, one less",
     T("bytes=099999999999999999999-0099999999999999999998"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"UINT64_MAX, one less",
     T("bytes=" U64MAX_S "-18446744073709551614"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"UINT64_MAX + 1 before UINT64_MAX",
     T("bytes=" U64OVER_S "-" U64MAX_S),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    /* A zero-length representation has no ranges. */
    {"zero size, 0-0", T("bytes=0-0"), 0, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"zero size, 0-", T("bytes=0-"), 0, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"zero size, -1", T("bytes=-1"), 0, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"zero size, -0", T("bytes=-0"), 0, MAX, RANGE_NONE, 0, {{0, 0}}},
    /* Overlaps, after clamping; adjacent is fine (below). */
    {"overlap 0-10,5-15",
     T("bytes=0-10,5-15"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"overlap, suffix first",
     T("bytes=-600,0-499"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"whole plus one byte",
     T("bytes=0-999,0-0"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"same range twice",
     T("bytes=0-1,0-1"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"share one byte", T("bytes=5-9,0-5"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"open and open", T("bytes=0-,999-"), 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"suffix and last byte",
     T("bytes=-1,999-999"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"overlap by clamping",
     T("bytes=0-5000,999-"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"overlap after an unsatisfiable one",
     T("bytes=2000-,0-5,3-4"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"third overlaps first",
     T("bytes=0-9,20-29,5-6"),
     1000,
     MAX,
     RANGE_NONE,
     0,
     {{0, 0}}},
    /* More range-specs than max, satisfiable or not. */
    {"max 0", T("bytes=0-1"), 1000, 0, RANGE_NONE, 0, {{0, 0}}},
    {"max 1, two", T("bytes=0-1,2-3"), 1000, 1, RANGE_NONE, 0, {{0, 0}}},
    {"max 1, one unsatisfiable first",
     T("bytes=5000-,0-1"),
     1000,
     1,
     RANGE_NONE,
     0,
     {{0, 0}}},
    {"max 2, three", T("bytes=0-1,2-3,4-5"), 1000, 2, RANGE_NONE, 0, {{0, 0}}},
    /* Valid, none satisfiable: 416. */
    {"first at size",
     T("bytes=1000-"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"a-b at size",
     T("bytes=1000-1000"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"a-b past size",
     T("bytes=1000-2000"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"empty suffix",
     T("bytes=-0"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"empty suffix, zeros",
     T("bytes=-0000"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"two unsatisfiable",
     T("bytes=-0,1000-"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"huge first",
     T("bytes=" HUGE_S "-"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"huge first, huger last",
     T("bytes=" HUGE_S "-9" HUGE_S),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"huge, one more",
     T("bytes=99999999999999999998-99999999999999999999"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"huge with zeros, one more",
     T("bytes=099999999999999999998-0099999999999999999999"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"huge with zeros, equal",
     T("bytes=000" HUGE_S "-0" HUGE_S),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"UINT64_MAX first",
     T("bytes=" U64MAX_S "-"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"UINT64_MAX first, size UINT64_MAX",
     T("bytes=" U64MAX_S "-"),
     U64MAX,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"UINT64_MAX + 1 first",
     T("bytes=" U64OVER_S "-"),
     1000,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"one-byte file, second byte",
     T("bytes=1-1"),
     1,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"one-byte file, 1-",
     T("bytes=1-"),
     1,
     MAX,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    {"max 1, one unsatisfiable",
     T("bytes=5000-"),
     1000,
     1,
     RANGE_UNSATISFIABLE,
     0,
     {{0, 0}}},
    /* The three forms. */
    {"first 500", T("bytes=0-499"), 1000, MAX, RANGE_OK, 1, {{0, 499}}},
    {"from 500", T("bytes=500-"), 1000, MAX, RANGE_OK, 1, {{500, 999}}},
    {"last 500", T("bytes=-500"), 1000, MAX, RANGE_OK, 1, {{500, 999}}},
    {"whole, a-", T("bytes=0-"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"whole, a-b", T("bytes=0-999"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"last byte, a-", T("bytes=999-"), 1000, MAX, RANGE_OK, 1, {{999, 999}}},
    {"last byte, a-b",
     T("bytes=999-999"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{999, 999}}},
    {"last byte, suffix", T("bytes=-1"), 1000, MAX, RANGE_OK, 1, {{999, 999}}},
    {"one-byte file, 0-0", T("bytes=0-0"), 1, MAX, RANGE_OK, 1, {{0, 0}}},
    {"one-byte file, -1", T("bytes=-1"), 1, MAX, RANGE_OK, 1, {{0, 0}}},
    {"one-byte file, -5", T("bytes=-5"), 1, MAX, RANGE_OK, 1, {{0, 0}}},
    {"leading zeros",
     T("bytes=00000000000000000000000005-"
       "0000000000000000000000009"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{5, 9}}},
    {"suffix with leading zeros",
     T("bytes=-000000000000000000000000001"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{999, 999}}},
    /* The unit is case-blind. */
    {"BYTES", T("BYTES=0-0"), 1000, MAX, RANGE_OK, 1, {{0, 0}}},
    {"Bytes", T("Bytes=0-1"), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"bYtEs", T("bYtEs=2-3"), 1000, MAX, RANGE_OK, 1, {{2, 3}}},
    /* Clamping. */
    {"last past size", T("bytes=0-99999"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"last at size", T("bytes=0-1000"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"suffix of size", T("bytes=-1000"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"suffix past size", T("bytes=-1001"), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"huge last", T("bytes=0-" HUGE_S), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"huge suffix", T("bytes=-" HUGE_S), 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"UINT64_MAX last",
     T("bytes=0-" U64MAX_S),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 999}}},
    {"UINT64_MAX + 1 last",
     T("bytes=10-" U64OVER_S),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{10, 999}}},
    {"UINT64_MAX suffix",
     T("bytes=-" U64MAX_S),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 999}}},
    {"size UINT64_MAX, 0-",
     T("bytes=0-"),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{0, U64MAX - 1}}},
    {"size UINT64_MAX, last byte",
     T("bytes=18446744073709551614-"),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{U64MAX - 1, U64MAX - 1}}},
    {"size UINT64_MAX, last byte to UINT64_MAX",
     T("bytes=18446744073709551614-" U64MAX_S),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{U64MAX - 1, U64MAX - 1}}},
    {"size UINT64_MAX, suffix UINT64_MAX",
     T("bytes=-" U64MAX_S),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{0, U64MAX - 1}}},
    {"size UINT64_MAX, suffix 1",
     T("bytes=-1"),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{U64MAX - 1, U64MAX - 1}}},
    {"size UINT64_MAX, 0-UINT64_MAX",
     T("bytes=0-" U64MAX_S),
     U64MAX,
     MAX,
     RANGE_OK,
     1,
     {{0, U64MAX - 1}}},
    /* Lists: OWS, empty elements, order, unsatisfiable ones dropped. */
    {"empty element skipped",
     T("bytes=0-1,,2-3"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{0, 1}, {2, 3}}},
    {"OWS around comma",
     T("bytes=0-1 , 5-6"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{0, 1}, {5, 6}}},
    {"tabs around comma",
     T("bytes=0-1\t,\t2-3"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{0, 1}, {2, 3}}},
    {"leading comma", T("bytes=,0-1"), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"trailing comma", T("bytes=0-1,"), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"OWS after =", T("bytes= 0-1"), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"trailing OWS", T("bytes=0-1 "), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"leading space", T(" bytes=0-1"), 1000, MAX, RANGE_OK, 1, {{0, 1}}},
    {"tabs around the value",
     T("\tbytes=0-1\t"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"adjacent",
     T("bytes=0-9,10-19"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{0, 9}, {10, 19}}},
    {"request order kept",
     T("bytes=500-599,0-99"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{500, 599}, {0, 99}}},
    {"unsatisfiable dropped",
     T("bytes=0-1,5000-"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"unsatisfiable first dropped",
     T("bytes=5000-,0-1"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"empty suffix dropped",
     T("bytes=-0,0-1"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"first and last byte",
     T("bytes=0-0,-1"),
     1000,
     MAX,
     RANGE_OK,
     2,
     {{0, 0}, {999, 999}}},
    {"clamped, then unsatisfiable",
     T("bytes=0-5000,1000-"),
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 999}}},
    {"four",
     T("bytes=0-1,3-4,6-7,9-10"),
     1000,
     MAX,
     RANGE_OK,
     4,
     {{0, 1}, {3, 4}, {6, 7}, {9, 10}}},
    {"four in reverse",
     T("bytes=-1,500-998,100-199,0-0"),
     1000,
     MAX,
     RANGE_OK,
     4,
     {{999, 999}, {500, 998}, {100, 199}, {0, 0}}},
    /* max. */
    {"max 1, one", T("bytes=0-1"), 1000, 1, RANGE_OK, 1, {{0, 1}}},
    {"max 1, empty elements not counted",
     T("bytes=,0-1,"),
     1000,
     1,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"max 2, two", T("bytes=0-1,2-3"), 1000, 2, RANGE_OK, 2, {{0, 1}, {2, 3}}},
    /* Only hdr[0..len) is read. */
    {"len cuts the last", "bytes=0-10", 8, 1000, MAX, RANGE_OK, 1, {{0, 999}}},
    {"len cuts the garbage",
     "bytes=0-1,garbage",
     9,
     1000,
     MAX,
     RANGE_OK,
     1,
     {{0, 1}}},
    {"len cuts the unit", "bytes=0-1", 5, 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"len cuts after =", "bytes=0-1", 6, 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"len cuts to the dash", "bytes=-5", 7, 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
    {"len 0", "bytes=0-1", 0, 1000, MAX, RANGE_NONE, 0, {{0, 0}}},
};

static const char *
rc_name(enum range_rc rc)
{
    switch (rc) {
    case RANGE_NONE:
        return "NONE";
    case RANGE_OK:
        return "OK";
    case RANGE_UNSATISFIABLE:
        return "UNSATISFIABLE";
    }
    return "?";
}

/* hdr copied to a buffer of exactly len bytes, so ASan sees overreads. */
static enum range_rc
parse_exact(const char *hdr, size_t len, uint64_t size, struct range_spec *out,
            size_t max, size_t *n)
{
    char *copy = malloc(len > 0 ? len : 1);
    enum range_rc rc;

    assert_non_null(copy);
    memcpy(copy, hdr, len);
    rc = range_parse(copy, len, size, out, max, n);
    free(copy);
    return rc;
}

/* out[max] and on must be left alone. */
static bool
canary_intact(const struct range_spec *out, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (out[i].first != CANARY || out[i].last != CANARY)
            return false;
    return true;
}

static unsigned
check_case(const struct range_case *c)
{
    struct range_spec out[RANGE_MAX + 1];
    size_t n = 12345;
    enum range_rc rc;

    for (size_t i = 0; i < RANGE_MAX + 1; i++)
        out[i].first = out[i].last = CANARY;
    rc = parse_exact(c->hdr, c->len, c->size, out, c->max, &n);
    if (rc != c->rc || n != c->n) {
        print_error("%s: %s n=%zu, want %s n=%zu\n", c->name, rc_name(rc), n,
                    rc_name(c->rc), c->n);
        return 1;
    }
    if (!canary_intact(out, c->max, RANGE_MAX + 1)) {
        print_error("%s: wrote past out[%zu]\n", c->name, c->max);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (out[i].first != c->want[i].first ||
            out[i].last != c->want[i].last) {
            print_error("%s: out[%zu] %llu-%llu, want %llu-%llu\n", c->name, i,
                        (unsigned long long)out[i].first,
                        (unsigned long long)out[i].last,
                        (unsigned long long)c->want[i].first,
                        (unsigned long long)c->want[i].last);
            return 1;
        }
    }
    return 0;
}

static void
test_parse_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        failures += check_case(&cases[i]);
    print_message("%zu range_parse cases\n", sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(failures, 0);
}

/* "bytes=" then count elements "2i-2i" (or elem when not NULL), then tail. */
static char *
many_ranges(size_t count, const char *elem, const char *tail)
{
    size_t cap = 16 + count * 32 + strlen(tail), len = 0;
    char *s = malloc(cap);

    assert_non_null(s);
    unit_appendf(s, cap, &len, "bytes=");
    for (size_t i = 0; i < count; i++) {
        if (elem != NULL)
            unit_appendf(s, cap, &len, "%s%s", i > 0 ? "," : "", elem);
        else
            unit_appendf(s, cap, &len, "%s%zu-%zu", i > 0 ? "," : "", 2 * i,
                         2 * i);
    }
    unit_appendf(s, cap, &len, "%s", tail);
    return s;
}

struct many_case {
    const char *name;
    size_t count;
    const char *elem; /* NULL: "2i-2i" */
    const char *tail;
    size_t max;
    enum range_rc rc;
    size_t n; /* out[i] is 2i-2i when elem is NULL */
};

static const struct many_case many_cases[] = {
    {"1000 ranges", 1000, NULL, "", RANGE_MAX, RANGE_NONE, 0},
    {"1000 unsatisfiable ranges", 1000, "5000000-", "", RANGE_MAX, RANGE_NONE,
     0},
    {"1000 empty suffixes", 1000, "-0", "", RANGE_MAX, RANGE_NONE, 0},
    {"RANGE_MAX + 1", RANGE_MAX + 1, NULL, "", RANGE_MAX, RANGE_NONE, 0},
    {"RANGE_MAX + 1, max past RANGE_MAX", RANGE_MAX + 1, NULL, "", 1000,
     RANGE_NONE, 0},
    {"max + 1 with max 10", 11, NULL, "", 10, RANGE_NONE, 0},
    {"RANGE_MAX", RANGE_MAX, NULL, "", RANGE_MAX, RANGE_OK, RANGE_MAX},
    {"RANGE_MAX, max past RANGE_MAX", RANGE_MAX, NULL, "", 2 * RANGE_MAX,
     RANGE_OK, RANGE_MAX},
    {"max 10 with max 10", 10, NULL, "", 10, RANGE_OK, 10},
    {"RANGE_MAX and 1000 empty elements", RANGE_MAX, NULL,
     ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
     ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
     ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
     RANGE_MAX, RANGE_OK, RANGE_MAX},
    {"RANGE_MAX unsatisfiable", RANGE_MAX, "5000000-", "", RANGE_MAX,
     RANGE_UNSATISFIABLE, 0},
};

static unsigned
check_many(const struct many_case *c)
{
    struct range_spec out[1001];
    char *hdr = many_ranges(c->count, c->elem, c->tail);
    size_t n = 12345, room = c->max < 1001 ? c->max : 1001;
    enum range_rc rc;
    unsigned failures = 0;

    for (size_t i = 0; i < 1001; i++)
        out[i].first = out[i].last = CANARY;
    rc = parse_exact(hdr, strlen(hdr), 1000000, out, c->max, &n);
    if (rc != c->rc || n != c->n) {
        print_error("%s: %s n=%zu, want %s n=%zu\n", c->name, rc_name(rc), n,
                    rc_name(c->rc), c->n);
        failures++;
    } else if (!canary_intact(out, room < RANGE_MAX ? room : RANGE_MAX, 1001)) {
        print_error("%s: wrote past out[%d]\n", c->name, RANGE_MAX);
        failures++;
    }
    for (size_t i = 0; failures == 0 && i < n; i++) {
        if (out[i].first != 2 * i || out[i].last != 2 * i) {
            print_error("%s: out[%zu] wrong\n", c->name, i);
            failures++;
        }
    }
    free(hdr);
    return failures;
}

static void
test_many_ranges(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(many_cases) / sizeof(many_cases[0]); i++)
        failures += check_many(&many_cases[i]);
    assert_int_equal(failures, 0);
}

/* "bytes=" + prefix + digits copies of d + suffix. */
static char *
long_number(const char *prefix, char d, size_t digits, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(6 + pl + digits + sl + 1);

    assert_non_null(s);
    memcpy(s, "bytes=", 6);
    memcpy(s + 6, prefix, pl);
    memset(s + 6 + pl, d, digits);
    memcpy(s + 6 + pl + digits, suffix, sl + 1);
    return s;
}

/* Numbers of 100,000 digits: no overflow, and still ordered exactly. */
static void
test_long_numbers(void **state)
{
    struct range_spec out[2];
    size_t n;
    char *h;

    (void)state;
    h = long_number("0-", '9', 100000, "");
    assert_int_equal(parse_exact(h, strlen(h), 1000, out, 2, &n), RANGE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].first, 0);
    assert_int_equal(out[0].last, 999);
    free(h);
    h = long_number("-", '9', 100000, "");
    assert_int_equal(parse_exact(h, strlen(h), 1000, out, 2, &n), RANGE_OK);
    assert_int_equal(out[0].first, 0);
    free(h);
    h = long_number("", '9', 100000, "-");
    assert_int_equal(parse_exact(h, strlen(h), 1000, out, 2, &n),
                     RANGE_UNSATISFIABLE);
    free(h);
    h = long_number("", '0', 100000, "7-8");
    assert_int_equal(parse_exact(h, strlen(h), 1000, out, 2, &n), RANGE_OK);
    assert_int_equal(out[0].first, 7);
    assert_int_equal(out[0].last, 8);
    free(h);
    /* 1 followed by zeros, then one digit less: last < first. */
    h = long_number("1", '0', 100000, "-9" HUGE_S);
    assert_int_equal(parse_exact(h, strlen(h), 1000, out, 2, &n), RANGE_NONE);
    free(h);
}

struct part_case {
    const char *name;
    const char *boundary;
    struct range_spec r;
    uint64_t size;
    const char *want;
};

static const struct part_case part_cases[] = {
    {"first 500",
     "B0UND",
     {0, 499},
     1000,
     "--B0UND\r\nContent-Type: application/octet-stream\r\n"
     "Content-Range: bytes 0-499/1000\r\n\r\n"},
    {"one byte",
     "x",
     {0, 0},
     1,
     "--x\r\nContent-Type: application/octet-stream\r\n"
     "Content-Range: bytes 0-0/1\r\n\r\n"},
    {"empty boundary",
     "",
     {5, 9},
     10,
     "--\r\nContent-Type: application/octet-stream\r\n"
     "Content-Range: bytes 5-9/10\r\n\r\n"},
    {"largest numbers",
     "00000000000000000042",
     {U64MAX - 1, U64MAX - 1},
     U64MAX,
     "--00000000000000000042\r\nContent-Type: application/octet-stream\r\n"
     "Content-Range: bytes 18446744073709551614-18446744073709551614/" U64MAX_S
     "\r\n\r\n"},
};

static void
test_part_header(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(part_cases) / sizeof(part_cases[0]); i++) {
        const struct part_case *c = &part_cases[i];
        char buf[256];
        size_t len =
            range_part_header(buf, sizeof(buf), c->boundary, &c->r, c->size);

        if (len != strlen(c->want) || strcmp(buf, c->want) != 0) {
            print_error("%s: %zu \"%s\"\n", c->name, len, buf);
            failures++;
        }
        if (range_part_header(NULL, 0, c->boundary, &c->r, c->size) != len) {
            print_error("%s: length without a buffer differs\n", c->name);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* snprintf-style: the full length, a cut copy, NUL-ended, nothing past. */
static void
test_part_header_cut(void **state)
{
    static const char want[] = "--B\r\nContent-Type: application/octet-stream"
                               "\r\nContent-Range: bytes 1-2/3\r\n\r\n";
    struct range_spec r = {1, 2};

    (void)state;
    for (size_t bufsz = 0; bufsz <= sizeof(want) + 1; bufsz++) {
        char buf[sizeof(want) + 8];
        size_t len;

        memset(buf, '#', sizeof(buf));
        len = range_part_header(buf, bufsz, "B", &r, 3);
        assert_int_equal(len, sizeof(want) - 1);
        if (bufsz > 0) {
            size_t kept = bufsz - 1 < len ? bufsz - 1 : len;

            assert_memory_equal(buf, want, kept);
            assert_int_equal(buf[kept], '\0');
        }
        for (size_t i = bufsz; i < sizeof(buf); i++)
            assert_int_equal(buf[i], '#');
    }
}

static void
test_trailer(void **state)
{
    char buf[64];

    (void)state;
    assert_int_equal(range_trailer(buf, sizeof(buf), "B0UND"), 11);
    assert_string_equal(buf, "--B0UND--\r\n");
    assert_int_equal(range_trailer(buf, sizeof(buf), ""), 6);
    assert_string_equal(buf, "----\r\n");
    assert_int_equal(range_trailer(NULL, 0, "B0UND"), 11);
    memset(buf, '#', sizeof(buf));
    assert_int_equal(range_trailer(buf, 4, "B0UND"), 11);
    assert_string_equal(buf, "--B");
    assert_int_equal(buf[4], '#');
    assert_int_equal(range_trailer(buf, 1, "B0UND"), 11);
    assert_string_equal(buf, "");
}

/* Byte off of the representation: data[off], or a pattern when NULL. */
static char
data_at(const char *data, uint64_t off)
{
    return data != NULL ? data[off] : (char)('a' + off % 26);
}

/* The body as range.h lays it out; *len is its length. Caller frees. */
static char *
build_body(const char *boundary, const struct range_spec *r, size_t n,
           const char *data, uint64_t size, size_t *len)
{
    size_t cap = 64, used = 0;
    char *body = malloc(cap);

    assert_non_null(body);
    for (size_t i = 0; i <= n; i++) {
        size_t hl = (i < n) ? range_part_header(NULL, 0, boundary, &r[i], size)
                            : range_trailer(NULL, 0, boundary);
        size_t dl = (i < n) ? (size_t)(r[i].last - r[i].first + 1) : 0;

        while (cap < used + hl + dl + 3) {
            cap *= 2;
            body = realloc(body, cap);
            assert_non_null(body);
        }
        if (i == n) {
            used += range_trailer(body + used, cap - used, boundary);
            break;
        }
        used +=
            range_part_header(body + used, cap - used, boundary, &r[i], size);
        for (size_t j = 0; j < dl; j++)
            body[used++] = data_at(data, r[i].first + j);
        memcpy(body + used, "\r\n", 2);
        used += 2;
    }
    *len = used;
    return body;
}

/* Every byte of a two-part body. */
static void
test_multipart_body(void **state)
{
    static const char want[] =
        "--XYZ\r\nContent-Type: application/octet-stream\r\n"
        "Content-Range: bytes 0-1/10\r\n\r\n01\r\n"
        "--XYZ\r\nContent-Type: application/octet-stream\r\n"
        "Content-Range: bytes 8-9/10\r\n\r\n89\r\n"
        "--XYZ--\r\n";
    struct range_spec r[2];
    size_t n, len;
    char *body;

    (void)state;
    assert_int_equal(range_parse(T("bytes=0-1,8-"), 10, r, 2, &n), RANGE_OK);
    body = build_body("XYZ", r, n, "0123456789", 10, &len);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(body, want, len);
    assert_int_equal(range_multipart_length("XYZ", r, n, 10), len);
    free(body);
}

struct length_case {
    const char *name;
    const char *hdr;
    uint64_t size;
    const char *boundary;
};

static const struct length_case length_cases[] = {
    {"one range", "bytes=0-499", 1000, "B"},
    {"one byte", "bytes=0-0", 1, "0123456789abcdef"},
    {"two", "bytes=0-1,8-", 10, "XYZ"},
    {"suffix and reversed", "bytes=-100,0-9,500-599", 1000, "sep"},
    {"whole in pieces", "bytes=0-99,100-199,200-", 300, "b"},
    {"empty boundary", "bytes=1-1,3-3", 5, ""},
    {"ten-digit numbers", "bytes=0-0,1000000000-1000000001,-1", 9999999999ULL,
     "0000000000000000000000000000000000000000000000000000000000000000000000"},
};

/* The length range_multipart_length() gives is that of the body built. */
static void
test_multipart_length(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(length_cases) / sizeof(length_cases[0]);
         i++) {
        const struct length_case *c = &length_cases[i];
        struct range_spec r[RANGE_MAX];
        size_t n, len;
        char *body;

        assert_int_equal(
            range_parse(c->hdr, strlen(c->hdr), c->size, r, RANGE_MAX, &n),
            RANGE_OK);
        body = build_body(c->boundary, r, n, NULL, c->size, &len);
        if (range_multipart_length(c->boundary, r, n, c->size) != len) {
            print_error("%s: %llu, built %zu\n", c->name,
                        (unsigned long long)range_multipart_length(
                            c->boundary, r, n, c->size),
                        len);
            failures++;
        }
        free(body);
    }
    assert_int_equal(failures, 0);
}

/* No header at all. */
static void
test_parse_null(void **state)
{
    struct range_spec out[1];
    size_t n = 7;

    (void)state;
    assert_int_equal(range_parse(NULL, 0, 1000, out, 1, &n), RANGE_NONE);
    assert_int_equal(n, 0);
}

static void
test_multipart_length_edges(void **state)
{
    struct range_spec whole = {0, U64MAX - 1}, last = {U64MAX - 1, U64MAX - 1};

    (void)state;
    /* No parts: the close delimiter alone. */
    assert_int_equal(range_multipart_length("B0UND", NULL, 0, 10), 11);
    /* UINT64_MAX - 1 bytes of data and headers do not fit: saturated. */
    assert_true(range_multipart_length("B", &whole, 1, U64MAX) == U64MAX);
    assert_int_equal(range_multipart_length("B", &last, 1, U64MAX),
                     range_part_header(NULL, 0, "B", &last, U64MAX) + 1 + 2 +
                         range_trailer(NULL, 0, "B"));
}

/* range_content_parse(): a remote's Content-Range, hostile ones too. */
struct content_case {
    const char *name;
    const char *v;
    size_t len;
    enum range_content_rc rc;
    uint64_t first, last, size;
};

static const struct content_case content_cases[] = {
    {"plain", T("bytes 0-99/1000"), RANGE_CONTENT_RANGE, 0, 99, 1000},
    {"last byte", T("bytes 999-999/1000"), RANGE_CONTENT_RANGE, 999, 999, 1000},
    {"OWS around", T(" \tbytes 5-9/10\t "), RANGE_CONTENT_RANGE, 5, 9, 10},
    {"unit case-blind", T("BYTES 1-2/3"), RANGE_CONTENT_RANGE, 1, 2, 3},
    {"huge but fits", T("bytes 0-0/" U64MAX_S), RANGE_CONTENT_RANGE, 0, 0,
     U64MAX},
    {"unsatisfied", T("bytes */1000"), RANGE_CONTENT_UNSAT, 0, 0, 1000},
    {"unsatisfied empty", T("bytes */0"), RANGE_CONTENT_UNSAT, 0, 0, 0},
    {"empty", T(""), RANGE_CONTENT_BAD, 0, 0, 0},
    {"unit only", T("bytes "), RANGE_CONTENT_BAD, 0, 0, 0},
    {"other unit", T("items 0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"no space", T("bytes0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"two spaces", T("bytes  0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"equals as in Range", T("bytes=0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"unknown size", T("bytes 0-1/*"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"both unknown", T("bytes */*"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"no size", T("bytes 0-1"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"empty size", T("bytes 0-1/"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"no dash", T("bytes 01/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"no first", T("bytes -1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"no last", T("bytes 0-/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"reversed", T("bytes 5-4/10"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"last at size", T("bytes 0-10/10"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"zero size range", T("bytes 0-0/0"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"overflow first", T("bytes " U64OVER_S "-1/2"), RANGE_CONTENT_BAD, 0, 0,
     0},
    {"overflow size", T("bytes 0-1/" U64OVER_S), RANGE_CONTENT_BAD, 0, 0, 0},
    {"sign", T("bytes +0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"negative", T("bytes 0--1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"blank inside", T("bytes 0 -1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"star with blank", T("bytes * /2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"NUL in number", T("bytes 0-\0001/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"NUL in unit", T("byt\0s 0-1/2"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"two ranges", T("bytes 0-1,3-4/9"), RANGE_CONTENT_BAD, 0, 0, 0},
    {"trailing junk", T("bytes 0-1/2x"), RANGE_CONTENT_BAD, 0, 0, 0},
};

static void
test_content_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(content_cases) / sizeof(content_cases[0]);
         i++) {
        const struct content_case *c = &content_cases[i];
        struct range_spec r = {CANARY, CANARY};
        uint64_t size = CANARY;
        enum range_content_rc rc = range_content_parse(c->v, c->len, &r, &size);

        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d", c->name, (int)rc, (int)c->rc);
        if (rc == RANGE_CONTENT_BAD) {
            assert_true(size == CANARY && r.first == CANARY);
            continue;
        }
        if (size != c->size)
            fail_msg("%s: size %llu", c->name, (unsigned long long)size);
        if (rc == RANGE_CONTENT_RANGE &&
            (r.first != c->first || r.last != c->last))
            fail_msg("%s: %llu-%llu", c->name, (unsigned long long)r.first,
                     (unsigned long long)r.last);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_many_ranges),
        cmocka_unit_test(test_long_numbers),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_part_header),
        cmocka_unit_test(test_part_header_cut),
        cmocka_unit_test(test_trailer),
        cmocka_unit_test(test_multipart_body),
        cmocka_unit_test(test_multipart_length),
        cmocka_unit_test(test_multipart_length_edges),
        cmocka_unit_test(test_content_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
