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
#include "store/ids.h"
#include "store/layout.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/symname.h"

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

/*
 * The identifier index: every indexed stored file as one record in a
 * chunk of the index's arena, "<kind><idlen><id bytes><path>\0", and a
 * sorted array of pointers to the records. One record costs its path, its
 * id's bytes, two bytes and a pointer; there is no allocation per entry.
 */
struct chunk {
    struct chunk *next;
    size_t used;
    unsigned char data[];
};

struct dindex {
    const unsigned char **ents;
    size_t n, cap;
    struct chunk *chunks; /* newest first */
    size_t bytes;         /* allocated for chunks and ents */
};

struct debuginfod {
    int root_fd;
    char *root; /* for log lines */
    pthread_t thread;
    bool started, sync;
    atomic_bool stop; /* set once, at debuginfod_free() */
    /* CLOCK_MONOTONIC ns at which the scan of debuginfod_new() gives up
     * (ETIMEDOUT); 0: none. Read by the scanning thread only. */
    uint64_t deadline_ns;
    atomic_bool ready; /* a whole index was built once */
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

/* Big enough for any record: 2 + IDS_ID_MAX + PATH_MAX bytes. */
#define CHUNK_SIZE ((size_t)1 << 20)
#define REC_ID 2 /* a record's id starts here, after kind and idlen */

static void
index_free(struct dindex *x)
{
    if (x == NULL)
        return;
    while (x->chunks != NULL) {
        struct chunk *c = x->chunks;

        x->chunks = c->next;
        free(c);
    }
    free(x->ents);
    free(x);
}

/* Room for need bytes in the newest chunk, starting a new one if full. */
static unsigned char *
arena_take(struct dindex *x, size_t need)
{
    struct chunk *c = x->chunks;

    if (c == NULL || CHUNK_SIZE - c->used < need) {
        c = malloc(sizeof(*c) + CHUNK_SIZE);
        if (c == NULL)
            return NULL;
        c->next = x->chunks;
        c->used = 0;
        x->chunks = c;
        x->bytes += sizeof(*c) + CHUNK_SIZE;
    }
    c->used += need;
    return c->data + c->used - need;
}

static int
index_add(struct dindex *x, enum debuginfod_ent kind, const unsigned char *id,
          size_t idlen, const char *path)
{
    size_t pl = strlen(path) + 1;
    unsigned char *r;

    if (x->n == x->cap) {
        size_t cap = x->cap > 0 ? 2 * x->cap : 1024;
        const unsigned char **ents = realloc(x->ents, cap * sizeof(*ents));

        if (ents == NULL)
            return -1;
        x->bytes += (cap - x->cap) * sizeof(*ents);
        x->ents = ents;
        x->cap = cap;
    }
    r = arena_take(x, REC_ID + idlen + pl);
    if (r == NULL)
        return -1;
    r[0] = (unsigned char)kind;
    r[1] = (unsigned char)idlen;
    memcpy(r + REC_ID, id, idlen);
    memcpy(r + REC_ID + idlen, path, pl);
    x->ents[x->n++] = r;
    return 0;
}

static const char *
rec_path(const unsigned char *r)
{
    return (const char *)r + REC_ID + r[1];
}

/* Orders by kind, then id (a shorter id before the longer ones it
 * starts), then path. */
static int
rec_key_cmp(const unsigned char *r, enum debuginfod_ent kind,
            const unsigned char *id, size_t n)
{
    size_t m = r[1] < n ? r[1] : n;
    int c;

    if (r[0] != (unsigned char)kind)
        return r[0] < (unsigned char)kind ? -1 : 1;
    c = memcmp(r + REC_ID, id, m);
    if (c != 0)
        return c;
    return r[1] == n ? 0 : (r[1] < n ? -1 : 1);
}

static int
ent_cmp(const void *a, const void *b)
{
    const unsigned char *x = *(const unsigned char *const *)a;
    const unsigned char *y = *(const unsigned char *const *)b;
    int c = rec_key_cmp(x, (enum debuginfod_ent)y[0], y + REC_ID, y[1]);

    return c != 0 ? c : strcmp(rec_path(x), rec_path(y));
}

/*
 * Sorts the records. Every record stays: one build-id may be stored
 * under several names, and Backtrace asks by name. Among the records of
 * one id, paths sort byte by byte, so the answer that names no name (a
 * debuginfod executable) is the path that sorts first, whatever order
 * readdir() gave.
 */
static void
index_finish(struct dindex *x)
{
    if (x->n > 1)
        qsort(x->ents, x->n, sizeof(*x->ents), ent_cmp);
}

/* The index of the first record not ordered before (kind, id[0..n)). */
static size_t
lower_bound(const struct dindex *x, enum debuginfod_ent kind,
            const unsigned char *id, size_t n)
{
    size_t lo = 0, hi = x->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (rec_key_cmp(x->ents[mid], kind, id, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The name segment of a stored path "[tier/]name/key/file". */
static bool
rec_name_is(const char *path, const char *name)
{
    const char *file = strrchr(path, '/'), *key, *start;
    size_t len;

    if (file == NULL)
        return false;
    for (key = file; key > path && key[-1] != '/'; key--)
        ;
    if (key == path)
        return false;
    for (start = key - 1; start > path && start[-1] != '/'; start--)
        ;
    len = (size_t)(key - 1 - start);
    return strlen(name) == len && strncasecmp(start, name, len) == 0;
}

/*
 * The first record of kind whose id is id[0..n) (prefix: starts with
 * it) and, name not NULL, whose name segment is name, case-blind.
 */
static const unsigned char *
index_find(const struct dindex *x, enum debuginfod_ent kind,
           const unsigned char *id, size_t n, bool prefix, const char *name)
{
    for (size_t i = lower_bound(x, kind, id, n); i < x->n; i++) {
        const unsigned char *r = x->ents[i];

        if (r[0] != (unsigned char)kind || r[1] < n ||
            memcmp(r + REC_ID, id, n) != 0 || (!prefix && r[1] != n))
            break;
        if (name == NULL || rec_name_is(rec_path(r), name))
            return r;
    }
    return NULL;
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
        if (d->deadline_ns != 0 && clock_monotonic_ns() > d->deadline_ns) {
            errno = ETIMEDOUT;
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

/* Adds kind's record for the stored file <prefix><name>/<key>/<file>. */
static int
add_stored(struct dindex *x, const struct where *w, const char *key,
           const char *file, enum debuginfod_ent kind, const unsigned char *id,
           size_t idlen)
{
    char rel[PATH_MAX];

    if (snprintf(rel, sizeof(rel), "%s%s/%s/%s", w->prefix, w->name, key,
                 file) >= (int)sizeof(rel) ||
        layout_is_hidden(rel, false))
        return 0;
    return index_add(x, kind, id, idlen, rel);
}

/* A debug id as record bytes: the GUID, then the age big-endian. */
static size_t
debug_bytes(const struct ids_debug *dbg, unsigned char *out)
{
    memcpy(out, dbg->guid, IDS_GUID_LEN);
    for (int i = 0; i < 4; i++)
        out[IDS_GUID_LEN + i] = (unsigned char)(dbg->age >> (24 - 8 * i));
    return IDS_GUID_LEN + 4;
}

/*
 * A key directory named like a debug id (GUID + age): a PDB when the name
 * ends in .pdb and the key holds it, a Breakpad file when the key holds
 * the name symsrv add gives one (both may be there).
 */
static int
on_debug_key(struct dindex *x, int dir_fd, const struct where *w,
             const char *entry, const struct ids_debug *dbg)
{
    unsigned char id[IDS_ID_MAX];
    size_t idlen = debug_bytes(dbg, id), n = strlen(w->name);
    char sym[NAME_MAX + 1];

    if (n > 4 && strcasecmp(w->name + n - 4, ".pdb") == 0 &&
        key_holds(dir_fd, entry, w->name) &&
        add_stored(x, w, entry, w->name, DEBUGINFOD_ENT_PDB, id, idlen) == -1)
        return -1;
    if (symname_breakpad(w->name, n, sym, sizeof(sym)) > 0 &&
        has_file(dir_fd, entry, sym))
        return add_stored(x, w, entry, sym, DEBUGINFOD_ENT_BREAKPAD, id, idlen);
    return 0;
}

/* An entry of a name directory: indexed if a key the index knows. */
static int
on_key(struct debuginfod *d, struct dindex *x, int dir_fd,
       const struct where *w, const char *entry)
{
    unsigned char id[IDS_ID_MAX];
    size_t idlen = 0;
    struct ids_debug dbg;

    (void)d;
    switch (ids_key_parse(entry, id, &idlen, &dbg)) {
    case IDS_KEY_ELF:
        if (!key_holds(dir_fd, entry, w->name))
            return 0;
        return add_stored(x, w, entry, w->name, DEBUGINFOD_ENT_ELF, id, idlen);
    case IDS_KEY_MACHO:
        if (!key_holds(dir_fd, entry, w->name))
            return 0;
        return add_stored(x, w, entry, w->name, DEBUGINFOD_ENT_MACHO, id,
                          idlen);
    case IDS_KEY_DEBUG:
        return on_debug_key(x, dir_fd, w, entry, &dbg);
    case IDS_KEY_NONE:
        break;
    }
    return 0;
}

/* Names never worth opening: hidden ones, and the debug files' names
 * (found by their key alone: _.debug/elf-buildid-sym-<id>/_.debug,
 * _.dwarf/mach-uuid-sym-<uuid>/_.dwarf). */
static bool
indexable(const char *name)
{
    return strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           !layout_is_hidden(name, false) && strcasecmp(name, "_.debug") != 0 &&
           strcasecmp(name, "_.dwarf") != 0;
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
    if (x != NULL && !atomic_exchange(&d->ready, true))
        log_info("identifier index of %s: built in the background, %zu "
                 "files",
                 d->root, x->n);
    return x != NULL && stamp_recent(&now);
}

static void *
builder_main(void *arg)
{
    struct debuginfod *d = arg;
    bool again;

    pthread_mutex_lock(&d->mu);
    /* A first index left undone by debuginfod_new() is built at once. */
    again = !atomic_load(&d->ready) || stamp_recent(&d->built);
    d->wake = d->wake || !atomic_load(&d->ready);
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

/* Under d->mu: wakes the rebuild thread when the store changed. */
static void
wake_if_changed(struct debuginfod *d, const struct stamp *now)
{
    if (!stamp_equal(now, &d->built) && !d->wake) {
        d->wake = true;
        pthread_cond_signal(&d->cv);
    }
}

/* An ELF record by whole build-id: as asked, then SSQP's zero-padded id. */
static const unsigned char *
find_elf(const struct dindex *x, const unsigned char *id, size_t n,
         const char *name)
{
    unsigned char padded[IDS_SSQP_LEN] = {0};
    const unsigned char *r =
        index_find(x, DEBUGINFOD_ENT_ELF, id, n, false, name);

    if (r == NULL && n < IDS_SSQP_LEN) {
        memcpy(padded, id, n);
        r = index_find(x, DEBUGINFOD_ENT_ELF, padded, IDS_SSQP_LEN, false,
                       name);
    }
    return r;
}

int
debuginfod_executable(struct debuginfod *d, const struct debuginfod_req *req,
                      char *out, size_t outsz)
{
    unsigned char id[IDS_ID_MAX];
    size_t n = 0;
    struct stamp now;
    const unsigned char *r = NULL;
    int err = ENOENT;

    stamp_read(d->root_fd, &now);
    pthread_mutex_lock(&d->mu);
    wake_if_changed(d, &now);
    if (ids_parse_hex(req->id, strlen(req->id), id, &n))
        r = find_elf(d->idx, id, n, NULL);
    if (r != NULL && strlen(rec_path(r)) < outsz) {
        memcpy(out, rec_path(r), strlen(rec_path(r)) + 1);
        err = 0;
    } else if (r != NULL) {
        err = ENAMETOOLONG;
    }
    pthread_mutex_unlock(&d->mu);
    errno = err;
    return err == 0 ? 0 : -1;
}

/* Appends a candidate path; one that does not fit is dropped. */
static void
cand_add(struct debuginfod_cands *c, const char *a, const char *b,
         const char *z)
{
    char *out = c->path[c->n];
    int len;

    if (c->n == DEBUGINFOD_CANDS)
        return;
    len = snprintf(out, sizeof(c->path[c->n]), "%s%s%s", a, b, z);
    if (len > 0 && (size_t)len < sizeof(c->path[c->n]))
        c->n++;
}

/* The debug file of ELF build-id id[0..n), under its SSQP key. */
static void
cand_elf_debug(struct debuginfod_cands *c, const unsigned char *id, size_t n)
{
    unsigned char padded[IDS_ID_MAX] = {0};
    char hex[2 * IDS_ID_MAX + 1];

    memcpy(padded, id, n);
    hex_encode(padded, n < IDS_SSQP_LEN ? IDS_SSQP_LEN : n, false, hex);
    cand_add(c, "_.debug/elf-buildid-sym-", hex, "/_.debug");
}

/* The dSYM DWARF file of a Mach-O UUID, under its SSQP key. */
static void
cand_dsym(struct debuginfod_cands *c, const unsigned char *uuid)
{
    char hex[2 * IDS_GUID_LEN + 1];

    hex_encode(uuid, IDS_GUID_LEN, false, hex);
    cand_add(c, "_.dwarf/mach-uuid-sym-", hex, "/_.dwarf");
}

static void
cand_rec(struct debuginfod_cands *c, const unsigned char *r)
{
    if (r != NULL)
        cand_add(c, rec_path(r), "", "");
}

/*
 * An ELF or Mach-O module: the file with debug information first
 * (Backtrace wants it; it is tried, not indexed), then the one the index
 * found.
 */
static void
cand_module(struct debuginfod_cands *c, const unsigned char *r)
{
    if (r == NULL)
        return;
    if (r[0] == DEBUGINFOD_ENT_ELF)
        cand_elf_debug(c, r + REC_ID, r[1]);
    else
        cand_dsym(c, r + REC_ID);
    cand_rec(c, r);
}

/* <name>/<id>/<name>: an ELF or Mach-O module by debug id or code id. */
static void
ids_file(const struct dindex *x, const struct ids_req *q,
         struct debuginfod_cands *c)
{
    unsigned char guid[IDS_GUID_LEN];

    if (q->has_debug && q->debug.age == 0) {
        ids_elf_guid(q->debug.guid, IDS_GUID_LEN, guid);
        cand_module(c, index_find(x, DEBUGINFOD_ENT_ELF, guid, IDS_GUID_LEN,
                                  true, q->name));
        cand_module(c, index_find(x, DEBUGINFOD_ENT_MACHO, q->debug.guid,
                                  IDS_GUID_LEN, false, q->name));
    }
    if (q->codelen > 0)
        cand_module(c, find_elf(x, q->code, q->codelen, q->name));
    if (q->codelen == IDS_GUID_LEN)
        cand_module(c, index_find(x, DEBUGINFOD_ENT_MACHO, q->code,
                                  IDS_GUID_LEN, false, q->name));
}

/* A Breakpad file or a PDB by debug id; name NULL: any name. */
static const unsigned char *
find_debug(const struct dindex *x, enum debuginfod_ent kind,
           const struct ids_debug *dbg, const char *name)
{
    unsigned char id[IDS_ID_MAX];
    size_t n = debug_bytes(dbg, id);

    return index_find(x, kind, id, n, false, name);
}

/*
 * A Breakpad file: by the debug id asked, or by the debug ids a code id
 * stands for (an ELF build-id converted; a 16-byte id may also be a
 * Mach-O UUID, which is its own GUID). Age 0 for both.
 */
static void
ids_breakpad(const struct dindex *x, const struct ids_req *q, const char *name,
             struct debuginfod_cands *c)
{
    struct ids_debug dbg = {.age = 0};

    if (q->has_debug)
        cand_rec(c, find_debug(x, DEBUGINFOD_ENT_BREAKPAD, &q->debug, name));
    if (q->codelen > 0) {
        ids_elf_guid(q->code, q->codelen, dbg.guid);
        cand_rec(c, find_debug(x, DEBUGINFOD_ENT_BREAKPAD, &dbg, name));
    }
    if (q->codelen == IDS_GUID_LEN) {
        memcpy(dbg.guid, q->code, IDS_GUID_LEN);
        cand_rec(c, find_debug(x, DEBUGINFOD_ENT_BREAKPAD, &dbg, name));
    }
}

/* symbolicator's unified layout: ids without names. */
static void
ids_unified(const struct dindex *x, const struct ids_req *q,
            struct debuginfod_cands *c)
{
    switch (q->what) {
    case IDS_WHAT_EXECUTABLE:
        if (q->codelen > 0)
            cand_rec(c, find_elf(x, q->code, q->codelen, NULL));
        if (q->codelen == IDS_GUID_LEN)
            cand_rec(c, index_find(x, DEBUGINFOD_ENT_MACHO, q->code,
                                   IDS_GUID_LEN, false, NULL));
        break;
    case IDS_WHAT_DEBUGINFO:
        if (q->codelen > 0)
            cand_elf_debug(c, q->code, q->codelen);
        if (q->codelen == IDS_GUID_LEN)
            cand_dsym(c, q->code);
        if (q->has_debug)
            cand_rec(c, find_debug(x, DEBUGINFOD_ENT_PDB, &q->debug, NULL));
        break;
    case IDS_WHAT_BREAKPAD:
        ids_breakpad(x, q, NULL, c);
        break;
    }
}

void
debuginfod_ids(struct debuginfod *d, enum ids_form form,
               const struct ids_req *q, struct debuginfod_cands *c)
{
    struct stamp now;

    c->n = 0;
    if (form == IDS_FORM_NONE)
        return;
    stamp_read(d->root_fd, &now);
    pthread_mutex_lock(&d->mu);
    wake_if_changed(d, &now);
    if (form == IDS_FORM_FILE)
        ids_file(d->idx, q, c);
    else if (form == IDS_FORM_SYM)
        ids_breakpad(d->idx, q, q->name, c);
    else
        ids_unified(d->idx, q, c);
    pthread_mutex_unlock(&d->mu);
}

size_t
debuginfod_index_size(struct debuginfod *d, size_t *bytes)
{
    size_t n;

    pthread_mutex_lock(&d->mu);
    n = d->idx->n;
    *bytes = d->idx->bytes;
    pthread_mutex_unlock(&d->mu);
    return n;
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

/*
 * The first index, built within budget_ms; past it, an empty one for the
 * builder thread to replace. NULL with errno when the scan failed.
 */
static struct dindex *
first_index(struct debuginfod *d, unsigned budget_ms)
{
    struct dindex *x = NULL;

    if (budget_ms > 0) {
        d->deadline_ns =
            clock_monotonic_ns() + (uint64_t)budget_ms * CLOCK_NS_PER_MS;
        x = index_build(d);
        d->deadline_ns = 0;
        if (x != NULL) {
            atomic_store(&d->ready, true);
            return x;
        }
        if (errno != ETIMEDOUT)
            return NULL;
        log_warnx("identifier index of %s: not built within %u ms, built "
                  "in the background: until it is done, Breakpad and code "
                  "id, unified and debuginfod executable lookups miss",
                  d->root, budget_ms);
    }
    x = calloc(1, sizeof(*x));
    if (x != NULL)
        index_finish(x);
    return x;
}

bool
debuginfod_ready(struct debuginfod *d)
{
    return atomic_load(&d->ready);
}

struct debuginfod *
debuginfod_new(const char *root, unsigned budget_ms, char *err, size_t errlen)
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
    atomic_init(&d->ready, false);
    d->idx = first_index(d, budget_ms);
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
