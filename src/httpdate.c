/* HTTP and access-log dates; see httpdate.h. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "httpdate.h"

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

int
httpdate_format(time_t t, char *buf)
{
    struct civil c;

    if (to_civil(t, &c) == -1)
        return -1;
    snprintf(buf, HTTPDATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             day_names[c.wday], c.day, month_names[c.month - 1], c.year, c.hour,
             c.min, c.sec);
    return 0;
}

int
httpdate_format_log(time_t t, char *buf)
{
    struct civil c;

    if (to_civil(t, &c) == -1)
        return -1;
    snprintf(buf, HTTPDATE_LOG_LEN, "%02d/%s/%04d:%02d:%02d:%02d +0000", c.day,
             month_names[c.month - 1], c.year, c.hour, c.min, c.sec);
    return 0;
}
