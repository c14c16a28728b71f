/* Unit tests for include/httpdate.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "httpdate.h"

/* 9999-12-31T23:59:59Z, the last second httpdate.h accepts. */
#define LAST_SECOND ((time_t)253402300799LL)

struct date_case {
    const char *name;
    time_t t;
    const char *http; /* httpdate_format() */
    const char *log;  /* httpdate_format_log() */
};

static const struct date_case good_cases[] = {
    {"epoch", 0, "Thu, 01 Jan 1970 00:00:00 GMT", "01/Jan/1970:00:00:00 +0000"},
    {"epoch plus one", 1, "Thu, 01 Jan 1970 00:00:01 GMT",
     "01/Jan/1970:00:00:01 +0000"},
    {"end of 1970", 31535999, "Thu, 31 Dec 1970 23:59:59 GMT",
     "31/Dec/1970:23:59:59 +0000"},
    {"leap day 1972", 68169600, "Tue, 29 Feb 1972 00:00:00 GMT",
     "29/Feb/1972:00:00:00 +0000"},
    {"RFC 9110 example", 784111777, "Sun, 06 Nov 1994 08:49:37 GMT",
     "06/Nov/1994:08:49:37 +0000"},
    {"end of 1999", 946684799, "Fri, 31 Dec 1999 23:59:59 GMT",
     "31/Dec/1999:23:59:59 +0000"},
    {"start of 2000", 946684800, "Sat, 01 Jan 2000 00:00:00 GMT",
     "01/Jan/2000:00:00:00 +0000"},
    {"leap day 2000 (400-year rule)", 951827696,
     "Tue, 29 Feb 2000 12:34:56 GMT", "29/Feb/2000:12:34:56 +0000"},
    {"day after leap day 2000", 951868800, "Wed, 01 Mar 2000 00:00:00 GMT",
     "01/Mar/2000:00:00:00 +0000"},
    {"day 366 of 2000", 978307199, "Sun, 31 Dec 2000 23:59:59 GMT",
     "31/Dec/2000:23:59:59 +0000"},
    {"leap day 2024", 1709251199, "Thu, 29 Feb 2024 23:59:59 GMT",
     "29/Feb/2024:23:59:59 +0000"},
    {"end of 2024", 1735689599, "Tue, 31 Dec 2024 23:59:59 GMT",
     "31/Dec/2024:23:59:59 +0000"},
    {"last second of int32", 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT",
     "19/Jan/2038:03:14:07 +0000"},
    {"first second past int32", 2147483648, "Tue, 19 Jan 2038 03:14:08 GMT",
     "19/Jan/2038:03:14:08 +0000"},
    {"2100-02-28 (2100 is not leap)", 4107542399,
     "Sun, 28 Feb 2100 23:59:59 GMT", "28/Feb/2100:23:59:59 +0000"},
    {"2100-03-01", 4107542400, "Mon, 01 Mar 2100 00:00:00 GMT",
     "01/Mar/2100:00:00:00 +0000"},
    {"leap day 2400", 13574585228, "Tue, 29 Feb 2400 06:07:08 GMT",
     "29/Feb/2400:06:07:08 +0000"},
    {"last second of 9999", 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT",
     "31/Dec/9999:23:59:59 +0000"},
};

struct bad_case {
    const char *name;
    time_t t;
};

static const struct bad_case bad_cases[] = {
    {"one second before the epoch", -1},
    {"1969-07-20", -14182940},
    {"most negative", (time_t)INT64_MIN},
    {"year 10000", (time_t)253402300800LL},
    {"far future", (time_t)INT64_MAX},
};

static void
test_known_dates(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const struct date_case *c = &good_cases[i];
        char http[HTTPDATE_LEN], log[HTTPDATE_LOG_LEN];
        int rc_http = httpdate_format(c->t, http);
        int rc_log = httpdate_format_log(c->t, log);

        if (rc_http != 0 || strcmp(http, c->http) != 0) {
            print_error("%s: httpdate_format %d \"%s\", want 0 \"%s\"\n",
                        c->name, rc_http, rc_http == 0 ? http : "", c->http);
            failures++;
        }
        if (rc_log != 0 || strcmp(log, c->log) != 0) {
            print_error("%s: httpdate_format_log %d \"%s\", want 0 \"%s\"\n",
                        c->name, rc_log, rc_log == 0 ? log : "", c->log);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The lengths in the header are exact: the longest output fills them. */
static void
test_lengths(void **state)
{
    char http[HTTPDATE_LEN], log[HTTPDATE_LOG_LEN];

    (void)state;
    assert_int_equal(httpdate_format(LAST_SECOND, http), 0);
    assert_int_equal(strlen(http), HTTPDATE_LEN - 1);
    assert_int_equal(httpdate_format_log(LAST_SECOND, log), 0);
    assert_int_equal(strlen(log), HTTPDATE_LOG_LEN - 1);
}

/* Out of range: -1 and the buffer is left as it was. */
static void
test_out_of_range(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        char http[HTTPDATE_LEN], log[HTTPDATE_LOG_LEN];
        char http_before[HTTPDATE_LEN], log_before[HTTPDATE_LOG_LEN];
        int rc_http, rc_log;

        memset(http, 'x', sizeof(http));
        memset(log, 'y', sizeof(log));
        memcpy(http_before, http, sizeof(http));
        memcpy(log_before, log, sizeof(log));
        rc_http = httpdate_format(c->t, http);
        rc_log = httpdate_format_log(c->t, log);
        if (rc_http != -1 || memcmp(http, http_before, sizeof(http)) != 0) {
            print_error("%s: httpdate_format %d or wrote, want -1\n", c->name,
                        rc_http);
            failures++;
        }
        if (rc_log != -1 || memcmp(log, log_before, sizeof(log)) != 0) {
            print_error("%s: httpdate_format_log %d or wrote, want -1\n",
                        c->name, rc_log);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The C library's answer, in the C locale (the test never calls setlocale). */
static bool
libc_format(time_t t, char *http, size_t httplen, char *log, size_t loglen)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        return false;
    return strftime(http, httplen, "%a, %d %b %Y %H:%M:%S GMT", &tm) ==
               HTTPDATE_LEN - 1 &&
           strftime(log, loglen, "%d/%b/%Y:%H:%M:%S +0000", &tm) ==
               HTTPDATE_LOG_LEN - 1;
}

/* Returns 1 if t formats differently from gmtime_r() + strftime(). */
static unsigned
check_against_libc(time_t t)
{
    char http[HTTPDATE_LEN], log[HTTPDATE_LOG_LEN];
    char want_http[64], want_log[64];

    if (!libc_format(t, want_http, sizeof(want_http), want_log,
                     sizeof(want_log))) {
        print_error("t=%lld: gmtime_r/strftime failed\n", (long long)t);
        return 1;
    }
    if (httpdate_format(t, http) != 0 || strcmp(http, want_http) != 0 ||
        httpdate_format_log(t, log) != 0 || strcmp(log, want_log) != 0) {
        print_error("t=%lld: want \"%s\" and \"%s\"\n", (long long)t, want_http,
                    want_log);
        return 1;
    }
    return 0;
}

static uint64_t
xorshift64(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Pseudo-random seconds over the whole range, with a fixed seed. */
static void
test_random_against_libc(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    unsigned failures = 0;

    (void)state;
    for (int i = 0; i < 5000 && failures < 10; i++) {
        uint64_t r = xorshift64(&seed) % ((uint64_t)LAST_SECOND + 1);

        failures += check_against_libc((time_t)r);
    }
    assert_int_equal(failures, 0);
}

/* One second in every day from 1970 to 2517, and the edges of each day. */
static void
test_every_day_against_libc(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (int64_t day = 0; day < 200000 && failures < 10; day++) {
        int64_t base = day * 86400;

        failures += check_against_libc((time_t)(base + day * 7919 % 86400));
        if (day % 97 == 0) {
            failures += check_against_libc((time_t)base);
            failures += check_against_libc((time_t)(base + 86399));
        }
    }
    /* The last 400-year era before the limit, a day every 7 days. */
    for (int64_t t = LAST_SECOND; t > LAST_SECOND - 146097LL * 86400;
         t -= 7 * 86400 + 3601)
        failures += check_against_libc((time_t)t);
    assert_int_equal(failures, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_random_against_libc),
        cmocka_unit_test(test_every_day_against_libc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
