/*
 * The one definition of a symstore-layout tree, shared by the reader
 * (store.c), the debuginfod index and the writer (symstore/):
 *
 *   <root>/[<tier>/]<file>/<key>/<file>   a stored file
 *   <root>/[<tier>/]<file>/<key>/<twin>   the same, as a CAB ("app.pd_")
 *   <root>/[<tier>/]<file>/<key>/file.ptr a pointer to the real file
 *   <root>/[<tier>/]<file>/<key>/refs.ptr symstore's bookkeeping
 *   <root>/000Admin/                      transactions (symstore.exe)
 *   <root>/index2.txt                     present: the store is two-tier
 *   <root>/pingme.txt                     touched on every change
 *
 * Everything here is pure: names and strings in, names out.
 */
#ifndef SYMSRVD_STORE_LAYOUT_H
#define SYMSRVD_STORE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#define LAYOUT_FILE_PTR "file.ptr"
#define LAYOUT_REFS_PTR "refs.ptr"
#define LAYOUT_INDEX2 "index2.txt"
#define LAYOUT_PINGME "pingme.txt"
#define LAYOUT_ADMIN "000Admin"

/* Longest tier prefix plus its NUL. */
#define LAYOUT_TIER_MAX 3

/*
 * The CAB twin of a file name (its last character replaced by '_') into
 * out[outsz]. Returns 0, or -1 when name is empty, too long for out, or
 * ends in '_' already (a request for the twin itself is served as stored).
 */
int layout_twin_name(const char *name, char *out, size_t outsz);

/*
 * The two-tier directory of a file name, into out[LAYOUT_TIER_MAX]: its
 * first two characters, or one when the second is '.' or the name ends.
 * Returns the prefix length, 0 for an empty name.
 */
size_t layout_tier_prefix(const char *name, char *out);

/*
 * True when a canonical relative path ("a/b/c", no leading '/') must never
 * be served: any segment starting with '.', any refs.ptr or file.ptr
 * segment, and a first segment of 000Admin unless serve_admin. Names are
 * compared case-blind, as lookups are.
 */
bool layout_is_hidden(const char *rel, bool serve_admin);

/*
 * True when a canonical relative path names the store's own files that
 * clients read rather than a stored file: 000Admin or anything under it,
 * index2.txt and pingme.txt at the top. Case-blind. (The "admin" route of
 * the request metrics.)
 */
bool layout_is_admin(const char *rel);

/*
 * True when one path segment (no '/') names something the store itself
 * owns, in any letter case: 000Admin, index2.txt, pingme.txt, refs.ptr,
 * file.ptr, and any name starting with '.' (temporaries, the lock). A
 * writer that made such a segment from a file's contents or name would
 * wedge the store (000Admin/<key>/... breaks every later add; a stored
 * index2.txt turns the store two-tier), so the writer refuses them.
 */
bool layout_is_reserved(const char *segment);

#endif
