/*
 * A transaction file of a symbol store (000Admin/NNNNNNNNNN, lines
 * "file\KEY","source" CRLF; docs/protocols.md), read from a bucket:
 * outside bytes. Pure.
 */
#ifndef SYMSRVD_REMOTE_TXNFILE_H
#define SYMSRVD_REMOTE_TXNFILE_H

#include <stddef.h>

#define TXNFILE_PART_MAX 256 /* a file name or key */

/*
 * Calls fn(arg, file, filelen, key, keylen) for the key directory
 * "file\KEY" of each line of buf[0..len), in order. A line that is not
 * one (no leading quote, no backslash before the closing quote, an empty
 * or over-long part, a '/', '\\', '"', control byte, "." or "..") is
 * skipped. Returns the number of lines given to fn.
 */
typedef void (*txnfile_dir_fn)(void *arg, const char *file, size_t filelen,
                               const char *key, size_t keylen);
size_t txnfile_dirs(const char *buf, size_t len, txnfile_dir_fn fn, void *arg);

#endif
