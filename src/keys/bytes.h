/*
 * Helpers the key parsers share (internal to src/keys/): bounds checks
 * that cannot overflow and little-endian reads.
 */
#ifndef SYMSRVD_KEYS_BYTES_H
#define SYMSRVD_KEYS_BYTES_H

#include <stddef.h>
#include <stdint.h>

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

#endif
