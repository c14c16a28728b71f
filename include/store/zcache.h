/*
 * Compressed copies of served files (gzip, zstd) in the cache directory,
 * made once off the event loop and then sent like any file.
 *
 * A copy is named by what identifies its source's content, not by a
 * request path: "compressed/<dev>-<ino>-<size>-<sec>.<nsec>.gz" (".zst"),
 * in hex. Every spelling of a path, a two-tier lookup, a file.ptr target
 * or a CAB expansion that leads to the same file finds the same copy; a
 * file replaced (new inode, size or time) never finds an old one, which
 * ages out of the bound least recently used. A 0-byte copy is a marker:
 * "not worth it" (the file did not shrink by 1/16, or is compressed
 * already by its magic bytes): served as stored, never tried again while
 * the marker stays.
 *
 * Copies are made as the store makes CAB expansions (store.h): under a
 * lock file (once across threads and processes), into a temporary renamed
 * whole, without fsync (the cache is disposable, as the expansions are),
 * and recorded in the cache's bound (cachedir.h). Thread-safe.
 */
#ifndef SYMSRVD_STORE_ZCACHE_H
#define SYMSRVD_STORE_ZCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct cachedir;
struct zcache;

enum zcache_coding { ZCACHE_GZIP, ZCACHE_ZSTD, ZCACHE_CODINGS };

/* The compression levels: measured in docs/benchmarks.md. */
#define ZCACHE_GZIP_LEVEL 6
#define ZCACHE_ZSTD_LEVEL 9

/* The subdirectory of the cache directory the copies live in. */
#define ZCACHE_DIR "compressed"

/* Longest name zcache_name() writes, NUL included. */
#define ZCACHE_NAME_MAX 128

struct zcache_opts {
    const char *dir;        /* the cache directory (made if missing) */
    struct cachedir *bound; /* borrowed, may be NULL: unbounded */
    uint64_t min_size;      /* smaller files are sent as stored */
    uint64_t max_size;      /* larger files too (the cost of one job) */
};

/* Opens opts->dir. NULL with the reason in err. Caller frees. */
struct zcache *zcache_new(const struct zcache_opts *opts, char *err,
                          size_t errlen);

/* NULL is a no-op. No zcache_make() may be running. */
void zcache_free(struct zcache *z);

/*
 * Pure: whether a file named name (its last path segment) looks
 * compressed already: a CAB twin ("app.pd_", any name ending in '_') or
 * a compressed format's extension (.gz .zst .xz .bz2 .lz4 .br .zip .7z
 * .cab .tgz .txz .zstd, case-blind).
 */
bool zcache_name_is_compressed(const char *name);

/* Whether a file named name with stat src is one z compresses: a regular
 * file within [min_size, max_size], not compressed by its name. */
bool zcache_wants(const struct zcache *z, const char *name,
                  const struct stat *src);

/*
 * Pure: the copy's path relative to the cache directory, into
 * buf[ZCACHE_NAME_MAX] (ZCACHE_DIR "/" then the name above).
 */
void zcache_name(const struct stat *src, enum zcache_coding c, char *buf);

/*
 * Opens the copy of src in coding c, if made: its descriptor with *st
 * filled, a hit recorded in the bound. -1 with errno ENOENT (not made:
 * zcache_make() it), ENODATA (a marker: send the file as stored), or
 * another errno (EMFILE...). Does not block beyond an open and a stat.
 */
int zcache_open(struct zcache *z, const struct stat *src, enum zcache_coding c,
                struct stat *st);

/*
 * Makes the copy of the file open as src_fd (stat src, as zcache_open()
 * was given) in coding c, or the marker. Blocking: reads the whole file
 * and compresses it (run it on the job pool). A copy another thread or
 * process made meanwhile is kept. The source read back changed (size or
 * time) in the meantime: nothing is kept. 0, or -1 with errno (ENOSPC,
 * EIO, ENOMEM, ESTALE for a changed source...).
 */
int zcache_make(struct zcache *z, int src_fd, const struct stat *src,
                enum zcache_coding c);

/* What zcache_make() did since start: copies made per coding, markers
 * (files kept as stored: already compressed, or not shrinking), and
 * failures. */
struct zcache_counts {
    uint64_t made[ZCACHE_CODINGS];
    uint64_t as_is;
    uint64_t failed;
};

/* Fills out; any thread. */
void zcache_counts(struct zcache *z, struct zcache_counts *out);

#endif
