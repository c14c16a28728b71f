/* Range requests; see range.h. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http/range.h"
#include "util/num.h"

/*
 * A run of digits: its value, or big when it does not fit in 64 bits. The
 * digits themselves are kept so that two big numbers can still be ordered.
 */
struct range_num {
    uint64_t v;
    bool big;
    const char *digits;
    size_t len;
};

enum spec_rc {
    SPEC_BAD,   /* syntax error or last-pos < first-pos */
    SPEC_UNSAT, /* well formed, not satisfiable */
    SPEC_OK,    /* *r holds the clamped range */
};

/* OWS = *( SP / HTAB ), RFC 9110 section 5.6.3. */
static const char *
skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* 1*DIGIT; -1 when there is none. Overflow is not an error (see above). */
static int
parse_num(const char **pp, const char *end, struct range_num *num)
{
    const char *p = *pp;

    num->v = 0;
    num->big = false;
    num->digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p++ - '0');

        if (num->big || num->v > (UINT64_MAX - d) / 10)
            num->big = true;
        else
            num->v = num->v * 10 + d;
    }
    num->len = (size_t)(p - num->digits);
    *pp = p;
    return num->len > 0 ? 0 : -1;
}

/* Orders two numbers exactly, big ones by their digits. */
static int
num_cmp(const struct range_num *a, const struct range_num *b)
{
    const char *da = a->digits, *db = b->digits;
    size_t la = a->len, lb = b->len;

    if (!a->big || !b->big) {
        if (a->big != b->big)
            return a->big ? 1 : -1;
        return a->v < b->v ? -1 : a->v > b->v;
    }
    while (la > 0 && *da == '0') {
        da++;
        la--;
    }
    while (lb > 0 && *db == '0') {
        db++;
        lb--;
    }
    if (la != lb)
        return la < lb ? -1 : 1;
    return memcmp(da, db, la);
}

/*
 * suffix-range = "-" suffix-length (RFC 9110 section 14.1.1): the last n
 * bytes, the whole representation when it is shorter; n = 0 asks for
 * nothing and is unsatisfiable. size > 0 here.
 */
static enum spec_rc
parse_suffix(const char **pp, const char *end, uint64_t size,
             struct range_spec *r)
{
    struct range_num n;

    if (parse_num(pp, end, &n) == -1)
        return SPEC_BAD;
    if (!n.big && n.v == 0)
        return SPEC_UNSAT;
    r->first = (n.big || n.v >= size) ? 0 : size - n.v;
    r->last = size - 1;
    return SPEC_OK;
}

/*
 * int-range = first-pos "-" [ last-pos ]: invalid when last-pos < first-pos,
 * satisfiable when first-pos < size; last-pos is clamped to size - 1.
 */
static enum spec_rc
parse_int_range(const char **pp, const char *end, uint64_t size,
                struct range_spec *r)
{
    struct range_num first, last;
    bool has_last;

    if (parse_num(pp, end, &first) == -1 || *pp == end || **pp != '-')
        return SPEC_BAD;
    (*pp)++;
    has_last = (*pp < end && **pp >= '0' && **pp <= '9');
    if (has_last) {
        (void)parse_num(pp, end, &last);
        if (num_cmp(&last, &first) < 0)
            return SPEC_BAD;
    }
    if (first.big || first.v >= size)
        return SPEC_UNSAT;
    r->first = first.v;
    r->last = (!has_last || last.big || last.v >= size) ? size - 1 : last.v;
    return SPEC_OK;
}

static enum spec_rc
parse_spec(const char **pp, const char *end, uint64_t size,
           struct range_spec *r)
{
    if (**pp == '-') {
        (*pp)++;
        return parse_suffix(pp, end, size, r);
    }
    return parse_int_range(pp, end, size, r);
}

/* Inclusive ranges share a byte; adjacent ones ("0-9,10-19") do not. */
static bool
any_overlap(const struct range_spec *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (r[i].first <= r[j].last && r[j].first <= r[i].last)
                return true;
    return false;
}

/*
 * range-set = 1#range-spec, read as a recipient reads lists (RFC 9110
 * section 5.6.1.2): empty elements are skipped, OWS may surround elements
 * and commas. A range-spec ends at OWS, a comma or the end; anything else
 * there is a syntax error.
 */
static enum range_rc
parse_set(const char *p, const char *end, uint64_t size, struct range_spec *out,
          size_t max, size_t *n)
{
    size_t specs = 0;

    for (;;) {
        p = skip_ows(p, end);
        if (p == end)
            break;
        if (*p == ',') {
            p++;
            continue;
        }
        if (++specs > max)
            return RANGE_NONE;
        switch (parse_spec(&p, end, size, &out[*n])) {
        case SPEC_BAD:
            return RANGE_NONE;
        case SPEC_OK:
            (*n)++;
            break;
        case SPEC_UNSAT:
            break;
        }
        p = skip_ows(p, end);
        if (p < end && *p != ',')
            return RANGE_NONE;
    }
    if (specs == 0)
        return RANGE_NONE;
    return *n == 0 ? RANGE_UNSATISFIABLE : RANGE_OK;
}

enum range_rc
range_parse(const char *hdr, size_t len, uint64_t size, struct range_spec *out,
            size_t max, size_t *n)
{
    static const char unit[] = "bytes=";
    const char *p, *end;
    enum range_rc rc;

    *n = 0;
    if (hdr == NULL || size == 0)
        return RANGE_NONE;
    end = hdr + len;
    if (max > RANGE_MAX)
        max = RANGE_MAX;
    /* OWS around a field value belongs to the field line (RFC 9112 5). */
    p = skip_ows(hdr, end);
    /* range-unit is case-insensitive (RFC 9110 section 14.1); no BWS. */
    for (size_t i = 0; i < sizeof(unit) - 1; i++, p++) {
        char c = (p < end) ? *p : '\0';

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != unit[i])
            return RANGE_NONE;
    }
    rc = parse_set(p, end, size, out, max, n);
    if (rc != RANGE_OK || any_overlap(out, *n)) {
        *n = 0;
        return rc == RANGE_OK ? RANGE_NONE : rc;
    }
    return RANGE_OK;
}

/* snprintf-style output: count everything, store what fits, NUL-end it. */
struct range_out {
    char *buf;
    size_t size, len;
};

static void
out_str(struct range_out *o, const char *s)
{
    for (; *s != '\0'; s++, o->len++)
        if (o->len + 1 < o->size)
            o->buf[o->len] = *s;
}

static void
out_u64(struct range_out *o, uint64_t v)
{
    char tmp[21];
    size_t i = sizeof(tmp) - 1;

    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_str(o, tmp + i);
}

static size_t
out_end(struct range_out *o)
{
    if (o->size > 0)
        o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
    return o->len;
}

size_t
range_part_header(char *buf, size_t bufsz, const char *boundary,
                  const struct range_spec *r, uint64_t size)
{
    struct range_out o = {buf, bufsz, 0};

    out_str(&o, "--");
    out_str(&o, boundary);
    out_str(&o, "\r\nContent-Type: application/octet-stream\r\n"
                "Content-Range: bytes ");
    out_u64(&o, r->first);
    out_str(&o, "-");
    out_u64(&o, r->last);
    out_str(&o, "/");
    out_u64(&o, size);
    out_str(&o, "\r\n\r\n");
    return out_end(&o);
}

size_t
range_trailer(char *buf, size_t bufsz, const char *boundary)
{
    struct range_out o = {buf, bufsz, 0};

    out_str(&o, "--");
    out_str(&o, boundary);
    out_str(&o, "--\r\n");
    return out_end(&o);
}

/* a + b, or UINT64_MAX when that does not fit. */
static uint64_t
add_sat(uint64_t a, uint64_t b)
{
    return (a > UINT64_MAX - b) ? UINT64_MAX : a + b;
}

uint64_t
range_multipart_length(const char *boundary, const struct range_spec *r,
                       size_t n, uint64_t size)
{
    uint64_t total = range_trailer(NULL, 0, boundary);

    for (size_t i = 0; i < n; i++) {
        total =
            add_sat(total, range_part_header(NULL, 0, boundary, &r[i], size));
        total = add_sat(total, r[i].last - r[i].first);
        total = add_sat(total, 1 + 2); /* the last byte, then CRLF */
    }
    return total;
}

/* Where in v[from..to) the byte c first is, or to. */
static size_t
find_byte(const char *v, size_t from, size_t to, char c)
{
    while (from < to && v[from] != c)
        from++;
    return from;
}

enum range_content_rc
range_content_parse(const char *v, size_t len, struct range_spec *r,
                    uint64_t *size)
{
    size_t b = 0, e = len, dash, slash;
    uint64_t first, last, total;

    while (b < e && (v[b] == ' ' || v[b] == '\t'))
        b++;
    while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
        e--;
    if (e - b < 6 || strncasecmp(v + b, "bytes ", 6) != 0)
        return RANGE_CONTENT_BAD;
    b += 6;
    slash = find_byte(v, b, e, '/');
    /* The size: digits only; "*" (unknown) is of no use to us. */
    if (slash == e ||
        num_parse_u64(v + slash + 1, e - slash - 1, UINT64_MAX, &total) == -1)
        return RANGE_CONTENT_BAD;
    if (slash - b == 1 && v[b] == '*') {
        *size = total;
        return RANGE_CONTENT_UNSAT;
    }
    dash = find_byte(v, b, slash, '-');
    if (dash == slash ||
        num_parse_u64(v + b, dash - b, UINT64_MAX, &first) == -1 ||
        num_parse_u64(v + dash + 1, slash - dash - 1, UINT64_MAX, &last) ==
            -1 ||
        first > last || last >= total)
        return RANGE_CONTENT_BAD;
    r->first = first;
    r->last = last;
    *size = total;
    return RANGE_CONTENT_RANGE;
}
