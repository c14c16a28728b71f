/*
 * Diagnostics on stderr, one write(2) per line, for systemd's journal.
 *
 * log_init() names the program and looks at stderr once, at start-up,
 * before any thread exists. Lines read "<progname>: <message>". When
 * stderr is the journal's stream (systemd's JOURNAL_STREAM holds its
 * "device:inode", and fstat(2) of stderr matches it), each line starts
 * instead with its priority as sd-daemon(3) spells it, and without the
 * name, which the journal records itself: "<4><message>". Priorities:
 * fatal() and fatalx() 3 (err), log_warn() and log_warnx() 4 (warning),
 * log_info() 6 (info), log_debug() 7 (debug). Without log_init() the name
 * is "symsrvd" and there is no prefix.
 *
 * log_warn() and fatal() append ": strerror(errno)", log_warnx() and
 * fatalx() do not; fatal() and fatalx() exit(1). Every function preserves
 * errno. log_debug() prints only after log_set_verbose(1) (symsrvd -v);
 * the level is checked before anything is formatted. A line longer than
 * 1 KiB is cut.
 */
#ifndef SYMSRVD_LOG_H
#define SYMSRVD_LOG_H

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

#include <stdatomic.h>
#include <stdbool.h>

/*
 * A budget of warning lines per second (clients can make the daemon warn:
 * an unreadable file asked for in a loop must not flood the journal).
 * Zero-initialise, set per_second (0: no limit).
 */
struct log_limit {
    unsigned per_second;
    _Atomic long long second; /* the second being counted, 0 at first */
    atomic_uint count;        /* lines admitted in it */
    atomic_uint dropped;      /* lines refused in it */
};

/*
 * Whether one more line at time now fits l. When now starts a new second,
 * *dropped_before is set to the lines refused in the one before (else 0),
 * for the caller to say so once. Thread-safe; pure but for l.
 */
bool log_limit_admit(struct log_limit *l, long long now,
                     unsigned *dropped_before);

/* At most per_second lines of log_warn() and log_warnx() a second from
 * now on (0: no limit); the rest are counted and reported as one line. */
void log_set_warn_limit(unsigned per_second);

/* progname is kept, not copied: a string literal or argv[0]. */
void log_init(const char *progname);
void log_set_verbose(int verbose);
void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *fmt, ...) PRINTFLIKE(1, 2);
_Noreturn void fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
_Noreturn void fatalx(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
