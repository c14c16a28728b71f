/*
 * What the fuzz targets share: CHECK() (not assert(): RelWithDebInfo and
 * Release define NDEBUG) and exact-size copies, so that ASan sees a read
 * one byte past what a parser was given.
 */
#ifndef SYMSRVD_FUZZ_H
#define SYMSRVD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            fuzz_fail(__FILE__, __LINE__, #c);                                 \
    } while (0)

static inline void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

/* The 8 bytes at p as a little-endian signed number (times from input). */
static inline int64_t
fuzz_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

/* An exact-size copy of s[0..len) (malloc(0) avoided). */
static inline char *
fuzz_dup(const void *s, size_t len)
{
    char *p = malloc(len > 0 ? len : 1);

    CHECK(p != NULL);
    if (len > 0)
        memcpy(p, s, len);
    return p;
}

/* A NUL-terminated exact-size copy of s[0..len). */
static inline char *
fuzz_strdup(const void *s, size_t len)
{
    char *p = malloc(len + 1);

    CHECK(p != NULL);
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

#endif
