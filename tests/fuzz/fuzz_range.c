/*
 * libFuzzer target for include/http/range.h. The input is 8 bytes of
 * representation size (little-endian), 1 byte of max, then the Range value
 * (exact size, not NUL-terminated). Invariants: *n is 0 unless RANGE_OK;
 * RANGE_OK gives 1..min(max, RANGE_MAX) ranges, each first <= last < size,
 * no two overlapping, their lengths adding up to at most size; a zero size
 * or max, or a NUL in the value, is RANGE_NONE; out (exactly max entries)
 * is never overrun; range_multipart_length() equals the sum of what
 * range_part_header() and range_trailer() write plus the data and CRLFs.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "http/range.h"

static const char boundary[] = "3d6b6a416f9b5e21";

static uint64_t
multipart_by_hand(const struct range_spec *r, size_t n, uint64_t size)
{
    uint64_t total = 0;
    char buf[256];

    for (size_t i = 0; i < n; i++) {
        size_t h = range_part_header(buf, sizeof(buf), boundary, &r[i], size);
        size_t h0 = range_part_header(NULL, 0, boundary, &r[i], size);

        CHECK(h == h0 && h < sizeof(buf) && strlen(buf) == h);
        CHECK(h >= 4 && memcmp(buf + h - 4, "\r\n\r\n", 4) == 0);
        total += h + (r[i].last - r[i].first + 1) + 2;
    }
    {
        size_t t = range_trailer(buf, sizeof(buf), boundary);

        CHECK(strlen(buf) == t);
        total += t;
    }
    return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t rsize = 0;
    size_t max, n = 12345, cap;
    struct range_spec *out;
    const char *hdr;
    size_t len;
    enum range_rc rc;

    if (size < 9)
        return 0;
    for (int i = 0; i < 8; i++)
        rsize |= (uint64_t)data[i] << (8 * i);
    max = data[8] % (RANGE_MAX + 8); /* some above RANGE_MAX */
    hdr = (const char *)data + 9;
    len = size - 9;
    cap = max > RANGE_MAX ? RANGE_MAX : max; /* "out has room for max" */
    out = malloc((max > 0 ? max : 1) * sizeof(*out));
    CHECK(out != NULL);
    rc = range_parse(hdr, len, rsize, out, max, &n);
    CHECK(rc == RANGE_NONE || rc == RANGE_OK || rc == RANGE_UNSATISFIABLE);
    if (rc != RANGE_OK)
        CHECK(n == 0);
    if (rsize == 0 || max == 0 || memchr(hdr, '\0', len) != NULL)
        CHECK(rc == RANGE_NONE);
    if (rc != RANGE_NONE)
        CHECK(len >= 6 && memchr(hdr, '=', len) != NULL);
    if (rc == RANGE_OK) {
        uint64_t sum = 0, m;

        CHECK(n >= 1 && n <= cap);
        for (size_t i = 0; i < n; i++) {
            CHECK(out[i].first <= out[i].last && out[i].last < rsize);
            for (size_t j = 0; j < i; j++)
                CHECK(out[i].last < out[j].first || out[j].last < out[i].first);
            sum += out[i].last - out[i].first + 1;
            CHECK(sum <= rsize);
        }
        m = range_multipart_length(boundary, out, n, rsize);
        if (m != UINT64_MAX)
            CHECK(m == multipart_by_hand(out, n, rsize));
    }
    /* Pure: the same answer again, and with no NULL dereference. */
    {
        size_t n2 = 7;
        enum range_rc rc2 = range_parse(hdr, len, rsize, out, max, &n2);

        CHECK(rc2 == rc && n2 == n);
    }
    CHECK(range_parse(NULL, 0, rsize, out, max, &n) == RANGE_NONE && n == 0);
    free(out);
    return 0;
}
