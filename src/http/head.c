/* Request heads; see head.h. */
#include <string.h>
#include <strings.h>

#include "http/head.h"
#include "util/num.h"

/* Names of enum head_known, in its order. */
static const struct {
    const char *name;
    size_t len;
} known_names[HEAD_F_KNOWN] = {
#define K(s)                                                                   \
    {                                                                          \
        s, sizeof(s) - 1                                                       \
    }
    K("Host"),
    K("Range"),
    K("If-Range"),
    K("If-Match"),
    K("If-None-Match"),
    K("If-Modified-Since"),
    K("If-Unmodified-Since"),
    K("Referer"),
    K("User-Agent"),
    K("Connection"),
    K("Content-Length"),
    K("Transfer-Encoding"),
    K("Expect"),
    K("Accept-Encoding"),
#undef K
};

bool
head_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_token(struct head_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!head_tchar((unsigned char)s.p[i]))
            return false;
    return true;
}

bool
head_str_ieq(struct head_str s, const char *lit)
{
    return strlen(lit) == s.len && strncasecmp(s.p, lit, s.len) == 0;
}

/*
 * Empty lines skipped before a request line (RFC 9112 2.2 asks for at
 * least one). A cap keeps head_end() linear when a client sends nothing
 * but line ends a byte at a time; more of them make an empty request line:
 * 400.
 */
#define LEADING_MAX 32

/* Bytes of CRLF or LF empty lines at the start of buf, up to LEADING_MAX. */
static size_t
leading_empty_lines(const char *buf, size_t len)
{
    size_t i = 0;

    while (i < LEADING_MAX) {
        if (i < len && buf[i] == '\n')
            i++;
        else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
            i += 2;
        else
            break;
    }
    return i;
}

size_t
head_end(const char *buf, size_t len, size_t *scanned)
{
    size_t lead = leading_empty_lines(buf, len);
    /* Two bytes back: a "\n" or "\n\r" left at the end of the last call. */
    size_t i = *scanned >= 2 ? *scanned - 2 : 0;

    if (i < lead)
        i = lead;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t p;

        if (nl == NULL)
            break;
        p = (size_t)(nl - buf);
        if (p + 1 < len && buf[p + 1] == '\n')
            return p + 2;
        if (p + 2 < len && buf[p + 1] == '\r' && buf[p + 2] == '\n')
            return p + 3;
        i = p + 1;
    }
    *scanned = len;
    return 0;
}

enum head_rc
head_overflow(const char *buf, size_t len, const char **why)
{
    size_t lead = leading_empty_lines(buf, len);

    if (memchr(buf + lead, '\n', len - lead) == NULL) {
        *why = "URI too long\n";
        return HEAD_URI_TOO_LONG;
    }
    *why = "request header fields too large\n";
    return HEAD_TOO_LARGE;
}

/* The line at *pos (up to, not including, its LF and a CR before it). */
static struct head_str
next_line(const char *buf, size_t len, size_t *pos)
{
    const char *start = buf + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    struct head_str line = {start, 0};

    if (nl == NULL) { /* head_end() guarantees one; be safe anyway */
        line.len = len - *pos;
        *pos = len;
        return line;
    }
    line.len = (size_t)(nl - start);
    *pos += line.len + 1;
    if (line.len > 0 && start[line.len - 1] == '\r')
        line.len--;
    return line;
}

static enum head_method
method_of(struct head_str m)
{
    static const char *const other[] = {"POST",    "PUT",   "DELETE",
                                        "CONNECT", "TRACE", "PATCH"};

    /* Methods are case-sensitive (RFC 9110 section 9.1). */
    if (m.len == 3 && memcmp(m.p, "GET", 3) == 0)
        return HEAD_M_GET;
    if (m.len == 4 && memcmp(m.p, "HEAD", 4) == 0)
        return HEAD_M_HEAD;
    if (m.len == 7 && memcmp(m.p, "OPTIONS", 7) == 0)
        return HEAD_M_OPTIONS;
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        if (strlen(other[i]) == m.len && memcmp(m.p, other[i], m.len) == 0)
            return HEAD_M_OTHER;
    return HEAD_M_UNKNOWN;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3). */
static enum head_rc
parse_version(struct head *h, const char **why)
{
    const char *v = h->version.p;

    if (h->version.len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
        v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9') {
        *why = "bad request: malformed HTTP version\n";
        return HEAD_BAD;
    }
    if (v[5] != '1') {
        *why = "only HTTP/1.x is served\n";
        return HEAD_VERSION;
    }
    h->minor = v[7] == '0' ? 0 : 1;
    return HEAD_OK;
}

/* method SP request-target SP HTTP-version, one SP each (RFC 9112 3). */
static enum head_rc
parse_request_line(struct head_str line, struct head *h, const char **why)
{
    const char *sp1 = memchr(line.p, ' ', line.len);
    const char *end = line.p + line.len, *sp2;

    *why = "bad request: malformed request line\n";
    if (sp1 == NULL)
        return HEAD_BAD;
    h->method = (struct head_str){line.p, (size_t)(sp1 - line.p)};
    if (!is_token(h->method))
        return HEAD_BAD;
    sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
    if (sp2 == NULL) {
        *why = "bad request: HTTP/0.9 is not served\n";
        return HEAD_BAD;
    }
    h->target = (struct head_str){sp1 + 1, (size_t)(sp2 - sp1 - 1)};
    if (h->target.len == 0)
        return HEAD_BAD;
    for (size_t i = 0; i < h->target.len; i++) {
        unsigned char c = (unsigned char)h->target.p[i];

        if (c <= 0x20 || c == 0x7f)
            return HEAD_BAD;
    }
    h->version = (struct head_str){sp2 + 1, (size_t)(end - sp2 - 1)};
    h->m = method_of(h->method);
    return parse_version(h, why);
}

static enum head_known
known_of(struct head_str name)
{
    for (int i = 0; i < HEAD_F_KNOWN; i++)
        if (known_names[i].len == name.len &&
            strncasecmp(known_names[i].name, name.p, name.len) == 0)
            return (enum head_known)i;
    return HEAD_F_KNOWN;
}

/* A field value byte: HTAB, SP, VCHAR or obs-text (RFC 9110 5.5). */
static bool
is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* field-name ":" OWS field-value OWS (RFC 9112 section 5). */
static enum head_rc
parse_field(struct head_str line, struct head_field *f, const char **why)
{
    const char *colon = memchr(line.p, ':', line.len);
    const char *v, *end = line.p + line.len;

    if (is_ows(line.p[0])) {
        *why = "bad request: obsolete line folding\n";
        return HEAD_BAD;
    }
    f->name = (struct head_str){line.p, colon ? (size_t)(colon - line.p) : 0};
    if (colon == NULL || !is_token(f->name)) {
        *why = "bad request: malformed header field name\n";
        return HEAD_BAD;
    }
    for (v = colon + 1; v < end && is_ows(*v); v++)
        ;
    while (end > v && is_ows(end[-1]))
        end--;
    f->value = (struct head_str){v, (size_t)(end - v)};
    for (size_t i = 0; i < f->value.len; i++) {
        if (!is_value_byte((unsigned char)v[i])) {
            *why = "bad request: control byte in a header field\n";
            return HEAD_BAD;
        }
    }
    f->id = known_of(f->name);
    return HEAD_OK;
}

/*
 * Calls fn on each element of the comma-separated lists in every line of
 * field id (RFC 9110 5.6.1: empty elements and OWS around them ignored).
 * Stops at the first non-zero return, which it returns.
 */
static int
each_element(const struct head *h, enum head_known id,
             int (*fn)(struct head_str e, void *arg), void *arg)
{
    for (size_t i = 0; i < h->nfields; i++) {
        const struct head_str *v = &h->fields[i].value;
        size_t s = 0;

        if (h->fields[i].id != id)
            continue;
        while (s <= v->len) {
            const char *comma = memchr(v->p + s, ',', v->len - s);
            size_t e = comma ? (size_t)(comma - v->p) : v->len;
            struct head_str el = {v->p + s, e - s};
            int rc;

            while (el.len > 0 && is_ows(el.p[0]))
                el.p++, el.len--;
            while (el.len > 0 && is_ows(el.p[el.len - 1]))
                el.len--;
            rc = el.len > 0 ? fn(el, arg) : 0;
            if (rc != 0)
                return rc;
            s = e + 1;
        }
    }
    return 0;
}

struct framing {
    bool chunked_seen; /* chunked was the last coding so far */
    int bad;           /* a coding after chunked */
};

static int
on_coding(struct head_str e, void *arg)
{
    struct framing *fr = arg;

    if (fr->chunked_seen) {
        fr->bad = 1; /* chunked must be the final coding */
        return 1;
    }
    if (!head_str_ieq(e, "chunked"))
        return 2; /* a coding we do not implement */
    fr->chunked_seen = true;
    return 0;
}

/* RFC 9112 section 6: how the body, if any, is framed. */
static enum head_rc
check_framing(struct head *h, size_t lengths, size_t codings, const char **why)
{
    struct framing fr = {false, 0};
    const struct head_str *cl = head_get(h, HEAD_F_CONTENT_LENGTH);

    *why = "bad request: ambiguous message framing\n";
    if (lengths > 1 || (lengths > 0 && codings > 0))
        return HEAD_BAD;
    if (cl != NULL &&
        num_parse_u64(cl->p, cl->len, UINT64_MAX, &h->length) == -1) {
        *why = "bad request: malformed Content-Length\n";
        return HEAD_BAD;
    }
    if (codings == 0) {
        h->has_body = h->length > 0;
        return HEAD_OK;
    }
    if (h->minor == 0) /* 6.1: Transfer-Encoding in 1.0 is faulty framing */
        return HEAD_BAD;
    if (each_element(h, HEAD_F_TRANSFER_ENCODING, on_coding, &fr) == 2) {
        *why = "not implemented: unknown transfer coding\n";
        return HEAD_NOT_IMPLEMENTED;
    }
    if (fr.bad || !fr.chunked_seen)
        return HEAD_BAD;
    h->chunked = h->has_body = true;
    return HEAD_OK;
}

struct conn_opts {
    bool close, keep_alive;
};

static int
on_connection_option(struct head_str e, void *arg)
{
    struct conn_opts *o = arg;

    if (head_str_ieq(e, "close"))
        o->close = true;
    else if (head_str_ieq(e, "keep-alive"))
        o->keep_alive = true;
    return 0;
}

static int
on_expectation(struct head_str e, void *arg)
{
    if (head_str_ieq(e, "100-continue"))
        *(bool *)arg = true;
    return 0;
}

/*
 * RFC 9112 3.2: Host = uri-host [ ":" port ] (RFC 3986 3.2.2): the bytes
 * of reg-name, IP literals and ports; empty when the target has no
 * authority.
 */
static bool
is_host(struct head_str v)
{
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.p[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') ||
              (c != 0 && strchr("-._~!$&'()*+,;=%:[]", c) != NULL)))
            return false;
    }
    return true;
}

/* What the fields say about the message as a whole. */
static enum head_rc
check_fields(struct head *h, const char **why)
{
    size_t count[HEAD_F_KNOWN] = {0};
    struct conn_opts o = {false, false};

    for (size_t i = 0; i < h->nfields; i++)
        if (h->fields[i].id != HEAD_F_KNOWN)
            count[h->fields[i].id]++;
    /* RFC 9112 section 3.2: exactly one Host in 1.1, never two. */
    if (count[HEAD_F_HOST] > 1) {
        *why = "bad request: more than one Host header\n";
        return HEAD_BAD;
    }
    if (count[HEAD_F_HOST] == 0 && h->minor >= 1) {
        *why = "bad request: HTTP/1.1 request without a Host header\n";
        return HEAD_BAD;
    }
    if (count[HEAD_F_HOST] == 1 && !is_host(*head_get(h, HEAD_F_HOST))) {
        *why = "bad request: malformed Host header\n";
        return HEAD_BAD;
    }
    each_element(h, HEAD_F_CONNECTION, on_connection_option, &o);
    /* RFC 9110 10.1.1: a 100-continue in an HTTP/1.0 request is ignored. */
    if (h->minor >= 1)
        each_element(h, HEAD_F_EXPECT, on_expectation, &h->expect_continue);
    /* RFC 9112 section 9.3: 1.1 persists unless closed; 1.0 on request. */
    h->keep_alive = !o.close && (h->minor >= 1 || o.keep_alive);
    return check_framing(h, count[HEAD_F_CONTENT_LENGTH],
                         count[HEAD_F_TRANSFER_ENCODING], why);
}

static void
head_reset(struct head *h)
{
    h->nfields = 0;
    h->minor = 1;
    h->has_body = h->chunked = h->keep_alive = h->expect_continue = false;
    h->length = 0;
    for (int i = 0; i < HEAD_F_KNOWN; i++)
        h->first[i] = -1;
}

enum head_rc
head_parse(const char *buf, size_t len, struct head *h, const char **why)
{
    size_t pos = leading_empty_lines(buf, len);
    struct head_str line;
    enum head_rc rc;

    head_reset(h);
    rc = parse_request_line(next_line(buf, len, &pos), h, why);
    if (rc != HEAD_OK)
        return rc;
    for (;;) {
        struct head_field *f;

        line = next_line(buf, len, &pos);
        if (line.len == 0)
            break;
        if (h->nfields == HEAD_FIELDS_MAX) {
            *why = "request header fields too large: too many fields\n";
            return HEAD_TOO_LARGE;
        }
        f = &h->fields[h->nfields];
        rc = parse_field(line, f, why);
        if (rc != HEAD_OK)
            return rc;
        if (f->id != HEAD_F_KNOWN && h->first[f->id] == -1)
            h->first[f->id] = (int)h->nfields;
        h->nfields++;
    }
    return check_fields(h, why);
}

const struct head_str *
head_get(const struct head *h, enum head_known id)
{
    return h->first[id] >= 0 ? &h->fields[h->first[id]].value : NULL;
}

/* The byte after s, which lies inside buf: written through buf. */
static void
terminate(char *buf, struct head_str s)
{
    buf[(size_t)(s.p - buf) + s.len] = '\0';
}

void
head_nul_terminate(char *buf, const struct head *h)
{
    terminate(buf, h->method);
    terminate(buf, h->target);
    terminate(buf, h->version);
    for (size_t i = 0; i < h->nfields; i++)
        terminate(buf, h->fields[i].value);
}
