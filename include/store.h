/*
 * The store tree on disk and how a request path finds a file in it
 * (DESIGN.md "Storage layout served"). Files are opened beneath one root
 * directory descriptor, never outside it; only regular files open.
 *
 * A lookup tries, in order: the path as asked (costs nothing extra); the
 * spelling an earlier case-blind lookup learned; a case-blind walk of the
 * tree (dircache.h); and, when the root holds index2.txt (a two-tier
 * store), the same under the file name's tier prefix. Thread-safe.
 */
#ifndef SYMSRVD_STORE_H
#define SYMSRVD_STORE_H

#include <stddef.h>
#include <sys/stat.h>

struct store;

/*
 * Opens the store root directory. Returns NULL with the reason in err
 * (not a directory, unreadable, or a kernel without openat2, Linux 5.6).
 * Caller frees with store_free().
 */
struct store *store_new(const char *path, char *err, size_t errlen);

void store_free(struct store *s);

/*
 * Opens the file a canonical path (path_canonicalize(), "" for the root)
 * names. openat2(RESOLVE_BENEATH) refuses "..", absolute symlinks and
 * symlinks that lead out of the root, whatever races the tree sees.
 * Returns the descriptor and fills *st, or -1 with errno: ENOENT/ENOTDIR
 * missing, EISDIR not a regular file, EXDEV or ELOOP an escape or a loop,
 * EACCES, EMFILE... Caller closes it.
 */
int store_lookup(struct store *s, const char *rel, struct stat *st);

/*
 * Pure: the two-tier directory of a file name, into out[3]: its first two
 * characters, or one when the second is '.' (symstore's index2 layout).
 * Returns the prefix length, 0 for an empty name.
 */
size_t store_tier_prefix(const char *name, char *out);

#endif
