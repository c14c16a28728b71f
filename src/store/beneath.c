/* openat2(RESOLVE_BENEATH); see beneath.h. */
#define _GNU_SOURCE /* syscall() */
#include <errno.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/beneath.h"

int
beneath_open(int dir_fd, const char *rel, unsigned long long flags)
{
    struct open_how how;
    int fd = -1;

    memset(&how, 0, sizeof(how));
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    /*
     * With RESOLVE_BENEATH the kernel answers EAGAIN when any rename on
     * the system raced a resolution through "..": it cannot prove the
     * walk stayed beneath dir_fd. Nothing is wrong with the path, so try
     * again; a bound keeps a rename storm from holding the thread.
     */
    for (int i = 0; i < BENEATH_TRIES; i++) {
        fd = (int)syscall(SYS_openat2, dir_fd, *rel == '\0' ? "." : rel, &how,
                          sizeof(how));
        if (fd != -1 || errno != EAGAIN)
            break;
    }
    return fd;
}
