/* The store tree on disk; see store.h. */
#define _GNU_SOURCE /* flock() */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/errbuf.h"
#include "store/beneath.h"
#include "store/cab.h"
#include "store/cachedir.h"
#include "store/dircache.h"
#include "store/layout.h"
#include "util/log.h"
#include "store/stats.h"
#include "store/store.h"

#define STORE_MAX_PTR_ROOTS 16
/* A file.ptr is a line; anything longer is not one. */
#define PTR_MAX 4096

/* Bounds of what case-blind lookups remember (see dircache.h). */
#define MAX_DIRS 16384
#define MAX_PATHS 65536

/* Failed expansions remembered (a direct-mapped table: a newer failure
 * may push out an older one, which then costs one more attempt). */
#define FAILED_SLOTS 1024

/* A CAB twin as it was when its expansion failed: a changed file (new
 * upload) is tried again. */
struct failed_twin {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct store {
    atomic_uint refs;
    int root_fd;
    char *root; /* the path it was opened by (store_check_root()) */
    struct dircache *dc;
    unsigned nptr;
    char *ptr_path[STORE_MAX_PTR_ROOTS]; /* without trailing '/' */
    int ptr_fd[STORE_MAX_PTR_ROOTS];
    int cache_fd;
    uint64_t max_expanded;  /* UINT64_MAX: no cap */
    struct cachedir *bound; /* borrowed; NULL: the cache is not bounded */
    pthread_mutex_t failed_lock;
    struct failed_twin failed[FAILED_SLOTS];
};

static int
open_root(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int probe;

    if (fd == -1)
        return -1;
    /* Fail at start-up, not at the first request, on kernels before 5.6. */
    probe = beneath_open(fd, "", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (probe == -1) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    close(probe);
    return fd;
}

static int
open_dir_at(const char *what, const char *path, int make, char *err,
            size_t errlen)
{
    int fd;

    if (make && mkdir(path, 0755) == -1 && errno != EEXIST) {
        errbuf_set(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1)
        errbuf_set(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return fd;
}

/* Pointer roots and the cache directory. */
static int
open_extra_dirs(struct store *s, const struct store_opts *o, char *err,
                size_t errlen)
{
    for (unsigned i = 0; i < o->npointer_roots && i < STORE_MAX_PTR_ROOTS;
         i++) {
        size_t n = strlen(o->pointer_roots[i]);

        while (n > 1 && o->pointer_roots[i][n - 1] == '/')
            n--;
        s->ptr_path[i] = strndup(o->pointer_roots[i], n);
        s->ptr_fd[i] = -1;
        s->nptr = i + 1;
        if (s->ptr_path[i] == NULL || o->pointer_roots[i][0] != '/') {
            errbuf_set(err, errlen,
                       "store.pointer_roots %s: not an absolute "
                       "path",
                       o->pointer_roots[i]);
            return -1;
        }
        s->ptr_fd[i] =
            open_dir_at("store.pointer_roots", s->ptr_path[i], 0, err, errlen);
        if (s->ptr_fd[i] == -1)
            return -1;
    }
    if (o->cache_dir == NULL)
        return 0;
    s->cache_fd = open_dir_at("store.cache_dir", o->cache_dir, 1, err, errlen);
    return s->cache_fd == -1 ? -1 : 0;
}

struct store *
store_new(const struct store_opts *o, char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        errbuf_set(err, errlen, "store.root %s: out of memory", o->root);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->cache_fd = -1;
    s->max_expanded = o->max_expanded > 0 ? o->max_expanded : UINT64_MAX;
    s->bound = o->cache_bound;
    pthread_mutex_init(&s->failed_lock, NULL);
    s->root_fd = open_root(o->root);
    if (s->root_fd == -1) {
        errbuf_set(err, errlen, "store.root %s: %s", o->root,
                   errno == ENOSYS ? "openat2 unsupported (Linux >= 5.6)"
                                   : strerror(errno));
        pthread_mutex_destroy(&s->failed_lock);
        free(s);
        return NULL;
    }
    s->root = strdup(o->root);
    if (s->root == NULL) {
        errbuf_set(err, errlen, "store.root %s: out of memory", o->root);
        store_free(s);
        return NULL;
    }
    s->dc = dircache_new(s->root_fd, MAX_DIRS, MAX_PATHS);
    if (s->dc == NULL)
        errbuf_set(err, errlen, "store.root %s: out of memory", o->root);
    if (s->dc == NULL || open_extra_dirs(s, o, err, errlen) == -1) {
        store_free(s);
        return NULL;
    }
    return s;
}

void
store_hold(struct store *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void
store_free(struct store *s)
{
    if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    dircache_free(s->dc);
    for (unsigned i = 0; i < s->nptr; i++) {
        free(s->ptr_path[i]);
        if (s->ptr_fd[i] != -1)
            close(s->ptr_fd[i]);
    }
    if (s->cache_fd != -1)
        close(s->cache_fd);
    if (s->root_fd != -1)
        close(s->root_fd);
    free(s->root);
    pthread_mutex_destroy(&s->failed_lock);
    free(s);
}

/* Opens rel beneath the root; regular files only. */
static int
open_file(int root_fd, const char *rel, struct stat *st)
{
    /* O_NONBLOCK: opening a FIFO someone left in the tree must not block. */
    int fd = beneath_open(root_fd, rel,
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

enum store_ptr
store_parse_ptr(const char *buf, size_t len, const char **value, size_t *vlen)
{
    enum store_ptr kind;
    size_t skip;

    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
                       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    if (len > 5 && strncasecmp(buf, "PATH:", 5) == 0) {
        kind = STORE_PTR_PATH;
        skip = 5;
    } else if (len > 4 && strncasecmp(buf, "MSG:", 4) == 0) {
        kind = STORE_PTR_MSG;
        skip = 4;
    } else {
        return STORE_PTR_BAD;
    }
    for (size_t i = skip; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            return STORE_PTR_BAD;
    *value = buf + skip;
    *vlen = len - skip;
    return kind;
}

/* Opens name in dir_fd, a regular file and not a symlink. */
static int
open_cached(int dir_fd, const char *name, struct stat *st)
{
    int fd = beneath_open(dir_fd, name,
                          O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

    if (fd == -1)
        return -1;
    if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = EISDIR;
        return -1;
    }
    return fd;
}

/* The expansion of twin in dir_fd, if it is there and at least as new. */
static int
open_fresh(int dir_fd, const char *name, const struct stat *twin,
           struct stat *st)
{
    int fd = open_cached(dir_fd, name, st);

    if (fd == -1)
        return -1;
    if (st->st_mtim.tv_sec > twin->st_mtim.tv_sec ||
        (st->st_mtim.tv_sec == twin->st_mtim.tv_sec &&
         st->st_mtim.tv_nsec >= twin->st_mtim.tv_nsec))
        return fd;
    close(fd);
    return -1;
}

/* A failure the client should retry (503), not take for a miss (404). */
static bool
errno_is_transient(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EIO || e == ENOMEM ||
           e == EMFILE || e == ENFILE;
}

/*
 * Expands the CAB open as twin_fd into name in dir_fd, under a temporary
 * name renamed only when the whole file came out right. The temporary is
 * made new (O_EXCL, after removing whatever a crash or a hostile hand
 * left there), so no planted symlink or hard link is written through.
 * Fails with ENOSPC, EDQUOT or EIO when the cache could not take it,
 * else ENOENT for a bad CAB.
 */
static int
expand_into(int dir_fd, const char *stored, const char *name, int twin_fd,
            const char *want, uint64_t max_size, struct stat *st)
{
    char tmp[NAME_MAX + 1], why[256];
    uint64_t t0;
    int ofd, rc, e;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", name, (long)getpid()) >=
        (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlinkat(dir_fd, tmp, 0);
    ofd = openat(dir_fd, tmp,
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (ofd == -1) {
        log_warn("expand %s: create", stored);
        return -1;
    }
    log_debug("expand %s: start", stored);
    t0 = clock_monotonic_ns();
    rc = cab_expand_fd(twin_fd, want, ofd, max_size, why, sizeof(why));
    e = errno;
    log_debug("expand %s: end after %ld ms", stored,
              (long)((clock_monotonic_ns() - t0) / CLOCK_NS_PER_MS));
    close(ofd);
    if (rc == -1) {
        log_warnx("expand %s: %s", stored, why);
        unlinkat(dir_fd, tmp, 0);
        errno = errno_is_transient(e) ? e : ENOENT;
        return -1;
    }
    if (renameat(dir_fd, tmp, dir_fd, name) == -1) {
        log_warn("expand %s: rename", stored);
        unlinkat(dir_fd, tmp, 0);
        return -1;
    }
    return open_cached(dir_fd, name, st);
}

static struct failed_twin *
failed_slot(struct store *s, const struct stat *twin)
{
    uint64_t h =
        (uint64_t)twin->st_ino * 0x9E3779B97F4A7C15ULL ^ (uint64_t)twin->st_dev;

    return &s->failed[(h >> 32) % FAILED_SLOTS];
}

/*
 * Whether expanding this very twin (same file, size and mtime) failed
 * before: a corrupt or oversized CAB is tried once, not on every request
 * (each attempt can cost seconds and gigabytes), until it is replaced.
 */
static bool
failed_before(struct store *s, const struct stat *twin)
{
    struct failed_twin *f;
    bool hit;

    pthread_mutex_lock(&s->failed_lock);
    f = failed_slot(s, twin);
    hit = f->ino == twin->st_ino && f->dev == twin->st_dev &&
          f->size == twin->st_size && f->mtime.tv_sec == twin->st_mtim.tv_sec &&
          f->mtime.tv_nsec == twin->st_mtim.tv_nsec && f->ino != 0;
    pthread_mutex_unlock(&s->failed_lock);
    return hit;
}

static void
remember_failure(struct store *s, const struct stat *twin)
{
    struct failed_twin *f;

    pthread_mutex_lock(&s->failed_lock);
    f = failed_slot(s, twin);
    f->dev = twin->st_dev;
    f->ino = twin->st_ino;
    f->size = twin->st_size;
    f->mtime = twin->st_mtim;
    pthread_mutex_unlock(&s->failed_lock);
}

/* Opens (making it) the lock file name.lock in dir_fd. */
static int
open_lock(int dir_fd, const char *name)
{
    char lock[NAME_MAX + 1];
    int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
    int lfd;

    if (snprintf(lock, sizeof(lock), "%s.lock", name) >= (int)sizeof(lock)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    lfd = openat(dir_fd, lock, flags, 0644);
    /* A symlink planted as the lock: ours is made in its place. */
    if (lfd == -1 && errno == ELOOP && unlinkat(dir_fd, lock, 0) == 0)
        lfd = openat(dir_fd, lock, flags, 0644);
    return lfd;
}

/*
 * Serves twin (a CAB) expanded. A lock file per cached file makes
 * concurrent first requests, of any thread or process, expand it once.
 * Blocking: store_expand() runs it off the event loop.
 */
static int
expand_cached(struct store *s, const char *stored, int twin_fd,
              const struct stat *twin, const char *want, struct stat *st)
{
    const char *name;
    int dfd = cachedir_open_parent(s->cache_fd, stored, &name);
    int lfd, fd, e;

    if (dfd == -1) {
        log_warn("expand %s: cache directory", stored);
        return -1;
    }
    lfd = open_lock(dfd, name);
    if (lfd == -1 || flock(lfd, LOCK_EX) == -1) {
        e = errno;
        log_warn("expand %s: lock", stored);
        if (lfd != -1)
            close(lfd);
        close(dfd);
        errno = e;
        return -1;
    }
    fd = open_fresh(dfd, name, twin, st);
    if (fd != -1 && s->bound != NULL)
        cachedir_touch(s->bound, (uint64_t)st->st_ino);
    if (fd == -1 && failed_before(s, twin)) {
        store_stats_count(STORE_STAT_CAB_SKIPPED);
        errno = ENOENT; /* no new attempt, and no new log line */
    } else if (fd == -1) {
        fd = expand_into(dfd, stored, name, twin_fd, want, s->max_expanded, st);
        store_stats_count(fd != -1 ? STORE_STAT_CAB_OK : STORE_STAT_CAB_FAILED);
        if (fd == -1 && errno == ENOENT)
            remember_failure(s, twin);
        if (fd != -1 && s->bound != NULL &&
            !cachedir_add(s->bound, stored, (uint64_t)st->st_ino,
                          (uint64_t)st->st_size))
            log_warnx("expand %s: %lld bytes, over store.cache_max_mib: "
                      "kept alone until the next expansion",
                      stored, (long long)st->st_size);
    }
    e = errno;
    close(lfd); /* releases the lock */
    close(dfd);
    errno = e;
    return fd;
}

/*
 * The expansion of twin if the cache holds a fresh one (no lock: a cached
 * file appears only by rename, whole), else -1 with ENOENT for a twin
 * whose expansion failed before, or EINPROGRESS with *job filled.
 */
static int
find_expanded(struct store *s, const char *twin, const struct stat *tst,
              const char *want, struct stat *st, struct store_job *job)
{
    const char *name;
    int dfd = cachedir_open_parent(s->cache_fd, twin, &name);
    int fd;

    if (dfd == -1) {
        log_warn("expand %s: cache directory", twin);
        return -1;
    }
    fd = open_fresh(dfd, name, tst, st);
    close(dfd);
    if (fd != -1) {
        if (s->bound != NULL)
            cachedir_touch(s->bound, (uint64_t)st->st_ino);
        return fd;
    }
    if (failed_before(s, tst)) {
        store_stats_count(STORE_STAT_CAB_SKIPPED); /* the negative cache */
        errno = ENOENT;
        return -1;
    }
    if (snprintf(job->twin, sizeof(job->twin), "%s", twin) >=
            (int)sizeof(job->twin) ||
        snprintf(job->want, sizeof(job->want), "%s", want) >=
            (int)sizeof(job->want)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    errno = EINPROGRESS;
    return -1;
}

/*
 * twin is the stored path of a CAB: serve its member want expanded. With
 * a job, an expansion still to be made is left to store_expand().
 */
static int
open_twin(struct store *s, const char *twin, const char *want, struct stat *st,
          struct store_job *job)
{
    struct stat tst;
    int tfd = open_file(s->root_fd, twin, &tst);
    int fd;

    if (tfd == -1)
        return -1;
    if (job != NULL)
        fd = find_expanded(s, twin, &tst, want, st, job);
    else
        fd = expand_cached(s, twin, tfd, &tst, want, st);
    if (fd == -1) {
        int e = errno;

        close(tfd);
        errno = e;
        return -1;
    }
    close(tfd);
    return fd;
}

int
store_expand(struct store *s, const struct store_job *job)
{
    struct stat st;
    int fd = open_twin(s, job->twin, job->want, &st, NULL);

    if (fd == -1)
        return -1;
    close(fd);
    return 0;
}

/* PATH:<v> of a file.ptr: served only beneath a pointer root. */
static int
open_pointed(struct store *s, const char *rel, const char *v, size_t vlen,
             struct stat *st)
{
    char rest[PATH_MAX];

    for (unsigned i = 0; i < s->nptr; i++) {
        size_t n = strlen(s->ptr_path[i]);

        if (vlen <= n + 1 || vlen - n - 1 >= sizeof(rest) ||
            memcmp(v, s->ptr_path[i], n) != 0 || v[n] != '/')
            continue;
        memcpy(rest, v + n + 1, vlen - n - 1);
        rest[vlen - n - 1] = '\0';
        return open_file(s->ptr_fd[i], rest, st);
    }
    log_warnx("%s: file.ptr points outside store.pointer_roots: %.*s", rel,
              (int)vlen, v);
    errno = ENOENT;
    return -1;
}

/* ptr is the stored path of the file.ptr beside what rel asks for. */
static int
open_pointer(struct store *s, const char *rel, const char *ptr, struct stat *st)
{
    char buf[PTR_MAX];
    const char *v;
    size_t vlen;
    ssize_t n;
    int pfd = open_file(s->root_fd, ptr, st);

    if (pfd == -1)
        return -1;
    n = read(pfd, buf, sizeof(buf));
    close(pfd);
    switch (n < 0 ? STORE_PTR_BAD
                  : store_parse_ptr(buf, (size_t)n, &v, &vlen)) {
    case STORE_PTR_PATH:
        return open_pointed(s, rel, v, vlen, st);
    case STORE_PTR_MSG:
        log_warnx("%s: file.ptr says: %.*s", rel, (int)vlen, v);
        break;
    case STORE_PTR_BAD:
        log_warnx("%s: file.ptr is not PATH: or MSG:", ptr);
        break;
    }
    errno = ENOENT;
    return -1;
}

/* Is rel ".../<file>/<key>/<base>" with <file> equal to base (case-blind)? */
static bool
names_the_key_dir(const char *rel, const char *base)
{
    size_t blen = strlen(base);
    const char *key, *file;

    if (base == rel || base - 1 == rel)
        return false;
    key = base - 1; /* the '/' before base */
    while (key > rel && key[-1] != '/')
        key--;
    if (key <= rel)
        return false;
    file = key - 1;
    while (file > rel && file[-1] != '/')
        file--;
    return (size_t)(key - 1 - file) == blen &&
           strncasecmp(file, base, blen) == 0;
}

/*
 * In the stored directory sdir: the file itself, else its CAB twin (when
 * expanding), else file.ptr, from one read of the directory's listing.
 * *kind becomes STORE_STAT_TWIN or STORE_STAT_POINTER when one of those
 * answers.
 */
static int
open_in_dir(struct store *s, const char *rel, const char *sdir,
            const char *base, struct stat *st, enum store_stat *kind,
            struct store_job *job)
{
    char twin[NAME_MAX + 1], found[NAME_MAX + 1], path[PATH_MAX];
    const char *names[3] = {base, NULL, NULL};
    size_t n = 1;
    int idx, fd;

    /* A twin or a file.ptr stands for <file>/<key>/<file> only: asked for
     * any other name they would answer it with <file>'s bytes. */
    if (names_the_key_dir(rel, base)) {
        if (s->cache_fd != -1 &&
            layout_twin_name(base, twin, sizeof(twin)) == 0)
            names[n++] = twin;
        names[n++] = LAYOUT_FILE_PTR;
    }
    idx = dircache_find_any(s->dc, sdir, names, n, found);
    if (idx == -1)
        return -1;
    if (snprintf(path, sizeof(path), "%s%s%s", sdir, *sdir ? "/" : "", found) >=
        (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (idx > 0 && names[idx] == twin) {
        *kind = STORE_STAT_TWIN;
        return open_twin(s, path, base, st, job);
    }
    if (idx > 0) {
        *kind = STORE_STAT_POINTER;
        return open_pointer(s, rel, path, st);
    }
    fd = open_file(s->root_fd, path, st);
    if (fd != -1)
        dircache_learn(s->dc, rel, path);
    return fd;
}

/*
 * What an exact open did not find: the directory walked case-blind, then,
 * in a two-tier store, under the name's tier prefix. Sets *kind to how a
 * hit was found.
 */
static int
lookup_slow(struct store *s, const char *rel, struct stat *st,
            enum store_stat *kind, struct store_job *job)
{
    char dir[PATH_MAX], sdir[PATH_MAX], prefix[LAYOUT_TIER_MAX];
    const char *slash = strrchr(rel, '/');
    const char *base = slash != NULL ? slash + 1 : rel;
    size_t dlen = slash != NULL ? (size_t)(slash - rel) : 0;
    bool two_tier = false;
    int fd;

    memcpy(dir, rel, dlen);
    dir[dlen] = '\0';
    *kind = STORE_STAT_CASE_FOLDED;
    if (dircache_resolve(s->dc, dir, sdir, sizeof(sdir), &two_tier) == 0) {
        fd = open_in_dir(s, rel, sdir, base, st, kind, job);
        if (fd != -1 || errno != ENOENT)
            return fd;
    }
    if (!two_tier || layout_tier_prefix(rel, prefix) == 0) {
        errno = ENOENT;
        return -1;
    }
    if (snprintf(dir, sizeof(dir), "%s%s%.*s", prefix, dlen > 0 ? "/" : "",
                 (int)dlen, rel) >= (int)sizeof(dir) ||
        dircache_resolve(s->dc, dir, sdir, sizeof(sdir), NULL) == -1)
        return -1;
    *kind = STORE_STAT_TWO_TIER;
    return open_in_dir(s, rel, sdir, base, st, kind, job);
}

/* store_find() without the counting; *kind: how a hit was found. */
static int
lookup(struct store *s, const char *rel, struct stat *st, enum store_stat *kind,
       struct store_job *job)
{
    char stored[PATH_MAX];
    int fd = open_file(s->root_fd, rel, st);

    *kind = STORE_STAT_EXACT;
    if (fd != -1 || (errno != ENOENT && errno != ENOTDIR) || *rel == '\0')
        return fd;
    if (dircache_recall(s->dc, rel, stored, sizeof(stored)) == 0) {
        fd = open_file(s->root_fd, stored, st);
        /* Learned under the tier prefix, the stored path is longer;
         * letter case alone keeps the length (ASCII folding). */
        *kind = strlen(stored) != strlen(rel) ? STORE_STAT_TWO_TIER
                                              : STORE_STAT_CASE_FOLDED;
        if (fd != -1)
            return fd;
        dircache_forget(s->dc, rel);
    }
    fd = lookup_slow(s, rel, st, kind, job);
    if (fd == -1 && (errno == ENOTDIR || errno == ENAMETOOLONG))
        errno = ENOENT;
    return fd;
}

/* A failed lookup's errno: the file is not there, or not readable now. */
static enum store_stat
failure_kind(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EXDEV:
    case ENAMETOOLONG:
        return STORE_STAT_MISS;
    }
    return STORE_STAT_ERROR;
}

int
store_lookup(struct store *s, const char *rel, struct stat *st)
{
    return store_find(s, rel, st, NULL);
}

int
store_find(struct store *s, const char *rel, struct stat *st,
           struct store_job *job)
{
    enum store_stat kind;
    int fd = lookup(s, rel, st, &kind, job);
    int saved = errno;

    /* An expansion left to a job is counted when the retry finds it. */
    if (fd != -1 || saved != EINPROGRESS)
        store_stats_count(fd != -1 ? kind : failure_kind(saved));
    errno = saved;
    return fd;
}

int
store_check_root(struct store *s)
{
    struct stat held, now;
    struct dirent *de;
    int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd == -1)
        return -1;
    if (fstat(fd, &now) == -1 || fstat(s->root_fd, &held) == -1) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    /* Another directory now at the path: we still serve the old one. */
    if (now.st_dev != held.st_dev || now.st_ino != held.st_ino) {
        close(fd);
        errno = ESTALE;
        return -1;
    }
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    errno = 0;
    de = readdir(d); /* one entry: the directory can be read at all */
    if (de == NULL && errno != 0) {
        int saved = errno;

        closedir(d);
        errno = saved;
        return -1;
    }
    closedir(d);
    return 0;
}

void
store_gauges(struct store *s, struct store_gauges *g)
{
    size_t failed = 0;

    dircache_sizes(s->dc, &g->listings, &g->spellings);
    pthread_mutex_lock(&s->failed_lock);
    for (size_t i = 0; i < FAILED_SLOTS; i++)
        failed += s->failed[i].ino != 0;
    pthread_mutex_unlock(&s->failed_lock);
    g->failed_twins = failed;
}

int
store_cache_dir_of(int cache_fd, const char *rel, const char **base)
{
    return cachedir_open_parent(cache_fd, rel, base);
}

int
store_cache_lock(int dir_fd, const char *name)
{
    int lfd = open_lock(dir_fd, name);

    if (lfd != -1 && flock(lfd, LOCK_EX) == -1) {
        int e = errno;

        close(lfd);
        errno = e;
        return -1;
    }
    return lfd;
}
