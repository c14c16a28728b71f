/* The store tree on disk; see store.h. */
#define _GNU_SOURCE /* syscall() */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dircache.h"
#include "store.h"

/* Bounds of what case-blind lookups remember (see dircache.h). */
#define MAX_DIRS 16384
#define MAX_PATHS 65536

struct store {
    int root_fd;
    struct dircache *dc;
};

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

static int
open_root(const char *path)
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

struct store *
store_new(const char *path, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        snprintf(err, errlen, "store.root %s: out of memory", path);
        return NULL;
    }
    s->root_fd = open_root(path);
    if (s->root_fd == -1) {
        snprintf(err, errlen, "store.root %s: %s", path,
                 errno == ENOSYS ? "openat2 unsupported (Linux >= 5.6)"
                                 : strerror(errno));
        free(s);
        return NULL;
    }
    s->dc = dircache_new(s->root_fd, MAX_DIRS, MAX_PATHS);
    if (s->dc == NULL) {
        snprintf(err, errlen, "store.root %s: out of memory", path);
        store_free(s);
        return NULL;
    }
    return s;
}

void
store_free(struct store *s)
{
    if (s == NULL)
        return;
    dircache_free(s->dc);
    if (s->root_fd != -1)
        close(s->root_fd);
    free(s);
}

/* Opens rel beneath the root; regular files only. */
static int
open_file(int root_fd, const char *rel, struct stat *st)
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

size_t
store_tier_prefix(const char *name, char *out)
{
    size_t n = 0;

    if (name[0] != '\0' && name[0] != '/') {
        out[n++] = name[0];
        if (name[1] != '\0' && name[1] != '.' && name[1] != '/')
            out[n++] = name[1];
    }
    out[n] = '\0';
    return n;
}

/* Case-blind walk of rel; opens and learns what it finds. */
static int
open_folded(struct store *s, const char *rel, const char *asked,
            struct stat *st)
{
    char stored[PATH_MAX];
    int fd;

    if (dircache_resolve(s->dc, rel, stored, sizeof(stored)) == -1)
        return -1;
    fd = open_file(s->root_fd, stored, st);
    if (fd != -1)
        dircache_learn(s->dc, asked, stored);
    return fd;
}

/* Two-tier stores: "<prefix>/rel" when rel does not carry the prefix. */
static int
open_tiered(struct store *s, const char *rel, struct stat *st)
{
    char tiered[PATH_MAX], prefix[3];
    size_t n = store_tier_prefix(rel, prefix);

    if (n == 0 || !dircache_has(s->dc, "", "index2.txt") ||
        snprintf(tiered, sizeof(tiered), "%s/%s", prefix, rel) >=
            (int)sizeof(tiered)) {
        errno = ENOENT;
        return -1;
    }
    return open_folded(s, tiered, rel, st);
}

int
store_lookup(struct store *s, const char *rel, struct stat *st)
{
    char stored[PATH_MAX];
    int fd = open_file(s->root_fd, rel, st);

    if (fd != -1 || (errno != ENOENT && errno != ENOTDIR) || *rel == '\0')
        return fd;
    if (dircache_recall(s->dc, rel, stored, sizeof(stored)) == 0) {
        fd = open_file(s->root_fd, stored, st);
        if (fd != -1)
            return fd;
        dircache_forget(s->dc, rel);
    }
    fd = open_folded(s, rel, rel, st);
    if (fd == -1 && (errno == ENOENT || errno == ENOTDIR))
        fd = open_tiered(s, rel, st);
    if (fd == -1 && (errno == ENOTDIR || errno == ENAMETOOLONG))
        errno = ENOENT;
    return fd;
}
