/*
 * The head of an HTTP/1.1 request (RFC 9112 sections 2, 3, 5, 6 and 9.3):
 * the request line and the header fields, parsed in place. Pure: the
 * result points into the caller's buffer, nothing is copied or allocated.
 *
 * The parser is strict wherever leniency lets two parties read one message
 * differently (request smuggling): a bare CR, obs-fold, a NUL or other
 * control byte, white space before a field's colon, two Content-Length
 * fields, Content-Length beside Transfer-Encoding, and any version but
 * HTTP/1.x are refused. It is lenient where RFC 9112 allows it without
 * that risk: up to 32 bytes of empty lines before the request line are
 * skipped and a bare LF ends a line.
 */
#ifndef SYMSRVD_HTTP_HEAD_H
#define SYMSRVD_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header fields one request may carry (more: HEAD_TOO_LARGE). */
#define HEAD_FIELDS_MAX 64

/* A piece of the caller's buffer: not NUL-terminated. */
struct head_str {
    const char *p;
    size_t len;
};

enum head_method {
    HEAD_M_GET,
    HEAD_M_HEAD,
    HEAD_M_OPTIONS,
    HEAD_M_OTHER,   /* another method of RFC 9110 or 5789: 405 */
    HEAD_M_UNKNOWN, /* any other token: 501 */
};

/* The fields the daemon looks at; the parser tags each field line. */
enum head_known {
    HEAD_F_HOST,
    HEAD_F_RANGE,
    HEAD_F_IF_RANGE,
    HEAD_F_IF_MATCH,
    HEAD_F_IF_NONE_MATCH,
    HEAD_F_IF_MODIFIED_SINCE,
    HEAD_F_IF_UNMODIFIED_SINCE,
    HEAD_F_REFERER,
    HEAD_F_USER_AGENT,
    HEAD_F_CONNECTION,
    HEAD_F_CONTENT_LENGTH,
    HEAD_F_TRANSFER_ENCODING,
    HEAD_F_EXPECT,
    HEAD_F_ACCEPT_ENCODING,
    HEAD_F_KNOWN, /* the number of known fields; also "not one of them" */
};

struct head_field {
    struct head_str name;  /* as received */
    struct head_str value; /* without leading and trailing OWS */
    enum head_known id;    /* HEAD_F_KNOWN for any other name */
};

struct head {
    struct head_str method;  /* as received */
    enum head_method m;      /* what the method is */
    struct head_str target;  /* the request-target, as received */
    struct head_str version; /* "HTTP/1.1" as received */
    unsigned minor;          /* 0 for HTTP/1.0; 1 for 1.1 and up (RFC 9110
                              * 2.5: a higher minor is answered as 1.1) */
    struct head_field fields[HEAD_FIELDS_MAX];
    size_t nfields;
    /* index into fields of the first line of each known field, or -1 */
    int first[HEAD_F_KNOWN];
    bool has_body;        /* Content-Length > 0 or chunked: bytes follow */
    uint64_t length;      /* Content-Length, 0 when absent */
    bool chunked;         /* Transfer-Encoding: chunked */
    bool keep_alive;      /* the connection may carry another request */
    bool expect_continue; /* Expect: 100-continue */
};

enum head_rc {
    HEAD_OK,              /* *h is filled */
    HEAD_BAD,             /* 400: malformed; close the connection */
    HEAD_URI_TOO_LONG,    /* 414: the request line alone is over max */
    HEAD_TOO_LARGE,       /* 431: the head is over max, or too many fields */
    HEAD_VERSION,         /* 505: a version other than HTTP/1.x */
    HEAD_NOT_IMPLEMENTED, /* 501: a transfer coding other than chunked */
};

/*
 * Where the head at the start of buf[0..len) ends: the offset just past
 * the empty line that closes it, or 0 when it has not arrived whole yet.
 * Empty lines before the request line belong to the head. *scanned
 * (0 on the first call for a head) lets a later call with more bytes
 * resume where this one stopped, so a head that arrives byte by byte is
 * still read in linear time.
 */
size_t head_end(const char *buf, size_t len, size_t *scanned);

/*
 * Parses the complete head buf[0..len) (len as head_end() found it).
 * HEAD_OK fills *h with pointers into buf. Anything else sets *why to a
 * short reason for the client and the log ("bad request: bare CR in a
 * field"), and the connection must close after the answer: the parser
 * cannot tell where the next request would start.
 */
enum head_rc head_parse(const char *buf, size_t len, struct head *h,
                        const char **why);

/*
 * The status for a head that has not ended within the max bytes the
 * connection holds (buf[0..len), len >= max): 414 when no line has ended
 * yet, 431 otherwise. Sets *why.
 */
enum head_rc head_overflow(const char *buf, size_t len, const char **why);

/*
 * Writes a NUL after the method, the target, the version and every field
 * value of h, which head_parse() found in buf: each is followed by a space,
 * a CR or a LF that the parsed head no longer needs, so the slices become
 * C strings in place. buf is the buffer head_parse() was given.
 */
void head_nul_terminate(char *buf, const struct head *h);

/* The value of the first field line of id, or NULL when absent. */
const struct head_str *head_get(const struct head *h, enum head_known id);

/* True when s equals the NUL-terminated lit, ASCII letters case-blind. */
bool head_str_ieq(struct head_str s, const char *lit);

/* Pure: whether c may stand in a token (tchar, RFC 9110 section 5.6.2). */
bool head_tchar(unsigned char c);

#endif
