/* Diagnostics on stderr; see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/num.h"

/* syslog(3) priorities, as sd-daemon(3) writes them: "<3>" and so on. */
enum log_prio {
    LOG_PRIO_ERR = 3,
    LOG_PRIO_WARNING = 4,
    LOG_PRIO_INFO = 6,
    LOG_PRIO_DEBUG = 7
};

/* Written once at start-up, before any worker thread exists. */
static const char *log_progname = "symsrvd";
static bool log_journal;
static atomic_int log_verbose; /* a reload sets it while threads log */
static struct log_limit log_warn_budget;

/*
 * systemd sets JOURNAL_STREAM to "device:inode" of the stream it connects
 * stdout and stderr to; a child whose stderr was redirected elsewhere still
 * inherits the variable, so only a match with stderr itself counts
 * (sd_journal_stream_fd(3), systemd.exec(5)).
 */
static bool
stderr_is_journal(void)
{
    const char *p = getenv("JOURNAL_STREAM");
    const char *colon = p != NULL ? strchr(p, ':') : NULL;
    struct stat st;
    uint64_t dev, ino;

    if (colon == NULL ||
        num_parse_u64(p, (size_t)(colon - p), UINT64_MAX, &dev) == -1 ||
        num_parse_u64(colon + 1, strlen(colon + 1), UINT64_MAX, &ino) == -1)
        return false;
    if (fstat(STDERR_FILENO, &st) == -1)
        return false;
    return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

void
log_init(const char *progname)
{
    int saved = errno;

    log_progname = progname;
    log_journal = stderr_is_journal();
    errno = saved;
}

void
log_set_verbose(int verbose)
{
    log_verbose = verbose;
}

void
log_set_warn_limit(unsigned per_second)
{
    log_warn_budget.per_second = per_second;
}

bool
log_limit_admit(struct log_limit *l, long long now, unsigned *dropped_before)
{
    long long seen = atomic_load(&l->second);

    *dropped_before = 0;
    if (l->per_second == 0)
        return true;
    /* One thread wins the change of second and resets the counts; a line
     * of another thread racing it may land in either second. */
    if (now != seen && atomic_compare_exchange_strong(&l->second, &seen, now)) {
        *dropped_before = atomic_exchange(&l->dropped, 0);
        atomic_store(&l->count, 0);
    }
    if (atomic_fetch_add(&l->count, 1) < l->per_second)
        return true;
    atomic_fetch_add(&l->dropped, 1);
    return false;
}

/*
 * Formats the whole line first so that it leaves in one write(2): lines of
 * concurrent worker threads never interleave.
 */
static void log_vline(enum log_prio prio, const char *fmt, va_list ap,
                      int with_errno) PRINTFLIKE(2, 0);

static void
log_vline(enum log_prio prio, const char *fmt, va_list ap, int with_errno)
{
    char line[1024];
    int saved = errno;
    int w;
    size_t n;

    if (log_journal)
        w = snprintf(line, sizeof(line), "<%d>", (int)prio);
    else
        w = snprintf(line, sizeof(line), "%s: ", log_progname);
    n = w > 0 ? (size_t)w : 0;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
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
    log_vline(LOG_PRIO_INFO, fmt, ap, 0);
    va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    if (!log_verbose)
        return;
    va_start(ap, fmt);
    log_vline(LOG_PRIO_DEBUG, fmt, ap, 0);
    va_end(ap);
}

static void log_line(enum log_prio prio, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
log_line(enum log_prio prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(prio, fmt, ap, 0);
    va_end(ap);
}

/* Whether a warning may be written now (log_set_warn_limit()). */
static bool
warning_admitted(void)
{
    int saved = errno;
    unsigned dropped;
    bool ok =
        log_limit_admit(&log_warn_budget, (long long)time(NULL), &dropped);

    if (dropped > 0)
        log_line(LOG_PRIO_WARNING,
                 "warnings dropped (more than %u a second): %u",
                 log_warn_budget.per_second, dropped);
    errno = saved;
    return ok;
}

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    if (!warning_admitted())
        return;
    va_start(ap, fmt);
    log_vline(LOG_PRIO_WARNING, fmt, ap, 1);
    va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
    va_list ap;

    if (!warning_admitted())
        return;
    va_start(ap, fmt);
    log_vline(LOG_PRIO_WARNING, fmt, ap, 0);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(LOG_PRIO_ERR, fmt, ap, 1);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vline(LOG_PRIO_ERR, fmt, ap, 0);
    va_end(ap);
    exit(1);
}
