/*
 * Diagnostics on stderr, one write(2) per line, for systemd's journal.
 *
 * log_warn() appends ": strerror(errno)", log_warnx() does not; fatal() and
 * fatalx() exit(1). Every function preserves errno. Lines read
 * "symsrvd: <message>". log_debug() prints only after log_set_verbose(1);
 * the level is checked before anything is formatted.
 */
#ifndef SYMSRVD_LOG_H
#define SYMSRVD_LOG_H

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

void log_set_verbose(int verbose);
void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *fmt, ...) PRINTFLIKE(1, 2);
_Noreturn void fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
_Noreturn void fatalx(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
