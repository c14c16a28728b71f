/*
 * A cache directory with a size bound: what it holds (learned by a scan
 * at start), how recently each file was used, and eviction of the least
 * recently used files when a new one would pass the bound. Built for any
 * kind of cached file (CAB expansions today; compressed copies and
 * upstream fetches later), each named by its path relative to the
 * directory.
 *
 * A hit costs one hash probe by inode number and two atomic operations,
 * with no lock (cachedir_touch()); adding and evicting take a mutex.
 * Eviction unlinks beneath the directory only, one segment at a time with
 * O_NOFOLLOW: a symlink planted anywhere in the cache is never followed,
 * and only a regular file with the recorded inode is removed. A file
 * being sent stays readable through its open descriptor.
 *
 * Other processes sharing the directory keep their own index: each bounds
 * what it adds. Thread-safe.
 */
#ifndef SYMSRVD_CACHEDIR_H
#define SYMSRVD_CACHEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cachedir;

/*
 * Opens (making it if missing) the directory path and learns the regular
 * files beneath it (lock files and temporaries left out), oldest mtime
 * least recently used; evicts at once what passes the bound. max_bytes:
 * the bound (0: keep nothing); max_files: files remembered (beyond, the
 * least recently used go too). NULL with the reason in err. Caller frees
 * with cachedir_free().
 */
struct cachedir *cachedir_new(const char *path, uint64_t max_bytes,
                              unsigned max_files, char *err, size_t errlen);

void cachedir_free(struct cachedir *c);

/* The path c was made for. */
const char *cachedir_path(const struct cachedir *c);

/* The directory's descriptor, owned by c (for opening files beneath). */
int cachedir_fd(const struct cachedir *c);

/* A hit on the cached file with inode ino: it becomes the most recently
 * used. Unknown inodes are ignored. Lock-free. */
void cachedir_touch(struct cachedir *c, uint64_t ino);

/*
 * Records the new file rel (relative to the directory, no "." or ".."
 * segment) with inode ino and size bytes, and evicts the least recently
 * used others until the total fits the bound. A file larger than the
 * bound on its own (any file, with a bound of 0) is kept alone, every
 * other file evicted, until the next add evicts it: a lookup must find
 * it once. Returns false then, true when the total fits. An older entry
 * for the same rel (a file replaced by rename) is forgotten.
 */
bool cachedir_add(struct cachedir *c, const char *rel, uint64_t ino,
                  uint64_t size);

/* Bytes and files recorded, and files evicted since start. */
uint64_t cachedir_bytes(struct cachedir *c);
unsigned cachedir_files(struct cachedir *c);
uint64_t cachedir_evicted(struct cachedir *c);

/*
 * The directory that holds rel in the cache whose descriptor is cache_fd,
 * made and opened one segment at a time beneath it, never through a
 * symlink (a symlink or file planted where a directory goes is replaced):
 * a planted symlink never takes a write out of the cache. Sets *base to
 * rel's last segment. The descriptor, or -1 with errno (ENAMETOOLONG for
 * a segment that is empty or too long). Used for CAB expansions and
 * upstream fetches alike.
 */
int cachedir_open_parent(int cache_fd, const char *rel, const char **base);

#endif
