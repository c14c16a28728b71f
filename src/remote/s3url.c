/*
 * Names in an S3-compatible bucket (remote/s3url.h).
 *
 * The encoding is SigV4's canonical URI and query encoding (AWS "Signature
 * Version 4 signing process", "URI-encode each byte"): unreserved bytes
 * of RFC 3986 section 2.3 stay, every other byte, UTF-8 ones included, is
 * %XX with upper-case hex. S3 encodes the key only once (unlike other
 * services, which encode the path twice).
 */
#include "remote/s3url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/errbuf.h"

bool
s3url_is_store(const char *s)
{
    return strncmp(s, "s3://", 5) == 0;
}

static bool
bucket_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

static bool
alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool
s3url_bucket_ok(const char *name)
{
    size_t n = strlen(name);

    if (n < 3 || n > S3URL_BUCKET_MAX || !alnum_lower(name[0]) ||
        !alnum_lower(name[n - 1]) || strstr(name, "..") != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bucket_char(name[i]))
            return false;
    return true;
}

/* A prefix segment [p, p+n): not empty, ".", "..", nor holding a control
 * byte or a backslash (which a Windows client would read as a separator). */
static bool
segment_ok(const char *p, size_t n)
{
    if (n == 0 || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
            return false;
    return true;
}

static int
prefix_set(const char *p, struct s3url_store *out, char *err, size_t errlen)
{
    size_t n = strlen(p);

    while (n > 0 && p[n - 1] == '/') /* "s3://b/p/" is "s3://b/p" */
        n--;
    if (n > S3URL_PREFIX_MAX) {
        errbuf_set(err, errlen, "the prefix is longer than %d bytes",
                   S3URL_PREFIX_MAX);
        return -1;
    }
    for (size_t i = 0; i < n;) {
        size_t seg = strcspn(p + i, "/");

        if (seg > n - i)
            seg = n - i;
        if (!segment_ok(p + i, seg)) {
            errbuf_set(err, errlen,
                       "the prefix has an empty, '.' or '..' segment, or "
                       "a control byte or backslash");
            return -1;
        }
        i += seg + 1;
    }
    memcpy(out->prefix, p, n);
    out->prefix[n] = '\0';
    return 0;
}

int
s3url_parse_store(const char *s, struct s3url_store *out, char *err,
                  size_t errlen)
{
    const char *b, *slash;
    size_t n;

    if (!s3url_is_store(s)) {
        errbuf_set(err, errlen, "not an s3://BUCKET/PREFIX store");
        return -1;
    }
    b = s + 5;
    slash = strchr(b, '/');
    n = slash != NULL ? (size_t)(slash - b) : strlen(b);
    if (n > S3URL_BUCKET_MAX) {
        errbuf_set(err, errlen, "the bucket name is longer than %d bytes",
                   S3URL_BUCKET_MAX);
        return -1;
    }
    memcpy(out->bucket, b, n);
    out->bucket[n] = '\0';
    if (!s3url_bucket_ok(out->bucket)) {
        errbuf_set(err, errlen,
                   "'%.*s' is not a bucket name (3 to 63 of a-z 0-9 . -, "
                   "a letter or digit at each end)",
                   (int)n, b);
        return -1;
    }
    return prefix_set(slash != NULL ? slash + 1 : "", out, err, errlen);
}

static bool
host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
}

int
s3url_parse_endpoint(const char *s, struct s3url_endpoint *out, char *err,
                     size_t errlen)
{
    const char *h;
    size_t n;

    if (strncmp(s, "https://", 8) == 0) {
        out->https = true;
        h = s + 8;
    } else if (strncmp(s, "http://", 7) == 0) {
        out->https = false;
        h = s + 7;
    } else {
        errbuf_set(err, errlen,
                   "the endpoint must start with http:// or "
                   "https://");
        return -1;
    }
    n = strlen(h);
    if (n > 0 && h[n - 1] == '/')
        n--;
    if (n == 0 || n > S3URL_HOST_MAX) {
        errbuf_set(err, errlen,
                   "the endpoint has no host, or a host longer "
                   "than 255 bytes");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!host_char(h[i])) {
            errbuf_set(err, errlen,
                       "the endpoint is only http[s]://HOST[:PORT] (no "
                       "path, query or user)");
            return -1;
        }
    }
    memcpy(out->host, h, n);
    out->host[n] = '\0';
    return 0;
}

static bool
unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

long
s3url_encode(const char *src, size_t len, bool keep_slash, char *out,
             size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        bool keep = unreserved(c) || (keep_slash && c == '/');

        if (o + (keep ? 1 : 3) >= outlen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (keep) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (o >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    out[o] = '\0';
    return (long)o;
}

int
s3url_key(const struct s3url_store *st, const char *rel, char *out,
          size_t outlen)
{
    size_t cap = outlen < S3URL_KEY_MAX + 1 ? outlen : S3URL_KEY_MAX + 1;
    int n;

    if (rel[0] == '\0' || rel[0] == '/') {
        errno = EINVAL;
        return -1;
    }
    n = snprintf(out, cap, "%s%s%s", st->prefix, st->prefix[0] ? "/" : "", rel);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
s3url_object(const struct s3url_endpoint *ep, enum s3url_style style,
             const char *bucket, const char *key, const char *query, char *out,
             size_t outlen)
{
    char enc[S3URL_KEY_MAX * 3 + 1] = "";
    const char *scheme = ep->https ? "https" : "http";
    int n;

    if (key != NULL &&
        s3url_encode(key, strlen(key), true, enc, sizeof(enc)) == -1)
        return -1;
    if (style == S3URL_VIRTUAL && strchr(bucket, '.') == NULL)
        n = snprintf(out, outlen, "%s://%s.%s/%s%s%s", scheme, bucket, ep->host,
                     enc, query ? "?" : "", query ? query : "");
    else
        n = snprintf(out, outlen, "%s://%s/%s%s%s%s%s", scheme, ep->host,
                     bucket, enc[0] ? "/" : "", enc, query ? "?" : "",
                     query ? query : "");
    if (n < 0 || (size_t)n >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Appends "name=<value encoded>" with a '&' before it unless first. */
static int
query_add(char *out, size_t outlen, size_t *o, const char *name,
          const char *value)
{
    int n = snprintf(out + *o, outlen - *o, "%s%s=", *o ? "&" : "", name);
    long e;

    if (n < 0 || (size_t)n >= outlen - *o) {
        errno = ENAMETOOLONG;
        return -1;
    }
    *o += (size_t)n;
    e = s3url_encode(value, strlen(value), false, out + *o, outlen - *o);
    if (e == -1)
        return -1;
    *o += (size_t)e;
    return 0;
}

int
s3url_list_query(const char *prefix, const char *token, unsigned max, char *out,
                 size_t outlen)
{
    char num[16];
    size_t o = 0;

    if (outlen == 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    out[0] = '\0';
    snprintf(num, sizeof(num), "%u", max);
    /* Byte order of the names: SigV4 signs the parameters sorted. */
    if ((token != NULL && token[0] != '\0' &&
         query_add(out, outlen, &o, "continuation-token", token) == -1) ||
        query_add(out, outlen, &o, "list-type", "2") == -1 ||
        (max > 0 && query_add(out, outlen, &o, "max-keys", num) == -1) ||
        query_add(out, outlen, &o, "prefix", prefix) == -1)
        return -1;
    return 0;
}
