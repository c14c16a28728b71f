/*
 * The access log: nginx's "combined" format, one write(2) per line, so that
 * lines of concurrent workers never interleave (O_APPEND).
 *
 *   peer - - [24/Nov/2026:13:35:51 +0000] "GET /a HTTP/1.1" 200 512 "-" "ua"
 *
 * Times are UTC. In the quoted fields '"', '\', control bytes and bytes
 * from 0x7f up are written as \xHH, as nginx does; an absent header is "-".
 */
#ifndef SYMSRVD_ACCESSLOG_H
#define SYMSRVD_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest line accesslog_format() writes, newline included. */
#define ACCESSLOG_LINE_MAX 12288

struct accesslog_entry {
    const char *peer;       /* client address, text */
    time_t when;            /* end of the request */
    const char *method;     /* "GET" */
    const char *target;     /* the request-target as received */
    const char *proto;      /* "HTTP/1.1" */
    int status;             /* status sent */
    uint64_t bytes;         /* body bytes sent, headers excluded */
    const char *referer;    /* NULL when absent */
    const char *user_agent; /* NULL when absent */
};

/*
 * Pure: formats e as one line ending in '\n' into buf[ACCESSLOG_LINE_MAX]
 * and returns its length. A field too long to fit is cut at an escape
 * boundary and ends in "...".
 */
size_t accesslog_format(char *buf, const struct accesslog_entry *e);

struct accesslog;

/*
 * Opens path for appending ("-" is stdout; NULL or "off" logs nothing and
 * returns a log that drops lines). Returns NULL with a reason in err.
 * Caller owns the result: accesslog_close().
 */
struct accesslog *accesslog_open(const char *path, char *err, size_t errlen);

/*
 * Reopens the file under its name (after logrotate renamed it) by dup2()
 * onto the same descriptor, so writers in other threads never see a closed
 * one. Returns 0, or -1 with errno set, keeping the old file.
 */
int accesslog_reopen(struct accesslog *log);

/* Thread-safe: one write(2) of line[0..len). */
void accesslog_write(struct accesslog *log, const char *line, size_t len);

void accesslog_close(struct accesslog *log);

#endif
