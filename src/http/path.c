/* Request-target canonicalisation; see path.h. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"
#include "http/path.h"

/*
 * Bytes that may stand raw in a request-target: visible ASCII (RFC 9112
 * section 3.2) minus the backslash, which Windows tools turn into a path
 * separator, and '#', which starts a fragment that clients never send.
 */
static bool
raw_byte_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '\\' && c != '#';
}

/* Decoded bytes: anything but NUL, controls and the backslash. */
static bool
decoded_byte_ok(unsigned char c)
{
    return c >= 0x20 && c != 0x7f && c != '\\';
}

/*
 * Skips "http://authority" or "https://authority" of an absolute-form
 * target (RFC 9112 section 3.2.2); returns the offset of its path, or -1.
 * The authority is not used, but its raw bytes must be as valid as the
 * path's.
 */
static long
absolute_form_path(const char *t, size_t len)
{
    size_t i;

    if (len >= 7 && strncasecmp(t, "http://", 7) == 0)
        i = 7;
    else if (len >= 8 && strncasecmp(t, "https://", 8) == 0)
        i = 8;
    else
        return -1;
    for (; i < len && t[i] != '/' && t[i] != '?'; i++)
        if (!raw_byte_ok((unsigned char)t[i]))
            return -1;
    return (long)i;
}

/* The offset after the last '/' in out[0..o), or 0. */
static size_t
parent_end(const char *out, size_t o)
{
    while (o > 0 && out[o - 1] != '/')
        o--;
    return o > 0 ? o - 1 : 0;
}

/*
 * Closes the segment out[seg..w): returns the new committed length, or
 * (size_t)-1 when ".." climbs above the root.
 */
static size_t
close_segment(const char *out, size_t committed, size_t seg, size_t w)
{
    size_t n = w - seg;

    if (n == 0 || (n == 1 && out[seg] == '.'))
        return committed;
    if (n == 2 && out[seg] == '.' && out[seg + 1] == '.') {
        if (committed == 0)
            return (size_t)-1;
        return parent_end(out, committed);
    }
    return w;
}

/* Decodes the byte at t[*i] (raw or %XX), advancing *i; -1 if malformed. */
static int
next_byte(const char *t, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)t[*i];
    int hi, lo;

    if (!raw_byte_ok(c))
        return -1;
    if (c != '%') {
        (*i)++;
        return c;
    }
    if (len - *i < 3)
        return -1;
    hi = hex_value((unsigned char)t[*i + 1]);
    lo = hex_value((unsigned char)t[*i + 2]);
    if (hi < 0 || lo < 0)
        return -1;
    c = (unsigned char)(hi << 4 | lo);
    if (!decoded_byte_ok(c))
        return -1;
    *i += 3;
    return c;
}

enum path_rc
path_canonicalize(const char *target, size_t len, char *out, size_t outsz,
                  size_t *outlen)
{
    size_t i = 0, committed = 0, seg = 0, w = 0;
    long start;

    if (len == 0 || outsz == 0)
        return PATH_BAD;
    if (target[0] != '/') {
        start = absolute_form_path(target, len);
        if (start < 0)
            return PATH_BAD;
        i = (size_t)start;
    }
    for (;;) {
        bool end = (i == len || target[i] == '?');
        int c = end ? '/' : next_byte(target, len, &i);

        if (c < 0)
            return PATH_BAD;
        if (c != '/') {
            if (w + 1 >= outsz)
                return PATH_TOO_LONG;
            out[w++] = (char)c;
            continue;
        }
        committed = close_segment(out, committed, seg, w);
        if (committed == (size_t)-1)
            return PATH_BAD;
        if (end)
            break;
        seg = w = committed > 0 ? committed + 1 : 0;
        if (seg > 0)
            out[committed] = '/';
    }
    /* Bytes after '?' are the query: only raw validity matters there. */
    for (; i < len; i++)
        if (!raw_byte_ok((unsigned char)target[i]))
            return PATH_BAD;
    out[committed] = '\0';
    *outlen = committed;
    return PATH_OK;
}
