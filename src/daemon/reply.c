/* Answer heads; see reply.h. */
#include <string.h>

#include "daemon/reply.h"
#include "http/httpdate.h"

/* A buffer being filled; once full, every later put is dropped. */
struct out {
    char *p;
    size_t len, cap;
    bool full;
};

static void
put(struct out *o, const char *s, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)

static void
put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void
put_u64(struct out *o, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof(tmp);

    do
        tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    put(o, tmp + i, sizeof(tmp) - i);
}

/* name ": " value CRLF */
static void
put_field(struct out *o, const char *name, const char *value)
{
    put_str(o, name);
    PUT_LIT(o, ": ");
    put_str(o, value);
    PUT_LIT(o, "\r\n");
}

static const struct {
    int status;
    const char *line; /* the whole status line, CRLF included */
} status_lines[] = {
#define S(code, text)                                                          \
    {                                                                          \
        code, "HTTP/1.1 " #code " " text "\r\n"                                \
    }
    S(200, "OK"),
    S(204, "No Content"),
    S(206, "Partial Content"),
    S(304, "Not Modified"),
    S(400, "Bad Request"),
    S(401, "Unauthorized"),
    S(403, "Forbidden"),
    S(404, "Not Found"),
    S(405, "Method Not Allowed"),
    S(412, "Precondition Failed"),
    S(414, "URI Too Long"),
    S(416, "Range Not Satisfiable"),
    S(429, "Too Many Requests"),
    S(431, "Request Header Fields Too Large"),
    S(500, "Internal Server Error"),
    S(501, "Not Implemented"),
    S(502, "Bad Gateway"),
    S(503, "Service Unavailable"),
    S(504, "Gateway Timeout"),
    S(505, "HTTP Version Not Supported"),
#undef S
};

/* The status line of status, or NULL for one not in the table. */
static const char *
status_line(int status)
{
    for (size_t i = 0; i < sizeof(status_lines) / sizeof(status_lines[0]); i++)
        if (status_lines[i].status == status)
            return status_lines[i].line;
    return NULL;
}

const char *
reply_reason(int status)
{
    const char *line = status_line(status);

    return line != NULL ? line + 13 : "Unknown"; /* past "HTTP/1.1 NNN " */
}

/* Date, Server, Connection: what every answer carries. */
static void
put_common(struct out *o, const struct answer *a, const struct reply_env *env,
           bool keep_alive_10)
{
    const char *line = status_line(a->status);

    if (line == NULL) {
        o->full = true; /* never sent: a bug, not a client's doing */
        return;
    }
    put_str(o, line);
    put_field(o, "Date", env->date);
    PUT_LIT(o, "Server: symsrvd\r\n");
    if (a->close)
        PUT_LIT(o, "Connection: close\r\n");
    else if (keep_alive_10)
        PUT_LIT(o, "Connection: keep-alive\r\n");
    if (a->allow)
        PUT_LIT(o, "Allow: GET, HEAD, OPTIONS\r\n");
    if (a->vary) /* caches keep each coding apart, identity too */
        PUT_LIT(o, "Vary: Accept-Encoding\r\n");
}

/* Last-Modified, ETag, Cache-Control of a file answer or its 304. */
static void
put_validators(struct out *o, const struct answer *a,
               const struct reply_env *env)
{
    char date[HTTPDATE_LEN];

    if (httpdate_format(a->st.st_mtim.tv_sec, date) == 0)
        put_field(o, "Last-Modified", date);
    put_field(o, "ETag", a->etag);
    put_field(o, "Cache-Control",
              a->keyed ? env->cache_control : env->miss_cache_control);
}

static void
put_file_body_fields(struct out *o, const struct answer *a,
                     const struct reply_env *env)
{
    uint64_t size = (uint64_t)a->st.st_size;

    PUT_LIT(o, "Accept-Ranges: bytes\r\n");
    if (a->multipart) {
        PUT_LIT(o, "Content-Type: multipart/byteranges; boundary=");
        put_str(o, env->boundary);
        PUT_LIT(o, "\r\n");
    } else {
        PUT_LIT(o, "Content-Type: application/octet-stream\r\n");
    }
    if (a->status == 206 && !a->multipart) {
        PUT_LIT(o, "Content-Range: bytes ");
        put_u64(o, a->ranges[0].first);
        PUT_LIT(o, "-");
        put_u64(o, a->ranges[0].last);
        PUT_LIT(o, "/");
        put_u64(o, size);
        PUT_LIT(o, "\r\n");
    }
    if (a->encoding != NULL)
        put_field(o, "Content-Encoding", a->encoding);
    PUT_LIT(o, "Content-Length: ");
    put_u64(o, a->body_len);
    PUT_LIT(o, "\r\n");
    /* debuginfod(8)'s own fields: the whole file's size, even on a 206. */
    if (a->debuginfod_file[0] != '\0') {
        PUT_LIT(o, "X-DEBUGINFOD-SIZE: ");
        put_u64(o, size);
        PUT_LIT(o, "\r\n");
        put_field(o, "X-DEBUGINFOD-FILE", a->debuginfod_file);
    }
}

static void
put_text_fields(struct out *o, const struct answer *a,
                const struct reply_env *env)
{
    size_t len = a->text != NULL ? strlen(a->text) : 0;

    if (a->no_store)
        PUT_LIT(o, "Cache-Control: no-store\r\n");
    else if (a->status == 404)
        put_field(o, "Cache-Control", env->miss_cache_control);
    if (a->status == 503) /* every 503 here is passing: busy, disk full */
        PUT_LIT(o, "Retry-After: 1\r\n");
    if (a->status == 401 && a->challenge != NULL)
        put_field(o, "WWW-Authenticate", a->challenge);
    if (a->status == 429) {
        PUT_LIT(o, "Retry-After: ");
        put_u64(o, a->retry_after);
        PUT_LIT(o, "\r\n");
    }
    if (a->status == 416) {
        PUT_LIT(o, "Content-Range: bytes */");
        put_u64(o, (uint64_t)a->st.st_size);
        PUT_LIT(o, "\r\n");
    }
    if (len > 0 && a->status != 204 && a->status != 304) {
        if (a->text_type != NULL)
            put_field(o, "Content-Type", a->text_type);
        else
            PUT_LIT(o, "Content-Type: text/plain; charset=utf-8\r\n");
        PUT_LIT(o, "Content-Length: ");
        put_u64(o, len);
        PUT_LIT(o, "\r\n");
    }
}

size_t
reply_head(const struct answer *a, const struct reply_env *env,
           bool keep_alive_10, char *buf, size_t cap)
{
    struct out o = {buf, 0, cap, false};

    put_common(&o, a, env, keep_alive_10);
    if (a->validators)
        put_validators(&o, a, env);
    if (a->body == ANSWER_BODY_FILE || (a->validators && a->status != 304))
        put_file_body_fields(&o, a, env);
    else if (a->status != 304)
        put_text_fields(&o, a, env);
    PUT_LIT(&o, "\r\n");
    return o.full ? 0 : o.len;
}
