/*
 * What the handler decided to answer, as plain data: the handler fills it
 * (handler.c), reply.c turns it into the status line and header fields,
 * and the connection (conn.c) sends those and the body. Nothing here
 * touches a socket.
 */
#ifndef SYMSRVD_DAEMON_ANSWER_H
#define SYMSRVD_DAEMON_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "http/etag.h"
#include "http/range.h"
#include "store/store.h"
#include "store/zcache.h"

/* Longest X-DEBUGINFOD-FILE value kept; a longer one is left out. */
#define ANSWER_FILE_VALUE_MAX 2048

/* What a request asked for, as the request metrics count it. */
enum answer_route {
    ANSWER_ROUTE_OTHER,      /* bad heads, OPTIONS *, health, the rest */
    ANSWER_ROUTE_SYMBOL,     /* <file>/<key>/... store paths */
    ANSWER_ROUTE_DEBUGINFOD, /* /buildid/... */
    ANSWER_ROUTE_ADMIN,      /* 000Admin/, index2.txt, pingme.txt */
    ANSWER_ROUTES
};

enum answer_body {
    ANSWER_BODY_NONE, /* no body at all (204, 304, HEAD, a 0-byte file) */
    ANSWER_BODY_TEXT, /* text, a short static string */
    ANSWER_BODY_FILE, /* ranges of the open file fd */
};

struct answer {
    int status;
    enum answer_body body;
    const char *text; /* ANSWER_BODY_TEXT; also sized for HEAD */
    bool allow;       /* carries "Allow: GET, HEAD, OPTIONS" */
    bool keyed;       /* a file under its key: the immutable Cache-Control */
    bool validators;  /* 200, 206, 304: Last-Modified, ETag, Cache-Control */
    bool head_only;   /* HEAD: headers as for GET, no body bytes */
    bool close;       /* the connection closes after this answer */
    bool no_store;    /* text answers: "Cache-Control: no-store" */
    const char *text_type; /* text answers: Content-Type; NULL: plain */
    enum answer_route route;
    const char *challenge; /* 401: the WWW-Authenticate value (borrowed) */
    unsigned retry_after;  /* 429: Retry-After seconds */
    /* File answers (200, 206, 304) and 416. */
    int fd;         /* owned by the answer while != -1 */
    struct stat st; /* the file's, for size and validators */
    /* A window of the file (a debuginfod section): the body is the bytes
     * [window_off, window_off + st.st_size) of fd. The handler sets
     * st.st_size to the window's length, so ranges, Content-Range, 416
     * and X-DEBUGINFOD-SIZE all speak of the window; its ETag is
     * etag_format_window()'s. */
    bool window;
    uint64_t window_off;
    char etag[ETAG_LEN];
    /* 206: ranges[0..nranges), multipart when more than one; 200: one
     * range over the whole file. */
    struct range_spec ranges[RANGE_MAX];
    size_t nranges;
    bool multipart;
    uint64_t body_len; /* Content-Length of the body */
    /* X-DEBUGINFOD-FILE when not empty (then X-DEBUGINFOD-SIZE too). */
    char debuginfod_file[ANSWER_FILE_VALUE_MAX];
    /* Content negotiation (docs/http.md "Compressed transfer"). */
    bool vary;            /* "Vary: Accept-Encoding": the file has copies */
    const char *encoding; /* Content-Encoding of the body; NULL: none */
    enum zcache_coding coding; /* with encoding: the copy sent */
    /* After answering: have the copy in this coding made (a GET of a
     * file with none yet; conn.c gives it to the job pool). */
    bool compress;
    enum zcache_coding compress_coding;
    /* No answer yet: job must run off the loop first (an expansion), then
     * the request is handled again. */
    bool pending;
    struct store_job job;
    /* No answer yet: a local miss the upstreams are to be asked for
     * (fetch.h): fetch_rel, the canonical path. The caller fetches (or
     * joins the fetch running), then asks the handler again. */
    bool fetch;
    char fetch_rel[PATH_MAX];
};

/* Clears a for the next request (fd must already be closed or -1). */
void answer_reset(struct answer *a);

/* A short text answer: status and its text/plain body. */
void answer_text(struct answer *a, int status, const char *text);

/*
 * Plans the body of a file answer: nranges 0 for the whole file (200),
 * else a->ranges[0..nranges) (206, multipart when more than one, with
 * boundary). Sets status, multipart and body_len; a->st must be set.
 */
void answer_plan_file(struct answer *a, size_t nranges, const char *boundary);

#endif
