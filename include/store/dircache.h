/*
 * What case-blind lookups learn about the store tree, shared by all worker
 * threads (one mutex, held only to find or swap an entry, never across a
 * stat or a directory read). Clients disagree on letter case
 * (docs/protocols.md); the store holds one spelling. Two caches, both
 * bounded:
 *
 *  - listings: for each directory walked, its entries sorted by their
 *    lower-case form, kept with the directory's mtime and read again only
 *    when that changes, so no request scans a directory that has not. One
 *    thread reads the new listing, outside the lock; until it swaps it in,
 *    other lookups use the old one (a change shows a moment later rather
 *    than stalling them);
 *  - spellings: request path (lower case) -> stored path, so a repeated
 *    case-folded hit costs one open more than an exact one.
 *
 * Names are compared in ASCII lower case. When two entries of a directory
 * differ only by case, the one that sorts first byte by byte wins.
 */
#ifndef SYMSRVD_DIRCACHE_H
#define SYMSRVD_DIRCACHE_H

#include <stdbool.h>
#include <stddef.h>

struct dircache;

/* Caches up to max_dirs listings and max_paths spellings (each is emptied
 * when full). root_fd is borrowed. NULL when out of memory. */
struct dircache *dircache_new(int root_fd, size_t max_dirs, size_t max_paths);

void dircache_free(struct dircache *dc);

/*
 * Writes the stored spelling of rel (a canonical path; "" gives "") into
 * out[outsz], walking it one segment at a time through the listings.
 * Returns 0, or -1 with errno: ENOENT when a segment has no match,
 * ENAMETOOLONG when out is too small, others from reading a directory.
 * When two_tier is not NULL it is set to whether the root holds
 * index2.txt (read from the root listing the walk uses anyway).
 */
int dircache_resolve(struct dircache *dc, const char *rel, char *out,
                     size_t outsz, bool *two_tier);

/*
 * Looks the names[0..n) up, case-blind, in the listing of directory dir
 * (a stored spelling, "" for the root), read once. Returns the index of
 * the first one present and copies its stored spelling into
 * found[NAME_MAX + 1]; -1 with errno (ENOENT: none) otherwise.
 */
int dircache_find_any(struct dircache *dc, const char *dir,
                      const char *const *names, size_t n, char *found);

/* The spelling learned for rel, into out[outsz]; -1 if none. */
int dircache_recall(struct dircache *dc, const char *rel, char *out,
                    size_t outsz);

void dircache_learn(struct dircache *dc, const char *rel, const char *stored);

void dircache_forget(struct dircache *dc, const char *rel);

/* How many listings and spellings are cached now (for /metrics). */
void dircache_sizes(struct dircache *dc, size_t *dirs, size_t *paths);

#endif
