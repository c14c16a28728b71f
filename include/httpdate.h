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

#endif
