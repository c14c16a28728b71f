/*
 * Unit tests for include/daemon/promtext.h: the Prometheus text format's
 * escapes (label values: backslash, quote, newline; HELP: backslash and
 * newline only), names the format refuses, numbers, and a buffer that
 * runs out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/promtext.h"

struct label_case {
    const char *value; /* the label value as given */
    const char *line;  /* the sample line written for it */
};

static const struct label_case label_cases[] = {
    {"plain", "m{l=\"plain\"} 1\n"},
    {"", "m{l=\"\"} 1\n"},
    {"a\\b", "m{l=\"a\\\\b\"} 1\n"},
    {"say \"hi\"", "m{l=\"say \\\"hi\\\"\"} 1\n"},
    {"two\nlines", "m{l=\"two\\nlines\"} 1\n"},
    {"\\", "m{l=\"\\\\\"} 1\n"},
    {"\"", "m{l=\"\\\"\"} 1\n"},
    {"\n", "m{l=\"\\n\"} 1\n"},
    {"\\\"\n", "m{l=\"\\\\\\\"\\n\"} 1\n"},
    {"end\\", "m{l=\"end\\\\\"} 1\n"},
    {"\\n is not a newline", "m{l=\"\\\\n is not a newline\"} 1\n"},
    {"tab\tand cr\r", "m{l=\"tab\tand cr\r\"} 1\n"}, /* no escape defined */
    {"caf\xc3\xa9 {x=\"1\"}", "m{l=\"caf\xc3\xa9 {x=\\\"1\\\"}\"} 1\n"},
};

static void
test_label_value_escapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
        const struct label_case *c = &label_cases[i];
        struct promtext_label l = {"l", c->value};
        struct promtext t;
        char buf[256];

        promtext_init(&t, buf, sizeof(buf));
        promtext_sample(&t, "m", &l, 1, "1");
        if (promtext_end(&t) == 0 || strcmp(buf, c->line) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf, c->line);
    }
}

struct help_case {
    const char *help;
    const char *text;
};

/* HELP escapes backslash and newline, and leaves quotes as they are. */
static const struct help_case help_cases[] = {
    {"Plain words.", "# HELP m Plain words.\n# TYPE m counter\n"},
    {"a\\b", "# HELP m a\\\\b\n# TYPE m counter\n"},
    {"two\nlines", "# HELP m two\\nlines\n# TYPE m counter\n"},
    {"\"quoted\"", "# HELP m \"quoted\"\n# TYPE m counter\n"},
    {"", "# HELP m \n# TYPE m counter\n"},
};

static void
test_help_escapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(help_cases) / sizeof(help_cases[0]); i++) {
        struct promtext t;
        char buf[256];

        promtext_init(&t, buf, sizeof(buf));
        promtext_family(&t, "m", "counter", help_cases[i].help);
        if (promtext_end(&t) == 0 || strcmp(buf, help_cases[i].text) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
                     help_cases[i].text);
    }
}

struct name_case {
    const char *name;
    bool metric, label;
};

static const struct name_case name_cases[] = {
    {"symsrvd_http_requests_total", true, true},
    {"_x", true, true},
    {"a:b", true, false},
    {":a", true, false},
    {"__name__", true, false}, /* label names with "__" are reserved */
    {"a1", true, true},
    {"", false, false},
    {"1a", false, false},
    {"a-b", false, false},
    {"a b", false, false},
    {"a.b", false, false},
    {"a{b}", false, false},
    {"a\"", false, false},
    {"a\n", false, false},
    {"caf\xc3\xa9", false, false},
};

static void
test_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        const struct name_case *c = &name_cases[i];

        if (promtext_metric_name_ok(c->name) != c->metric ||
            promtext_label_name_ok(c->name) != c->label)
            fail_msg("\"%s\": metric %d label %d, want %d %d", c->name,
                     promtext_metric_name_ok(c->name),
                     promtext_label_name_ok(c->name), c->metric, c->label);
    }
}

/* A bad name, label name or type spoils the whole text: nothing half. */
static void
test_bad_names_spoil_the_text(void **state)
{
    struct promtext_label bad = {"bad-label", "v"};
    struct promtext t;
    char buf[256];

    (void)state;
    promtext_init(&t, buf, sizeof(buf));
    promtext_sample(&t, "good", NULL, 0, "1");
    promtext_sample(&t, "good", &bad, 1, "1");
    promtext_sample(&t, "good", NULL, 0, "2");
    assert_int_equal(promtext_end(&t), 0);
    assert_string_equal(buf, "");
    promtext_init(&t, buf, sizeof(buf));
    promtext_family(&t, "m", "countr", "typo in the type");
    assert_int_equal(promtext_end(&t), 0);
    promtext_init(&t, buf, sizeof(buf));
    promtext_family(&t, "1m", "counter", "bad name");
    assert_int_equal(promtext_end(&t), 0);
}

/* Every length short of the whole text fails; the exact one (with its
 * NUL) succeeds. */
static void
test_buffer_too_small(void **state)
{
    static const char want[] =
        "# HELP m Help.\n# TYPE m gauge\nm{a=\"x\\\"y\",b=\"z\"} 42\n";
    struct promtext_label l[2] = {{"a", "x\"y"}, {"b", "z"}};
    char buf[sizeof(want)];

    (void)state;
    for (size_t cap = 0; cap <= sizeof(want); cap++) {
        struct promtext t;
        size_t n;

        memset(buf, 'X', sizeof(buf));
        promtext_init(&t, buf, cap);
        promtext_family(&t, "m", "gauge", "Help.");
        promtext_sample_u64(&t, "m", l, 2, 42);
        n = promtext_end(&t);
        if (cap < sizeof(want)) {
            if (n != 0 || (cap > 0 && buf[0] != '\0'))
                fail_msg("cap %zu: length %zu, want 0 and an empty text", cap,
                         n);
        } else {
            assert_int_equal(n, sizeof(want) - 1);
            assert_string_equal(buf, want);
        }
    }
}

static void
test_numbers(void **state)
{
    static const struct {
        uint64_t v;
        const char *u64, *seconds;
    } cases[] = {
        {0, "0", "0.000000000"},
        {1, "1", "0.000000001"},
        {999999999, "999999999", "0.999999999"},
        {1000000000, "1000000000", "1.000000000"},
        {1500000000, "1500000000", "1.500000000"},
        {UINT64_MAX, "18446744073709551615", "18446744073.709551615"},
    };
    char buf[PROMTEXT_NUM_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_string_equal(promtext_u64(cases[i].v, buf), cases[i].u64);
        assert_string_equal(promtext_seconds(cases[i].v, buf),
                            cases[i].seconds);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_value_escapes),
        cmocka_unit_test(test_help_escapes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_names_spoil_the_text),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
