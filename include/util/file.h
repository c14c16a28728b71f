/*
 * File helpers for the store writer and the tools: a growable byte
 * buffer, whole-file reads, complete writes and crash-safe replacement.
 * Every function returns 0, or -1 with errno set (and never leaks a
 * descriptor); none logs.
 */
#ifndef SYMSRVD_UTIL_FILE_H
#define SYMSRVD_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* A growable buffer, always NUL-terminated past len once non-empty.
 * Zero-initialise; the caller frees with file_buf_free(). */
struct file_buf {
    char *p;
    size_t len, cap;
};

/* Appends data[0..n). -1 (ENOMEM) leaves the buffer as it was. */
int file_buf_add(struct file_buf *b, const void *data, size_t n);
int file_buf_str(struct file_buf *b, const char *s);
void file_buf_free(struct file_buf *b);

/* Appends the whole file at path to out; a missing file reads as empty
 * when missing_ok. */
int file_read_all(const char *path, bool missing_ok, struct file_buf *out);

/* Writes all of data[0..len) to fd, resuming after EINTR and short
 * writes. */
int file_write_all(int fd, const void *data, size_t len);

/*
 * Replaces path with data: written as dir/.<name>.tmp.<pid> (a dot-file,
 * hidden by symsrvd), fsync'd, renamed over path, and the directory
 * fsync'd, so that readers see the old bytes or the new ones, never part,
 * and a power loss keeps renames in order. The temporary goes on failure.
 */
int file_write_atomic(const char *path, const void *data, size_t len);

/* fsync()s the directory holding path, so that a rename or a creation in
 * it survives a power loss. */
int file_fsync_parent(const char *path);

/*
 * Removes the temporaries file_write_atomic() left in dir when its writer
 * died (kill -9, power loss): names ".<name>.tmp.<pid>" whose pid is not
 * a live process on this machine (never the caller's own). Call it only
 * where no other writer can be at work in dir (under the store lock). A
 * missing dir has none. Returns how many went, or -1 with errno.
 */
int file_sweep_tmp(const char *dir);

/* mkdir -p of path (modified in place meanwhile, restored) below its
 * first rootlen bytes, which must name an existing directory. */
int file_mkdirs(char *path, size_t rootlen);

/* out[len] = dir + sep + name ("/" joins, "" appends); -1 with
 * ENAMETOOLONG when it does not fit. */
int file_path_join(char *out, size_t len, const char *dir, const char *sep,
                   const char *name);

/* True when path is a directory holding nothing but "." and "..". */
bool file_dir_is_empty(const char *path);

#endif
