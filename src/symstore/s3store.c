/*
 * Writing a symbol store into an S3-compatible bucket
 * (symstore/s3store.h): the disk writer on a staging directory, and the
 * uploads in the order that publishes a transaction last.
 */
#define _XOPEN_SOURCE 700 /* nftw(), mkdtemp() */

#include "symstore/s3store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "remote/txnfile.h"
#include "store/layout.h"
#include "util/errbuf.h"
#include "util/file.h"
#include "util/log.h"

struct s3store {
    struct s3 *s3;
    char url[S3URL_BUCKET_MAX + S3URL_PREFIX_MAX + 8];
    char stage[PATH_MAX - 64]; /* the temporary directory */
    char root[PATH_MAX];       /* stage + "/store" */
    bool two_tier, compress;   /* compress: of the open transaction */
    unsigned lock_wait;
    struct symstore *disk; /* the staged store, open during a transaction */
    bool locked, broken;
};

/* Staged admin files fetched before a transaction and uploaded after. */
static const char *const admin_logs[] = {"000Admin/server.txt",
                                         "000Admin/history.txt"};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

static void
stage_remove(const char *dir)
{
    if (dir[0] != '\0')
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct s3store *
s3store_open(const struct s3_conf *conf, const char *url, bool two_tier,
             unsigned lock_wait, char *err, size_t errlen)
{
    struct s3store *b = calloc(1, sizeof(*b));
    const char *tmp = getenv("TMPDIR");

    if (b == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    b->two_tier = two_tier;
    b->lock_wait = lock_wait;
    snprintf(b->url, sizeof(b->url), "%s", url);
    b->s3 = s3_open(conf, url, err, errlen);
    if (b->s3 == NULL) {
        free(b);
        return NULL;
    }
    snprintf(b->stage, sizeof(b->stage), "%s/symsrv-s3.XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(b->stage) == NULL) {
        errbuf_set(err, errlen, "%s: %s", b->stage, strerror(errno));
        b->stage[0] = '\0';
        s3store_close(b);
        return NULL;
    }
    snprintf(b->root, sizeof(b->root), "%s/store", b->stage);
    return b;
}

void
s3store_close(struct s3store *b)
{
    if (b == NULL)
        return;
    if (b->disk != NULL)
        s3store_abort(b);
    stage_remove(b->stage);
    s3_close(b->s3);
    free(b);
}

/* s3://bucket/prefix/rel, for messages. */
static const char *
url_of(const struct s3store *b, const char *rel, char *out, size_t len)
{
    size_t n = strlen(b->url);

    snprintf(out, len, "%s%s%s", b->url,
             n > 0 && b->url[n - 1] == '/' ? "" : "/", rel);
    return out;
}

/* Who holds the lock, from its object ("" when unreadable). */
static void
lock_holder(struct s3store *b, char *out, size_t len)
{
    struct file_buf body = {0};
    char err[256];

    out[0] = '\0';
    if (s3_get(b->s3, S3STORE_LOCK, &body, err, sizeof(err)) == S3_OK &&
        body.len > 0)
        snprintf(out, len, " by %.*s", (int)(body.len < 200 ? body.len : 200),
                 body.p);
    file_buf_free(&body);
}

/* PUT If-None-Match: * until it wins or lock_wait seconds went by. */
static int
lock_take(struct s3store *b, char *err, size_t errlen)
{
    char me[256], host[128] = "?", holder[256], u[1200];
    time_t now = time(NULL);
    int n;

    gethostname(host, sizeof(host) - 1);
    n = snprintf(me, sizeof(me), "%s pid %ld since %lld", host, (long)getpid(),
                 (long long)now);
    for (unsigned waited = 0;; waited++) {
        enum s3_rc rc =
            s3_put(b->s3, S3STORE_LOCK, me, (size_t)n, true, err, errlen);

        if (rc == S3_OK) {
            b->locked = true;
            return 0;
        }
        if (rc != S3_PRECONDITION)
            return -1;
        if (waited >= b->lock_wait)
            break;
        sleep(1);
    }
    lock_holder(b, holder, sizeof(holder));
    errbuf_set(err, errlen,
               "%s: another writer holds the store%s (waited %u s; if that "
               "writer is gone, delete the object)",
               url_of(b, S3STORE_LOCK, u, sizeof(u)), holder, b->lock_wait);
    return -1;
}

static void
lock_release(struct s3store *b)
{
    char err[512];

    if (b->locked &&
        s3_delete(b->s3, S3STORE_LOCK, err, sizeof(err)) != S3_OK) {
        /* The next writer will wait and then name this lock. */
        log_warnx("releasing the lock: %s", err);
    }
    b->locked = false;
}

/* stage root + "/" + rel */
static int
staged(const struct s3store *b, const char *rel, char *out, size_t len)
{
    if (file_path_join(out, len, b->root, "/", rel) == -1) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/*
 * GETs rel into the staging tree (its directories made). *found tells
 * whether the bucket had it; a missing object stages nothing.
 */
static int
fetch(struct s3store *b, const char *rel, bool *found, char *err, size_t errlen)
{
    struct file_buf body = {0};
    char path[PATH_MAX], dir[PATH_MAX], *slash;
    enum s3_rc rc = s3_get(b->s3, rel, &body, err, errlen);

    *found = rc == S3_OK;
    if (rc != S3_OK) {
        file_buf_free(&body);
        return rc == S3_NOT_FOUND ? 0 : -1;
    }
    if (staged(b, rel, path, sizeof(path)) == -1)
        goto fail;
    memcpy(dir, path, sizeof(dir));
    slash = strrchr(dir, '/');
    *slash = '\0';
    if (file_mkdirs(dir, strlen(b->stage)) == -1 ||
        file_write_atomic(path, body.p ? body.p : "", body.len) == -1)
        goto fail;
    file_buf_free(&body);
    return 0;
fail:
    errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    file_buf_free(&body);
    return -1;
}

/* Uploads the staged file rel (multipart above the part size). */
static int
upload(struct s3store *b, const char *rel, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    void *map = NULL;
    int fd = -1;
    enum s3_rc rc = S3_ERROR;

    if (staged(b, rel, path, sizeof(path)) == -1 ||
        (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
            errbuf_set(err, errlen, "%s: mmap: %s", path, strerror(errno));
            goto done;
        }
    }
    rc = s3_put_large(b->s3, rel, map ? map : "", (size_t)st.st_size, NULL, err,
                      errlen);
done:
    if (map != NULL)
        munmap(map, (size_t)st.st_size);
    if (fd != -1)
        close(fd);
    return rc == S3_OK ? 0 : -1;
}

static int
not_lock(void *arg, const char *rel, uint64_t size)
{
    (void)size;
    if (strcmp(rel, S3STORE_LOCK) == 0)
        return 0;
    *(bool *)arg = true;
    return 1;
}

/*
 * Stages what the bucket store has of 000Admin and index2.txt; *exists
 * tells whether the bucket holds a store there. A prefix holding other
 * objects and no store is refused, as symstore_open() refuses a
 * directory that is not empty and not a store.
 */
static int
stage_admin(struct s3store *b, bool *exists, char *err, size_t errlen)
{
    static const char *const names[] = {"000Admin/lastid.txt",
                                        "000Admin/server.txt",
                                        "000Admin/history.txt", LAYOUT_INDEX2};
    bool found, other = false;
    char u[1200];
    uint64_t size;
    enum s3_rc rc;

    *exists = false;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (fetch(b, names[i], &found, err, errlen) == -1)
            return -1;
        *exists = *exists || found;
    }
    rc = s3_head(b->s3, LAYOUT_PINGME, &size, err, errlen);
    if (rc == S3_ERROR)
        return -1;
    *exists = *exists || rc == S3_OK;
    if (*exists)
        return 0;
    if (s3_list(b->s3, "", not_lock, &other, err, errlen) != S3_OK)
        return -1;
    if (other) {
        errbuf_set(err, errlen,
                   "%s: not a symbol store (objects, but no 000Admin/"
                   "lastid.txt, index2.txt or pingme.txt)",
                   url_of(b, "", u, sizeof(u)));
        return -1;
    }
    return 0;
}

int
s3store_begin(struct s3store *b, const struct symstore_txn *t, char *err,
              size_t errlen)
{
    bool exists;

    if (b->disk != NULL) {
        errbuf_set(err, errlen, "a transaction is open");
        return -1;
    }
    if (lock_take(b, err, errlen) == -1)
        return -1;
    b->broken = false;
    if (stage_admin(b, &exists, err, errlen) == -1)
        goto fail;
    b->disk = symstore_open(b->root, true, b->two_tier && !exists, err, errlen);
    if (b->disk == NULL)
        goto fail;
    /* A new two-tier store says so before its first file: a reader of
     * it looks under the tier prefix. */
    if (!exists && b->two_tier && upload(b, LAYOUT_INDEX2, err, errlen) == -1)
        goto fail;
    if (symstore_begin(b->disk, t, err, errlen) == -1)
        goto fail;
    b->compress = t->compress;
    return 0;
fail:
    if (b->disk != NULL)
        symstore_close(b->disk);
    b->disk = NULL;
    lock_release(b);
    return -1;
}

/* "[<pp>/]<file>/<key>/<name>" of an entry (name: NULL for refs.ptr). */
static int
entry_rel(const struct s3store *b, const struct keys_entry *e, const char *name,
          char *out, size_t len)
{
    char pp[LAYOUT_TIER_MAX] = "", twin[KEYS_NAME_MAX + 2], idx[PATH_MAX];
    struct stat st;
    int n;

    /* The staged store's layout: index2.txt there (fetched or made). */
    if (staged(b, LAYOUT_INDEX2, idx, sizeof(idx)) == 0 && stat(idx, &st) == 0)
        layout_tier_prefix(e->file, pp);
    if (name != NULL && b->compress) {
        if (layout_twin_name(name, twin, sizeof(twin)) == -1)
            return -1;
        name = twin;
    }
    n = snprintf(out, len, "%s%s%s/%s/%s", pp, pp[0] ? "/" : "", e->file,
                 e->key, name != NULL ? name : LAYOUT_REFS_PTR);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The stored file of e, then its refs.ptr; the staged copy of the file
 * goes (the staging directory holds one file's bytes at a time). */
static int
upload_entry(struct s3store *b, const struct keys_entry *e, char *err,
             size_t errlen)
{
    char rel[PATH_MAX], path[PATH_MAX];

    if (entry_rel(b, e, e->name, rel, sizeof(rel)) == -1) {
        errbuf_set(err, errlen, "%s: name too long", e->name);
        return -1;
    }
    if (upload(b, rel, err, errlen) == -1)
        return -1;
    if (staged(b, rel, path, sizeof(path)) == 0)
        unlink(path);
    if (entry_rel(b, e, NULL, rel, sizeof(rel)) == -1)
        return -1;
    return upload(b, rel, err, errlen);
}

int
s3store_add(struct s3store *b, const char *src_path, const unsigned char *buf,
            size_t len, const struct keys_entry *e, size_t n, char *err,
            size_t errlen)
{
    char rel[PATH_MAX];
    bool found;

    if (b->disk == NULL || b->broken) {
        errbuf_set(err, errlen,
                   b->disk == NULL ? "no transaction open"
                                   : "an upload failed before");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (entry_rel(b, &e[i], NULL, rel, sizeof(rel)) == -1) {
            errbuf_set(err, errlen, "%s: name too long", e[i].name);
            return -1;
        }
        if (fetch(b, rel, &found, err, errlen) == -1)
            return -1;
    }
    if (symstore_add(b->disk, src_path, buf, len, e, n, err, errlen) == -1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (upload_entry(b, &e[i], err, errlen) == -1) {
            b->broken = true;
            return -1;
        }
    }
    return 0;
}

/* The transaction file, server.txt, history.txt, lastid.txt, pingme. */
static int
publish(struct s3store *b, long id, char *err, size_t errlen)
{
    char rel[32];

    snprintf(rel, sizeof(rel), "000Admin/%010ld", id);
    if (upload(b, rel, err, errlen) == -1 ||
        upload(b, admin_logs[0], err, errlen) == -1 ||
        upload(b, admin_logs[1], err, errlen) == -1 ||
        upload(b, "000Admin/lastid.txt", err, errlen) == -1 ||
        upload(b, LAYOUT_PINGME, err, errlen) == -1)
        return -1;
    return 0;
}

long
s3store_commit(struct s3store *b, char *err, size_t errlen)
{
    long id;

    if (b->disk == NULL) {
        errbuf_set(err, errlen, "no transaction open");
        return -1;
    }
    if (b->broken) {
        s3store_abort(b);
        errbuf_set(err, errlen,
                   "transaction not published: an upload "
                   "failed");
        return -1;
    }
    id = symstore_commit(b->disk, err, errlen);
    if (id > 0 && publish(b, id, err, errlen) == -1)
        id = -1;
    symstore_close(b->disk);
    b->disk = NULL;
    lock_release(b);
    return id;
}

void
s3store_abort(struct s3store *b)
{
    if (b->disk != NULL) {
        symstore_abort(b->disk);
        symstore_close(b->disk);
        b->disk = NULL;
    }
    lock_release(b);
}

/* The key directories of the transaction being deleted, staged. */
struct del_dirs {
    struct s3store *b;
    struct file_buf names; /* "dir/object\0" of every object listed */
    char *err;
    size_t errlen;
    bool failed;
};

/* An object of a key directory: an empty stand-in in the staging tree. */
static int
stand_in(void *arg, const char *rel, uint64_t size)
{
    struct del_dirs *d = arg;
    char path[PATH_MAX];
    int fd;

    (void)size;
    if (strcmp(strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel,
               LAYOUT_REFS_PTR) == 0)
        return file_buf_add(&d->names, rel, strlen(rel) + 1) == -1;
    if (staged(d->b, rel, path, sizeof(path)) == -1 ||
        file_buf_add(&d->names, rel, strlen(rel) + 1) == -1)
        return 1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1)
        return 1;
    close(fd);
    return 0;
}

/* Stages one key directory: its refs.ptr and stand-ins of the rest. */
static void
stage_dir(void *arg, const char *file, size_t filelen, const char *key,
          size_t keylen)
{
    struct del_dirs *d = arg;
    struct keys_entry e;
    char rel[PATH_MAX], dir[PATH_MAX];
    bool found;

    if (d->failed || filelen >= sizeof(e.file) || keylen >= sizeof(e.key))
        return;
    memcpy(e.file, file, filelen);
    e.file[filelen] = '\0';
    memcpy(e.key, key, keylen);
    e.key[keylen] = '\0';
    if (entry_rel(d->b, &e, NULL, rel, sizeof(rel)) == -1 ||
        fetch(d->b, rel, &found, d->err, d->errlen) == -1) {
        d->failed = true;
        return;
    }
    /* "<dir>/refs.ptr" -> "<dir>/": the key directory's listing */
    snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(rel, '/') - rel + 1), rel);
    if (s3_list(d->b->s3, dir, stand_in, d, d->err, d->errlen) != S3_OK)
        d->failed = true;
}

/* Deletes the objects whose stand-ins the disk writer removed, and
 * uploads (or deletes) each refs.ptr it rewrote (or removed). */
static int
apply_removals(struct s3store *b, const struct file_buf *names, char *err,
               size_t errlen)
{
    for (size_t o = 0; o < names->len; o += strlen(names->p + o) + 1) {
        const char *rel = names->p + o;
        char path[PATH_MAX];
        struct stat st;

        if (staged(b, rel, path, sizeof(path)) == -1)
            return -1;
        if (stat(path, &st) == 0) {
            if (strcmp(strrchr(rel, '/') + 1, LAYOUT_REFS_PTR) == 0 &&
                upload(b, rel, err, errlen) == -1)
                return -1;
        } else if (s3_delete(b->s3, rel, err, errlen) != S3_OK) {
            return -1;
        }
    }
    return 0;
}

/* The admin objects a delete changed, the point of publication last. */
static int
publish_delete(struct s3store *b, long id, char *err, size_t errlen)
{
    char rel[40];

    snprintf(rel, sizeof(rel), "000Admin/%010ld.deleted", id);
    if (upload(b, rel, err, errlen) == -1)
        return -1;
    snprintf(rel, sizeof(rel), "000Admin/%010ld", id);
    if (s3_delete(b->s3, rel, err, errlen) != S3_OK ||
        upload(b, admin_logs[0], err, errlen) == -1 ||
        upload(b, admin_logs[1], err, errlen) == -1 ||
        upload(b, "000Admin/lastid.txt", err, errlen) == -1 ||
        upload(b, LAYOUT_PINGME, err, errlen) == -1)
        return -1;
    return 0;
}

static int
delete_locked(struct s3store *b, long id, char *err, size_t errlen)
{
    struct del_dirs d = {b, {0}, err, errlen, false};
    char rel[32], path[PATH_MAX];
    struct file_buf txn = {0};
    bool exists, found;
    int rc = -1;

    snprintf(rel, sizeof(rel), "000Admin/%010ld", id);
    if (stage_admin(b, &exists, err, errlen) == -1 ||
        fetch(b, rel, &found, err, errlen) == -1)
        return -1;
    if (!exists || !found) {
        errbuf_set(err, errlen,
                   "transaction %ld: no such transaction (or "
                   "deleted)",
                   id);
        return -1;
    }
    if (staged(b, rel, path, sizeof(path)) == -1 ||
        file_read_all(path, false, &txn) == -1) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    txnfile_dirs(txn.p ? txn.p : "", txn.len, stage_dir, &d);
    file_buf_free(&txn);
    b->disk =
        d.failed ? NULL : symstore_open(b->root, false, false, err, errlen);
    if (b->disk != NULL && symstore_delete(b->disk, id, err, errlen) == 0 &&
        apply_removals(b, &d.names, err, errlen) == 0 &&
        publish_delete(b, id, err, errlen) == 0)
        rc = 0;
    if (b->disk != NULL)
        symstore_close(b->disk);
    b->disk = NULL;
    file_buf_free(&d.names);
    return rc;
}

int
s3store_delete(struct s3store *b, long id, char *err, size_t errlen)
{
    int rc;

    if (b->disk != NULL) {
        errbuf_set(err, errlen, "a transaction is open");
        return -1;
    }
    if (lock_take(b, err, errlen) == -1)
        return -1;
    rc = delete_locked(b, id, err, errlen);
    lock_release(b);
    return rc;
}
