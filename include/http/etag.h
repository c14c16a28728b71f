/* Entity tags: pure, from what identifies a file's content. */
#ifndef SYMSRVD_ETAG_H
#define SYMSRVD_ETAG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/* The longest, a window's: '"' + 5 x 16 hex digits + 4 separators + '"'
 * + NUL (a coded tag, 4 x 16 + 3 + "-zstd" + 2, is shorter) */
#define ETAG_LEN 88

/*
 * A strong validator (RFC 9110 section 8.8.3) for st into buf[ETAG_LEN]:
 * inode, size and modification time to the nanosecond, so that replacing a
 * file by rename changes the tag even within one second.
 */
void etag_format(const struct stat *st, char *buf);

/*
 * The strong validator of st's content in a content coding (a compressed
 * copy: RFC 9110 section 8.8.3 wants a tag of its own for each
 * representation): etag_format()'s with "-" coding before the closing
 * quote. coding is a token of at most 4 characters ("gz", "zst").
 */
void etag_format_coded(const struct stat *st, const char *coding, char *buf);

/*
 * The validator of the bytes [off, off + st->st_size) of the file st
 * describes (st_size already the window's length): etag_format()'s
 * fields, then "-w" and off in hex. It differs from the whole file's tag
 * (which has no fifth field) and from every other window of the file.
 */
void etag_format_window(const struct stat *st, uint64_t off, char *buf);

/*
 * Does the field value hdr (an If-Match or If-None-Match value: "*" or
 * #entity-tag, RFC 9110 sections 13.1.1-13.1.2, with OWS around it, around
 * elements and around commas, and empty elements allowed) name etag? "*"
 * matches any etag. Strong comparison (weak == false): both tags must be
 * strong and their opaque parts equal. Weak comparison: opaque parts equal,
 * W/ ignored. "W/" is case-sensitive and opaque-tag is DQUOTE *etagc
 * DQUOTE, etagc being %x21 / %x23-7E / %x80-FF. A malformed list matches
 * nothing, even when an earlier element matched; so does an empty one
 * ("", ","). hdr NULL: false. etag NULL, or not one entity-tag: only "*"
 * matches.
 */
bool etag_list_match(const char *hdr, const char *etag, bool weak);

#endif
