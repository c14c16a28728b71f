/*
 * openat2(RESOLVE_BENEATH): the one way symsrvd opens anything under the
 * store root (or a pointer root, or the cache). The kernel refuses "..",
 * absolute symlinks, symlinks that lead out and /proc magic links,
 * whatever races the tree sees.
 */
#ifndef SYMSRVD_BENEATH_H
#define SYMSRVD_BENEATH_H

/* How many times an openat2() that failed with EAGAIN is tried. */
#define BENEATH_TRIES 64

/*
 * Opens rel ("" for dir_fd itself) beneath dir_fd with open(2) flags.
 * Returns the descriptor, or -1 with errno (EXDEV or ELOOP for an escape,
 * ENOSYS on kernels before 5.6). EAGAIN (a rename anywhere raced a walk
 * through "..") is retried, up to BENEATH_TRIES calls in all, and is
 * returned only when every one of them raced. Caller closes it.
 */
int beneath_open(int dir_fd, const char *rel, unsigned long long flags);

#endif
