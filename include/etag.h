/* Entity tags: pure, from what identifies a file's content. */
#ifndef SYMSRVD_ETAG_H
#define SYMSRVD_ETAG_H

#include <sys/stat.h>

/* '"' + 4 x 16 hex digits + 3 separators + '"' + NUL */
#define ETAG_LEN 72

/*
 * A strong validator (RFC 9110 section 8.8.3) for st into buf[ETAG_LEN]:
 * inode, size and modification time to the nanosecond, so that replacing a
 * file by rename changes the tag even within one second.
 */
void etag_format(const struct stat *st, char *buf);

#endif
