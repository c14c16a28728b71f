/*
 * Expanding a CAB that symstore wrote with /compress ("app.pd_"), with
 * libmspack (MSZIP and LZX).
 */
#ifndef SYMSRVD_CAB_H
#define SYMSRVD_CAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Extracts from the cabinet at cab_path the file named want (case-blind;
 * or its only file) into out_path, which is created or truncated. The
 * extracted size must be the one the cabinet declares. Returns 0, or -1
 * with the reason in err (not a cabinet, truncated, corrupt data, no such
 * file, write error); out_path may then hold garbage: the caller writes a
 * temporary name and renames it only on success.
 */
int cab_expand(const char *cab_path, const char *want, const char *out_path,
               char *err, size_t errlen);

/*
 * The same from the cabinet open as cab_fd into out_fd, an empty file the
 * caller made (no name is opened: nothing follows a symlink), refusing a
 * member the cabinet says is larger than max_size bytes before writing a
 * byte of it (and stopping any write beyond it). On -1, errno tells the
 * cause: ENOSPC, EDQUOT or EIO (or another errno of read(2) or write(2))
 * when I/O failed, ENOMEM, EFBIG for a member over max_size, or EINVAL
 * for a cabinet that is bad or lacks the member.
 */
int cab_expand_fd(int cab_fd, const char *want, int out_fd, uint64_t max_size,
                  char *err, size_t errlen);

#endif
