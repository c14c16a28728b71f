/* Unit tests for include/daemon/upstate.h: patterns, negative cache,
 * back-off, with hostile inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/upstate.h"

struct match_case {
    const char *pat; /* NULL: no pattern at all */
    const char *rel;
    bool match;
};

static const struct match_case match_cases[] = {
    {NULL, "app.pdb/ABC1/app.pdb", true},
    {NULL, "", false},
    {NULL, "/x", false},
    {"*.pdb", "app.pdb/ABC1/app.pdb", true},
    {"*.pdb", "APP.PDB/ABC1/APP.PDB", true},
    {"*.PDB", "app.pdb/ABC1/app.pdb", true},
    {"*.pdb", "app.pd_/ABC1/app.pd_", false},
    {"*.pd?", "app.pd_/ABC1/app.pd_", true},
    {"*.pdb", "app.exe/ABC1/app.pdb", false}, /* the first segment only */
    {"app.pdb", "app.pdb/k/app.pdb", true},
    {"app.pdb", "app.pdbx/k/app.pdbx", false},
    {"app.pdb", "xapp.pdb/k/xapp.pdb", false},
    {"libc.so*", "libc.so.6/BUILDID/libc.so.6", true},
    {"*", "anything/k/anything", true},
    {"**", "a/k/a", true},
    {"?", "a/k/a", true},
    {"?", "ab/k/ab", false},
    {"*a*a*a*a*a*a*a*b",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/k/x", false},
    {"*a*a*b", "aaaaaab/k", true},
    /* Hostile: bytes that mean something to fnmatch mean nothing here. */
    {"[a]pp.pdb", "app.pdb/k/app.pdb", false},
    {"[a]pp.pdb", "[a]pp.pdb/k/[a]pp.pdb", true},
    {"\\*.pdb", "x.pdb/k", false},
    {"*.pdb", "", false},
    {"*.pdb", "/k/x.pdb", false},
    {"*", "", false},
};

static void
test_path_matches(void **state)
{
    unsigned failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const struct match_case *c = &match_cases[i];
        char *pats[1] = {(char *)(uintptr_t)c->pat};
        bool got = upstate_path_matches(pats, c->pat != NULL ? 1 : 0, c->rel);

        if (got != c->match) {
            fprintf(stderr, "case %zu: '%s' on '%s': %d, want %d\n", i,
                    c->pat != NULL ? c->pat : "(none)", c->rel, got, c->match);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void
test_path_matches_any_of_several(void **state)
{
    char exe[] = "*.exe", pdb[] = "*.pdb", dll[] = "*.dll";
    char *pats[] = {exe, pdb, dll};

    (void)state;
    assert_true(upstate_path_matches(pats, 3, "a.dll/K/a.dll"));
    assert_true(upstate_path_matches(pats, 3, "a.pdb/K/a.pdb"));
    assert_false(upstate_path_matches(pats, 3, "a.so/K/a.so"));
}

static void
test_pattern_ok(void **state)
{
    char longest[UPSTATE_PATTERN_LEN + 2];

    (void)state;
    assert_true(upstate_pattern_ok("*.pdb"));
    assert_false(upstate_pattern_ok(""));
    assert_false(upstate_pattern_ok("a/b"));
    assert_false(upstate_pattern_ok("a\nb"));
    assert_false(upstate_pattern_ok("a\x7f"));
    memset(longest, 'a', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    assert_false(upstate_pattern_ok(longest)); /* one byte too many */
    longest[UPSTATE_PATTERN_LEN] = '\0';
    assert_true(upstate_pattern_ok(longest));
}

static void
test_neg_ttl(void **state)
{
    struct upstate_neg *n = upstate_neg_new(64);

    (void)state;
    assert_non_null(n);
    assert_false(upstate_neg_has(n, 0, "a.pdb/K/a.pdb", 1000));
    upstate_neg_put(n, 0, "a.pdb/K/a.pdb", 1000, 500);
    assert_true(upstate_neg_has(n, 0, "a.pdb/K/a.pdb", 1000));
    assert_true(upstate_neg_has(n, 0, "A.PDB/k/A.pdb", 1499));  /* folded */
    assert_false(upstate_neg_has(n, 0, "a.pdb/K/a.pdb", 1500)); /* expired */
    assert_false(upstate_neg_has(n, 1, "a.pdb/K/a.pdb", 1000)); /* other up */
    assert_false(upstate_neg_has(n, 0, "a.pdb/K/a.pd_", 1000));
    assert_int_equal(upstate_neg_count(n, 1000), 1);
    assert_int_equal(upstate_neg_count(n, 1500), 0);
    /* A TTL of 0 remembers nothing. */
    upstate_neg_put(n, 2, "b", 1000, 0);
    assert_false(upstate_neg_has(n, 2, "b", 1000));
    /* Renewed: the later expiry holds. */
    upstate_neg_put(n, 0, "a.pdb/K/a.pdb", 1400, 500);
    assert_true(upstate_neg_has(n, 0, "a.pdb/K/a.pdb", 1800));
    /* A huge TTL does not wrap into the past. */
    upstate_neg_put(n, 3, "c", 1000, UINT64_MAX);
    assert_true(upstate_neg_has(n, 3, "c", 1001));
    upstate_neg_free(n);
}

/* A flood of distinct misses stays within the slots and keeps the
 * newest: memory is bounded, the table still answers. */
static void
test_neg_bounded(void **state)
{
    struct upstate_neg *n = upstate_neg_new(16);
    char rel[64];
    unsigned kept = 0;

    (void)state;
    assert_non_null(n);
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(rel, sizeof(rel), "f%u.pdb/K/f%u.pdb", i, i);
        upstate_neg_put(n, 0, rel, (int64_t)i, 1000000);
    }
    assert_true(upstate_neg_count(n, 100000) <= 16);
    for (unsigned i = 100000 - 16; i < 100000; i++) {
        snprintf(rel, sizeof(rel), "f%u.pdb/K/f%u.pdb", i, i);
        kept += upstate_neg_has(n, 0, rel, 100000);
    }
    assert_true(kept >= 4); /* the newest of each set survive */
    upstate_neg_free(n);
    /* 0 slots still makes one set. */
    n = upstate_neg_new(0);
    assert_non_null(n);
    upstate_neg_put(n, 0, "x", 0, 10);
    assert_true(upstate_neg_has(n, 0, "x", 5));
    upstate_neg_free(n);
}

static void
test_backoff(void **state)
{
    struct upstate_backoff b = {0, 0};

    (void)state;
    upstate_backoff_failed(&b, 0, 3, 1000);
    upstate_backoff_failed(&b, 0, 3, 1000);
    assert_false(upstate_backoff_skip(&b, 0)); /* two: still asked */
    upstate_backoff_failed(&b, 0, 3, 1000);
    assert_true(upstate_backoff_skip(&b, 999));
    assert_false(upstate_backoff_skip(&b, 1000)); /* a probe */
    upstate_backoff_failed(&b, 1000, 3, 1000);    /* the probe failed */
    assert_true(upstate_backoff_skip(&b, 2999));  /* doubled */
    assert_false(upstate_backoff_skip(&b, 3000));
    for (unsigned i = 0; i < 100; i++)
        upstate_backoff_failed(&b, 3000, 3, 1000);
    assert_true(upstate_backoff_skip(&b, 3000 + 15999)); /* capped at 16x */
    assert_false(upstate_backoff_skip(&b, 3000 + 16000));
    upstate_backoff_ok(&b);
    assert_false(upstate_backoff_skip(&b, 3001));
    assert_int_equal(b.failures, 0);
    /* Threshold 0 or period 0: never skipped. */
    upstate_backoff_failed(&b, 0, 0, 1000);
    upstate_backoff_failed(&b, 0, 1, 0);
    assert_false(upstate_backoff_skip(&b, 0));
    /* A huge period does not overflow into the past. */
    b = (struct upstate_backoff){0, 0};
    for (unsigned i = 0; i < 10; i++)
        upstate_backoff_failed(&b, 5, 1, UINT64_MAX);
    assert_true(upstate_backoff_skip(&b, 6));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_matches),
        cmocka_unit_test(test_path_matches_any_of_several),
        cmocka_unit_test(test_pattern_ok),
        cmocka_unit_test(test_neg_ttl),
        cmocka_unit_test(test_neg_bounded),
        cmocka_unit_test(test_backoff),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
