/*
 * Dates as HTTP and the access log write them: pure, no clock, no locale,
 * no time zone (always UTC/GMT).
 */
#ifndef SYMSRVD_HTTPDATE_H
#define SYMSRVD_HTTPDATE_H

#include <stddef.h>
#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" plus NUL */
#define HTTPDATE_LEN 30
/* "06/Nov/1994:08:49:37 +0000" plus NUL */
#define HTTPDATE_LOG_LEN 27

/*
 * IMF-fixdate (RFC 9110 section 5.6.7) of t into buf[HTTPDATE_LEN].
 * Returns 0, or -1 when t is before 1970 or after 9999 (buf untouched).
 */
int httpdate_format(time_t t, char *buf);

/* nginx's $time_local layout in UTC into buf[HTTPDATE_LOG_LEN]; as above. */
int httpdate_format_log(time_t t, char *buf);

/*
 * Parses an HTTP-date in each of the three forms RFC 9110 section 5.6.7
 * makes a recipient accept: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
 * RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is the
 * latest year with those digits that is not more than 50 years after
 * now's year, as the RFC says; a now outside 1970-9999 counts as the
 * nearer end) and asctime ("Sun Nov  6 08:49:37 1994", the day also as
 * "06"). s[0..len), without surrounding whitespace; s need not be
 * NUL-terminated. Strict: the spacing of each form exactly, day and month
 * names case-sensitive as the RFC spells them, "GMT" where the form has
 * it. Day names must match the form; they are not checked against the
 * date. Second 60 (a leap second) is accepted and read as 59. Returns 0
 * with *t, or -1 for anything else, *t then untouched (impossible dates
 * such as 31 Apr, 29 Feb 1900 or 24:00:00 included, and years before 1970
 * or after 9999).
 */
int httpdate_parse(const char *s, size_t len, time_t now, time_t *t);

#endif
