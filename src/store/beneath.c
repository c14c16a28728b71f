/* openat2(RESOLVE_BENEATH); see beneath.h. */
#define _GNU_SOURCE /* syscall() */
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "store/beneath.h"

int
beneath_open(int dir_fd, const char *rel, unsigned long long flags)
{
    struct open_how how;

    memset(&how, 0, sizeof(how));
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dir_fd, *rel == '\0' ? "." : rel, &how,
                        sizeof(how));
}
