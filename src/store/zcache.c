/* Compressed copies in the cache directory; see zcache.h. */
#define _GNU_SOURCE /* O_NOFOLLOW, O_DIRECTORY with strict C11 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "store/beneath.h"
#include "store/cachedir.h"
#include "store/store.h"
#include "store/zcache.h"
#include "util/clock.h"
#include "util/errbuf.h"
#include "util/file.h"
#include "util/log.h"

/* Bytes read and written per step of a compression. */
#define CHUNK (128 * 1024)

struct zcache {
    int fd; /* the cache directory */
    struct cachedir *bound;
    uint64_t min_size, max_size;
    /* What zcache_make() did, for /metrics (any thread). */
    _Atomic uint64_t made[ZCACHE_CODINGS], as_is, failed;
};

struct zcache *
zcache_new(const struct zcache_opts *opts, char *err, size_t errlen)
{
    struct zcache *z = calloc(1, sizeof(*z));

    if (z == NULL) {
        errbuf_set(err, errlen, "compressed copies: out of memory");
        return NULL;
    }
    if (mkdir(opts->dir, 0755) == -1 && errno != EEXIST) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", opts->dir,
                   strerror(errno));
        free(z);
        return NULL;
    }
    z->fd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (z->fd == -1) {
        errbuf_set(err, errlen, "store.cache_dir %s: %s", opts->dir,
                   strerror(errno));
        free(z);
        return NULL;
    }
    z->bound = opts->bound;
    z->min_size = opts->min_size;
    z->max_size = opts->max_size;
    return z;
}

void
zcache_free(struct zcache *z)
{
    if (z == NULL)
        return;
    close(z->fd);
    free(z);
}

bool
zcache_name_is_compressed(const char *name)
{
    static const char *const ext[] = {".gz",  ".zst", ".xz",  ".bz2",
                                      ".lz4", ".br",  ".zip", ".7z",
                                      ".cab", ".tgz", ".txz", ".zstd"};
    size_t n = strlen(name);

    if (n > 0 && name[n - 1] == '_') /* app.pd_: a CAB twin */
        return true;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t e = strlen(ext[i]);

        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return true;
    }
    return false;
}

bool
zcache_wants(const struct zcache *z, const char *name, const struct stat *src)
{
    uint64_t size = (uint64_t)src->st_size;

    return S_ISREG(src->st_mode) && size >= z->min_size &&
           size <= z->max_size && !zcache_name_is_compressed(name);
}

void
zcache_name(const struct stat *src, enum zcache_coding c, char *buf)
{
    snprintf(buf, ZCACHE_NAME_MAX, "%s/%llx-%llx-%llx-%llx.%lx.%s", ZCACHE_DIR,
             (unsigned long long)src->st_dev, (unsigned long long)src->st_ino,
             (unsigned long long)src->st_size,
             (unsigned long long)src->st_mtim.tv_sec,
             (unsigned long)src->st_mtim.tv_nsec,
             c == ZCACHE_ZSTD ? "zst" : "gz");
}

int
zcache_open(struct zcache *z, const struct stat *src, enum zcache_coding c,
            struct stat *st)
{
    char rel[ZCACHE_NAME_MAX];
    int fd;

    zcache_name(src, c, rel);
    fd = beneath_open(z->fd, rel,
                      O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1)
        return -1;
    if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = ENOENT; /* not ours: zcache_make() replaces it */
        return -1;
    }
    if (z->bound != NULL)
        cachedir_touch(z->bound, (uint64_t)st->st_ino);
    if (st->st_size == 0) {
        close(fd);
        errno = ENODATA;
        return -1;
    }
    return fd;
}

/* Reads n bytes at off; ESTALE when the file ends first (it shrank). */
static int
read_at(int fd, unsigned char *buf, size_t n, uint64_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));

        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1)
            return -1;
        if (r == 0) {
            errno = ESTALE;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Magic numbers of compressed formats (and CAB): not worth another go. */
static bool
magic_is_compressed(const unsigned char *p, size_t n)
{
    static const struct {
        const char *m;
        size_t len;
    } magic[] = {
        {"MSCF\0\0\0\0", 8},           /* CAB */
        {"\x1f\x8b", 2},               /* gzip */
        {"\x28\xb5\x2f\xfd", 4},       /* zstd */
        {"\xfd\x37\x7a\x58\x5a\0", 6}, /* xz */
        {"BZh", 3},                    /* bzip2 */
        {"PK\x03\x04", 4},             /* zip */
        {"7z\xbc\xaf\x27\x1c", 6},     /* 7-Zip */
    };

    for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
        if (n >= magic[i].len && memcmp(p, magic[i].m, magic[i].len) == 0)
            return true;
    return false;
}

/* The state of one compression: the buffers and the stream. */
struct squeeze {
    int in, out;
    uint64_t size, off; /* of the source: total, read so far */
    uint64_t written;
    unsigned char *ibuf, *obuf;
};

/* Reads the next chunk of the source into ibuf; returns its length. */
static int
next_chunk(struct squeeze *q, size_t *n)
{
    uint64_t left = q->size - q->off;

    *n = left < CHUNK ? (size_t)left : CHUNK;
    if (read_at(q->in, q->ibuf, *n, q->off) == -1)
        return -1;
    q->off += *n;
    return 0;
}

static int
put_out(struct squeeze *q, size_t n)
{
    if (file_write_all(q->out, q->obuf, n) == -1)
        return -1;
    q->written += n;
    return 0;
}

/* gzip (RFC 1952) through zlib: a header with no name and mtime 0, so
 * that the same file always gives the same bytes. */
static int
squeeze_gzip(struct squeeze *q)
{
    z_stream zs = {0};
    int flush, rc = Z_OK;

    if (deflateInit2(&zs, ZCACHE_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        return -1;
    }
    do {
        size_t n;

        if (next_chunk(q, &n) == -1)
            goto fail;
        zs.next_in = q->ibuf;
        zs.avail_in = (uInt)n;
        flush = q->off == q->size ? Z_FINISH : Z_NO_FLUSH;
        do {
            zs.next_out = q->obuf;
            zs.avail_out = CHUNK;
            rc = deflate(&zs, flush);
            if (rc == Z_STREAM_ERROR || put_out(q, CHUNK - zs.avail_out) == -1)
                goto fail;
        } while (zs.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? 0 : (errno = EIO, -1);
fail:
    if (rc == Z_STREAM_ERROR)
        errno = EIO;
    deflateEnd(&zs);
    return -1;
}

/* One zstd frame with the content size and a checksum (RFC 8878). */
static int
squeeze_zstd(struct squeeze *q)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_EndDirective end;
    size_t left = 1;

    if (cc == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel,
                                            ZCACHE_ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, q->size)))
        goto nomem;
    do {
        size_t n;
        ZSTD_inBuffer ib;

        if (next_chunk(q, &n) == -1)
            goto fail;
        ib = (ZSTD_inBuffer){q->ibuf, n, 0};
        end = q->off == q->size ? ZSTD_e_end : ZSTD_e_continue;
        do {
            ZSTD_outBuffer ob = {q->obuf, CHUNK, 0};

            left = ZSTD_compressStream2(cc, &ob, &ib, end);
            if (ZSTD_isError(left)) {
                errno = EIO;
                goto fail;
            }
            if (put_out(q, ob.pos) == -1)
                goto fail;
        } while (end == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
    } while (end != ZSTD_e_end);
    ZSTD_freeCCtx(cc);
    return 0;
nomem:
    errno = ENOMEM;
fail:
    ZSTD_freeCCtx(cc);
    return -1;
}

/* Did the source change while it was read (a write in place)? */
static bool
source_changed(int fd, const struct stat *src)
{
    struct stat now;

    return fstat(fd, &now) == -1 || now.st_size != src->st_size ||
           now.st_mtim.tv_sec != src->st_mtim.tv_sec ||
           now.st_mtim.tv_nsec != src->st_mtim.tv_nsec;
}

/*
 * Writes the copy (or, when it would not save 1/16 of the file or the
 * file is compressed by its magic, nothing: the marker) into ofd.
 */
static int
fill(int src_fd, const struct stat *src, enum zcache_coding c, int ofd)
{
    struct squeeze q = {src_fd, ofd, (uint64_t)src->st_size, 0, 0, NULL, NULL};
    int rc = -1;

    q.ibuf = malloc(CHUNK);
    q.obuf = malloc(CHUNK);
    if (q.ibuf == NULL || q.obuf == NULL) {
        errno = ENOMEM;
    } else if (read_at(src_fd, q.ibuf, q.size < 8 ? (size_t)q.size : 8, 0) ==
               0) {
        if (magic_is_compressed(q.ibuf, q.size < 8 ? (size_t)q.size : 8))
            rc = 0;
        else
            rc = c == ZCACHE_ZSTD ? squeeze_zstd(&q) : squeeze_gzip(&q);
    }
    if (rc == 0 && source_changed(src_fd, src)) {
        errno = ESTALE;
        rc = -1;
    }
    if (rc == 0 && q.written > q.size - q.size / 16 && ftruncate(ofd, 0) == -1)
        rc = -1;
    free(q.ibuf);
    free(q.obuf);
    return rc;
}

/* Makes name in dir_fd through a temporary renamed whole; its stat in st. */
static int
make_copy(int dir_fd, const char *name, int src_fd, const struct stat *src,
          enum zcache_coding c, struct stat *st)
{
    char tmp[NAME_MAX + 1];
    int ofd, rc, e;

    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", name, (long)getpid());
    unlinkat(dir_fd, tmp, 0); /* a crash's, or a hostile hand's */
    ofd = openat(dir_fd, tmp,
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (ofd == -1)
        return -1;
    rc = fill(src_fd, src, c, ofd);
    e = errno;
    if (rc == 0)
        rc = fstat(ofd, st);
    close(ofd);
    if (rc == 0 && renameat(dir_fd, tmp, dir_fd, name) == 0)
        return 0;
    e = rc == 0 ? errno : e;
    unlinkat(dir_fd, tmp, 0);
    errno = e;
    return -1;
}

/* Makes the copy with the lock held; a copy already there is kept. */
static int
make_locked(struct zcache *z, int dir_fd, const char *rel, const char *name,
            int src_fd, const struct stat *src, enum zcache_coding c)
{
    struct stat st;
    uint64_t t0 = clock_monotonic_ns();

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
        return 0;
    log_debug("compress %s: start", rel);
    if (make_copy(dir_fd, name, src_fd, src, c, &st) == -1) {
        atomic_fetch_add_explicit(&z->failed, 1, memory_order_relaxed);
        return -1;
    }
    atomic_fetch_add_explicit(st.st_size == 0 ? &z->as_is : &z->made[c], 1,
                              memory_order_relaxed);
    if (z->bound != NULL &&
        !cachedir_add(z->bound, rel, (uint64_t)st.st_ino, (uint64_t)st.st_size))
        log_warnx("compress %s: %lld bytes, over store.cache_max_mib: "
                  "kept alone until the next cached file",
                  rel, (long long)st.st_size);
    /* Last: once this line is out, the copy is served and counted. */
    log_debug("compress %s: %lld to %lld bytes in %ld ms", rel,
              (long long)src->st_size, (long long)st.st_size,
              (long)((clock_monotonic_ns() - t0) / CLOCK_NS_PER_MS));
    return 0;
}

void
zcache_counts(struct zcache *z, struct zcache_counts *out)
{
    for (int c = 0; c < ZCACHE_CODINGS; c++)
        out->made[c] = atomic_load_explicit(&z->made[c], memory_order_relaxed);
    out->as_is = atomic_load_explicit(&z->as_is, memory_order_relaxed);
    out->failed = atomic_load_explicit(&z->failed, memory_order_relaxed);
}

int
zcache_make(struct zcache *z, int src_fd, const struct stat *src,
            enum zcache_coding c)
{
    char rel[ZCACHE_NAME_MAX];
    const char *name;
    int dfd, lfd, rc, e;

    zcache_name(src, c, rel);
    dfd = store_cache_dir_of(z->fd, rel, &name);
    if (dfd == -1)
        return -1;
    lfd = store_cache_lock(dfd, name);
    if (lfd == -1) {
        e = errno;
        close(dfd);
        errno = e;
        return -1;
    }
    rc = make_locked(z, dfd, rel, name, src_fd, src, c);
    e = errno;
    close(lfd); /* releases the lock */
    close(dfd);
    errno = e;
    return rc;
}
