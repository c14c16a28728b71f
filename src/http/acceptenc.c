/* Accept-Encoding; see acceptenc.h. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "http/acceptenc.h"
#include "http/head.h"

/* What an element named, beyond the codings we send. */
#define NAME_IDENTITY ACCEPTENC_IDENTITY
#define NAME_STAR ACCEPTENC_CODINGS
#define NAME_OTHER (ACCEPTENC_CODINGS + 1)

void
acceptenc_init(struct acceptenc *ae)
{
    for (int i = 0; i < ACCEPTENC_CODINGS; i++)
        ae->q[i] = ACCEPTENC_UNSET;
    ae->star = ACCEPTENC_UNSET;
}

static size_t
skip_ows(const char *v, size_t len, size_t i)
{
    while (i < len && (v[i] == ' ' || v[i] == '\t'))
        i++;
    return i;
}

/* Which name the token v[0..n) is. */
static int
name_of(const char *v, size_t n)
{
    static const struct {
        const char *name;
        int id;
    } names[] = {
        {"identity", NAME_IDENTITY},
        {"gzip", ACCEPTENC_GZIP},
        {"x-gzip", ACCEPTENC_GZIP},
        {"zstd", ACCEPTENC_ZSTD},
        {"*", NAME_STAR},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && strncasecmp(names[i].name, v, n) == 0)
            return names[i].id;
    return NAME_OTHER;
}

/*
 * qvalue at v[i..len) (RFC 9110 section 12.4.2) into *q (thousandths);
 * returns the index past it, or 0 when there is none.
 */
static size_t
parse_qvalue(const char *v, size_t len, size_t i, int *q)
{
    int digits = 0, frac = 0;
    char whole;

    if (i >= len || (v[i] != '0' && v[i] != '1'))
        return 0;
    whole = v[i++];
    if (i < len && v[i] == '.') {
        for (i++; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
            if (++digits > 3 || (whole == '1' && v[i] != '0'))
                return 0;
            frac = frac * 10 + (v[i] - '0');
        }
    }
    while (digits++ < 3)
        frac *= 10;
    *q = whole == '1' ? 1000 : frac;
    return i;
}

/*
 * The optional weight after a coding, at v[i..len): sets *q (1000 when
 * absent) and returns the index past it, or 0 when malformed.
 */
static size_t
parse_weight(const char *v, size_t len, size_t i, int *q)
{
    size_t j = skip_ows(v, len, i);

    *q = 1000;
    if (j >= len || v[j] != ';')
        return i;
    j = skip_ows(v, len, j + 1);
    if (len - j < 2 || (v[j] != 'q' && v[j] != 'Q') || v[j + 1] != '=')
        return 0;
    return parse_qvalue(v, len, j + 2, q);
}

static void
record(struct acceptenc *ae, int name, int q)
{
    if (name == NAME_STAR) {
        if (ae->star == ACCEPTENC_UNSET)
            ae->star = q;
    } else if (name != NAME_OTHER && ae->q[name] == ACCEPTENC_UNSET) {
        ae->q[name] = q;
    }
}

enum acceptenc_rc
acceptenc_parse(const char *v, size_t len, struct acceptenc *ae)
{
    struct acceptenc out = *ae;
    size_t i = 0;

    if (v == NULL)
        return ACCEPTENC_BAD;
    for (;;) {
        size_t start;
        int q;

        i = skip_ows(v, len, i);
        if (i == len)
            break;
        if (v[i] == ',') {
            i++;
            continue;
        }
        for (start = i; i < len && head_tchar((unsigned char)v[i]); i++)
            ;
        if (i == start)
            return ACCEPTENC_BAD;
        {
            int name = name_of(v + start, i - start);

            i = parse_weight(v, len, i, &q);
            if (i == 0)
                return ACCEPTENC_BAD;
            record(&out, name, q);
        }
        i = skip_ows(v, len, i);
        if (i < len && v[i] != ',')
            return ACCEPTENC_BAD;
    }
    *ae = out;
    return ACCEPTENC_OK;
}

int
acceptenc_q(const struct acceptenc *ae, enum acceptenc_coding c)
{
    if (ae->q[c] != ACCEPTENC_UNSET)
        return ae->q[c];
    if (ae->star != ACCEPTENC_UNSET)
        return ae->star;
    return c == ACCEPTENC_IDENTITY ? 1 : 0;
}

enum acceptenc_coding
acceptenc_choose(const struct acceptenc *ae, unsigned offered)
{
    /* Most preferred first: on equal q the earlier wins. */
    static const enum acceptenc_coding order[] = {
        ACCEPTENC_ZSTD, ACCEPTENC_GZIP, ACCEPTENC_IDENTITY};
    enum acceptenc_coding best = ACCEPTENC_IDENTITY;
    int best_q = 0;

    offered |= 1u << ACCEPTENC_IDENTITY;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int q = acceptenc_q(ae, order[i]);

        if ((offered & (1u << order[i])) != 0 && q > best_q) {
            best = order[i];
            best_q = q;
        }
    }
    return best;
}

const char *
acceptenc_name(enum acceptenc_coding c)
{
    switch (c) {
    case ACCEPTENC_GZIP:
        return "gzip";
    case ACCEPTENC_ZSTD:
        return "zstd";
    case ACCEPTENC_IDENTITY:
    case ACCEPTENC_CODINGS:
        break;
    }
    return "identity";
}
