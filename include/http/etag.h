/* Entity tags: pure, from what identifies a file's content. */
#ifndef SYMSRVD_ETAG_H
#define SYMSRVD_ETAG_H

#include <stdbool.h>
#include <sys/stat.h>

/* '"' + 4 x 16 hex digits + 3 separators + "-zstd" + '"' + NUL, rounded */
#define ETAG_LEN 80

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
