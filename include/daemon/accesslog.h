/*
 * The access log: nginx's "combined" format. Each worker gathers whole
 * lines in its own buffer and writes them with one write(2) (O_APPEND):
 * lines of concurrent workers never interleave or split on a regular file.
 *
 *   peer - user [24/Nov/2026:13:35:51 +0000] "GET /a HTTP/1.1" 200 512 "-" "ua"
 *
 * The user is "-" when the request was not authenticated; in it a space is
 * escaped too (\x20), since the field is not quoted. Times are UTC. In the
 * quoted fields '"', '\', control bytes and bytes from 0x7f up are written as
 * \xHH, as nginx does; an absent header is "-".
 */
#ifndef SYMSRVD_ACCESSLOG_H
#define SYMSRVD_ACCESSLOG_H

#include <stdbool.h>
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
    const char *user;       /* authenticated user, NULL or "" for none */
};

/*
 * Pure: formats e as one line ending in '\n' into buf[ACCESSLOG_LINE_MAX]
 * and returns its length. A field too long to fit is cut at an escape
 * boundary and ends in "...".
 */
size_t accesslog_format(char *buf, const struct accesslog_entry *e);

/* The same with e->when already formatted by httpdate_format_log() (a
 * worker formats it once per second). */
size_t accesslog_format_dated(char *buf, const struct accesslog_entry *e,
                              const char *date);

struct accesslog;

/*
 * Opens path for appending ("-" is stdout; NULL or "off" logs nothing and
 * returns a log that drops lines). Returns NULL with a reason in err.
 * Caller owns the result: accesslog_close().
 */
struct accesslog *accesslog_open(const char *path, char *err, size_t errlen);

/*
 * Reopens the file under its name (after logrotate renamed it) by dup3()
 * onto the same descriptor, so writers in other threads never see a closed
 * one. Returns 0, or -1 with errno set, keeping the old file.
 */
int accesslog_reopen(struct accesslog *log);

/* Thread-safe: writes data[0..len) (whole lines) in one write(2), going
 * on after a short one; a failure is warned about once, not per line. */
void accesslog_write(struct accesslog *log, const char *data, size_t len);

/* Lines are written in batches of up to this many bytes. */
#define ACCESSLOG_BUF_SIZE 65536

/*
 * One worker's lines not yet written. The worker flushes it when it would
 * overflow, 100 ms after its first line, before the log is reopened and
 * when it stops, so no line is lost and none is split.
 */
struct accesslog_buf {
    struct accesslog *log; /* borrowed */
    size_t len;
    char data[ACCESSLOG_BUF_SIZE];
};

/* Appends a line (len <= ACCESSLOG_LINE_MAX), flushing first if it would
 * not fit. True when the buffer held no line before: the caller then arms
 * its flush timer. */
bool accesslog_buf_add(struct accesslog_buf *b, const char *line, size_t len);

void accesslog_buf_flush(struct accesslog_buf *b);

void accesslog_close(struct accesslog *log);

#endif
