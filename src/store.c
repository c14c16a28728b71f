/* The store tree on disk; see store.h. */
#define _GNU_SOURCE /* syscall() */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store.h"

static int
open_beneath(int root_fd, const char *rel, unsigned long long flags)
{
    struct open_how how;

    memset(&how, 0, sizeof(how));
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, root_fd, *rel == '\0' ? "." : rel, &how,
                        sizeof(how));
}

int
store_open_root(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int probe;

    if (fd == -1)
        return -1;
    /* Fail at start-up, not at the first request, on kernels before 5.6. */
    probe = open_beneath(fd, "", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (probe == -1) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    close(probe);
    return fd;
}

int
store_open(int root_fd, const char *rel, struct stat *st)
{
    /* O_NONBLOCK: opening a FIFO someone left in the tree must not block. */
    int fd = open_beneath(root_fd, rel,
                          O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

    if (fd == -1)
        return -1;
    if (fstat(fd, st) == -1) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        errno = EISDIR;
        return -1;
    }
    return fd;
}
