/*
 * The reason line a function hands back in a caller's buffer (redis-style
 * error buffers): one place for the NULL and zero-size checks.
 */
#ifndef SYMSRVD_ERRBUF_H
#define SYMSRVD_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the reason into err[errlen]; err may be NULL or errlen 0. */
static inline void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

#endif
