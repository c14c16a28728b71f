/* Unit tests for include/httpdate.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/httpdate.h"

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

/* A string literal and its length, so that dates may hold a raw NUL. */
#define T(s) s, sizeof(s) - 1

/* Fixed clocks for RFC 850 two-digit years. */
#define NOW_1994 ((time_t)784111777)    /* 1994-11-06 08:49:37 */
#define NOW_2024 ((time_t)1717977600)   /* 2024-06-10 */
#define NOW_2043 ((time_t)2335219199)   /* 2043-12-31 23:59:59 */
#define NOW_2044 ((time_t)2335219200)   /* 2044-01-01 */
#define NOW_2080 ((time_t)3471292800)   /* 2080-01-01 */
#define NOW_FAR ((time_t)INT64_MAX)     /* counts as 9999 */
#define NOW_NEG ((time_t)-1000000000LL) /* counts as 1970 */
#define RFC_EXAMPLE ((time_t)784111777)

struct parse_case {
    const char *name;
    const char *s;
    size_t len;
    time_t now;
    int rc;
    time_t t; /* when rc is 0 */
};

static const struct parse_case parse_cases[] = {
    /* Not dates, or dates with something around them. */
    {"empty", T(""), NOW_2024, -1, 0},
    {"leading space", T(" Sun, 06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"trailing space", T("Sun, 06 Nov 1994 08:49:37 GMT "), NOW_2024, -1, 0},
    {"trailing CRLF", T("Sun, 06 Nov 1994 08:49:37 GMT\r\n"), NOW_2024, -1, 0},
    {"trailing NUL", T("Sun, 06 Nov 1994 08:49:37 GMT\0"), NOW_2024, -1, 0},
    {"NUL inside", T("Sun, 06 Nov\0994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"trailing garbage", T("Sun, 06 Nov 1994 08:49:37 GMTx"), NOW_2024, -1, 0},
    {"two members",
     T("Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 "
       "08:49:37 GMT"),
     NOW_2024, -1, 0},
    {"seconds since the epoch", T("784111777"), NOW_2024, -1, 0},
    {"ISO 8601", T("1994-11-06T08:49:37Z"), NOW_2024, -1, 0},
    {"numeric zone", T("Sun, 06 Nov 1994 08:49:37 +0000"), NOW_2024, -1, 0},
    {"UTC for GMT", T("Sun, 06 Nov 1994 08:49:37 UTC"), NOW_2024, -1, 0},
    {"lowercase gmt", T("Sun, 06 Nov 1994 08:49:37 gmt"), NOW_2024, -1, 0},
    {"IMF missing GMT", T("Sun, 06 Nov 1994 08:49:37"), NOW_2024, -1, 0},
    {"IMF missing GMT, space kept", T("Sun, 06 Nov 1994 08:49:37 "), NOW_2024,
     -1, 0},
    {"RFC 850 missing GMT", T("Sunday, 06-Nov-94 08:49:37"), NOW_2024, -1, 0},
    {"asctime with GMT", T("Sun Nov  6 08:49:37 1994 GMT"), NOW_2024, -1, 0},
    /* Names. */
    {"lowercase month", T("Sun, 06 nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"uppercase month", T("Sun, 06 NOV 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"lowercase day", T("sun, 06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"unknown month", T("Sun, 06 Nox 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"full month name", T("Sun, 06 November 1994 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"unknown day", T("Sux, 06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"long day in IMF", T("Sunday, 06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"short day in RFC 850", T("Sun, 06-Nov-94 08:49:37 GMT"), NOW_2024, -1, 0},
    {"lowercase long day", T("sunday, 06-Nov-94 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"long day in asctime", T("Sunday Nov  6 08:49:37 1994"), NOW_2024, -1, 0},
    /* Spacing and digits. */
    {"IMF two spaces", T("Sun,  06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF no space after comma", T("Sun,06 Nov 1994 08:49:37 GMT"), NOW_2024,
     -1, 0},
    {"IMF missing comma", T("Sun 06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF tab", T("Sun,\t06 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF one-digit day", T("Sun, 6 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF space-padded day", T("Sun,  6 Nov 1994 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"IMF dashes", T("Sun, 06-Nov-1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF two-digit year", T("Sun, 06 Nov 94 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF five-digit year", T("Sun, 06 Nov 19940 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"IMF year with leading zero", T("Sun, 06 Nov 01994 08:49:37 GMT"),
     NOW_2024, -1, 0},
    {"IMF huge year", T("Sun, 06 Nov 99999999999999999999 08:49:37 GMT"),
     NOW_2024, -1, 0},
    {"IMF one-digit hour", T("Sun, 06 Nov 1994 8:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF no seconds", T("Sun, 06 Nov 1994 08:49 GMT"), NOW_2024, -1, 0},
    {"IMF fraction", T("Sun, 06 Nov 1994 08:49:37.5 GMT"), NOW_2024, -1, 0},
    {"IMF dashes in time", T("Sun, 06 Nov 1994 08-49-37 GMT"), NOW_2024, -1, 0},
    {"IMF sign", T("Sun, +6 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"IMF Arabic-Indic digit", T("Sun, 0\xd9\xa6 Nov 1994 08:49:37 GMT"),
     NOW_2024, -1, 0},
    {"RFC 850 four-digit year", T("Sunday, 06-Nov-1994 08:49:37 GMT"), NOW_2024,
     -1, 0},
    {"RFC 850 spaces", T("Sunday, 06 Nov 94 08:49:37 GMT"), NOW_2024, -1, 0},
    {"RFC 850 missing comma", T("Sunday 06-Nov-94 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"RFC 850 one-digit day", T("Sunday, 6-Nov-94 08:49:37 GMT"), NOW_2024, -1,
     0},
    {"asctime one space, one digit", T("Sun Nov 6 08:49:37 1994"), NOW_2024, -1,
     0},
    {"asctime two spaces, two digits", T("Sun Nov  06 08:49:37 1994"), NOW_2024,
     -1, 0},
    {"asctime comma", T("Sun, Nov  6 08:49:37 1994"), NOW_2024, -1, 0},
    {"asctime two-digit year", T("Sun Nov  6 08:49:37 94"), NOW_2024, -1, 0},
    {"asctime five-digit year", T("Sun Nov  6 08:49:37 19940"), NOW_2024, -1,
     0},
    {"asctime trailing newline", T("Sun Nov  6 08:49:37 1994\n"), NOW_2024, -1,
     0},
    /* Impossible dates and times. */
    {"hour 24", T("Sun, 06 Nov 1994 24:00:00 GMT"), NOW_2024, -1, 0},
    {"hour 99", T("Sun, 06 Nov 1994 99:00:00 GMT"), NOW_2024, -1, 0},
    {"minute 60", T("Sun, 06 Nov 1994 08:60:00 GMT"), NOW_2024, -1, 0},
    {"second 61", T("Sun, 06 Nov 1994 08:49:61 GMT"), NOW_2024, -1, 0},
    {"day 00", T("Sun, 00 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"day 32", T("Sun, 32 Jan 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"31 Apr", T("Sun, 31 Apr 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"31 Jun", T("Sun, 31 Jun 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"31 Sep", T("Sun, 31 Sep 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"31 Nov", T("Sun, 31 Nov 1994 08:49:37 GMT"), NOW_2024, -1, 0},
    {"30 Feb", T("Sun, 30 Feb 2000 08:49:37 GMT"), NOW_2024, -1, 0},
    {"29 Feb 1900", T("Thu, 29 Feb 1900 00:00:00 GMT"), NOW_2024, -1, 0},
    {"29 Feb 2100 (not leap)", T("Mon, 29 Feb 2100 00:00:00 GMT"), NOW_2024, -1,
     0},
    {"29 Feb 2023", T("Wed, 29 Feb 2023 00:00:00 GMT"), NOW_2024, -1, 0},
    {"29 Feb 1994, RFC 850", T("Tuesday, 29-Feb-94 00:00:00 GMT"), NOW_2024, -1,
     0},
    {"31 Apr, asctime", T("Sun Apr 31 08:49:37 1994"), NOW_2024, -1, 0},
    {"hour 24, asctime", T("Sun Nov  6 24:00:00 1994"), NOW_2024, -1, 0},
    {"day 0, asctime", T("Sun Nov  0 08:49:37 1994"), NOW_2024, -1, 0},
    /* Years outside 1970-9999. */
    {"year 0000", T("Sat, 01 Jan 0000 00:00:00 GMT"), NOW_2024, -1, 0},
    {"year 1969", T("Wed, 31 Dec 1969 23:59:59 GMT"), NOW_2024, -1, 0},
    {"year 1969, asctime", T("Wed Dec 31 23:59:59 1969"), NOW_2024, -1, 0},
    /* The RFC 9110 example in its three forms. */
    {"IMF-fixdate", T("Sun, 06 Nov 1994 08:49:37 GMT"), NOW_2024, 0,
     RFC_EXAMPLE},
    {"RFC 850", T("Sunday, 06-Nov-94 08:49:37 GMT"), NOW_2024, 0, RFC_EXAMPLE},
    {"asctime", T("Sun Nov  6 08:49:37 1994"), NOW_2024, 0, RFC_EXAMPLE},
    {"asctime, two-digit day", T("Sun Nov 16 08:49:37 1994"), NOW_2024, 0,
     RFC_EXAMPLE + 10 * 86400},
    {"day name not checked", T("Mon, 06 Nov 1994 08:49:37 GMT"), NOW_2024, 0,
     RFC_EXAMPLE},
    {"long day name not checked", T("Wednesday, 06-Nov-94 08:49:37 GMT"),
     NOW_2024, 0, RFC_EXAMPLE},
    /* Edges. */
    {"epoch", T("Thu, 01 Jan 1970 00:00:00 GMT"), NOW_2024, 0, 0},
    {"epoch, asctime", T("Thu Jan  1 00:00:00 1970"), NOW_2024, 0, 0},
    {"last second", T("Fri, 31 Dec 9999 23:59:59 GMT"), NOW_2024, 0,
     LAST_SECOND},
    {"last second, asctime", T("Fri Dec 31 23:59:59 9999"), NOW_2024, 0,
     LAST_SECOND},
    {"29 Feb 2000", T("Tue, 29 Feb 2000 00:00:00 GMT"), NOW_2024, 0, 951782400},
    {"29 Feb 2024", T("Thu, 29 Feb 2024 12:00:00 GMT"), NOW_2024, 0,
     1709208000},
    {"29 Feb 2400", T("Tue, 29 Feb 2400 00:00:00 GMT"), NOW_2024, 0,
     13574563200},
    {"29 Feb 2000, asctime", T("Tue Feb 29 00:00:00 2000"), NOW_2024, 0,
     951782400},
    /* Second 60 reads as 59. */
    {"leap second", T("Thu, 31 Dec 1998 23:59:60 GMT"), NOW_2024, 0, 915148799},
    {"second 60 mid-day", T("Sun, 06 Nov 1994 08:49:60 GMT"), NOW_2024, 0,
     784111799},
    {"second 60 in the last minute", T("Fri, 31 Dec 9999 23:59:60 GMT"),
     NOW_2024, 0, LAST_SECOND},
    /* RFC 850 years: the latest not more than 50 years after now's year. */
    {"94 in 1994", T("Sunday, 06-Nov-94 08:49:37 GMT"), NOW_1994, 0,
     RFC_EXAMPLE},
    {"94 in 2043", T("Sunday, 06-Nov-94 08:49:37 GMT"), NOW_2043, 0,
     RFC_EXAMPLE},
    {"94 in 2044: 2094, exactly 50 years on",
     T("Sunday, 06-Nov-94 08:49:37 "
       "GMT"),
     NOW_2044, 0, 3939871777},
    {"74 in 2024: 2074", T("Tuesday, 06-Nov-74 08:49:37 GMT"), NOW_2024, 0,
     3308719777},
    {"75 in 2024: 1975", T("Thursday, 06-Nov-75 08:49:37 GMT"), NOW_2024, 0,
     184495777},
    {"70 in 2024: 2070", T("Wednesday, 01-Jan-70 00:00:00 GMT"), NOW_2024, 0,
     3155760000},
    {"44 in 1994: 2044", T("Friday, 01-Jan-44 00:00:00 GMT"), NOW_1994, 0,
     2335219200},
    {"45 in 1994: 1945, too early", T("Monday, 01-Jan-45 00:00:00 GMT"),
     NOW_1994, -1, 0},
    {"10 in 2080: 2110", T("Wednesday, 01-Jan-10 00:00:00 GMT"), NOW_2080, 0,
     4417977600},
    {"30 in 2080: 2130", T("Sunday, 01-Jan-30 00:00:00 GMT"), NOW_2080, 0,
     5049129600},
    {"31 in 2080: 2031", T("Wednesday, 01-Jan-31 00:00:00 GMT"), NOW_2080, 0,
     1924992000},
    {"now before 1970 counts as 1970: 20",
     T("Wednesday, 01-Jan-20 00:00:00 "
       "GMT"),
     NOW_NEG, 0, 1577836800},
    {"now before 1970 counts as 1970: 21 is 1921",
     T("Saturday, 01-Jan-21 00:00:00 GMT"), NOW_NEG, -1, 0},
    {"now past 9999 counts as 9999: 94", T("Sunday, 06-Nov-94 08:49:37 GMT"),
     NOW_FAR, 0, 253239727777},
    {"now past 9999: 49 would be 10049", T("Sunday, 06-Nov-49 08:49:37 GMT"),
     NOW_FAR, -1, 0},
    /* Only s[0..len) is read. */
    {"len cuts GMT", "Sun, 06 Nov 1994 08:49:37 GMT", 26, NOW_2024, -1, 0},
    {"len cuts trailing garbage", "Sun, 06 Nov 1994 08:49:37 GMTxyz", 29,
     NOW_2024, 0, RFC_EXAMPLE},
    {"len cuts the year, asctime", "Sun Nov  6 08:49:37 19945", 24, NOW_2024, 0,
     RFC_EXAMPLE},
    {"len 0", "Sun, 06 Nov 1994 08:49:37 GMT", 0, NOW_2024, -1, 0},
};

/* s copied to a buffer of exactly len bytes, so ASan sees overreads. */
static int
parse_exact(const char *s, size_t len, time_t now, time_t *t)
{
    char *copy = malloc(len > 0 ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, s, len);
    rc = httpdate_parse(copy, len, now, t);
    free(copy);
    return rc;
}

static void
test_parse_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        time_t t = (time_t)-42;
        int rc = parse_exact(c->s, c->len, c->now, &t);

        if (rc != c->rc || (rc == 0 && t != c->t) ||
            (rc != 0 && t != (time_t)-42)) {
            print_error("%s: %d t=%lld, want %d t=%lld\n", c->name, rc,
                        (long long)t, c->rc, (long long)c->t);
            failures++;
        }
    }
    print_message("%zu httpdate_parse cases\n",
                  sizeof(parse_cases) / sizeof(parse_cases[0]));
    assert_int_equal(failures, 0);
}

/* The three forms of t, as the C library writes them in the C locale. */
static void
libc_forms(time_t t, char imf[64], char rfc850[64], char asc[64])
{
    struct tm tm;
    char *yy;

    assert_non_null(gmtime_r(&t, &tm));
    assert_true(strftime(imf, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
    /* "%y", but without gcc's -Wformat-y2k: two-digit years are the point. */
    assert_true(strftime(rfc850, 64, "%A, %d-%b-YY %H:%M:%S GMT", &tm) > 0);
    yy = strstr(rfc850, "YY");
    assert_non_null(yy);
    yy[0] = (char)('0' + (tm.tm_year + 1900) % 100 / 10);
    yy[1] = (char)('0' + (tm.tm_year + 1900) % 10);
    assert_true(strftime(asc, 64, "%a %b %e %H:%M:%S %Y", &tm) > 0);
}

/* 1 if any form of t does not parse back to t (now = t for RFC 850). */
static unsigned
check_forms(time_t t)
{
    char forms[3][64];
    unsigned failures = 0;

    libc_forms(t, forms[0], forms[1], forms[2]);
    for (int i = 0; i < 3; i++) {
        time_t got = 0;

        if (parse_exact(forms[i], strlen(forms[i]), t, &got) != 0 || got != t) {
            print_error("\"%s\": %lld, want %lld\n", forms[i], (long long)got,
                        (long long)t);
            failures++;
        }
    }
    return failures;
}

/* Every month, with every one of its days, in 2001 and 2000 (leap). */
static void
test_parse_every_day(void **state)
{
    unsigned failures = 0;

    (void)state;
    /* 2000-01-01 to 2001-12-31 */
    for (time_t t = 946684800; t < 1009843200 && failures < 10; t += 86400)
        failures += check_forms(t + (t / 86400 % 86400));
    assert_int_equal(failures, 0);
}

/* parse(format(t)) == t, and the other two forms too, over the range. */
static void
test_parse_round_trip(void **state)
{
    uint64_t seed = 0x2545f4914f6cdd1dULL;
    unsigned failures = 0;
    static const time_t edges[] = {0,
                                   1,
                                   59,
                                   60,
                                   86399,
                                   86400,
                                   68169600,
                                   951868799,
                                   2147483647,
                                   2147483648,
                                   4107542399,
                                   4107542400,
                                   LAST_SECOND - 1,
                                   LAST_SECOND};

    (void)state;
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        failures += check_forms(edges[i]);
    for (int i = 0; i < 5000 && failures < 10; i++) {
        time_t t = (time_t)(xorshift64(&seed) % ((uint64_t)LAST_SECOND + 1));
        char buf[HTTPDATE_LEN];
        time_t got = 0;

        assert_int_equal(httpdate_format(t, buf), 0);
        if (httpdate_parse(buf, HTTPDATE_LEN - 1, NOW_2024, &got) != 0 ||
            got != t) {
            print_error("\"%s\": %lld, want %lld\n", buf, (long long)got,
                        (long long)t);
            failures++;
        }
        failures += check_forms(t);
    }
    assert_int_equal(failures, 0);
}

/*
 * A valid date cut short anywhere, or with any one byte replaced by 'X',
 * does not parse.
 */
static void
test_parse_cut_and_damaged(void **state)
{
    static const char *const valid[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",     "Sunday, 06-Nov-94 08:49:37 GMT",
        "Wednesday, 09-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
        "Sun Nov 16 08:49:37 1994",
    };
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t len = strlen(valid[i]);
        char damaged[64];
        time_t t;

        assert_int_equal(parse_exact(valid[i], len, NOW_2024, &t), 0);
        for (size_t cut = 0; cut < len; cut++) {
            if (parse_exact(valid[i], cut, NOW_2024, &t) != -1) {
                print_error("\"%s\" cut to %zu parsed\n", valid[i], cut);
                failures++;
            }
        }
        for (size_t pos = 0; pos < len; pos++) {
            memcpy(damaged, valid[i], len);
            damaged[pos] = 'X';
            if (parse_exact(damaged, len, NOW_2024, &t) != -1) {
                print_error("\"%.*s\" parsed\n", (int)len, damaged);
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

/* NULL is not a date. */
static void
test_parse_null(void **state)
{
    time_t t = 7;

    (void)state;
    assert_int_equal(httpdate_parse(NULL, 0, NOW_2024, &t), -1);
    assert_int_equal(t, 7);
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
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_every_day),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_cut_and_damaged),
        cmocka_unit_test(test_parse_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
