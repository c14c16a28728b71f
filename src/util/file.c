/* File helpers for writers; see file.h. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/num.h"

int
file_buf_add(struct file_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int
file_buf_str(struct file_buf *b, const char *s)
{
    return file_buf_add(b, s, strlen(s));
}

void
file_buf_free(struct file_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int
file_read_all(const char *path, bool missing_ok, struct file_buf *out)
{
    char chunk[8192];
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        return (missing_ok && errno == ENOENT) ? 0 : -1;
    while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1 || file_buf_add(out, chunk, (size_t)r) == -1) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    close(fd);
    return 0;
}

int
file_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* dir/.name.tmp.<pid> */
static int
tmp_name(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    int n = snprintf(out, outlen, "%.*s.%s.tmp.%ld", dlen, path, base,
                     (long)getpid());

    if (n < 0 || (size_t)n >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/*
 * Makes a rename in dir durable, so that after a power loss the files of
 * a transaction are there in the order they were renamed.
 */
int
file_fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
        return 0;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    int fd, e;

    if (tmp_name(path, tmp, sizeof(tmp)) == -1)
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1)
        return -1;
    if (file_write_all(fd, data, len) == -1 || fsync(fd) == -1)
        goto fail;
    if (close(fd) == -1) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) == -1) {
        fd = -1;
        goto fail;
    }
    return file_fsync_parent(path);
fail:
    e = errno;
    if (fd != -1)
        close(fd);
    unlink(tmp);
    errno = e;
    return -1;
}

int
file_mkdirs(char *path, size_t rootlen)
{
    for (char *p = path + rootlen + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc == -1 && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, 0755) == -1 && errno != EEXIST)
        return -1;
    return 0;
}

int
file_path_join(char *out, size_t len, const char *dir, const char *sep,
               const char *name)
{
    int n = snprintf(out, len, "%s%s%s", dir, sep, name);

    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

bool
file_dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    bool empty = true;

    if (d == NULL)
        return false;
    while (empty && (de = readdir(d)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* The pid of a temporary name ".<name>.tmp.<pid>", or 0 when it is not one. */
static pid_t
tmp_pid(const char *name)
{
    const char *tmp = strstr(name, ".tmp.");
    const char *digits;
    uint64_t v;

    if (name[0] != '.' || tmp == NULL || tmp == name)
        return 0;
    /* The last ".tmp." is the one tmp_name() appended. */
    for (const char *t = tmp; t != NULL; t = strstr(t + 1, ".tmp."))
        tmp = t;
    digits = tmp + 5;
    if (num_parse_u64(digits, strlen(digits), INT32_MAX, &v) == -1 || v == 0)
        return 0;
    return (pid_t)v;
}

/* True when no process pid exists (EPERM: it exists, someone else's). */
static bool
pid_gone(pid_t pid)
{
    return pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH;
}

int
file_sweep_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int removed = 0;

    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d)) != NULL) {
        pid_t pid = tmp_pid(de->d_name);

        if (pid > 0 && pid_gone(pid) && unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
