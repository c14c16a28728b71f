/* Diagnostics on stderr; see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Written once at start-up, before any worker thread exists. */
static int log_verbose;

void
log_set_verbose(int verbose)
{
    log_verbose = verbose;
}

/*
 * Formats the whole line first so that it leaves in one write(2): lines of
 * concurrent worker threads never interleave.
 */
static void log_vline(const char *fmt, va_list ap, int with_errno)
    PRINTFLIKE(1, 0);

static void
log_vline(const char *fmt, va_list ap, int with_errno)
{
    char line[1024];
    int saved = errno;
    size_t n = (size_t)snprintf(line, sizeof(line), "symsrvd: ");
    int w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);

    if (w > 0)
        n += (size_t)w;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    if (with_errno) {
        w = snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
        if (w > 0)
            n += (size_t)w;
        if (n > sizeof(line) - 2)
            n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0) {
        /* Nowhere left to report it. */
    }
    errno = saved;
}

void
log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(fmt, ap, 0);
    va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    if (!log_verbose)
        return;
    va_start(ap, fmt);
    log_vline(fmt, ap, 0);
    va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(fmt, ap, 1);
    va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(fmt, ap, 0);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(fmt, ap, 1);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(fmt, ap, 0);
    va_end(ap);
    exit(1);
}
