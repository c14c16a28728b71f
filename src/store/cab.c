/* CAB expansion with libmspack; see cab.h. */
#include <errno.h>
#include <fcntl.h>
#include <mspack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errbuf.h"
#include "store/cab.h"

static const char *
mspack_reason(int code)
{
    switch (code) {
    case MSPACK_ERR_OPEN:
        return "cannot open";
    case MSPACK_ERR_READ:
        return "read error (truncated?)";
    case MSPACK_ERR_WRITE:
        return "write error";
    case MSPACK_ERR_SEEK:
        return "seek error (truncated?)";
    case MSPACK_ERR_NOMEMORY:
        return "out of memory";
    case MSPACK_ERR_SIGNATURE:
        return "not a cabinet";
    case MSPACK_ERR_DATAFORMAT:
        return "bad data format";
    case MSPACK_ERR_CHECKSUM:
        return "checksum mismatch";
    case MSPACK_ERR_DECRUNCH:
        return "corrupt compressed data";
    }
    return "unknown error";
}

/* The member named want, or the only member; NULL if neither. */
static struct mscabd_file *
pick(struct mscabd_cabinet *cab, const char *want)
{
    struct mscabd_file *f;

    for (f = cab->files; f != NULL; f = f->next)
        if (strcasecmp(f->filename, want) == 0)
            return f;
    return cab->files != NULL && cab->files->next == NULL ? cab->files : NULL;
}

/*
 * libmspack's I/O on two descriptors instead of its own fopen() of
 * names: the caller opens both (the output beneath the cache, never
 * through a symlink), and a failed write keeps its errno, so a full disk
 * (ENOSPC, EDQUOT) or EIO is told apart from a bad cabinet. The names
 * libmspack passes are FD_IN and FD_OUT.
 */
struct fd_sys {
    struct mspack_system sys; /* first: libmspack hands back this */
    int in_fd, out_fd;
    int io_errno;      /* errno of the first failed read or write */
    uint64_t max_size; /* bytes the output may take */
};

/* One open "file": a descriptor with its own offset (pread/pwrite), as
 * libmspack opens the cabinet more than once. */
struct fd_file {
    struct fd_sys *sys;
    int fd;
    off_t off;
};

#define FD_IN "in"
#define FD_OUT "out"

static struct mspack_file *
fd_open(struct mspack_system *self, const char *name, int mode)
{
    struct fd_sys *fs = (struct fd_sys *)self;
    struct fd_file *f;

    if ((mode == MSPACK_SYS_OPEN_READ && strcmp(name, FD_IN) != 0) ||
        (mode == MSPACK_SYS_OPEN_WRITE && strcmp(name, FD_OUT) != 0) ||
        (mode != MSPACK_SYS_OPEN_READ && mode != MSPACK_SYS_OPEN_WRITE))
        return NULL;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->sys = fs;
    f->fd = mode == MSPACK_SYS_OPEN_READ ? fs->in_fd : fs->out_fd;
    return (struct mspack_file *)f;
}

static void
fd_close(struct mspack_file *file)
{
    free(file);
}

static void
fd_failed(struct fd_file *f)
{
    if (f->sys->io_errno == 0)
        f->sys->io_errno = errno;
}

static int
fd_read(struct mspack_file *file, void *buf, int bytes)
{
    struct fd_file *f = (struct fd_file *)file;
    int done = 0;

    while (done < bytes) {
        ssize_t r =
            pread(f->fd, (char *)buf + done, (size_t)(bytes - done), f->off);

        if (r == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            fd_failed(f);
            return -1;
        }
        if (r == 0)
            break;
        done += (int)r;
        f->off += r;
    }
    return done;
}

static int
fd_write(struct mspack_file *file, void *buf, int bytes)
{
    struct fd_file *f = (struct fd_file *)file;
    int done = 0;

    /* The member's declared size was checked; this stops a decompressor
     * that would write beyond it all the same. */
    if (f->fd == f->sys->out_fd && bytes > 0 &&
        (uint64_t)f->off + (uint64_t)bytes > f->sys->max_size) {
        errno = EFBIG;
        fd_failed(f);
        return -1;
    }
    while (done < bytes) {
        ssize_t w = pwrite(f->fd, (const char *)buf + done,
                           (size_t)(bytes - done), f->off);

        if (w == -1 && errno == EINTR)
            continue;
        if (w == -1) {
            fd_failed(f);
            return -1;
        }
        done += (int)w;
        f->off += w;
    }
    return done;
}

static int
fd_seek(struct mspack_file *file, off_t offset, int mode)
{
    struct fd_file *f = (struct fd_file *)file;
    struct stat st;
    off_t base = 0;

    if (mode == MSPACK_SYS_SEEK_CUR) {
        base = f->off;
    } else if (mode == MSPACK_SYS_SEEK_END) {
        if (fstat(f->fd, &st) == -1)
            return -1;
        base = st.st_size;
    } else if (mode != MSPACK_SYS_SEEK_START) {
        return -1;
    }
    if (base + offset < 0)
        return -1;
    f->off = base + offset;
    return 0;
}

static off_t
fd_tell(struct mspack_file *file)
{
    return ((struct fd_file *)file)->off;
}

static void
fd_message(struct mspack_file *file, const char *format, ...)
{
    (void)file;
    (void)format;
}

static void *
fd_alloc(struct mspack_system *self, size_t bytes)
{
    (void)self;
    return malloc(bytes);
}

static void
fd_free(void *p)
{
    free(p);
}

static void
fd_copy(void *src, void *dest, size_t bytes)
{
    memmove(dest, src, bytes);
}

/* The reason of a failed extraction; errno set for the caller. */
static void
failed(const struct fd_sys *fs, int code, char *err, size_t errlen)
{
    if (fs->io_errno != 0) {
        errbuf_set(err, errlen, "%s: %s", mspack_reason(code),
                   strerror(fs->io_errno));
        errno = fs->io_errno;
    } else {
        errbuf_set(err, errlen, "%s", mspack_reason(code));
        errno = code == MSPACK_ERR_NOMEMORY ? ENOMEM : EINVAL;
    }
}

static int
extract(struct mscab_decompressor *cabd, struct mscabd_cabinet *cab,
        const struct fd_sys *fs, const char *want, char *err, size_t errlen)
{
    struct mscabd_file *f = pick(cab, want);
    char out[] = FD_OUT; /* libmspack takes char * */
    struct stat st;
    int rc;

    if (f == NULL) {
        errbuf_set(err, errlen, "no member named %s", want);
        errno = EINVAL;
        return -1;
    }
    if ((uint64_t)f->length > fs->max_size) {
        errbuf_set(err, errlen,
                   "member of %llu bytes is over the cap of %llu "
                   "(store.max_expanded_mib)",
                   (unsigned long long)f->length,
                   (unsigned long long)fs->max_size);
        errno = EFBIG;
        return -1;
    }
    rc = cabd->extract(cabd, f, out);
    if (rc != MSPACK_ERR_OK) {
        failed(fs, rc, err, errlen);
        return -1;
    }
    if (fstat(fs->out_fd, &st) == -1 ||
        (unsigned long long)st.st_size != (unsigned long long)f->length) {
        errbuf_set(err, errlen, "expanded to the wrong size");
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int
cab_expand_fd(int cab_fd, const char *want, int out_fd, uint64_t max_size,
              char *err, size_t errlen)
{
    struct fd_sys fs = {{fd_open, fd_close, fd_read, fd_write, fd_seek, fd_tell,
                         fd_message, fd_alloc, fd_free, fd_copy, NULL},
                        cab_fd,
                        out_fd,
                        0,
                        max_size};
    struct mscab_decompressor *cabd = mspack_create_cab_decompressor(&fs.sys);
    struct mscabd_cabinet *cab;
    char in[] = FD_IN;
    int rc;

    if (cabd == NULL) {
        errbuf_set(err, errlen, "libmspack: out of memory");
        errno = ENOMEM;
        return -1;
    }
    cab = cabd->open(cabd, in);
    if (cab == NULL) {
        failed(&fs, cabd->last_error(cabd), err, errlen);
        rc = errno;
        mspack_destroy_cab_decompressor(cabd);
        errno = rc;
        return -1;
    }
    rc = extract(cabd, cab, &fs, want, err, errlen);
    if (rc == -1) {
        int e = errno;

        cabd->close(cabd, cab);
        mspack_destroy_cab_decompressor(cabd);
        errno = e;
        return -1;
    }
    cabd->close(cabd, cab);
    mspack_destroy_cab_decompressor(cabd);
    return 0;
}

int
cab_expand(const char *cab_path, const char *want, const char *out_path,
           char *err, size_t errlen)
{
    int in = open(cab_path, O_RDONLY | O_CLOEXEC);
    int out = -1, rc = -1, e;

    if (in == -1) {
        errbuf_set(err, errlen, "%s: %s", cab_path, strerror(errno));
        return -1;
    }
    out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out == -1)
        errbuf_set(err, errlen, "%s: %s", out_path, strerror(errno));
    else
        rc = cab_expand_fd(in, want, out, UINT64_MAX, err, errlen);
    e = errno;
    if (out != -1)
        close(out);
    close(in);
    errno = e;
    return rc;
}
