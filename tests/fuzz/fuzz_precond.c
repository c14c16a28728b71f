/*
 * libFuzzer target for include/http/etag.h and include/http/precond.h:
 * If-Match / If-None-Match lists (etag_list_match()), If-Range
 * (precond_if_range()) and their order (precond_evaluate()), each checked
 * against a reference written from the headers' text alone.
 *
 * The input is 1 byte of flags, 8 of mtime, 8 of now (little-endian), then
 * NUL-separated fields: If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since, If-Range, the etag. Each field is an exact-size
 * string (ASan); flag bits 0-4 make the field in that order absent (NULL),
 * bit 5 is get_or_head, bit 6 takes the etag from etag_format() of a stat
 * built from mtime instead, bit 7 makes it NULL.
 */
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"
#include "http/etag.h"
#include "http/httpdate.h"
#include "http/precond.h"

#define NFIELDS 6

struct tag {
    bool weak;
    const char *p; /* opaque part, quotes excluded */
    size_t len;
};

static bool
ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool
etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* One entity-tag at s[*i..end); advances *i past it. */
static bool
parse_tag(const char *s, size_t *i, size_t end, struct tag *t)
{
    size_t k = *i;

    t->weak = false;
    if (end - k >= 2 && s[k] == 'W' && s[k + 1] == '/') {
        t->weak = true;
        k += 2;
    }
    if (k >= end || s[k] != '"')
        return false;
    k++;
    t->p = s + k;
    while (k < end && etagc((unsigned char)s[k]))
        k++;
    if (k >= end || s[k] != '"')
        return false;
    t->len = (size_t)(s + k - t->p);
    *i = k + 1;
    return true;
}

/* s is exactly one entity-tag. */
static bool
one_tag(const char *s, size_t len, struct tag *t)
{
    size_t i = 0;

    return parse_tag(s, &i, len, t) && i == len;
}

static bool
tags_match(const struct tag *a, const struct tag *b, bool weak)
{
    if (!weak && (a->weak || b->weak))
        return false;
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void
trim(const char **s, size_t *len)
{
    while (*len > 0 && ows((*s)[0]))
        (*s)++, (*len)--;
    while (*len > 0 && ows((*s)[*len - 1]))
        (*len)--;
}

static bool
ref_list_match(const char *hdr, const char *etag, bool weak)
{
    struct tag want, t;
    bool have, any = false, hit = false;
    size_t len, i = 0;

    if (hdr == NULL)
        return false;
    len = strlen(hdr);
    trim(&hdr, &len);
    if (len == 1 && hdr[0] == '*')
        return true;
    have = etag != NULL && one_tag(etag, strlen(etag), &want);
    /* #entity-tag: elements and commas with OWS, empty elements allowed */
    for (;;) {
        while (i < len && (ows(hdr[i]) || hdr[i] == ','))
            i++;
        if (i == len)
            break;
        if (!parse_tag(hdr, &i, len, &t))
            return false;
        any = true;
        if (have && tags_match(&t, &want, weak))
            hit = true;
        while (i < len && ows(hdr[i]))
            i++;
        if (i < len && hdr[i] != ',')
            return false;
    }
    return any && hit;
}

static bool
ref_date(const char *v, time_t now, time_t *t)
{
    size_t len;

    if (v == NULL)
        return false;
    len = strlen(v);
    trim(&v, &len);
    return httpdate_parse(v, len, now, t) == 0;
}

static enum precond_rc
ref_evaluate(const struct precond_hdrs *h, bool get_or_head, const char *etag,
             time_t mtime, time_t now)
{
    time_t d;

    if (h->if_match != NULL) {
        if (!ref_list_match(h->if_match, etag, false))
            return PRECOND_FAILED;
    } else if (ref_date(h->if_unmodified_since, now, &d) && mtime > d) {
        return PRECOND_FAILED;
    }
    if (h->if_none_match != NULL) {
        if (ref_list_match(h->if_none_match, etag, true))
            return get_or_head ? PRECOND_NOT_MODIFIED : PRECOND_FAILED;
    } else if (get_or_head && ref_date(h->if_modified_since, now, &d) &&
               mtime <= d) {
        return PRECOND_NOT_MODIFIED;
    }
    return PRECOND_PASS;
}

static bool
ref_if_range(const char *v, const char *etag, time_t mtime, time_t now)
{
    struct tag t, want;
    size_t len;
    time_t d;

    if (v == NULL)
        return true;
    len = strlen(v);
    trim(&v, &len);
    if ((len >= 1 && v[0] == '"') || (len >= 2 && v[0] == 'W' && v[1] == '/'))
        return one_tag(v, len, &t) && !t.weak && etag != NULL &&
               one_tag(etag, strlen(etag), &want) &&
               tags_match(&t, &want, false);
    return httpdate_parse(v, len, now, &d) == 0 && d == mtime;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[NFIELDS] = {NULL};
    char fmt[ETAG_LEN + 1];
    const char *etag;
    struct precond_hdrs h;
    time_t mtime, now;
    size_t pos = 17;
    uint8_t flags;
    bool goh;

    if (size < 17 || size > 16384)
        return 0;
    flags = data[0];
    mtime = (time_t)fuzz_le64(data + 1);
    now = (time_t)fuzz_le64(data + 9);
    for (int i = 0; i < NFIELDS; i++) {
        const uint8_t *nul = memchr(data + pos, '\0', size - pos);
        size_t n = nul != NULL ? (size_t)(nul - (data + pos)) : size - pos;

        f[i] = fuzz_strdup(data + pos, n);
        pos += n + (nul != NULL);
    }
    for (int i = 0; i < 5; i++)
        if (flags & (1u << i)) {
            free(f[i]);
            f[i] = NULL;
        }
    goh = (flags & 0x20) != 0;
    etag = f[5];
    if (flags & 0x40) {
        struct stat st;

        memset(&st, 0, sizeof(st));
        st.st_ino = (ino_t)mtime;
        st.st_size = (off_t)(mtime >> 3);
        st.st_mtim.tv_sec = mtime;
        st.st_mtim.tv_nsec = (long)((uint64_t)now % 1000000000u);
        memset(fmt, 'x', sizeof(fmt));
        etag_format(&st, fmt);
        CHECK(fmt[ETAG_LEN] == 'x' && strlen(fmt) < ETAG_LEN);
        {
            struct tag t;

            CHECK(one_tag(fmt, strlen(fmt), &t) && !t.weak);
        }
        etag = fmt;
    }
    if (flags & 0x80)
        etag = NULL;

    for (int i = 0; i < NFIELDS; i++)
        for (int w = 0; w < 2; w++)
            CHECK(etag_list_match(f[i], etag, w) ==
                  ref_list_match(f[i], etag, w));
    /* A tag matches itself weakly; strongly unless it is weak. */
    if (etag != NULL && one_tag(etag, strlen(etag), &(struct tag){0})) {
        CHECK(etag_list_match(etag, etag, true));
        CHECK(etag_list_match(etag, etag, false) == (etag[0] != 'W'));
    }
    h = (struct precond_hdrs){f[0], f[1], f[2], f[3]};
    for (int g = 0; g < 2; g++)
        CHECK(precond_evaluate(&h, g, etag, mtime, now) ==
              ref_evaluate(&h, g, etag, mtime, now));
    CHECK(precond_evaluate(&h, goh, etag, mtime, now) ==
          ref_evaluate(&h, goh, etag, mtime, now));
    CHECK(precond_if_range(f[4], etag, mtime, now) ==
          ref_if_range(f[4], etag, mtime, now));
    for (int i = 0; i < NFIELDS; i++)
        free(f[i]);
    return 0;
}
