/*
 * Request-target to store-relative path: pure, no I/O.
 *
 * The target is taken as it came on the request line, still percent-encoded:
 * origin-form "/a/b?q" or absolute-form "http://host/a/b". The query is
 * dropped; escapes are decoded exactly once; "." and empty segments are
 * dropped and ".." removes the segment before it.
 */
#ifndef SYMSRVD_PATH_H
#define SYMSRVD_PATH_H

#include <stdbool.h>
#include <stddef.h>

enum path_rc {
    PATH_OK,       /* out holds the canonical path */
    PATH_BAD,      /* 400: malformed, NUL, control byte, backslash, climbs */
    PATH_TOO_LONG, /* 414: the canonical path does not fit in out */
};

/*
 * Writes the canonical path of target[0..len) into out[outsz], without a
 * leading or trailing slash ("" names the store root), NUL-terminated, and
 * its length into *outlen. Rejected: an empty target, a target that is not
 * origin- or absolute-form, raw bytes outside 0x21-0x7e, a raw or decoded
 * backslash, a fragment, a malformed escape, a decoded NUL or control byte,
 * and any ".." that would climb above the root. PATH_TOO_LONG is checked
 * as the path is built: each segment as read, "." and ".." included, must
 * fit in out after the segments kept so far, even one that a later ".."
 * drops. On PATH_BAD and PATH_TOO_LONG the contents of out are unspecified.
 */
enum path_rc path_canonicalize(const char *target, size_t len, char *out,
                               size_t outsz, size_t *outlen);

#endif
