/* debuginfod routes and the build-id index; see debuginfod.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/hex.h"
#include "util/errbuf.h"
#include "store/debuginfod.h"
#include "store/layout.h"
#include "util/log.h"

/*
 * The rebuild thread also looks at the store this often by itself, so a
 * transaction is usually indexed before any client asks: a client's first
 * request after a change is otherwise answered from the old index, and
 * debuginfod clients remember a miss (10 minutes by default).
 */
#define POLL_SEC 2
/*
 * A scan this soon after the change it follows may have raced a copy still
 * under way (a key directory made, its file not yet written). If nothing
 * changes after that, no check would notice, so such a scan is repeated
 * once, at the next poll.
 */
#define SETTLE_SEC 2

/* What the index was built from; a rebuild follows any difference. */
struct stamp {
    int ping; /* pingme.txt exists */
    ino_t ping_ino;
    struct timespec ping_m, ping_c; /* symstore touches it per transaction */
    struct timespec root_m;         /* a name directory added or removed */
};

/* Build-ids to paths: entries "id\0path", sorted by id, one per id. */
struct dindex {
    char **ents;
    size_t n, cap;
};

struct debuginfod {
    int root_fd;
    char *root; /* for log lines */
    pthread_t thread;
    bool started, sync;
    atomic_bool stop; /* set once, at debuginfod_free() */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    /* Under mu: */
    struct dindex *idx;
    struct stamp built; /* the store's state when idx's scan began */
    bool wake;          /* the store changed: rebuild now */
};

/* One directory being scanned: "<prefix><name>", relative to the root. */
struct where {
    const char *prefix;
    const char *name;
};

typedef int (*entry_fn)(struct debuginfod *d, struct dindex *x, int dir_fd,
                        const struct where *w, const char *entry);

/* Pure parts. */

static void
pad_id(const char *id, size_t n, char *padded)
{
    if (n >= DEBUGINFOD_SSQP_HEX) {
        padded[0] = '\0';
        return;
    }
    memcpy(padded, id, n);
    memset(padded + n, '0', DEBUGINFOD_SSQP_HEX - n);
    padded[DEBUGINFOD_SSQP_HEX] = '\0';
}

/* "section/<name>": a name of 1 to ELFSECT_NAME_MAX bytes 0x21-0x7e, no
 * '/' (a further segment), into out->section. */
static bool
parse_section(const char *p, struct debuginfod_req *out)
{
    size_t n = 0;

    if (strncmp(p, "section/", 8) != 0)
        return false;
    for (p += 8; p[n] != '\0'; n++) {
        unsigned char c = (unsigned char)p[n];

        if (n >= ELFSECT_NAME_MAX || c <= 0x20 || c >= 0x7f || c == '/')
            return false;
    }
    if (n == 0)
        return false;
    memcpy(out->section, p, n + 1);
    return true;
}

enum debuginfod_kind
debuginfod_parse(const char *canon, struct debuginfod_req *out)
{
    const char *p;
    size_t n;

    if (strncmp(canon, "buildid", 7) != 0 ||
        (canon[7] != '/' && canon[7] != '\0'))
        return DEBUGINFOD_NONE;
    if (canon[7] == '\0')
        return DEBUGINFOD_OTHER;
    p = canon + 8;
    n = strspn(p, "0123456789abcdef");
    if (n < 2 || n > DEBUGINFOD_HEX_MAX || n % 2 != 0 || p[n] != '/')
        return DEBUGINFOD_OTHER;
    memcpy(out->id, p, n);
    out->id[n] = '\0';
    pad_id(out->id, n, out->padded);
    out->section[0] = '\0';
    p += n + 1;
    if (parse_section(p, out))
        return DEBUGINFOD_SECTION;
    if (strcmp(p, "debuginfo") == 0)
        return DEBUGINFOD_DEBUGINFO;
    if (strcmp(p, "executable") == 0)
        return DEBUGINFOD_EXECUTABLE;
    return DEBUGINFOD_OTHER;
}

bool
debuginfod_key_id(const char *name, char *id)
{
    static const char prefix[] = "elf-buildid-";
    size_t n;

    if (strncasecmp(name, prefix, sizeof(prefix) - 1) != 0)
        return false;
    name += sizeof(prefix) - 1;
    for (n = 0; name[n] != '\0'; n++) {
        if (n >= DEBUGINFOD_HEX_MAX || hex_value((unsigned char)name[n]) < 0)
            return false;
        id[n] = (char)tolower((unsigned char)name[n]);
    }
    if (n < 2 || n % 2 != 0)
        return false;
    id[n] = '\0';
    return true;
}

size_t
debuginfod_file_value(const char *rel, char *out, size_t outsz)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)rel;
    size_t n = 0;

    if (outsz < 2)
        return 0;
    out[n++] = '/';
    for (; *p != '\0'; p++) {
        bool plain = *p > 0x20 && *p < 0x7f && *p != '%';

        if (n + (plain ? 1 : 3) >= outsz)
            return 0;
        if (plain) {
            out[n++] = (char)*p;
            continue;
        }
        out[n++] = '%';
        out[n++] = hex[*p >> 4];
        out[n++] = hex[*p & 15];
    }
    out[n] = '\0';
    return n;
}

/* The index. */

static void
index_free(struct dindex *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->n; i++)
        free(x->ents[i]);
    free(x->ents);
    free(x);
}

static int
index_add(struct dindex *x, const char *id, const char *path)
{
    size_t il = strlen(id), pl = strlen(path);
    char *e;

    if (x->n == x->cap) {
        size_t cap = x->cap > 0 ? 2 * x->cap : 64;
        char **ents = realloc(x->ents, cap * sizeof(*ents));

        if (ents == NULL)
            return -1;
        x->ents = ents;
        x->cap = cap;
    }
    e = malloc(il + pl + 2);
    if (e == NULL)
        return -1;
    memcpy(e, id, il + 1);
    memcpy(e + il + 1, path, pl + 1);
    x->ents[x->n++] = e;
    return 0;
}

static const char *
ent_path(const char *e)
{
    return e + strlen(e) + 1;
}

static int
ent_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a;
    const char *y = *(const char *const *)b;
    int c = strcmp(x, y);

    return c != 0 ? c : strcmp(ent_path(x), ent_path(y));
}

/*
 * Sorts by id, then path, and keeps the first entry of each id: when
 * several names hold one build-id, the path that sorts first byte by byte
 * wins, whatever order readdir() gave.
 */
static void
index_finish(struct dindex *x)
{
    size_t k = 0;

    if (x->n > 1)
        qsort(x->ents, x->n, sizeof(*x->ents), ent_cmp);
    for (size_t i = 0; i < x->n; i++) {
        if (k > 0 && strcmp(x->ents[k - 1], x->ents[i]) == 0) {
            free(x->ents[i]);
            continue;
        }
        x->ents[k++] = x->ents[i];
    }
    x->n = k;
}

static int
key_cmp(const void *key, const void *ent)
{
    return strcmp(key, *(const char *const *)ent);
}

static const char *
index_find(const struct dindex *x, const char *id)
{
    char *const *e;

    if (x->n == 0 || id[0] == '\0')
        return NULL;
    e = bsearch(id, x->ents, x->n, sizeof(*x->ents), key_cmp);
    return e != NULL ? ent_path(*e) : NULL;
}

/* Scanning the tree (rebuild thread, or start-up). */

/* Errors that mean "nothing to index here", not a failed scan. */
static bool
skippable(int err)
{
    return err == ENOENT || err == ENOTDIR || err == ELOOP || err == EACCES ||
           err == EPERM;
}

/*
 * Symlinked directories are not followed: a scan then stays inside the
 * root and cannot loop. The file itself may be a symlink; store_lookup()
 * decides at request time whether it may be served.
 */
static DIR *
open_dir(int parent_fd, const char *name)
{
    int fd =
        openat(parent_fd, name,
               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    DIR *dir;

    if (fd == -1)
        return NULL;
    dir = fdopendir(fd);
    if (dir == NULL) {
        int saved = errno;

        close(fd);
        errno = saved;
    }
    return dir;
}

/* Calls fn for each entry of directory w (under parent_fd); 0 or -1. */
static int
scan_dir(struct debuginfod *d, struct dindex *x, int parent_fd,
         const struct where *w, entry_fn fn)
{
    DIR *dir = open_dir(parent_fd, w->name);
    int rc = 0, saved;

    if (dir == NULL)
        return skippable(errno) ? 0 : -1;
    for (;;) {
        struct dirent *de;

        errno = 0;
        de = readdir(dir);
        if (de == NULL) {
            rc = errno != 0 ? -1 : 0;
            break;
        }
        if (atomic_load(&d->stop)) {
            errno = ECANCELED;
            rc = -1;
            break;
        }
        rc = fn(d, x, dirfd(dir), w, de->d_name);
        if (rc == -1)
            break;
    }
    saved = errno;
    closedir(dir);
    errno = saved;
    return rc;
}

/* True when dir_fd holds key/file as a regular file (symlinks followed). */
static bool
has_file(int dir_fd, const char *key, const char *file)
{
    char rel[PATH_MAX];
    struct stat st;

    return snprintf(rel, sizeof(rel), "%s/%s", key, file) < (int)sizeof(rel) &&
           fstatat(dir_fd, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/*
 * True when the key directory holds something store_lookup() may answer
 * <name> with: the file, its CAB twin (last character '_'), a file.ptr.
 */
static bool
key_holds(int dir_fd, const char *key, const char *name)
{
    char twin[NAME_MAX + 1];

    return has_file(dir_fd, key, name) ||
           has_file(dir_fd, key, LAYOUT_FILE_PTR) ||
           (layout_twin_name(name, twin, sizeof(twin)) == 0 &&
            has_file(dir_fd, key, twin));
}

/* An entry of a name directory: indexed if a key holding <name>. */
static int
on_key(struct debuginfod *d, struct dindex *x, int dir_fd,
       const struct where *w, const char *entry)
{
    char id[DEBUGINFOD_HEX_MAX + 1], rel[PATH_MAX];

    (void)d;
    if (!debuginfod_key_id(entry, id) || !key_holds(dir_fd, entry, w->name))
        return 0;
    if (snprintf(rel, sizeof(rel), "%s%s/%s/%s", w->prefix, w->name, entry,
                 w->name) >= (int)sizeof(rel) ||
        layout_is_hidden(rel, false))
        return 0;
    return index_add(x, id, rel);
}

/* Names never worth opening: hidden ones, and the debug files' name. */
static bool
indexable(const char *name)
{
    return strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           !layout_is_hidden(name, false) && strcasecmp(name, "_.debug") != 0;
}

/* An entry of a two-tier prefix directory: a name directory. */
static int
on_tier(struct debuginfod *d, struct dindex *x, int dir_fd,
        const struct where *w, const char *entry)
{
    char prefix[8];
    struct where nw = {prefix, entry};

    if (!indexable(entry))
        return 0;
    snprintf(prefix, sizeof(prefix), "%s/", w->name);
    return scan_dir(d, x, dir_fd, &nw, on_key);
}

/*
 * An entry of the root: a name directory, and, when its name has one or
 * two characters, maybe a two-tier prefix directory (index2.txt) too.
 * Both are looked at whether or not index2.txt exists: it costs one more
 * level under short names only, and nothing is indexed that is not a
 * stored file.
 */
static int
on_root(struct debuginfod *d, struct dindex *x, int dir_fd,
        const struct where *w, const char *entry)
{
    struct where nw = {"", entry};

    (void)w;
    if (!indexable(entry))
        return 0;
    if (scan_dir(d, x, dir_fd, &nw, on_key) == -1)
        return -1;
    if (strlen(entry) <= 2)
        return scan_dir(d, x, dir_fd, &nw, on_tier);
    return 0;
}

/* A new index of the whole store; NULL with errno on failure. */
static struct dindex *
index_build(struct debuginfod *d)
{
    struct dindex *x = calloc(1, sizeof(*x));
    struct where root = {"", "."};

    if (x == NULL)
        return NULL;
    if (scan_dir(d, x, d->root_fd, &root, on_root) == -1) {
        int saved = errno;

        index_free(x);
        errno = saved;
        return NULL;
    }
    index_finish(x);
    return x;
}

/* Keeping it fresh. */

static void
stamp_read(int root_fd, struct stamp *s)
{
    struct stat st;

    memset(s, 0, sizeof(*s));
    if (fstatat(root_fd, LAYOUT_PINGME, &st, 0) == 0) {
        s->ping = 1;
        s->ping_ino = st.st_ino;
        s->ping_m = st.st_mtim;
        s->ping_c = st.st_ctim; /* also moves when mtime is set back */
    }
    if (fstat(root_fd, &st) == 0)
        s->root_m = st.st_mtim;
}

static bool
ts_equal(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool
stamp_equal(const struct stamp *a, const struct stamp *b)
{
    return a->ping == b->ping && a->ping_ino == b->ping_ino &&
           ts_equal(&a->ping_m, &b->ping_m) &&
           ts_equal(&a->ping_c, &b->ping_c) && ts_equal(&a->root_m, &b->root_m);
}

/* Within SETTLE_SEC before now; a time in the future is not recent. */
static bool
ts_recent(const struct timespec *t, const struct timespec *now)
{
    time_t age = now->tv_sec - t->tv_sec;

    return age >= 0 && age < SETTLE_SEC;
}

static bool
stamp_recent(const struct stamp *s)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now); /* file times are wall-clock */
    return (s->ping &&
            (ts_recent(&s->ping_m, &now) || ts_recent(&s->ping_c, &now))) ||
           ts_recent(&s->root_m, &now);
}

/*
 * Rebuilds when the store changed since the last scan began, or when
 * forced. The stamp is read before the scan: a change during the scan
 * makes the next check differ, so it is never lost. A failed scan keeps
 * the old index, and is retried at the next change, not in a loop.
 * Returns true when the scan should be done again (SETTLE_SEC).
 */
static bool
rebuild(struct debuginfod *d, bool force)
{
    struct stamp now;
    struct dindex *x, *old = NULL;
    bool same;

    stamp_read(d->root_fd, &now);
    pthread_mutex_lock(&d->mu);
    same = stamp_equal(&now, &d->built);
    pthread_mutex_unlock(&d->mu);
    if (same && !force)
        return false;
    x = index_build(d);
    if (x == NULL && atomic_load(&d->stop))
        return false;
    if (x == NULL)
        log_warn("debuginfod index of %s: scan failed, the previous index "
                 "stays until the store changes",
                 d->root);
    pthread_mutex_lock(&d->mu);
    d->built = now;
    if (x != NULL) {
        old = d->idx;
        d->idx = x;
    }
    pthread_mutex_unlock(&d->mu);
    index_free(old);
    return x != NULL && stamp_recent(&now);
}

static void *
builder_main(void *arg)
{
    struct debuginfod *d = arg;
    bool again;

    pthread_mutex_lock(&d->mu);
    again = stamp_recent(&d->built);
    while (!atomic_load(&d->stop)) {
        if (!d->wake) {
            struct timespec until;

            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += POLL_SEC;
            pthread_cond_timedwait(&d->cv, &d->mu, &until);
            if (atomic_load(&d->stop))
                break;
        }
        d->wake = false;
        pthread_mutex_unlock(&d->mu);
        again = rebuild(d, again);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int
debuginfod_executable(struct debuginfod *d, const struct debuginfod_req *req,
                      char *out, size_t outsz)
{
    struct stamp now;
    const char *path;
    int err = ENOENT;

    stamp_read(d->root_fd, &now);
    pthread_mutex_lock(&d->mu);
    if (!stamp_equal(&now, &d->built) && !d->wake) {
        d->wake = true;
        pthread_cond_signal(&d->cv);
    }
    path = index_find(d->idx, req->id);
    if (path == NULL)
        path = index_find(d->idx, req->padded);
    if (path != NULL && strlen(path) < outsz) {
        memcpy(out, path, strlen(path) + 1);
        err = 0;
    } else if (path != NULL) {
        err = ENAMETOOLONG;
    }
    pthread_mutex_unlock(&d->mu);
    errno = err;
    return err == 0 ? 0 : -1;
}

/* Set-up and tear-down. */

static int
init_sync(struct debuginfod *d)
{
    pthread_condattr_t ca;
    int rc;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&d->mu, NULL) != 0) {
        pthread_cond_destroy(&d->cv);
        return -1;
    }
    d->sync = true;
    return 0;
}

/* The rebuild thread never takes signals: the main thread's loop does. */
static int
start_builder(struct debuginfod *d)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&d->thread, NULL, builder_main, d);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    d->started = rc == 0;
    return rc;
}

struct debuginfod *
debuginfod_new(const char *root, char *err, size_t errlen)
{
    struct debuginfod *d = calloc(1, sizeof(*d));
    int rc;

    if (d == NULL) {
        errbuf_set(err, errlen, "debuginfod index: out of memory");
        return NULL;
    }
    d->root_fd = -1;
    atomic_init(&d->stop, false);
    d->root = strdup(root);
    if (d->root == NULL || init_sync(d) == -1) {
        errbuf_set(err, errlen, "debuginfod index: out of memory");
        goto fail;
    }
    d->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->root_fd == -1) {
        errbuf_set(err, errlen, "store.root %s: %s", root, strerror(errno));
        goto fail;
    }
    stamp_read(d->root_fd, &d->built);
    d->idx = index_build(d);
    if (d->idx == NULL) {
        errbuf_set(err, errlen, "debuginfod index of %s: %s", root,
                   strerror(errno));
        goto fail;
    }
    rc = start_builder(d);
    if (rc != 0) {
        errbuf_set(err, errlen, "debuginfod index thread: %s", strerror(rc));
        goto fail;
    }
    return d;
fail:
    debuginfod_free(d);
    return NULL;
}

void
debuginfod_free(struct debuginfod *d)
{
    if (d == NULL)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        atomic_store(&d->stop, true);
        pthread_cond_signal(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
    }
    index_free(d->idx);
    if (d->sync) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
    }
    if (d->root_fd != -1)
        close(d->root_fd);
    free(d->root);
    free(d);
}
