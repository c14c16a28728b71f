/*
 * libFuzzer target for accesslog_format() (include/daemon/accesslog.h).
 * The input is 8 bytes of time, 4 of status, 8 of body bytes
 * (little-endian), 1 of flags (bit 0: no Referer, bit 1: no User-Agent),
 * 1 of repeat (each field is its text 1 + repeat times, so that fields can
 * outgrow their caps), then NUL-separated fields: peer, method, target,
 * protocol, Referer, User-Agent, each an exact-size string (ASan).
 *
 * Invariants: the line fits ACCESSLOG_LINE_MAX (buf is exactly that big),
 * ends in its only '\n', is printable ASCII otherwise, has exactly six
 * '"' (the delimiters), a '\' only in a \xHH escape; status and bytes are
 * the numbers given; the Referer and User-Agent fields are the escaped
 * value, or "-", or a cut of it at an escape boundary followed by "...";
 * and, when no field is long enough to be cut, the line is exactly the
 * one the header describes.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <time.h>

#include "daemon/accesslog.h"
#include "fuzz.h"
#include "http/httpdate.h"

#define SHORT 200 /* escaped fields this short are never cut */

static bool
needs_escape(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f;
}

/* The escaped s into a new string; *bound[i] marks escape starts. */
static char *
escape(const char *s, size_t *elen, bool **bound)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), k = 0;
    char *e = malloc(4 * n + 1);
    bool *b = calloc(4 * n + 1, 1);

    CHECK(e != NULL && b != NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        b[k] = true;
        if (needs_escape(c)) {
            e[k++] = '\\';
            e[k++] = 'x';
            e[k++] = hex[c >> 4];
            e[k++] = hex[c & 15];
        } else {
            e[k++] = (char)c;
        }
    }
    b[k] = true;
    e[k] = '\0';
    *elen = k;
    if (bound != NULL)
        *bound = b;
    else
        free(b);
    return e;
}

/* f[0..flen) is the whole escaped value, or a cut of it and "...". */
static void
check_field(const char *f, size_t flen, const char *value)
{
    const char *v = value == NULL || *value == '\0' ? "-" : value;
    size_t elen, k;
    bool *bound;
    char *e = escape(v, &elen, &bound);

    if (!(flen == elen && memcmp(f, e, elen) == 0)) {
        CHECK(flen >= 3 && memcmp(f + flen - 3, "...", 3) == 0);
        k = flen - 3;
        CHECK(k < elen && bound[k] && memcmp(f, e, k) == 0);
    }
    free(bound);
    free(e);
}

static uint64_t
le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[6] = {NULL}, *buf, *q[6], nums[64];
    size_t pos = 22, len, nq = 0, rep;
    struct accesslog_entry e;
    bool is_short = true;
    uint8_t flags;

    if (size < 22 || size > 16384)
        return 0;
    flags = data[20];
    rep = 1 + (size_t)data[21];
    for (int i = 0; i < 6; i++) {
        const uint8_t *nul = memchr(data + pos, '\0', size - pos);
        size_t n = nul != NULL ? (size_t)(nul - (data + pos)) : size - pos;
        size_t elen;
        char *esc;

        f[i] = malloc(n * rep + 1);
        CHECK(f[i] != NULL);
        for (size_t r = 0; r < rep; r++)
            memcpy(f[i] + r * n, data + pos, n);
        f[i][n * rep] = '\0';
        pos += n + (nul != NULL);
        esc = escape(f[i], &elen, NULL);
        if (elen >= SHORT)
            is_short = false;
        free(esc);
    }
    e = (struct accesslog_entry){
        .peer = f[0],
        .when = (time_t)(int64_t)le(data, 8),
        .method = f[1],
        .target = f[2],
        .proto = f[3],
        .status = (int)(int32_t)(uint32_t)le(data + 8, 4),
        .bytes = le(data + 12, 8),
        .referer = flags & 1 ? NULL : f[4],
        .user_agent = flags & 2 ? NULL : f[5],
    };
    buf = malloc(ACCESSLOG_LINE_MAX);
    CHECK(buf != NULL);
    len = accesslog_format(buf, &e);

    CHECK(len >= 1 && len <= ACCESSLOG_LINE_MAX);
    CHECK(buf[len - 1] == '\n' && memchr(buf, '\n', len - 1) == NULL);
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned char c = (unsigned char)buf[i];

        CHECK(c >= 0x20 && c <= 0x7e);
        if (c == '"') {
            CHECK(nq < 6);
            q[nq++] = buf + i;
        }
        if (c == '\\')
            CHECK(i + 4 < len && buf[i + 1] == 'x' &&
                  strchr("0123456789ABCDEF", buf[i + 2]) != NULL &&
                  strchr("0123456789ABCDEF", buf[i + 3]) != NULL);
    }
    CHECK(nq == 6);
    CHECK(q[5] == buf + len - 2);
    /* " status bytes " between the request and the Referer. */
    snprintf(nums, sizeof(nums), " %d %" PRIu64 " ", e.status, e.bytes);
    CHECK((size_t)(q[2] - q[1]) == strlen(nums) + 1 &&
          memcmp(q[1] + 1, nums, strlen(nums)) == 0);
    CHECK(q[4] == q[3] + 2 && q[3][1] == ' ');
    check_field(q[2] + 1, (size_t)(q[3] - q[2] - 1), e.referer);
    check_field(q[4] + 1, (size_t)(q[5] - q[4] - 1), e.user_agent);
    if (is_short) {
        char date[HTTPDATE_LOG_LEN], *want, *ep, *em, *et, *epr;
        size_t l0, l1, l2, l3, wl;

        if (httpdate_format_log(e.when, date) == -1)
            memcpy(date, "01/Jan/1970:00:00:00 +0000", sizeof(date));
        ep = escape(f[0], &l0, NULL);
        em = escape(f[1], &l1, NULL);
        et = escape(f[2], &l2, NULL);
        epr = escape(f[3], &l3, NULL);
        want = malloc(l0 + l1 + l2 + l3 + 64);
        CHECK(want != NULL);
        wl = (size_t)sprintf(want, "%s - - [%s] \"%s %s %s\"", ep, date, em, et,
                             epr);
        CHECK(buf + wl == q[1] + 1 && memcmp(buf, want, wl) == 0);
        free(want);
        free(epr);
        free(et);
        free(em);
        free(ep);
    }
    free(buf);
    for (int i = 0; i < 6; i++)
        free(f[i]);
    return 0;
}
