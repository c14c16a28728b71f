/*
 * The reason line a function hands back in a caller's buffer (redis-style
 * error buffers): one place for the NULL and zero-size checks.
 */
#ifndef SYMSRVD_ERRBUF_H
#define SYMSRVD_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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

/*
 * Copies s into out[outsz] for quoting in a reason line: bytes outside
 * printable ASCII become '?', so a name taken from hostile input (an ELF
 * section, a file name) can never start a line of its own in a log; a
 * copy that does not fit ends in "...". Returns out.
 */
static inline const char *
errbuf_printable(const char *s, char *out, size_t outsz)
{
    size_t i = 0;

    if (outsz == 0)
        return "";
    for (; s[i] != '\0' && i + 1 < outsz; i++)
        out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    out[i] = '\0';
    if (s[i] != '\0' && outsz >= 4)
        memcpy(out + outsz - 4, "...", 4);
    return out;
}

#endif
