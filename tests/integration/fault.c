/*
 * A write fault for tests, loaded with LD_PRELOAD into a real symsrv run:
 * the disk fills up in the middle of one file, exactly where the test
 * wants it, which neither a full file system nor RLIMIT_FSIZE can aim.
 *
 *   SYMSRV_FAULT_FILE=SUFFIX   the file whose writes fail (its path, as
 *                              /proc/self/fd shows it, ends with SUFFIX)
 *   SYMSRV_FAULT_AFTER=N       bytes it may take in all; the write that
 *                              crosses N is cut short at N, the next
 *                              fails with ENOSPC
 *   SYMSRV_FAULT_KILL=1        once a write has failed, the next unlink()
 *                              kills the process (SIGKILL): what a crash
 *                              during the clean-up leaves behind
 *   SYMSRV_FAULT_LOG=PATH      the size of each write the file took is
 *                              appended to PATH, one per line (to aim N)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n);
int unlink(const char *path);

static long long taken; /* bytes the faulted file took so far */
static bool failed;

static bool
is_target(int fd)
{
    const char *suffix = getenv("SYMSRV_FAULT_FILE");
    char link[64], path[4096];
    ssize_t len;
    size_t slen;

    if (suffix == NULL)
        return false;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    len = readlink(link, path, sizeof(path) - 1);
    if (len <= 0)
        return false;
    path[len] = '\0';
    slen = strlen(suffix);
    return (size_t)len >= slen && strcmp(path + len - slen, suffix) == 0;
}

static void
log_write(ssize_t (*real)(int, const void *, size_t), ssize_t w)
{
    const char *path = getenv("SYMSRV_FAULT_LOG");
    char line[32];
    int fd;

    if (path == NULL)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd == -1)
        return;
    if (real(fd, line, (size_t)snprintf(line, sizeof(line), "%zd\n", w)) < 0)
        (void)0; /* the test sees a short log and fails */
    close(fd);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    long long after;
    ssize_t w;

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "write");
    if (!is_target(fd))
        return real(fd, buf, n);
    after = atoll(getenv("SYMSRV_FAULT_AFTER") ? getenv("SYMSRV_FAULT_AFTER")
                                               : "0");
    if (taken >= after) {
        failed = true;
        errno = ENOSPC;
        return -1;
    }
    if (taken + (long long)n > after)
        n = (size_t)(after - taken);
    w = real(fd, buf, n);
    if (w > 0)
        taken += w;
    log_write(real, w);
    return w;
}

int
unlink(const char *path)
{
    static int (*real)(const char *);

    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "unlink");
    if (failed && getenv("SYMSRV_FAULT_KILL") != NULL)
        raise(SIGKILL);
    return real(path);
}
