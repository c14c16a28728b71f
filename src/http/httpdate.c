/* HTTP and access-log dates; see httpdate.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/httpdate.h"

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};
static const char day_names[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                     "Mon", "Tue", "Wed"};

struct civil {
    int year, month, day; /* month 1-12 */
    int hour, min, sec;
    int wday; /* 0 = Thursday, as 1970-01-01 was */
};

/* 9999-12-31T23:59:59Z: the last second a four-digit year can show. */
#define HTTPDATE_MAX ((time_t)253402300799LL)

/*
 * Proleptic Gregorian calendar from days since 1970-01-01, by eras of 400
 * years (146097 days) so that no table or loop is needed.
 */
static int
to_civil(time_t t, struct civil *c)
{
    int64_t days, secs, era, doe, yoe, doy, mp;

    if (t < 0 || t > HTTPDATE_MAX)
        return -1;
    days = (int64_t)t / 86400;
    secs = (int64_t)t % 86400;
    c->hour = (int)(secs / 3600);
    c->min = (int)(secs / 60 % 60);
    c->sec = (int)(secs % 60);
    c->wday = (int)(days % 7);
    days += 719468; /* shift the epoch to 0000-03-01 */
    era = days / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = (int)(yoe + era * 400 + (c->month <= 2));
    return 0;
}

/*
 * Both layouts have a fixed width: what snprintf() returns must be exactly
 * size - 1 (anything else, say a field wider than its digits, would be a
 * cut or malformed date). Only then is line copied out, so that buf stays
 * untouched on -1 as httpdate.h promises.
 */
static int
fixed_width_done(int n, const char *line, char *buf, size_t size)
{
    if (n < 0 || (size_t)n != size - 1)
        return -1;
    memcpy(buf, line, size);
    return 0;
}

int
httpdate_format(time_t t, char *buf)
{
    struct civil c;
    char line[HTTPDATE_LEN];
    int n;

    if (to_civil(t, &c) == -1)
        return -1;
    n = snprintf(line, sizeof(line), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 day_names[c.wday], c.day, month_names[c.month - 1], c.year,
                 c.hour, c.min, c.sec);
    return fixed_width_done(n, line, buf, sizeof(line));
}

int
httpdate_format_log(time_t t, char *buf)
{
    struct civil c;
    char line[HTTPDATE_LOG_LEN];
    int n;

    if (to_civil(t, &c) == -1)
        return -1;
    n = snprintf(line, sizeof(line), "%02d/%s/%04d:%02d:%02d:%02d +0000", c.day,
                 month_names[c.month - 1], c.year, c.hour, c.min, c.sec);
    return fixed_width_done(n, line, buf, sizeof(line));
}

static const char long_day_names[7][10] = {"Thursday", "Friday", "Saturday",
                                           "Sunday",   "Monday", "Tuesday",
                                           "Wednesday"};

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};

    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/*
 * The inverse of to_civil(): days since 1970-01-01 of a valid date from
 * 0000-03-01 on, by the same 400-year eras, counting years from March.
 */
static int64_t
days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A cursor over s[0..len): each step matches exactly or fails. */
struct cursor {
    const char *p, *end;
};

static bool
take_lit(struct cursor *c, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

/* Exactly n digits. */
static bool
take_digits(struct cursor *c, int n, int *v)
{
    if (c->end - c->p < n)
        return false;
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (c->p[i] < '0' || c->p[i] > '9')
            return false;
        *v = *v * 10 + (c->p[i] - '0');
    }
    c->p += n;
    return true;
}

/* Names are case-sensitive, as RFC 9110 section 5.6.7 spells them. */
static bool
take_month(struct cursor *c, int *month)
{
    for (int i = 0; i < 12; i++) {
        if (take_lit(c, month_names[i])) {
            *month = i + 1;
            return true;
        }
    }
    return false;
}

/* day-name ("Sun") or, long_form, day-name-l ("Sunday"). */
static bool
take_day_name(struct cursor *c, bool long_form)
{
    for (int i = 0; i < 7; i++)
        if (take_lit(c, long_form ? long_day_names[i] : day_names[i]))
            return true;
    return false;
}

/* time-of-day = hour ":" minute ":" second, ranges checked later. */
static bool
take_time(struct cursor *c, struct civil *tm)
{
    return take_digits(c, 2, &tm->hour) && take_lit(c, ":") &&
           take_digits(c, 2, &tm->min) && take_lit(c, ":") &&
           take_digits(c, 2, &tm->sec);
}

/* IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT */
static bool
parse_imf(struct cursor c, struct civil *tm)
{
    return take_day_name(&c, false) && take_lit(&c, ", ") &&
           take_digits(&c, 2, &tm->day) && take_lit(&c, " ") &&
           take_month(&c, &tm->month) && take_lit(&c, " ") &&
           take_digits(&c, 4, &tm->year) && take_lit(&c, " ") &&
           take_time(&c, tm) && take_lit(&c, " GMT") && c.p == c.end;
}

/* rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT */
static bool
parse_rfc850(struct cursor c, struct civil *tm)
{
    return take_day_name(&c, true) && take_lit(&c, ", ") &&
           take_digits(&c, 2, &tm->day) && take_lit(&c, "-") &&
           take_month(&c, &tm->month) && take_lit(&c, "-") &&
           take_digits(&c, 2, &tm->year) && take_lit(&c, " ") &&
           take_time(&c, tm) && take_lit(&c, " GMT") && c.p == c.end;
}

/* asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP
 * time-of-day SP year */
static bool
parse_asctime(struct cursor c, struct civil *tm)
{
    if (!take_day_name(&c, false) || !take_lit(&c, " ") ||
        !take_month(&c, &tm->month) || !take_lit(&c, " "))
        return false;
    if (!(take_lit(&c, " ") ? take_digits(&c, 1, &tm->day)
                            : take_digits(&c, 2, &tm->day)))
        return false;
    return take_lit(&c, " ") && take_time(&c, tm) && take_lit(&c, " ") &&
           take_digits(&c, 4, &tm->year) && c.p == c.end;
}

/*
 * RFC 9110 section 5.6.7: a two-digit year that would be more than 50
 * years in the future is in the past century. So: the latest year ending
 * in yy that is not after now's year + 50. A now outside 1970-9999 counts
 * as the nearest end.
 */
static int
rfc850_year(int yy, time_t now)
{
    struct civil c;
    int limit;

    if (now < 0)
        now = 0;
    else if (now > HTTPDATE_MAX)
        now = HTTPDATE_MAX;
    (void)to_civil(now, &c);
    limit = c.year + 50;
    return (limit - yy) / 100 * 100 + yy;
}

/*
 * Checks the fields and turns them into seconds. Second 60 (a leap second,
 * which time-of-day allows) counts as 59: time_t has no such second, and
 * the earlier one never makes If-Modified-Since answer 304 or
 * If-Unmodified-Since pass for a file changed after the date meant.
 */
static int
from_civil(const struct civil *tm, time_t *t)
{
    int64_t days;

    if (tm->year < 1970 || tm->year > 9999 || tm->month < 1 || tm->month > 12 ||
        tm->day < 1 || tm->day > days_in_month(tm->year, tm->month) ||
        tm->hour > 23 || tm->min > 59 || tm->sec > 60)
        return -1;
    days = days_from_civil(tm->year, tm->month, tm->day);
    *t = (time_t)(days * 86400 + tm->hour * 3600 + tm->min * 60 +
                  (tm->sec == 60 ? 59 : tm->sec));
    return 0;
}

int
httpdate_parse(const char *s, size_t len, time_t now, time_t *t)
{
    struct cursor c;
    struct civil tm = {0, 0, 0, 0, 0, 0, 0};

    if (s == NULL)
        return -1;
    c.p = s;
    c.end = s + len;
    if (parse_imf(c, &tm) || parse_asctime(c, &tm))
        return from_civil(&tm, t);
    if (parse_rfc850(c, &tm)) {
        tm.year = rfc850_year(tm.year, now);
        return from_civil(&tm, t);
    }
    return -1;
}
