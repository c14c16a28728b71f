/* A bounded cache directory, least recently used out; see cachedir.h. */
#define _GNU_SOURCE /* O_NOFOLLOW, fdopendir with strict C11 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/beneath.h"
#include "store/cachedir.h"
#include "util/errbuf.h"
#include "util/log.h"

/* Slot keys: 0 never used, TOMB removed (probes go on past it). Inode 0
 * and ~0 are never real files on Linux file systems. */
#define EMPTY 0
#define TOMB UINT64_MAX
/* Directory depth the scan follows (a store path is 3 or 4 deep). */
#define SCAN_DEPTH 16

/*
 * Readers (cachedir_touch()) read key and write used without the lock,
 * so both are atomic; size and rel are the writers' only. The table is
 * never reallocated: a reader always probes valid memory, and a slot
 * reused under its feet costs at most one misplaced touch.
 */
struct slot {
    _Atomic uint64_t key; /* the inode */
    _Atomic uint64_t used;
    uint64_t size;
    char *rel;
};

struct cachedir {
    int fd;
    char *path;
    uint64_t max_bytes;
    unsigned max_files;
    _Atomic uint64_t clock; /* the use counter: higher is more recent */
    pthread_mutex_t lock;   /* writers: add, evict, rebuild */
    uint64_t bytes;
    unsigned files, tombs;
    _Atomic uint64_t evicted;
    size_t mask; /* slots - 1 */
    struct slot *slots;
};

static size_t
home_of(const struct cachedir *c, uint64_t ino)
{
    return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 17) & c->mask;
}

void
cachedir_touch(struct cachedir *c, uint64_t ino)
{
    size_t i = home_of(c, ino);

    for (size_t n = 0; n <= c->mask; n++, i = (i + 1) & c->mask) {
        uint64_t k =
            atomic_load_explicit(&c->slots[i].key, memory_order_relaxed);

        if (k == ino) {
            uint64_t now =
                atomic_fetch_add_explicit(&c->clock, 1, memory_order_relaxed);

            atomic_store_explicit(&c->slots[i].used, now, memory_order_relaxed);
            return;
        }
        if (k == EMPTY)
            return;
    }
}

/* Opens dir segment by segment beneath c->fd, following no symlink.
 * Sets *base to the last segment. -1 with errno. */
static int
open_parent(const struct cachedir *c, const char *rel, const char **base)
{
    char seg[NAME_MAX + 1];
    const char *p = rel, *slash;
    int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);

    while (fd != -1 && (slash = strchr(p, '/')) != NULL) {
        size_t n = (size_t)(slash - p);
        int next = -1;

        errno = EINVAL;
        if (n > 0 && n < sizeof(seg)) {
            memcpy(seg, p, n);
            seg[n] = '\0';
            if (strcmp(seg, ".") != 0 && strcmp(seg, "..") != 0)
                next = openat(fd, seg,
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        close(fd);
        fd = next;
        p = slash + 1;
    }
    *base = p;
    if (fd != -1 &&
        (*p == '\0' || strcmp(p, ".") == 0 || strcmp(p, "..") == 0)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Removes rel if it is still the regular file ino. */
static void
unlink_beneath(const struct cachedir *c, const char *rel, uint64_t ino)
{
    const char *base;
    struct stat st;
    int dfd = open_parent(c, rel, &base);

    if (dfd == -1)
        return; /* gone already, or not ours to follow */
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && (uint64_t)st.st_ino == ino &&
        unlinkat(dfd, base, 0) == -1 && errno != ENOENT)
        log_warn("cache: remove %s", rel);
    close(dfd);
}

/* Forgets slot i (the lock is held). */
static void
drop_slot(struct cachedir *c, struct slot *s)
{
    c->bytes -= s->size;
    c->files--;
    c->tombs++;
    free(s->rel);
    s->rel = NULL;
    atomic_store_explicit(&s->key, TOMB, memory_order_relaxed);
}

/* The live slot used least recently, or NULL. */
static struct slot *
oldest(struct cachedir *c)
{
    struct slot *best = NULL;
    uint64_t best_used = UINT64_MAX;

    for (size_t i = 0; i <= c->mask; i++) {
        struct slot *s = &c->slots[i];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);
        uint64_t u = atomic_load_explicit(&s->used, memory_order_relaxed);

        if (k != EMPTY && k != TOMB && u < best_used) {
            best = s;
            best_used = u;
        }
    }
    return best;
}

static void
evict(struct cachedir *c, struct slot *s)
{
    unlink_beneath(c, s->rel, atomic_load(&s->key));
    drop_slot(c, s);
    atomic_fetch_add(&c->evicted, 1);
}

/* Places a live entry (the lock is held; a free slot exists). */
static struct slot *
place(struct cachedir *c, uint64_t ino)
{
    size_t i = home_of(c, ino);

    for (;;) {
        uint64_t k =
            atomic_load_explicit(&c->slots[i].key, memory_order_relaxed);

        if (k == EMPTY || k == TOMB) {
            if (k == TOMB)
                c->tombs--;
            return &c->slots[i];
        }
        i = (i + 1) & c->mask;
    }
}

/*
 * Too many removed slots make probes long: the live entries are placed
 * again. Readers meanwhile may miss a touch, nothing worse.
 */
static void
rebuild(struct cachedir *c)
{
    size_t n = 0, cap = c->mask + 1;
    struct slot *live = malloc(c->files * sizeof(*live) + 1);

    if (live == NULL)
        return;
    for (size_t i = 0; i < cap; i++) {
        struct slot *s = &c->slots[i];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);

        if (k != EMPTY && k != TOMB) {
            atomic_init(&live[n].key, k);
            atomic_init(&live[n].used, atomic_load(&s->used));
            live[n].size = s->size;
            live[n++].rel = s->rel;
        }
        atomic_store_explicit(&s->key, EMPTY, memory_order_relaxed);
        s->rel = NULL;
    }
    c->tombs = 0;
    for (size_t j = 0; j < n; j++) {
        struct slot *s = place(c, atomic_load(&live[j].key));

        s->size = live[j].size;
        s->rel = live[j].rel;
        atomic_store(&s->used, atomic_load(&live[j].used));
        atomic_store(&s->key, atomic_load(&live[j].key));
    }
    free(live);
}

/* Forgets an older entry with this rel or this inode (the lock is held). */
static void
forget_same(struct cachedir *c, const char *rel, uint64_t ino)
{
    for (size_t i = 0; i <= c->mask && c->files > 0; i++) {
        struct slot *s = &c->slots[i];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);

        if (k != EMPTY && k != TOMB && (k == ino || strcmp(s->rel, rel) == 0))
            drop_slot(c, s);
    }
}

/* Adds with the lock held; used by the scan too (with its own order). */
static bool
add_locked(struct cachedir *c, const char *rel, uint64_t ino, uint64_t size,
           uint64_t used)
{
    struct slot *s;
    char *copy;

    forget_same(c, rel, ino);
    if (c->max_files == 0 || ino == EMPTY || ino == TOMB) {
        unlink_beneath(c, rel, ino);
        atomic_fetch_add(&c->evicted, 1);
        return false;
    }
    /* A file over the bound on its own is kept alone (it is about to be
     * served, and a lookup must find it): everything else goes, and it
     * goes with the next add. */
    while (c->files > 0 &&
           (c->bytes + size > c->max_bytes || c->files >= c->max_files))
        evict(c, oldest(c));
    copy = strdup(rel);
    if (copy == NULL) { /* unrecorded would be unbounded: remove it */
        unlink_beneath(c, rel, ino);
        return false;
    }
    if ((c->files + c->tombs + 1) * 4 > (c->mask + 1) * 3)
        rebuild(c);
    if (c->files + c->tombs + 1 > c->mask) { /* rebuild out of memory */
        free(copy);
        unlink_beneath(c, rel, ino);
        return false;
    }
    s = place(c, ino);
    s->size = size;
    s->rel = copy;
    atomic_store(&s->used, used);
    atomic_store(&s->key, ino);
    c->bytes += size;
    c->files++;
    return size <= c->max_bytes;
}

bool
cachedir_add(struct cachedir *c, const char *rel, uint64_t ino, uint64_t size)
{
    bool kept;

    pthread_mutex_lock(&c->lock);
    kept = add_locked(c, rel, ino, size, atomic_fetch_add(&c->clock, 1));
    pthread_mutex_unlock(&c->lock);
    return kept;
}

/* What the scan found, sorted oldest first before it is recorded. */
struct found {
    char *rel;
    uint64_t ino, size;
    struct timespec mtime;
};

struct scan {
    struct found *v;
    size_t n, cap;
};

/* Lock files and the temporaries of an expansion in progress (or of a
 * crash: the next expansion of that name replaces them) are not cached
 * files. */
static bool
is_cached_name(const char *name)
{
    size_t n = strlen(name);
    const char *tmp = strstr(name, ".tmp");

    if (name[0] == '.' || (n >= 5 && strcmp(name + n - 5, ".lock") == 0))
        return false;
    if (tmp != NULL && tmp[4] != '\0' &&
        strspn(tmp + 4, "0123456789") == strlen(tmp + 4))
        return false;
    return true;
}

static int
scan_push(struct scan *sc, const char *rel, const struct stat *st)
{
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        struct found *v = realloc(sc->v, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        sc->v = v;
        sc->cap = cap;
    }
    sc->v[sc->n].rel = strdup(rel);
    if (sc->v[sc->n].rel == NULL)
        return -1;
    sc->v[sc->n].ino = (uint64_t)st->st_ino;
    sc->v[sc->n].size = (uint64_t)st->st_size;
    sc->v[sc->n].mtime = st->st_mtim;
    sc->n++;
    return 0;
}

/* Walks dir_fd (which it closes), prefix its path in the cache. */
static int
scan_dir(struct scan *sc, int dir_fd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dir_fd);
    struct dirent *e;
    int rc = 0;

    if (d == NULL) {
        close(dir_fd);
        return -1;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char rel[PATH_MAX];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
            snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "",
                     e->d_name) >= (int)sizeof(rel))
            continue;
        if (S_ISDIR(st.st_mode) && depth < SCAN_DEPTH) {
            int sub = openat(dirfd(d), e->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            if (sub != -1)
                rc = scan_dir(sc, sub, rel, depth + 1);
        } else if (S_ISREG(st.st_mode) && is_cached_name(e->d_name)) {
            rc = scan_push(sc, rel, &st);
        }
    }
    closedir(d);
    return rc;
}

static int
older_first(const void *a, const void *b)
{
    const struct found *x = a, *y = b;

    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->rel, y->rel);
}

static int
scan(struct cachedir *c)
{
    struct scan sc = {NULL, 0, 0};
    int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    int rc = fd == -1 ? -1 : scan_dir(&sc, fd, "", 0);

    if (rc == 0 && sc.n > 0)
        qsort(sc.v, sc.n, sizeof(*sc.v), older_first);
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < sc.n; i++) {
        if (rc == 0)
            add_locked(c, sc.v[i].rel, sc.v[i].ino, sc.v[i].size,
                       atomic_fetch_add(&c->clock, 1));
        free(sc.v[i].rel);
    }
    pthread_mutex_unlock(&c->lock);
    free(sc.v);
    return rc;
}

/* Slots for max_files entries at most 3/4 full. */
static size_t
slots_for(unsigned max_files)
{
    size_t n = 16;

    while (n < (size_t)max_files * 2 && n < ((size_t)1 << 30))
        n *= 2;
    return n;
}

struct cachedir *
cachedir_new(const char *path, uint64_t max_bytes, unsigned max_files,
             char *err, size_t errlen)
{
    struct cachedir *c = calloc(1, sizeof(*c));

    if (c == NULL ||
        (c->slots = calloc(slots_for(max_files), sizeof(*c->slots))) == NULL) {
        free(c);
        errbuf_set(err, errlen, "store.cache_dir %s: out of memory", path);
        return NULL;
    }
    c->mask = slots_for(max_files) - 1;
    c->path = strdup(path);
    c->max_bytes = max_bytes;
    c->max_files = max_files;
    atomic_init(&c->clock, 1);
    pthread_mutex_init(&c->lock, NULL);
    if (mkdir(path, 0755) == -1 && errno != EEXIST)
        c->fd = -1;
    else
        c->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->fd != -1 && c->path == NULL) {
        close(c->fd);
        c->fd = -1;
        errno = ENOMEM;
    }
    if (c->fd == -1 || scan(c) == -1) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", path,
                   strerror(errno));
        cachedir_free(c);
        return NULL;
    }
    return c;
}

void
cachedir_free(struct cachedir *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i <= c->mask; i++)
        free(c->slots[i].rel);
    free(c->slots);
    free(c->path);
    if (c->fd != -1)
        close(c->fd);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *
cachedir_path(const struct cachedir *c)
{
    return c->path;
}

int
cachedir_fd(const struct cachedir *c)
{
    return c->fd;
}

uint64_t
cachedir_bytes(struct cachedir *c)
{
    uint64_t n;

    pthread_mutex_lock(&c->lock);
    n = c->bytes;
    pthread_mutex_unlock(&c->lock);
    return n;
}

unsigned
cachedir_files(struct cachedir *c)
{
    unsigned n;

    pthread_mutex_lock(&c->lock);
    n = c->files;
    pthread_mutex_unlock(&c->lock);
    return n;
}

uint64_t
cachedir_evicted(struct cachedir *c)
{
    return atomic_load(&c->evicted);
}

/* --- directories beneath the cache -----------------------------------------
 */

/*
 * Opens seg in dir_fd as a directory, making it if missing, never through
 * a symlink. The cache is ours: a symlink or a file planted where one of
 * our directories goes is removed and the directory made in its place.
 */
static int
cache_subdir(int dir_fd, const char *seg)
{
    unsigned long long flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd;

    if (mkdirat(dir_fd, seg, 0755) == -1 && errno != EEXIST)
        return -1;
    fd = beneath_open(dir_fd, seg, flags);
    if (fd == -1 && (errno == ELOOP || errno == ENOTDIR) &&
        unlinkat(dir_fd, seg, 0) == 0 &&
        (mkdirat(dir_fd, seg, 0755) == 0 || errno == EEXIST))
        fd = beneath_open(dir_fd, seg, flags);
    return fd;
}

int
cachedir_open_parent(int cache_fd, const char *rel, const char **base)
{
    char seg[NAME_MAX + 1];
    const char *p = rel, *slash;
    int fd = fcntl(cache_fd, F_DUPFD_CLOEXEC, 0);

    while (fd != -1 && (slash = strchr(p, '/')) != NULL) {
        size_t n = (size_t)(slash - p);
        int next = -1;

        if (n == 0 || n >= sizeof(seg)) {
            errno = ENAMETOOLONG;
        } else {
            memcpy(seg, p, n);
            seg[n] = '\0';
            next = cache_subdir(fd, seg);
        }
        close(fd);
        fd = next;
        p = slash + 1;
    }
    *base = p;
    return fd;
}
