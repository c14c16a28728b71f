/*
 * The case-folded listing index of a bucket store: every served object's
 * store path (as a listing of the bucket names it), found by any letter
 * case, so that a client asking "APP.pdb/…/App.PDB" is answered from the
 * object "app.pdb/…/app.pdb" without a request per spelling. Pure: no
 * I/O, no clock; the caller fills it from listings (remote/s3index.h).
 *
 * Folding is ASCII only (A-Z as a-z), as store/dircache.c folds a disk
 * store: the names clients ask for are ASCII, and a UTF-8 byte is compared
 * as is. Two stored paths that differ only in letter case keep the one
 * added last.
 *
 * Memory: the paths go into one arena (no allocation per entry), and an
 * open-addressing table of 8-byte slots, at most half full, points into
 * it: a path of L bytes costs L + 1 + 16 to 32 bytes. Objects the daemon
 * never serves are not indexed (see listindex_wanted()). docs/remote.md
 * gives the figures per million objects.
 *
 * Not thread-safe: the caller locks, or builds a new index and swaps it
 * in.
 */
#ifndef SYMSRVD_REMOTE_LISTINDEX_H
#define SYMSRVD_REMOTE_LISTINDEX_H

#include <stdbool.h>
#include <stddef.h>

struct listindex;

/* An empty index; NULL when out of memory. */
struct listindex *listindex_new(void);
void listindex_free(struct listindex *li);

/*
 * A copy of li that shares nothing with it (the daemon refreshes one
 * index and lets readers use a copy: remote/s3index.h changes an index
 * in place). NULL when out of memory.
 */
struct listindex *listindex_clone(const struct listindex *li);

/*
 * Whether rel (a store path) belongs in the index: not under 000Admin/,
 * not a refs.ptr, not empty, no empty segment, at most 1024 bytes.
 */
bool listindex_wanted(const char *rel);

/*
 * Adds rel (stored spelling) if listindex_wanted(); replaces an entry
 * that folds the same. 0 (also for an unwanted rel), -1 (ENOMEM, or
 * E2BIG past 4 GiB of paths).
 */
int listindex_add(struct listindex *li, const char *rel);

/* Drops the entry folding as rel; whether there was one. */
bool listindex_remove(struct listindex *li, const char *rel);

/*
 * The stored spelling of rel[0..len) in any letter case, NUL-ended, valid
 * until the next add or remove; NULL when not indexed.
 */
const char *listindex_find(const struct listindex *li, const char *rel,
                           size_t len);

/* Entries, and bytes held (arena and table). */
size_t listindex_count(const struct listindex *li);
size_t listindex_bytes(const struct listindex *li);

#endif
