/*
 * libFuzzer target for include/http/httpdate.h. The input is 8 bytes of
 * "now" and 8 bytes of a time t0 (little-endian, signed), then the text
 * given to httpdate_parse() (exact size, not NUL-terminated).
 * Invariants: a failed parse leaves *t untouched; a parsed time lies in
 * 1970-9999, formats, and parses back to itself; an IMF-fixdate that
 * parses is the very text httpdate_format() writes for it (but for the
 * day name, not checked against the date, and second 60, read as 59); an
 * RFC 850 year lies in the 100 years up to 50 after now's year. Round
 * trip: t0 formats iff it lies in 1970-9999, both layouts then agree with
 * gmtime_r(), and the IMF-fixdate parses back to t0 whatever now is.
 */
#include <stdbool.h>
#include <time.h>

#include "fuzz.h"
#include "http/httpdate.h"

#define T_MIN ((time_t)0)
#define T_MAX ((time_t)253402300799) /* 9999-12-31 23:59:59 */

static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed",
                                   "Thu", "Fri", "Sat"};

static void
check_round_trip(time_t t0, time_t now)
{
    char buf[HTTPDATE_LEN + 1], log[HTTPDATE_LOG_LEN + 1], want[64];
    bool ok = t0 >= T_MIN && t0 <= T_MAX;
    struct tm tm;
    time_t back = -5;

    memset(buf, 'x', sizeof(buf));
    memset(log, 'x', sizeof(log));
    CHECK(httpdate_format(t0, buf) == (ok ? 0 : -1));
    CHECK(httpdate_format_log(t0, log) == (ok ? 0 : -1));
    CHECK(buf[HTTPDATE_LEN] == 'x' && log[HTTPDATE_LOG_LEN] == 'x');
    if (!ok) {
        CHECK(buf[0] == 'x' && log[0] == 'x'); /* untouched */
        return;
    }
    CHECK(gmtime_r(&t0, &tm) != NULL);
    snprintf(want, sizeof(want), "%s, %02d %s %04d %02d:%02d:%02d GMT",
             wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    CHECK(strlen(buf) == HTTPDATE_LEN - 1 && strcmp(buf, want) == 0);
    snprintf(want, sizeof(want), "%02d/%s/%04d:%02d:%02d:%02d +0000",
             tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    CHECK(strlen(log) == HTTPDATE_LOG_LEN - 1 && strcmp(log, want) == 0);
    CHECK(httpdate_parse(buf, strlen(buf), now, &back) == 0 && back == t0);
}

static int
year_of(time_t t)
{
    struct tm tm;

    if (t < T_MIN)
        t = T_MIN;
    if (t > T_MAX)
        t = T_MAX;
    CHECK(gmtime_r(&t, &tm) != NULL);
    return tm.tm_year + 1900;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    time_t now, t0, t = (time_t)-77;
    const char *s;
    size_t len;
    int rc;

    if (size < 16)
        return 0;
    now = (time_t)fuzz_le64(data);
    t0 = (time_t)fuzz_le64(data + 8);
    s = (const char *)data + 16;
    len = size - 16;
    check_round_trip(t0, now);
    /* A time near the input's, so that valid dates are common. */
    check_round_trip((time_t)((uint64_t)t0 % (uint64_t)(T_MAX + 2)), now);

    rc = httpdate_parse(s, len, now, &t);
    CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        CHECK(t == (time_t)-77);
        return 0;
    }
    CHECK(t >= T_MIN && t <= T_MAX);
    {
        char buf[HTTPDATE_LEN];
        time_t back = -5;

        CHECK(httpdate_format(t, buf) == 0);
        CHECK(httpdate_parse(buf, strlen(buf), now, &back) == 0 && back == t);
        /* IMF-fixdate: the very text after the day name (not checked
         * against the date), but a leap second reads as 59. */
        if (len == HTTPDATE_LEN - 1 && s[3] == ',') {
            if (memcmp(s + 23, "60", 2) != 0)
                CHECK(memcmp(s + 3, buf + 3, len - 3) == 0);
            else
                CHECK(memcmp(s + 3, buf + 3, 20) == 0 &&
                      memcmp(buf + 23, "59", 2) == 0 &&
                      memcmp(s + 25, buf + 25, len - 25) == 0);
        }
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". */
    if (len > 10 && memchr(s, ',', len) != NULL &&
        memchr(s, '-', len) != NULL) {
        int y = year_of(t), ny = year_of(now);

        CHECK(y <= ny + 50 && y > ny - 50);
    }
    return 0;
}
