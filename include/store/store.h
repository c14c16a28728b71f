/*
 * The store tree on disk and how a request path finds a file in it
 * (docs/protocols.md "Store layout"). Files are opened beneath one root
 * directory descriptor, never outside it; only regular files open.
 *
 * A lookup tries, in order: the path as asked (costs nothing extra); the
 * spelling an earlier case-blind lookup learned; a case-blind walk of the
 * tree (dircache.h); and, when the root holds index2.txt (a two-tier
 * store), the same under the file name's tier prefix. Then, for a file
 * that is not there: its CAB twin ("app.pd_" for "app.pdb"), expanded once
 * into the cache directory when one is configured; and file.ptr beside it,
 * when that says PATH:<path> and the path lies beneath a pointer root (a
 * MSG:<text> is logged). Thread-safe.
 */
#ifndef SYMSRVD_STORE_H
#define SYMSRVD_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct store;
struct cachedir;

struct store_opts {
    const char *root;
    char *const *pointer_roots; /* file.ptr may point beneath these */
    unsigned npointer_roots;
    const char *cache_dir; /* expand app.pd_ into here; NULL: never */
    uint64_t max_expanded; /* bytes an expansion may take; 0: no cap */
    /* Bounds cache_dir (the same directory), borrowed: the server owns it
     * so that a new store object can share it. NULL: unbounded. */
    struct cachedir *cache_bound;
};

/* An expansion a lookup found needed and left undone (store_find()). */
struct store_job {
    char twin[PATH_MAX];     /* the stored CAB, relative to the root */
    char want[NAME_MAX + 1]; /* the member to take from it */
};

/*
 * Opens the store root, the pointer roots and the cache directory (made
 * if missing). Returns NULL with the reason in err (not a directory,
 * unreadable, or a kernel without openat2, Linux 5.6). Caller frees with
 * store_free().
 */
struct store *store_new(const struct store_opts *o, char *err, size_t errlen);

/* Takes one more reference (a job running on another thread). */
void store_hold(struct store *s);

/* Drops a reference; the last frees the store. NULL is ignored. */
void store_free(struct store *s);

/*
 * Opens the file a canonical path (path_canonicalize(), "" for the root)
 * names. openat2(RESOLVE_BENEATH) refuses "..", absolute symlinks and
 * symlinks that lead out of the root, whatever races the tree sees.
 * Returns the descriptor and fills *st, or -1 with errno: ENOENT/ENOTDIR
 * missing, EISDIR not a regular file, EXDEV or ELOOP an escape or a loop,
 * EACCES, EMFILE... Caller closes it. Each call is counted by how it
 * ended (stats.h).
 */
int store_lookup(struct store *s, const char *rel, struct stat *st);

/*
 * Whether the store still works: the root path names the directory the
 * store opened at start (not renamed away, not replaced) and one entry
 * of it can be read. 0, or -1 with errno (ESTALE: another directory is at
 * the path). Costs an open, a stat and a readdir: the caller limits how
 * often it runs.
 */
int store_check_root(struct store *s);

/* Sizes of the store's caches at one moment, for /metrics. */
struct store_gauges {
    size_t listings;     /* directory listings cached */
    size_t spellings;    /* learned case-folded spellings */
    size_t failed_twins; /* CAB twins remembered as failing (not retried) */
};

/* Fills g; takes each cache's lock for a moment. */
void store_gauges(struct store *s, struct store_gauges *g);

/*
 * store_lookup() that never blocks on an expansion: where the answer is a
 * CAB twin whose expansion is not in the cache yet, it returns -1 with
 * errno EINPROGRESS and fills *job (which the same expansion asked for
 * twice fills alike: job->twin names it). The caller has store_expand()
 * run off the event loop, then looks up again. A twin whose expansion
 * failed before (bad CAB) is ENOENT at once. A cache hit is recorded in
 * cache_bound. job NULL: store_lookup().
 */
int store_find(struct store *s, const char *rel, struct stat *st,
               struct store_job *job);

/*
 * Makes the expansion job names, under the cache's lock file (once across
 * threads and processes: a second caller finds it made). Blocking (reads
 * and writes up to max_expanded bytes). 0, or -1 with errno: ENOENT for a
 * bad or missing CAB (remembered), ENOSPC/EDQUOT/EIO for a cache that
 * could not take it. The new file is recorded in cache_bound, which may
 * evict others (or this one, when over the bound on its own).
 */
int store_expand(struct store *s, const struct store_job *job);

enum store_ptr {
    STORE_PTR_PATH, /* *value is the path */
    STORE_PTR_MSG,  /* *value is a message for the log */
    STORE_PTR_BAD,
};

/*
 * Pure: reads the contents of a file.ptr, buf[0..len): "PATH:<path>" or
 * "MSG:<text>" (prefix case-blind, trailing white space and line ends
 * dropped, nothing else allowed: no NUL, no control byte, no second
 * line). *value and *vlen point into buf.
 */
enum store_ptr store_parse_ptr(const char *buf, size_t len, const char **value,
                               size_t *vlen);

/*
 * For other makers of cached files (zcache.h), the cache's rules (one
 * implementation: cachedir_open_parent(), which fetch.c calls): the
 * directory that holds rel beneath the cache directory cache_fd, made and
 * opened one segment at a time, never through a symlink (*base is set to
 * rel's last segment); caller closes it. -1 with errno.
 */
int store_cache_dir_of(int cache_fd, const char *rel, const char **base);

/*
 * The lock file name.lock in dir_fd (made if missing, a planted symlink
 * replaced), held with flock(LOCK_EX): once across threads and processes.
 * Returns its descriptor (closing it releases the lock), or -1 with errno.
 */
int store_cache_lock(int dir_fd, const char *name);

#endif
