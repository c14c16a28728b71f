/*
 * include/store/zcache.h on real directories in /tmp: names, which files
 * are compressed, copies made and read back with zlib and libzstd (the
 * same bytes), markers for files that do not shrink or are compressed by
 * magic, a source changed while read, a planted symlink replaced, the
 * bound recording (and evicting) copies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "store/cachedir.h"
#include "store/zcache.h"

static char root[64];
static char cache[128];

static int
setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/symsrvd-test-zcache.XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    snprintf(cache, sizeof(cache), "%s/cache", root);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[PATH_MAX + 16];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* A PDB-like file: text records that compress well. */
static unsigned char *
text_bytes(size_t n)
{
    unsigned char *p = malloc(n);
    size_t i = 0;
    unsigned k = 0;

    assert_non_null(p);
    while (i < n) {
        char rec[64];
        int len = snprintf(rec, sizeof(rec), "?Function_%u@@YAXPEAX@Z\n",
                           (k++ * 2654435761u) % 5000u);

        for (int j = 0; j < len && i < n; j++)
            p[i++] = (unsigned char)rec[j];
    }
    return p;
}

/* Bytes that do not compress (xorshift). */
static unsigned char *
noise_bytes(size_t n)
{
    unsigned char *p = malloc(n);
    uint64_t x = 0x9E3779B97F4A7C15ULL;

    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
    return p;
}

/* Writes data to root/name; returns it open for reading, *st filled. */
static int
source(const char *name, const unsigned char *data, size_t n, struct stat *st)
{
    char path[PATH_MAX + 64];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", root, name);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd != -1);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fstat(fd, st), 0);
    return fd;
}

static struct zcache *
zc(struct cachedir *bound)
{
    struct zcache_opts o = {cache, bound, 1024, 64u << 20};
    char err[256];
    struct zcache *z = zcache_new(&o, err, sizeof(err));

    assert_non_null(z);
    return z;
}

/* The whole of fd, from offset 0. */
static unsigned char *
slurp_fd(int fd, size_t *n)
{
    struct stat st;
    unsigned char *p;

    assert_int_equal(fstat(fd, &st), 0);
    p = malloc((size_t)st.st_size + 1);
    assert_non_null(p);
    assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
    *n = (size_t)st.st_size;
    return p;
}

/* gzip bytes back to what they hold (a single member, RFC 1952). */
static unsigned char *
gunzip(const unsigned char *in, size_t n, size_t cap, size_t *out_len)
{
    unsigned char *out = malloc(cap);
    z_stream zs = {0};

    assert_non_null(out);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.avail_in, 0);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}

static unsigned char *
unzstd(const unsigned char *in, size_t n, size_t *out_len)
{
    unsigned long long size = ZSTD_getFrameContentSize(in, n);
    unsigned char *out;

    assert_true(size != ZSTD_CONTENTSIZE_ERROR &&
                size != ZSTD_CONTENTSIZE_UNKNOWN);
    out = malloc(size + 1);
    assert_non_null(out);
    *out_len = ZSTD_decompress(out, size + 1, in, n);
    assert_false(ZSTD_isError(*out_len));
    assert_int_equal(ZSTD_findFrameCompressedSize(in, n), n); /* one frame */
    return out;
}

static void
test_name_is_compressed(void **state)
{
    static const struct {
        const char *name;
        bool compressed;
    } cases[] = {
        {"app.pd_", true},   {"app.dl_", true},
        {"APP.EX_", true},   {"_", true},
        {"x.gz", true},      {"X.GZ", true},
        {"a.dbg.gz", true},  {"a.zst", true},
        {"a.xz", true},      {"a.dSYM.tar.bz2", true},
        {"a.zip", true},     {"a.7z", true},
        {"a.cab", true},     {"a.br", true},
        {"a.lz4", true},     {"app.pdb", false},
        {"app.dll", false},  {"a.sym", false},
        {"_.debug", false},  {"gz", false},
        {".gz", false},      {"a.gzip", false},
        {"a.gz.pdb", false}, {"a_.pdb", false},
        {"", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("%s\n", cases[i].name);
        assert_int_equal(zcache_name_is_compressed(cases[i].name),
                         cases[i].compressed);
    }
}

static void
test_name_and_wants(void **state)
{
    struct stat st = {0};
    char a[ZCACHE_NAME_MAX], b[ZCACHE_NAME_MAX];
    struct zcache *z = zc(NULL);

    (void)state;
    st.st_mode = S_IFREG | 0644;
    st.st_dev = 0x801;
    st.st_ino = 0x1234;
    st.st_size = 290816;
    st.st_mtim.tv_sec = 0x65000000;
    st.st_mtim.tv_nsec = 999999999;
    zcache_name(&st, ZCACHE_GZIP, a);
    assert_string_equal(a, "compressed/801-1234-47000-65000000.3b9ac9ff.gz");
    zcache_name(&st, ZCACHE_ZSTD, b);
    assert_string_equal(b, "compressed/801-1234-47000-65000000.3b9ac9ff.zst");
    st.st_mtim.tv_nsec--; /* replaced within the same second */
    zcache_name(&st, ZCACHE_GZIP, b);
    assert_string_not_equal(a, b);
    /* The longest values fit. */
    st.st_dev = st.st_ino = (dev_t)~0ULL;
    st.st_size = INT64_MAX;
    st.st_mtim.tv_sec = INT64_MAX;
    zcache_name(&st, ZCACHE_ZSTD, b);
    assert_true(strlen(b) < ZCACHE_NAME_MAX - 1);

    st.st_size = 1024;
    assert_true(zcache_wants(z, "app.pdb", &st));
    assert_false(zcache_wants(z, "app.pd_", &st));
    st.st_size = 1023; /* below min_size */
    assert_false(zcache_wants(z, "app.pdb", &st));
    st.st_size = (off_t)(64u << 20) + 1; /* above max_size */
    assert_false(zcache_wants(z, "app.pdb", &st));
    st.st_size = 4096;
    st.st_mode = S_IFIFO | 0644;
    assert_false(zcache_wants(z, "app.pdb", &st));
    zcache_free(z);
}

/* Makes the copy of data in c and checks it holds data again. */
static void
round_trip(enum zcache_coding c)
{
    size_t n = 300000, got, clen;
    unsigned char *data = text_bytes(n), *copy, *back;
    struct stat src, st, st2;
    int sfd = source(c == ZCACHE_GZIP ? "a.pdb" : "b.pdb", data, n, &src);
    struct zcache *z = zc(NULL);
    int fd;

    errno = 0;
    assert_int_equal(zcache_open(z, &src, c, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(zcache_make(z, sfd, &src, c), 0);
    fd = zcache_open(z, &src, c, &st);
    assert_true(fd != -1);
    assert_true(st.st_size > 0 && st.st_size < (off_t)n / 4);
    copy = slurp_fd(fd, &clen);
    back = c == ZCACHE_GZIP ? gunzip(copy, clen, n + 1, &got)
                            : unzstd(copy, clen, &got);
    assert_int_equal(got, n);
    assert_memory_equal(back, data, n);
    /* Made again: kept as it was (same inode), not rewritten. */
    assert_int_equal(zcache_make(z, sfd, &src, c), 0);
    assert_int_equal(zcache_open(z, &src, c, &st2), fd + 1);
    assert_int_equal(st2.st_ino, st.st_ino);
    close(fd + 1);
    close(fd);
    close(sfd);
    free(data);
    free(copy);
    free(back);
    zcache_free(z);
}

static void
test_gzip(void **state)
{
    (void)state;
    round_trip(ZCACHE_GZIP);
}

static void
test_zstd(void **state)
{
    (void)state;
    round_trip(ZCACHE_ZSTD);
}

/* The same file gives the same bytes: the strong ETag may stay. */
static void
test_deterministic(void **state)
{
    size_t n = 100000, l1, l2;
    unsigned char *data = text_bytes(n), *c1, *c2;
    struct stat src, st;
    int sfd = source("d.pdb", data, n, &src), fd;
    struct zcache *z = zc(NULL);
    char path[PATH_MAX + 64], rel[ZCACHE_NAME_MAX];

    (void)state;
    for (int c = 0; c < ZCACHE_CODINGS; c++) {
        assert_int_equal(zcache_make(z, sfd, &src, (enum zcache_coding)c), 0);
        fd = zcache_open(z, &src, (enum zcache_coding)c, &st);
        c1 = slurp_fd(fd, &l1);
        close(fd);
        zcache_name(&src, (enum zcache_coding)c, rel);
        snprintf(path, sizeof(path), "%s/%s", cache, rel);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(zcache_make(z, sfd, &src, (enum zcache_coding)c), 0);
        fd = zcache_open(z, &src, (enum zcache_coding)c, &st);
        c2 = slurp_fd(fd, &l2);
        close(fd);
        assert_int_equal(l1, l2);
        assert_memory_equal(c1, c2, l1);
        free(c1);
        free(c2);
    }
    close(sfd);
    free(data);
    zcache_free(z);
}

/* Noise and compressed formats: a marker, served as stored. */
static void
test_markers(void **state)
{
    static const unsigned char magic[][8] = {
        "MSCF\0\0\0",           "\x1f\x8b\x08", "\x28\xb5\x2f\xfd",
        "\xfd\x37\x7a\x58\x5a", "BZh91AY",      "PK\x03\x04",
        "7z\xbc\xaf\x27\x1c",
    };
    size_t n = 50000;
    unsigned char *data = noise_bytes(n), *text = text_bytes(n);
    struct stat src, st;
    struct zcache *z = zc(NULL);
    int sfd = source("noise.pdb", data, n, &src);

    (void)state;
    assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_GZIP), 0);
    errno = 0;
    assert_int_equal(zcache_open(z, &src, ZCACHE_GZIP, &st), -1);
    assert_int_equal(errno, ENODATA);
    close(sfd);
    for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
        char name[32];

        print_message("magic %zu\n", i);
        memcpy(text, magic[i], strlen((const char *)magic[i]) + 1);
        if (i == 0)
            memcpy(text, "MSCF\0\0\0\0", 8);
        snprintf(name, sizeof(name), "m%zu.pdb", i);
        sfd = source(name, text, n, &src);
        assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_ZSTD), 0);
        errno = 0;
        assert_int_equal(zcache_open(z, &src, ZCACHE_ZSTD, &st), -1);
        assert_int_equal(errno, ENODATA);
        close(sfd);
    }
    free(data);
    free(text);
    zcache_free(z);
}

/* A source written in place meanwhile: nothing kept, ESTALE. */
static void
test_source_changed(void **state)
{
    size_t n = 20000;
    unsigned char *data = text_bytes(n);
    struct stat src, st;
    struct zcache *z = zc(NULL);
    int sfd = source("c.pdb", data, n, &src);

    (void)state;
    assert_int_equal(write(sfd, "more", 4), 4); /* src is the old stat */
    errno = 0;
    assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_GZIP), -1);
    assert_int_equal(errno, ESTALE);
    assert_int_equal(zcache_open(z, &src, ZCACHE_GZIP, &st), -1);
    assert_int_equal(errno, ENOENT);
    /* A stat of part of the file (a window of it): refused, not made from
     * the file's first bytes. */
    assert_int_equal(fstat(sfd, &src), 0);
    src.st_size = 1000;
    assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_GZIP), -1);
    assert_int_equal(errno, ESTALE);
    assert_int_equal(zcache_open(z, &src, ZCACHE_GZIP, &st), -1);
    assert_int_equal(errno, ENOENT);
    /* Shrunk: the read ends early. */
    assert_int_equal(ftruncate(sfd, 100), 0);
    src.st_size = (off_t)n;
    assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_GZIP), -1);
    assert_int_equal(errno, ESTALE);
    close(sfd);
    free(data);
    zcache_free(z);
}

/* A symlink planted where a copy goes is never followed, then replaced. */
static void
test_planted_symlink(void **state)
{
    size_t n = 20000;
    unsigned char *data = text_bytes(n);
    struct stat src, st, victim;
    struct zcache *z = zc(NULL);
    int sfd = source("s.pdb", data, n, &src), fd;
    char rel[ZCACHE_NAME_MAX], path[PATH_MAX + 64], target[PATH_MAX + 64];

    (void)state;
    snprintf(target, sizeof(target), "%s/victim", root);
    close(open(target, O_WRONLY | O_CREAT, 0644));
    zcache_name(&src, ZCACHE_GZIP, rel);
    snprintf(path, sizeof(path), "%s/%s", cache, ZCACHE_DIR);
    assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
    snprintf(path, sizeof(path), "%s/%s", cache, rel);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(zcache_open(z, &src, ZCACHE_GZIP, &st), -1);
    assert_int_equal(zcache_make(z, sfd, &src, ZCACHE_GZIP), 0);
    fd = zcache_open(z, &src, ZCACHE_GZIP, &st);
    assert_true(fd != -1);
    assert_true(st.st_size > 0);
    assert_int_equal(stat(target, &victim), 0);
    assert_int_equal(victim.st_size, 0); /* never written through */
    close(fd);
    close(sfd);
    free(data);
    zcache_free(z);
}

/* Copies are recorded in the bound, and the bound evicts them. */
static void
test_bound(void **state)
{
    char err[256];
    struct cachedir *bound;
    struct zcache *z;
    size_t n = 200000;
    unsigned char *data = text_bytes(n);
    struct stat src[3], st;
    int fds[3];

    (void)state;
    assert_true(mkdir(cache, 0755) == 0 || errno == EEXIST);
    /* A bound of 1 byte: each new copy is kept alone, the others go. */
    bound = cachedir_new(cache, 1, 1000, err, sizeof(err));
    assert_non_null(bound);
    z = zc(bound);
    for (int i = 0; i < 3; i++) {
        char name[16];

        snprintf(name, sizeof(name), "e%d.pdb", i);
        data[0] = (unsigned char)('a' + i);
        fds[i] = source(name, data, n, &src[i]);
        assert_int_equal(zcache_make(z, fds[i], &src[i], ZCACHE_GZIP), 0);
        assert_int_equal(cachedir_files(bound), 1); /* over the bound alone */
    }
    assert_true(cachedir_evicted(bound) >= 2);
    assert_int_equal(zcache_open(z, &src[0], ZCACHE_GZIP, &st), -1);
    assert_int_equal(errno, ENOENT);
    st.st_size = 0;
    {
        int fd = zcache_open(z, &src[2], ZCACHE_GZIP, &st);

        assert_true(fd != -1);
        assert_int_equal(cachedir_bytes(bound), (uint64_t)st.st_size);
        close(fd);
    }
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    free(data);
    zcache_free(z);
    cachedir_free(bound);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_is_compressed),
        cmocka_unit_test_setup_teardown(test_name_and_wants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
