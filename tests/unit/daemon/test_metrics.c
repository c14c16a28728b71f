/*
 * Unit tests for include/daemon/metrics.h: answers counted by status
 * class, route and duration bucket (the bucket edges), worker slots and
 * the store's counters summed, reloads, the version label escaped, and
 * the largest text there can be fitting in METRICS_TEXT_MAX.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/metrics.h"

static char text[METRICS_TEXT_MAX];

static void
format(struct metrics *m)
{
    struct store_gauges g = {3, 2, 1};

    if (metrics_format(m, &g, text, sizeof(text)) == 0)
        fail_msg("the metrics text does not fit");
}

/* The value of the sample line that starts with series (name{labels}). */
static uint64_t
value_of(const char *series)
{
    size_t n = strlen(series);
    const char *p = text;

    for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtoull(p + n + 1, NULL, 10);
    fail_msg("no line for %s in:\n%s", series, text);
    return 0;
}

struct answer_case {
    unsigned worker;
    int status;
    enum answer_route route;
    uint64_t ns;
};

static const struct answer_case answers[] = {
    {0, 200, ANSWER_ROUTE_SYMBOL, 100000},      /* on the 100 us bound */
    {1, 206, ANSWER_ROUTE_SYMBOL, 100001},      /* just past it */
    {0, 304, ANSWER_ROUTE_SYMBOL, 1},           /* the first bucket */
    {1, 404, ANSWER_ROUTE_DEBUGINFOD, 2500000}, /* on 2.5 ms */
    {0, 416, ANSWER_ROUTE_ADMIN, 10000000000},  /* on 10 s */
    {1, 503, ANSWER_ROUTE_OTHER, 10000000001},  /* beyond: +Inf only */
    {0, 500, ANSWER_ROUTE_OTHER, 0},
    {1, 204, ANSWER_ROUTE_OTHER, 999},
};

static void
test_answers_by_class_route_bucket(void **state)
{
    struct metrics *m = metrics_new(2, "test");
    uint64_t sum = 0;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        metrics_count_answer(&m->workers[answers[i].worker], answers[i].status,
                             answers[i].route, 1000 + i, 10 * i, answers[i].ns);
        sum += answers[i].ns;
    }
    format(m);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"symbol\",class=\"2xx\"}"),
        2);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"symbol\",class=\"3xx\"}"),
        1);
    assert_int_equal(value_of("symsrvd_http_requests_total{route="
                              "\"debuginfod\",class=\"4xx\"}"),
                     1);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"admin\",class=\"4xx\"}"),
        1);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"other\",class=\"5xx\"}"),
        2);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"other\",class=\"2xx\"}"),
        1);
    assert_int_equal(
        value_of("symsrvd_http_requests_total{route=\"symbol\",class=\"4xx\"}"),
        0);
    /* Cumulative buckets: le is "less than or equal". */
    assert_int_equal(
        value_of("symsrvd_http_request_duration_seconds_bucket{le=\"0.0001\"}"),
        4);
    assert_int_equal(value_of("symsrvd_http_request_duration_seconds_bucket{"
                              "le=\"0.00025\"}"),
                     5);
    assert_int_equal(value_of("symsrvd_http_request_duration_seconds_bucket{"
                              "le=\"0.0025\"}"),
                     6);
    assert_int_equal(
        value_of("symsrvd_http_request_duration_seconds_bucket{le=\"5\"}"), 6);
    assert_int_equal(
        value_of("symsrvd_http_request_duration_seconds_bucket{le=\"10\"}"), 7);
    assert_int_equal(
        value_of("symsrvd_http_request_duration_seconds_bucket{le=\"+Inf\"}"),
        8);
    assert_int_equal(value_of("symsrvd_http_request_duration_seconds_count"),
                     8);
    assert_int_equal(value_of("symsrvd_http_request_duration_seconds_sum"),
                     sum / 1000000000u); /* the whole seconds */
    assert_int_equal(value_of("symsrvd_http_sent_bytes_total"), 8 * 1000 + 28);
    assert_int_equal(value_of("symsrvd_http_sent_body_bytes_total"), 280);
    metrics_free(m);
}

/* A bound thread counts into its worker's slot, others into the shared
 * one; a scrape adds both. */
static void
test_store_counts(void **state)
{
    struct metrics *m = metrics_new(2, "test");
    uint64_t miss;

    (void)state;
    assert_non_null(m);
    format(m);
    miss = value_of("symsrvd_store_lookups_total{kind=\"miss\"}");
    store_stats_bind(&m->workers[1].store);
    store_stats_count(STORE_STAT_TWIN);
    store_stats_count(STORE_STAT_TWIN);
    store_stats_count(STORE_STAT_CAB_OK);
    store_stats_count(STORE_STAT_LISTING_HIT);
    store_stats_bind(NULL);
    store_stats_count(STORE_STAT_MISS);
    assert_int_equal(atomic_load(&m->workers[1].store.n[STORE_STAT_TWIN]), 2);
    format(m);
    assert_int_equal(value_of("symsrvd_store_lookups_total{kind=\"twin\"}"), 2);
    assert_int_equal(value_of("symsrvd_store_lookups_total{kind=\"miss\"}"),
                     miss + 1);
    assert_int_equal(value_of("symsrvd_cab_expansions_total{result=\"ok\"}"),
                     1);
    assert_int_equal(
        value_of("symsrvd_dircache_listing_uses_total{result=\"hit\"}"), 1);
    assert_int_equal(value_of("symsrvd_dircache_listings"), 3);
    assert_int_equal(value_of("symsrvd_dircache_spellings"), 2);
    assert_int_equal(value_of("symsrvd_cab_negative_cache_entries"), 1);
    metrics_free(m);
}

static void
test_reloads(void **state)
{
    struct metrics *m = metrics_new(1, "test");

    (void)state;
    assert_non_null(m);
    format(m);
    assert_int_equal(value_of("symsrvd_config_last_reload_successful"), 1);
    metrics_reload(m, false);
    format(m);
    assert_int_equal(value_of("symsrvd_config_last_reload_successful"), 0);
    assert_int_equal(
        value_of("symsrvd_config_reloads_total{result=\"failure\"}"), 1);
    metrics_reload(m, true);
    metrics_reload(m, true);
    format(m);
    assert_int_equal(value_of("symsrvd_config_last_reload_successful"), 1);
    assert_int_equal(
        value_of("symsrvd_config_reloads_total{result=\"success\"}"), 2);
    metrics_free(m);
}

/* The one label value not ours to choose is escaped like any other. */
static void
test_version_label_escaped(void **state)
{
    struct metrics *m = metrics_new(1, "1.0\"x\\\ny");

    (void)state;
    assert_non_null(m);
    format(m);
    assert_non_null(
        strstr(text, "\nsymsrvd_build_info{version=\"1.0\\\"x\\\\\\ny\"} 1\n"));
    metrics_free(m);
}

/* Every counter at its largest: the text still fits. */
static void
test_largest_text_fits(void **state)
{
    struct metrics *m = metrics_new(1, "0.1.0-a-long-version-string+build");
    struct store_gauges g = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    _Atomic uint64_t *c = (_Atomic uint64_t *)(void *)m->workers;
    size_t n;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < sizeof(*m->workers) / sizeof(*c); i++)
        atomic_store(&c[i], UINT64_MAX / 2); /* buckets add up: no wrap */
    atomic_store(&m->reloads[0], UINT64_MAX);
    atomic_store(&m->reloads[1], UINT64_MAX);
    atomic_store(&m->last_reload_ok_ns, UINT64_MAX);
    m->started.tv_sec = INT32_MAX;
    n = metrics_format(m, &g, text, sizeof(text));
    print_message("largest text: %zu of %d bytes\n", n, METRICS_TEXT_MAX);
    assert_true(n > 0);
    metrics_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_by_class_route_bucket),
        cmocka_unit_test(test_store_counts),
        cmocka_unit_test(test_reloads),
        cmocka_unit_test(test_version_label_escaped),
        cmocka_unit_test(test_largest_text_fits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
