/*
 * The status line and header fields of an answer, built with memcpy into
 * the connection's buffer: no snprintf, no allocation. Pure: the Date value
 * and every setting come in as arguments.
 */
#ifndef SYMSRVD_DAEMON_REPLY_H
#define SYMSRVD_DAEMON_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/answer.h"

/* What every answer of a worker shares. */
struct reply_env {
    const char *date;               /* the Date value, cached per second */
    const char *cache_control;      /* hits (store.cache_control) */
    const char *miss_cache_control; /* 404s and files not under a key */
    const char *boundary;           /* multipart/byteranges */
};

/*
 * Writes the status line and the header fields of a, through the empty
 * line that ends them, into buf[cap]. keep_alive_10: the request was
 * HTTP/1.0 with keep-alive, which must be confirmed. Returns the length,
 * or 0 when it does not fit (no answer is that long with a sane cap).
 */
size_t reply_head(const struct answer *a, const struct reply_env *env,
                  bool keep_alive_10, char *buf, size_t cap);

/* "Not Found" for 404; "Unknown" for a status this server never sends. */
const char *reply_reason(int status);

#endif
