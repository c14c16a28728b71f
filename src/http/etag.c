/* Entity tags; see etag.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "http/etag.h"

/* etag_format()'s fields, then suffix before the closing quote. */
static void
format_tag(const struct stat *st, const char *suffix, char *buf)
{
    snprintf(buf, ETAG_LEN, "\"%llx-%llx-%llx.%lx%s\"",
             (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec,
             (unsigned long)st->st_mtim.tv_nsec, suffix);
}

void
etag_format(const struct stat *st, char *buf)
{
    format_tag(st, "", buf);
}

void
etag_format_coded(const struct stat *st, const char *coding, char *buf)
{
    char suffix[8];

    snprintf(suffix, sizeof(suffix), "-%.4s", coding);
    format_tag(st, suffix, buf);
}

void
etag_format_window(const struct stat *st, uint64_t off, char *buf)
{
    char suffix[20];

    snprintf(suffix, sizeof(suffix), "-w%llx", (unsigned long long)off);
    format_tag(st, suffix, buf);
}

/* An entity-tag's parts: W/ or not, and opaque-tag with its quotes. */
struct etag_tag {
    bool weak;
    const char *opaque;
    size_t len;
};

/* OWS = *( SP / HTAB ), RFC 9110 section 5.6.3. */
static const char *
skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* etagc = %x21 / %x23-7E / obs-text: no space, DQUOTE, control or DEL. */
static bool
is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/*
 * entity-tag = [ weak ] opaque-tag, weak = %s"W/" (case-sensitive),
 * opaque-tag = DQUOTE *etagc DQUOTE (RFC 9110 section 8.8.3). Returns the
 * byte after it, or NULL when p does not start with one.
 */
static const char *
parse_tag(const char *p, struct etag_tag *tag)
{
    tag->weak = (p[0] == 'W' && p[1] == '/');
    if (tag->weak)
        p += 2;
    if (*p != '"')
        return NULL;
    tag->opaque = p++;
    while (is_etagc((unsigned char)*p))
        p++;
    if (*p != '"')
        return NULL;
    p++;
    tag->len = (size_t)(p - tag->opaque);
    return p;
}

/* Section 8.8.3.2: strong needs both strong; weak ignores W/. */
static bool
tags_match(const struct etag_tag *a, const struct etag_tag *b, bool weak)
{
    if (!weak && (a->weak || b->weak))
        return false;
    return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/*
 * #entity-tag as a recipient reads lists (section 5.6.1.2): empty elements
 * skipped, OWS around elements and commas. The whole list is checked before
 * answering, so that a match followed by garbage still fails.
 */
static bool
list_match(const char *p, const struct etag_tag *want, bool weak)
{
    bool found = false;
    struct etag_tag tag;

    for (;;) {
        p = skip_ows(p);
        if (*p == '\0')
            return found;
        if (*p == ',') {
            p++;
            continue;
        }
        p = parse_tag(p, &tag);
        if (p == NULL)
            return false;
        if (want != NULL && tags_match(&tag, want, weak))
            found = true;
        p = skip_ows(p);
        if (*p != ',' && *p != '\0')
            return false;
    }
}

bool
etag_list_match(const char *hdr, const char *etag, bool weak)
{
    struct etag_tag want;
    const char *p, *end;

    if (hdr == NULL)
        return false;
    p = skip_ows(hdr);
    if (*p == '*' && *skip_ows(p + 1) == '\0')
        return true;
    if (etag != NULL) {
        end = parse_tag(etag, &want);
        if (end == NULL || *end != '\0')
            etag = NULL; /* not an entity-tag: nothing can match it */
    }
    return list_match(p, etag != NULL ? &want : NULL, weak);
}
