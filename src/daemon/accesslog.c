/* The access log; see accesslog.h. */
#define _GNU_SOURCE /* dup3 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errbuf.h"
#include "daemon/accesslog.h"
#include "http/httpdate.h"
#include "util/log.h"

struct accesslog {
    char *path;         /* NULL for stdout and for "off" */
    int fd;             /* -1 when off */
    _Atomic int broken; /* last write failed: warn once, not per line */
};

/*
 * Caps per field, so that the line always fits ACCESSLOG_LINE_MAX: the six
 * fields at their caps, the separators, date and numbers come to 11086, and
 * the user (256 bytes, each escaped to 4 at worst) to 12113.
 */
#define FIELD_REQUEST_MAX 8192
#define FIELD_HEADER_MAX 1024
#define FIELD_SHORT_MAX 256 /* peer, method, protocol, user */

struct out {
    char *p;
    size_t n, cap;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (n > o->cap - o->n)
        n = o->cap - o->n;
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void
puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static int
needs_escape(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f;
}

/* Escapes s into o, at most max bytes, cut before an escape with "...". */
static void
put_escaped(struct out *o, const char *s, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t used = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
        size_t n = needs_escape(c) ? 4 : 1;

        if (used + n > max - 3) {
            puts_(o, "...");
            return;
        }
        put(o, needs_escape(c) ? esc : (const char *)s, n);
        used += n;
    }
}

static void
put_header(struct out *o, const char *value)
{
    puts_(o, "\"");
    if (value == NULL || *value == '\0')
        puts_(o, "-");
    else
        put_escaped(o, value, FIELD_HEADER_MAX);
    puts_(o, "\"");
}

/*
 * The remote-user field: unquoted in the combined format, so a space is
 * escaped as well (\x20), or a user name could shift the fields.
 */
static void
put_user(struct out *o, const char *user)
{
    static const char hex[] = "0123456789ABCDEF";

    if (user == NULL || *user == '\0') {
        puts_(o, "-");
        return;
    }
    for (const char *s = user; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

        if (s - user >= FIELD_SHORT_MAX) {
            puts_(o, "...");
            return;
        }
        if (needs_escape(c) || c == ' ')
            put(o, esc, 4);
        else
            put(o, s, 1);
    }
}

/* The decimal digits of v into buf[20]; returns where they start. */
static const char *
u64_digits(uint64_t v, char *buf)
{
    char *p = buf + 20;

    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return p;
}

size_t
accesslog_format(char *buf, const struct accesslog_entry *e)
{
    char date[HTTPDATE_LOG_LEN];

    if (httpdate_format_log(e->when, date) == -1)
        memcpy(date, "01/Jan/1970:00:00:00 +0000", sizeof(date));
    return accesslog_format_dated(buf, e, date);
}

size_t
accesslog_format_dated(char *buf, const struct accesslog_entry *e,
                       const char *d)
{
    struct out o = {buf, 0, ACCESSLOG_LINE_MAX - 1};
    char num[20];
    const char *digits;

    put_escaped(&o, e->peer, FIELD_SHORT_MAX);
    puts_(&o, " - ");
    put_user(&o, e->user);
    puts_(&o, " [");
    puts_(&o, d);
    puts_(&o, "] \"");
    put_escaped(&o, e->method, FIELD_SHORT_MAX);
    puts_(&o, " ");
    put_escaped(&o, e->target, FIELD_REQUEST_MAX);
    puts_(&o, " ");
    put_escaped(&o, e->proto, FIELD_SHORT_MAX);
    puts_(&o, "\" ");
    if (e->status < 0)
        puts_(&o, "-");
    digits = u64_digits(e->status < 0 ? 0 - (uint64_t)(int64_t)e->status
                                      : (uint64_t)e->status,
                        num);
    put(&o, digits, (size_t)(num + sizeof(num) - digits));
    puts_(&o, " ");
    digits = u64_digits(e->bytes, num);
    put(&o, digits, (size_t)(num + sizeof(num) - digits));
    puts_(&o, " ");
    put_header(&o, e->referer);
    puts_(&o, " ");
    put_header(&o, e->user_agent);
    buf[o.n++] = '\n';
    return o.n;
}

static int
open_append(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct accesslog *
accesslog_open(const char *path, char *err, size_t errlen)
{
    struct accesslog *log = calloc(1, sizeof(*log));

    if (log == NULL) {
        errbuf_set(err, errlen, "access log: out of memory");
        return NULL;
    }
    log->fd = -1;
    if (path == NULL || strcmp(path, "off") == 0)
        return log;
    if (strcmp(path, "-") == 0) {
        log->fd = STDOUT_FILENO;
        return log;
    }
    log->path = strdup(path);
    if (log->path != NULL)
        log->fd = open_append(path);
    if (log->path == NULL || log->fd == -1) {
        errbuf_set(err, errlen, "access log %s: %s", path, strerror(errno));
        free(log->path);
        free(log);
        return NULL;
    }
    return log;
}

int
accesslog_reopen(struct accesslog *log)
{
    int fd;

    if (log->path == NULL)
        return 0;
    fd = open_append(log->path);
    if (fd == -1)
        return -1;
    /* dup3 swaps the file behind log->fd atomically for every writer. */
    if (dup3(fd, log->fd, O_CLOEXEC) == -1) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    close(fd);
    return 0;
}

void
accesslog_write(struct accesslog *log, const char *data, size_t len)
{
    if (log->fd == -1)
        return;
    while (len > 0) {
        ssize_t n = write(log->fd, data, len);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (log->broken == 0)
                log_warn("access log: write");
            log->broken = 1;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
    log->broken = 0;
}

bool
accesslog_buf_add(struct accesslog_buf *b, const char *line, size_t len)
{
    bool was_empty = b->len == 0;

    if (len > sizeof(b->data) - b->len) {
        accesslog_buf_flush(b);
        was_empty = true;
    }
    memcpy(b->data + b->len, line, len);
    b->len += len;
    return was_empty;
}

void
accesslog_buf_flush(struct accesslog_buf *b)
{
    if (b->len > 0)
        accesslog_write(b->log, b->data, b->len);
    b->len = 0;
}

void
accesslog_close(struct accesslog *log)
{
    if (log == NULL)
        return;
    if (log->path != NULL)
        close(log->fd);
    free(log->path);
    free(log);
}
