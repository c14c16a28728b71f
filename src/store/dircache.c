/* Case-blind lookups over the store tree; see dircache.h. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/beneath.h"
#include "store/dircache.h"
#include "store/layout.h"
#include "store/stats.h"

#define NBUCKETS 4096
/*
 * A changed directory of at least this many entries is read again by the
 * refresher thread, off the request path: reading 40,000 names takes tens
 * of milliseconds, and a store that changes every few milliseconds (a
 * running symsrv add) would otherwise keep a worker reading it. Smaller
 * ones are read at once, so that their changes show on the next request.
 */
#define BACKGROUND_MIN 4096
/* Directories waiting for the refresher; more are read at once. */
#define PENDING_MAX 64

/*
 * One directory's entries, sorted by (lower-case name, name). Immutable
 * once made, and counted: the map holds one reference and every lookup
 * using it one more, so a listing is read and searched outside the lock
 * and freed by whoever drops the last reference.
 */
struct listing {
    atomic_uint refs;
    struct timespec mtime;
    /* Read less than a second after the directory's last change: an entry
     * added in the same clock tick (directory mtimes are as coarse as the
     * kernel's tick) would leave the mtime as it is and stay unseen, so
     * such a listing is read again, like git's "racy" index entries. */
    bool racy;
    size_t n;
    char **lower, **name; /* n each, pointing into blob */
    char *blob;
};

struct node {
    struct node *next;
    char *key;
    void *val;    /* struct listing * or char * */
    bool reading; /* dirs: a thread is reading a newer listing of it */
};

struct map {
    struct node *buckets[NBUCKETS];
    size_t count, max;
    void (*free_val)(void *);
};

struct dircache {
    int root_fd;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the refresher: work, or stop */
    pthread_t refresher;
    bool refresher_running, stopping;
    char *pending[PENDING_MAX]; /* dirs to read again, strdup'd */
    size_t npending;
    struct map dirs;  /* dir path -> struct listing */
    struct map paths; /* lower-case request path -> stored path */
};

static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (NBUCKETS - 1);
}

static void
map_clear(struct map *m)
{
    for (size_t i = 0; i < NBUCKETS; i++) {
        while (m->buckets[i] != NULL) {
            struct node *n = m->buckets[i];

            m->buckets[i] = n->next;
            m->free_val(n->val);
            free(n->key);
            free(n);
        }
    }
    m->count = 0;
}

static struct node **
map_find(struct map *m, const char *key)
{
    struct node **p = &m->buckets[hash(key)];

    while (*p != NULL && strcmp((*p)->key, key) != 0)
        p = &(*p)->next;
    return p;
}

/* Takes val; frees it when out of memory. */
static void
map_put(struct map *m, const char *key, void *val)
{
    struct node **p = map_find(m, key);
    struct node *n;

    if (*p != NULL) {
        m->free_val((*p)->val);
        (*p)->val = val;
        return;
    }
    if (m->count >= m->max)
        map_clear(m); /* crude but bounded: the next lookups refill it */
    p = map_find(m, key);
    n = malloc(sizeof(*n));
    if (n != NULL)
        n->key = strdup(key);
    if (n == NULL || n->key == NULL) {
        free(n);
        m->free_val(val);
        return;
    }
    n->val = val;
    n->next = NULL;
    n->reading = false;
    *p = n;
    m->count++;
}

static void
map_del(struct map *m, const char *key)
{
    struct node **p = map_find(m, key);
    struct node *n = *p;

    if (n == NULL)
        return;
    *p = n->next;
    m->free_val(n->val);
    free(n->key);
    free(n);
    m->count--;
}

static void
listing_free(struct listing *l)
{
    if (l == NULL)
        return;
    free(l->lower);
    free(l->name);
    free(l->blob);
    free(l);
}

/* Drops a reference (the map's, via map free_val, or a lookup's). */
static void
listing_put(void *arg)
{
    struct listing *l = arg;
    int saved = errno;

    if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1)
        listing_free(l);
    errno = saved;
}

static void *refresh_main(void *arg);

struct dircache *
dircache_new(int root_fd, size_t max_dirs, size_t max_paths)
{
    struct dircache *dc = calloc(1, sizeof(*dc));

    if (dc == NULL)
        return NULL;
    dc->root_fd = root_fd;
    dc->dirs.max = max_dirs;
    dc->dirs.free_val = listing_put;
    dc->paths.max = max_paths;
    dc->paths.free_val = free;
    pthread_mutex_init(&dc->lock, NULL);
    pthread_cond_init(&dc->wake, NULL);
    /* Without the thread, every changed directory is read at once. */
    dc->refresher_running =
        pthread_create(&dc->refresher, NULL, refresh_main, dc) == 0;
    return dc;
}

void
dircache_free(struct dircache *dc)
{
    if (dc == NULL)
        return;
    if (dc->refresher_running) {
        pthread_mutex_lock(&dc->lock);
        dc->stopping = true;
        pthread_cond_signal(&dc->wake);
        pthread_mutex_unlock(&dc->lock);
        pthread_join(dc->refresher, NULL);
    }
    while (dc->npending > 0)
        free(dc->pending[--dc->npending]);
    pthread_cond_destroy(&dc->wake);
    map_clear(&dc->dirs);
    map_clear(&dc->paths);
    pthread_mutex_destroy(&dc->lock);
    free(dc);
}

static void
lower_copy(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        dst[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    dst[n] = '\0';
}

struct entry {
    const char *lower, *name;
};

static int
entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->lower, y->lower);

    return c != 0 ? c : strcmp(x->name, y->name);
}

/* Appends name and its lower-case form to the growing blob. */
static int
blob_add(char **blob, size_t *len, size_t *cap, const char *name)
{
    size_t n = strlen(name);

    if (*len + 2 * (n + 1) > *cap) {
        size_t ncap = (*cap + 2 * (n + 1)) * 2;
        char *nb = realloc(*blob, ncap);

        if (nb == NULL)
            return -1;
        *blob = nb;
        *cap = ncap;
    }
    memcpy(*blob + *len, name, n + 1);
    lower_copy(*blob + *len + n + 1, name, n);
    *len += 2 * (n + 1);
    return 0;
}

/* Reads every name of dir into a blob of "name\0lower\0" pairs. */
static int
read_names(int root_fd, const char *dir, char **blob, size_t *len,
           size_t *count)
{
    int fd = beneath_open(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t cap = 0;
    struct dirent *de;
    DIR *d;

    if (fd == -1)
        return -1;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    *blob = NULL;
    *len = *count = 0;
    while ((errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (blob_add(blob, len, &cap, de->d_name) == -1)
            break;
        (*count)++;
    }
    closedir(d);
    return errno == 0 ? 0 : -1;
}

/* Whether a directory changed at mtime may change again unseen. */
static bool
is_racy(const struct timespec *mtime)
{
    struct timespec now;

    if (clock_gettime(CLOCK_REALTIME, &now) == -1)
        return true;
    return now.tv_sec - mtime->tv_sec < 2; /* within a second or two */
}

static struct listing *
read_listing(int root_fd, const char *dir, const struct timespec *mtime)
{
    struct listing *l = calloc(1, sizeof(*l));
    struct entry *e = NULL;
    size_t len, off = 0;

    if (l == NULL || read_names(root_fd, dir, &l->blob, &len, &l->n) == -1)
        goto fail;
    e = malloc((l->n + 1) * sizeof(*e));
    l->lower = malloc((l->n + 1) * sizeof(char *));
    l->name = malloc((l->n + 1) * sizeof(char *));
    if (e == NULL || l->lower == NULL || l->name == NULL)
        goto fail;
    for (size_t i = 0; i < l->n; i++) {
        e[i].name = l->blob + off;
        off += strlen(e[i].name) + 1;
        e[i].lower = l->blob + off;
        off += strlen(e[i].lower) + 1;
    }
    qsort(e, l->n, sizeof(*e), entry_cmp);
    for (size_t i = 0; i < l->n; i++) {
        l->lower[i] = (char *)(uintptr_t)e[i].lower;
        l->name[i] = (char *)(uintptr_t)e[i].name;
    }
    free(e);
    l->mtime = *mtime;
    l->racy = is_racy(mtime);
    atomic_init(&l->refs, 1);
    return l;
fail:
    free(e);
    listing_free(l);
    return NULL;
}

/* The first entry whose lower-case name is key, or NULL. */
static const char *
listing_find(const struct listing *l, const char *key)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(l->lower[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && strcmp(l->lower[lo], key) == 0 ? l->name[lo] : NULL;
}

/* Hands dir to the refresher; false when it is not running or is full.
 * Caller holds lock. */
static bool
enqueue(struct dircache *dc, const char *dir)
{
    char *copy;

    if (!dc->refresher_running || dc->npending == PENDING_MAX)
        return false;
    copy = strdup(dir);
    if (copy == NULL)
        return false;
    dc->pending[dc->npending++] = copy;
    pthread_cond_signal(&dc->wake);
    return true;
}

static bool
same_mtime(const struct listing *l, const struct stat *st)
{
    return l->mtime.tv_sec == st->st_mtim.tv_sec &&
           l->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/*
 * The cached listing of dir with a reference taken, and whether the caller
 * should read a newer one: when the directory's mtime changed (adding,
 * removing or renaming an entry changes it) and no other thread is
 * reading it already. Meanwhile everyone else goes on with the old
 * listing: a store that changes every few milliseconds never stalls a
 * lookup behind a directory read. Caller holds lock.
 */
static struct listing *
cached_listing(struct dircache *dc, const char *dir, const struct stat *st,
               bool *read_it)
{
    struct node **p = map_find(&dc->dirs, dir);
    struct listing *l;

    *read_it = *p == NULL;
    if (*p == NULL)
        return NULL;
    l = (*p)->val;
    if ((!same_mtime(l, st) || l->racy) && !(*p)->reading) {
        (*p)->reading = true;
        *read_it = !(l->n >= BACKGROUND_MIN && enqueue(dc, dir));
    }
    atomic_fetch_add(&l->refs, 1);
    return l;
}

/*
 * Ends a read of dir: clears its reading mark and, when fresh is not NULL,
 * puts it in the map (which takes a reference of its own). Caller holds
 * lock.
 */
static void
swap_in(struct dircache *dc, const char *dir, struct listing *fresh)
{
    struct node **p = map_find(&dc->dirs, dir);

    if (*p != NULL)
        (*p)->reading = false;
    if (fresh != NULL) {
        atomic_fetch_add(&fresh->refs, 1); /* the map's */
        map_put(&dc->dirs, dir, fresh);    /* drops it when out of memory */
    }
}

/*
 * The listing of dir, referenced: listing_put() it when done. The stat and
 * any directory read happen outside the lock; NULL with errno when dir
 * cannot be listed.
 */
static struct listing *
get_listing(struct dircache *dc, const char *dir)
{
    struct stat st;
    struct listing *l, *fresh;
    bool read_it;

    if (fstatat(dc->root_fd, *dir == '\0' ? "." : dir, &st, 0) == -1)
        return NULL;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return NULL;
    }
    pthread_mutex_lock(&dc->lock);
    l = cached_listing(dc, dir, &st, &read_it);
    pthread_mutex_unlock(&dc->lock);
    store_stats_count(read_it ? STORE_STAT_LISTING_READ
                              : STORE_STAT_LISTING_HIT);
    if (!read_it)
        return l;
    fresh = read_listing(dc->root_fd, dir, &st.st_mtim);
    pthread_mutex_lock(&dc->lock);
    swap_in(dc, dir, fresh);
    pthread_mutex_unlock(&dc->lock);
    listing_put(l);
    return fresh;
}

/*
 * The refresher thread: reads the directories cached_listing() queued,
 * outside the lock, and swaps their new listings in.
 */
static void *
refresh_main(void *arg)
{
    struct dircache *dc = arg;
    sigset_t all;

    sigfillset(&all); /* signals are the main thread's to take */
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&dc->lock);
    while (!dc->stopping) {
        char *dir;
        struct stat st;
        struct listing *fresh = NULL;

        if (dc->npending == 0) {
            pthread_cond_wait(&dc->wake, &dc->lock);
            continue;
        }
        dir = dc->pending[--dc->npending];
        pthread_mutex_unlock(&dc->lock);
        if (fstatat(dc->root_fd, *dir == '\0' ? "." : dir, &st, 0) == 0 &&
            S_ISDIR(st.st_mode))
            fresh = read_listing(dc->root_fd, dir, &st.st_mtim);
        pthread_mutex_lock(&dc->lock);
        swap_in(dc, dir, fresh);
        listing_put(fresh); /* the reference read_listing() gave us */
        free(dir);
    }
    pthread_mutex_unlock(&dc->lock);
    return NULL;
}

/* Appends the stored name of segment seg[0..n), an entry of listing l
 * (the directory out names), to out. */
static int
resolve_segment(const struct listing *l, const char *seg, size_t n, char *out,
                size_t *olen, size_t outsz)
{
    char key[NAME_MAX + 1];
    const char *name;
    size_t len;

    if (n > NAME_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    lower_copy(key, seg, n);
    name = listing_find(l, key);
    if (name == NULL) {
        errno = ENOENT;
        return -1;
    }
    len = strlen(name);
    if (*olen + len + 2 > outsz) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (*olen > 0)
        out[(*olen)++] = '/';
    memcpy(out + *olen, name, len + 1);
    *olen += len;
    return 0;
}

int
dircache_resolve(struct dircache *dc, const char *rel, char *out, size_t outsz,
                 bool *two_tier)
{
    struct listing *l;
    size_t olen = 0;
    int rc = 0;

    if (outsz == 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    out[0] = '\0';
    /* The walk starts from the root listing: index2.txt comes for free. */
    l = get_listing(dc, "");
    if (two_tier != NULL)
        *two_tier = l != NULL && listing_find(l, LAYOUT_INDEX2) != NULL;
    if (l == NULL)
        rc = -1;
    while (*rel != '\0' && rc == 0) {
        size_t n = strcspn(rel, "/");

        if (olen > 0) {
            listing_put(l);
            l = get_listing(dc, out);
        }
        rc = l != NULL ? resolve_segment(l, rel, n, out, &olen, outsz) : -1;
        rel += n;
        if (*rel == '/')
            rel++;
    }
    listing_put(l);
    return rc;
}

int
dircache_find_any(struct dircache *dc, const char *dir,
                  const char *const *names, size_t n, char *found)
{
    char key[NAME_MAX + 1];
    struct listing *l = get_listing(dc, dir);
    int rc = -1;

    for (size_t i = 0; l != NULL && i < n && rc == -1; i++) {
        const char *name;

        if (strlen(names[i]) > NAME_MAX)
            continue;
        lower_copy(key, names[i], strlen(names[i]));
        name = listing_find(l, key);
        if (name != NULL) {
            memcpy(found, name, strlen(name) + 1);
            rc = (int)i;
        }
    }
    if (l != NULL && rc == -1)
        errno = ENOENT;
    listing_put(l);
    return rc;
}

/* The map key of a request path: its lower-case form, in key[keysz]. */
static int
path_key(const char *rel, char *key, size_t keysz)
{
    size_t n = strlen(rel);

    if (n >= keysz)
        return -1;
    lower_copy(key, rel, n);
    return 0;
}

int
dircache_recall(struct dircache *dc, const char *rel, char *out, size_t outsz)
{
    char key[PATH_MAX];
    struct node **p;
    int rc = -1;

    if (path_key(rel, key, sizeof(key)) == -1)
        return -1;
    pthread_mutex_lock(&dc->lock);
    p = map_find(&dc->paths, key);
    if (*p != NULL && strlen((*p)->val) < outsz) {
        memcpy(out, (*p)->val, strlen((*p)->val) + 1);
        rc = 0;
    }
    pthread_mutex_unlock(&dc->lock);
    return rc;
}

void
dircache_learn(struct dircache *dc, const char *rel, const char *stored)
{
    char key[PATH_MAX];
    char *val = strdup(stored);

    if (val == NULL || path_key(rel, key, sizeof(key)) == -1) {
        free(val);
        return;
    }
    pthread_mutex_lock(&dc->lock);
    map_put(&dc->paths, key, val);
    pthread_mutex_unlock(&dc->lock);
}

void
dircache_forget(struct dircache *dc, const char *rel)
{
    char key[PATH_MAX];

    if (path_key(rel, key, sizeof(key)) == -1)
        return;
    pthread_mutex_lock(&dc->lock);
    map_del(&dc->paths, key);
    pthread_mutex_unlock(&dc->lock);
}

void
dircache_sizes(struct dircache *dc, size_t *dirs, size_t *paths)
{
    pthread_mutex_lock(&dc->lock);
    *dirs = dc->dirs.count;
    *paths = dc->paths.count;
    pthread_mutex_unlock(&dc->lock);
}
