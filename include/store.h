/*
 * The store tree on disk: files are opened beneath one root directory
 * descriptor, never outside it.
 */
#ifndef SYMSRVD_STORE_H
#define SYMSRVD_STORE_H

#include <sys/stat.h>

/*
 * Opens the store root directory. Returns the descriptor, or -1 with errno
 * set (ENOTDIR when it is not a directory, ENOSYS when the kernel lacks
 * openat2, needed by store_open()). Caller closes it.
 */
int store_open_root(const char *path);

/*
 * Opens rel (a canonical path from path_canonicalize(), "" for the root)
 * beneath root_fd: openat2(RESOLVE_BENEATH) refuses "..", absolute symlinks
 * and symlinks that lead out of the root, whatever races the tree sees.
 * Only regular files open. Returns the descriptor and fills *st, or returns
 * -1 with errno: ENOENT/ENOTDIR missing, EISDIR not a regular file, EXDEV or
 * ELOOP an escape or a loop, EACCES, EMFILE... Caller closes it.
 */
int store_open(int root_fd, const char *rel, struct stat *st);

#endif
