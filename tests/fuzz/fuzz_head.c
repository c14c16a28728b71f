/*
 * libFuzzer target for include/http/head.h: head_end() over the input, at
 * once, resumed after a split and byte by byte, then head_parse() on the
 * head it finds, then the invariants below, then head_nul_terminate().
 * Any broken invariant aborts.
 * tests/fuzz/replay.c runs it over the seed corpus without libFuzzer.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http/head.h"

static size_t
end_of_copy(const uint8_t *s, size_t len, size_t *scanned)
{
    char *b = fuzz_dup(s, len);
    size_t e = head_end(b, len, scanned);

    free(b);
    return e;
}

/* Bytes of LF or CRLF lines at the start of buf. */
static size_t
leading(const char *buf, size_t len)
{
    size_t i = 0;

    for (;;) {
        if (i < len && buf[i] == '\n')
            i++;
        else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
            i += 2;
        else
            return i;
    }
}

/*
 * head_end() another way: after the empty lines, the first line that is
 * empty or a lone CR ends the head.
 */
static size_t
ref_end(const char *buf, size_t len)
{
    size_t pos = leading(buf, len);
    bool first = true;

    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n;

        if (nl == NULL)
            return 0;
        n = (size_t)(nl - (buf + pos));
        if (!first && (n == 0 || (n == 1 && buf[pos] == '\r')))
            return pos + n + 1;
        first = false;
        pos += n + 1;
    }
}

static bool
inside(struct head_str s, const char *buf, size_t len)
{
    return s.p != NULL && (uintptr_t)s.p >= (uintptr_t)buf &&
           (uintptr_t)s.p - (uintptr_t)buf <= len &&
           s.len <= len - ((uintptr_t)s.p - (uintptr_t)buf);
}

static bool
is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_token(struct head_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!is_tchar((unsigned char)s.p[i]))
            return false;
    return true;
}

static bool
eq(struct head_str s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static bool
ieq(struct head_str s, const char *lit)
{
    return s.len == strlen(lit) && strncasecmp(s.p, lit, s.len) == 0;
}

static const char *const known[HEAD_F_KNOWN] = {
    "Host",
    "Range",
    "If-Range",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "Referer",
    "User-Agent",
    "Connection",
    "Content-Length",
    "Transfer-Encoding",
    "Expect",
    "Accept-Encoding",
};

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether an element of the lists in the lines of field id equals lit. */
static bool
has_element(const struct head *h, enum head_known id, const char *lit)
{
    for (size_t i = 0; i < h->nfields; i++) {
        struct head_str v = h->fields[i].value;
        size_t s = 0;

        if (h->fields[i].id != id)
            continue;
        while (s <= v.len) {
            size_t e = s;
            struct head_str el;

            while (e < v.len && v.p[e] != ',')
                e++;
            el = (struct head_str){v.p + s, e - s};
            while (el.len > 0 && is_ows(el.p[0]))
                el.p++, el.len--;
            while (el.len > 0 && is_ows(el.p[el.len - 1]))
                el.len--;
            if (ieq(el, lit))
                return true;
            s = e + 1;
        }
    }
    return false;
}

static enum head_method
method_of(struct head_str m)
{
    static const char *const other[] = {"POST",    "PUT",   "DELETE",
                                        "CONNECT", "TRACE", "PATCH"};

    if (eq(m, "GET"))
        return HEAD_M_GET;
    if (eq(m, "HEAD"))
        return HEAD_M_HEAD;
    if (eq(m, "OPTIONS"))
        return HEAD_M_OPTIONS;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        if (eq(m, other[i]))
            return HEAD_M_OTHER;
    return HEAD_M_UNKNOWN;
}

/* What must hold of a head that head_parse() accepted. */
static void
check_ok(const struct head *h, const char *buf, size_t len)
{
    size_t count[HEAD_F_KNOWN] = {0};
    size_t lead = leading(buf, len);

    /* The slices lie inside the head. */
    CHECK(inside(h->method, buf, len));
    CHECK(inside(h->target, buf, len));
    CHECK(inside(h->version, buf, len));
    CHECK(h->nfields <= HEAD_FIELDS_MAX);
    /* The request line. */
    CHECK(is_token(h->method));
    CHECK(h->m == method_of(h->method));
    CHECK(h->target.len > 0);
    for (size_t i = 0; i < h->target.len; i++)
        CHECK((unsigned char)h->target.p[i] > 0x20 && h->target.p[i] != 0x7f);
    CHECK(h->version.len == 8 && memcmp(h->version.p, "HTTP/1.", 7) == 0);
    CHECK(h->version.p[7] >= '0' && h->version.p[7] <= '9');
    CHECK(h->minor == (h->version.p[7] == '0' ? 0u : 1u));
    /* The fields. */
    for (size_t i = 0; i < h->nfields; i++) {
        const struct head_field *f = &h->fields[i];
        enum head_known id = HEAD_F_KNOWN;

        CHECK(inside(f->name, buf, len));
        CHECK(inside(f->value, buf, len));
        CHECK(is_token(f->name));
        for (int k = 0; k < HEAD_F_KNOWN; k++)
            if (ieq(f->name, known[k]))
                id = (enum head_known)k;
        CHECK(f->id == id);
        if (id != HEAD_F_KNOWN) {
            CHECK(h->first[id] >= 0 && (size_t)h->first[id] <= i);
            CHECK(h->fields[h->first[id]].id == id);
            if (count[id] == 0)
                CHECK((size_t)h->first[id] == i);
            count[id]++;
        }
        if (f->value.len > 0) {
            CHECK(!is_ows(f->value.p[0]));
            CHECK(!is_ows(f->value.p[f->value.len - 1]));
        }
        for (size_t k = 0; k < f->value.len; k++) {
            unsigned char c = (unsigned char)f->value.p[k];

            CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
        }
    }
    for (int k = 0; k < HEAD_F_KNOWN; k++) {
        const struct head_str *v = head_get(h, (enum head_known)k);

        CHECK((count[k] == 0) == (h->first[k] == -1));
        CHECK((v == NULL) == (count[k] == 0));
        if (v != NULL)
            CHECK(v == &h->fields[h->first[k]].value);
    }
    /* No smuggling shapes anywhere in an accepted head. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];

        CHECK(c != '\r' || (i + 1 < len && buf[i + 1] == '\n'));
        CHECK(c >= 0x20 || c == '\t' || c == '\r' || c == '\n');
        CHECK(c != 0x7f);
        /* A line after the request line starts with no SP or HTAB. */
        if (c == '\n' && i >= lead && i + 1 < len)
            CHECK(!is_ows(buf[i + 1]));
    }
    /* Host, framing, persistence. */
    CHECK(count[HEAD_F_HOST] <= 1);
    CHECK(h->minor == 0 || count[HEAD_F_HOST] == 1);
    CHECK(count[HEAD_F_CONTENT_LENGTH] <= 1);
    CHECK(count[HEAD_F_CONTENT_LENGTH] == 0 ||
          count[HEAD_F_TRANSFER_ENCODING] == 0);
    CHECK(h->chunked == (count[HEAD_F_TRANSFER_ENCODING] > 0));
    CHECK(!h->chunked || h->minor == 1);
    CHECK(h->has_body == (h->length > 0 || h->chunked));
    if (count[HEAD_F_CONTENT_LENGTH] == 1) {
        const struct head_str *cl = head_get(h, HEAD_F_CONTENT_LENGTH);
        uint64_t v = 0;

        CHECK(cl->len > 0);
        for (size_t i = 0; i < cl->len; i++) {
            CHECK(cl->p[i] >= '0' && cl->p[i] <= '9');
            CHECK(v <= (UINT64_MAX - (uint64_t)(cl->p[i] - '0')) / 10);
            v = v * 10 + (uint64_t)(cl->p[i] - '0');
        }
        CHECK(h->length == v);
    } else {
        CHECK(h->length == 0);
    }
    if (has_element(h, HEAD_F_CONNECTION, "close"))
        CHECK(!h->keep_alive);
    else
        CHECK(
            h->keep_alive ==
            (h->minor == 1 || has_element(h, HEAD_F_CONNECTION, "keep-alive")));
    if (h->expect_continue)
        CHECK(has_element(h, HEAD_F_EXPECT, "100-continue"));
    if (h->minor == 1 && has_element(h, HEAD_F_EXPECT, "100-continue"))
        CHECK(h->expect_continue);
}

/*
 * head_nul_terminate() writes inside the head (buf is an exact copy: ASan)
 * and leaves each slice a C string of its own length.
 */
static void
check_nul_terminate(char *buf, const struct head *h)
{
    head_nul_terminate(buf, h);
    CHECK(strlen(h->method.p) == h->method.len);
    CHECK(strlen(h->target.p) == h->target.len);
    CHECK(strlen(h->version.p) == h->version.len);
    for (size_t i = 0; i < h->nfields; i++)
        CHECK(strlen(h->fields[i].value.p) == h->fields[i].value.len);
}

static void
check_head(char *buf, size_t len)
{
    struct head *h = malloc(sizeof(*h)), *h2 = malloc(sizeof(*h2));
    const char *why = NULL, *why2 = NULL;
    enum head_rc rc, rc2;

    CHECK(h != NULL && h2 != NULL);
    memset(h, 0xA5, sizeof(*h));
    rc = head_parse(buf, len, h, &why);
    CHECK(rc == HEAD_OK || rc == HEAD_BAD || rc == HEAD_TOO_LARGE ||
          rc == HEAD_VERSION || rc == HEAD_NOT_IMPLEMENTED);
    if (rc == HEAD_OK) {
        check_ok(h, buf, len);
    } else {
        CHECK(why != NULL && why[0] != '\0' && why[strlen(why) - 1] == '\n');
    }
    /* Pure: the same head, the same answer, whatever *h held. */
    memset(h2, 0x5A, sizeof(*h2));
    rc2 = head_parse(buf, len, h2, &why2);
    CHECK(rc2 == rc);
    if (rc == HEAD_OK)
        CHECK(h2->nfields == h->nfields && h2->keep_alive == h->keep_alive &&
              h2->length == h->length && h2->m == h->m);
    if (rc == HEAD_OK)
        check_nul_terminate(buf, h); /* last: it writes into buf */
    free(h2);
    free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t scanned = 0, e, splits[5];
    const char *why = NULL;
    enum head_rc orc;

    e = head_end(buf, size, &scanned);
    CHECK(e <= size);
    CHECK(e == 0 || buf[e - 1] == '\n');
    /*
     * The reference skips any number of empty lines; head_end() may bound
     * them (a head that is only empty lines is no request anyway).
     */
    if (leading(buf, size) < 16)
        CHECK(e == ref_end(buf, size));
    /* Resumed after a split: the same end, found as soon as it is there. */
    splits[0] = 1;
    splits[1] = size / 3;
    splits[2] = size / 2;
    splits[3] = e > 0 ? e - 1 : size - 1;
    splits[4] = e;
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        size_t k = splits[i], e1, e2;

        if (k > size)
            continue;
        scanned = 0;
        e1 = end_of_copy(data, k, &scanned);
        if (e1 != 0) {
            CHECK(e1 == e);
            continue;
        }
        CHECK(e == 0 || e > k);
        e2 = end_of_copy(data, size, &scanned);
        CHECK(e2 == e);
    }
    /* Byte by byte (on the input itself: the copies above catch reads). */
    if (size <= 512) {
        scanned = 0;
        for (size_t n = 0; n <= size; n++) {
            size_t en = head_end(buf, n, &scanned);

            if (en != 0) {
                CHECK(en == e && n == e);
                break;
            }
            CHECK(e == 0 || n < e);
        }
    }
    /* What an overflowing connection would answer. */
    if (size > 0) {
        char *b = fuzz_dup(data, size);

        orc = head_overflow(b, size, &why);
        CHECK(orc == HEAD_URI_TOO_LONG || orc == HEAD_TOO_LARGE);
        CHECK(why != NULL && why[0] != '\0');
        if (e != 0) /* a line has ended */
            CHECK(orc == HEAD_TOO_LARGE);
        free(b);
    }
    if (e != 0) {
        char *b = fuzz_dup(data, e);

        check_head(b, e);
        free(b);
    }
    return 0;
}
