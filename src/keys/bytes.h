/*
 * Helpers the key parsers share (internal to src/keys/): bounds checks
 * that cannot overflow, little-endian reads, and the reason line.
 */
#ifndef SYMSRVD_KEYS_BYTES_H
#define SYMSRVD_KEYS_BYTES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* True when [off, off + n) lies inside a buffer of len bytes. */
static inline int
bytes_fit(size_t len, uint64_t off, uint64_t n)
{
    return off <= len && n <= len - off;
}

/* The little-endian unsigned number of width (1-4) bytes at p. */
static inline uint32_t
bytes_le(const unsigned char *p, unsigned width)
{
    uint32_t v = 0;

    while (width-- > 0)
        v = v << 8 | p[width];
    return v;
}

/* Writes the reason into why[whylen]; why may be NULL or whylen 0. */
static inline void bytes_say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
bytes_say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

#endif
