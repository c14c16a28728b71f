/*
 * Writing a symbol store as symstore.exe does (symstore/symstore.h).
 *
 * Byte formats, taken from the stores symstore.exe wrote
 * (docs/protocols.md):
 *  - lastid.txt: ten digits, no line end;
 *  - server.txt, history.txt: one line per transaction, each ended by
 *    CRLF ("0000000001,add,file,09/06/2016,10:34:19,"p","","",");
 *    symstore.exe sometimes leaves the last line unterminated, so lines
 *    are split on LF and written back each with CRLF;
 *  - transaction file 000Admin/NNNNNNNNNN: "file\KEY","source" + CRLF;
 *  - refs.ptr: "NNNNNNNNNN,file,"source",pri,,N,," lines joined by CRLF,
 *    the last one unterminated (a single line has no line end at all).
 *
 * Every file is written as .<name>.tmp.<pid> in its directory, fsync'd
 * and renamed: symsrvd hides dot-files, so a partial file is never served.
 * The lock is 000Admin/.lock (flock): hidden by symsrvd (a dot-file in
 * 000Admin), and symstore.exe only opens the names it knows (lastid.txt,
 * server.txt, history.txt, ten-digit ids), so it is never confused by it.
 * It is never removed: unlinking a lock file races with its next opener.
 */
#include "symstore/symstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libgcab.h>

#include "util/errbuf.h"
#include "util/file.h"
#include "util/num.h"
#include "store/layout.h"

#define ID_LEN 10

struct symstore {
    char *root;
    bool two_tier;
    int lock_fd;
    bool locked;
    long id; /* the open transaction, 0 when none */
    char *product, *version, *comment;
    bool compress;
    struct file_buf txn; /* the transaction file's bytes */
    int journal_fd;      /* 000Admin/.pending, -1 until the first add */
};

/* The open transaction's entries, written before any of their bytes: what
 * a crashed run left is rolled back by the next writer (recover()). */
#define JOURNAL ".pending"

static int lock_and_recover(struct symstore *s, long *last, char *err,
                            size_t errlen);
static int recover(struct symstore *s, long last, char *err, size_t errlen);

/* refs.ptr joins lines; server.txt and history.txt end each one. */
enum lines_mode { LINES_JOINED, LINES_ENDED };

/* Ten digits; id is in [0, SYMSTORE_ID_MAX]. */
static void
fmt_id(char out[ID_LEN + 1], long id)
{
    for (int i = ID_LEN - 1; i >= 0; i--) {
        out[i] = (char)('0' + id % 10);
        id /= 10;
    }
    out[ID_LEN] = '\0';
}

static int
admin_path(const struct symstore *s, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/" LAYOUT_ADMIN "/%s", s->root, name);

    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Parses ten digits (lastid.txt, an id column); -1 if not that. */
static long
parse_id(const char *p, size_t len)
{
    uint64_t v;

    if (len < ID_LEN || num_parse_u64(p, ID_LEN, SYMSTORE_ID_MAX, &v) == -1)
        return -1;
    return (long)v;
}

/*
 * Copies the lines of data (split on LF, a CR before it dropped, empty
 * lines skipped) that do not start with "<drop>," into out, then add (if
 * not NULL), with the line ends of mode. *kept counts the lines copied.
 */
static int
lines_filter(const struct file_buf *data, const char *drop, const char *add,
             enum lines_mode mode, struct file_buf *out, size_t *kept)
{
    const char *p = data->p ? data->p : "";
    const char *end = p + data->len;
    size_t dlen = drop ? strlen(drop) : 0;
    size_t nout = 0;

    *kept = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && !(dlen > 0 && n > dlen && p[dlen] == ',' &&
                       memcmp(p, drop, dlen) == 0)) {
            if ((nout > 0 && mode == LINES_JOINED &&
                 file_buf_add(out, "\r\n", 2) == -1) ||
                file_buf_add(out, p, n) == -1 ||
                (mode == LINES_ENDED && file_buf_add(out, "\r\n", 2) == -1))
                return -1;
            nout++;
            (*kept)++;
        }
        p = nl ? nl + 1 : end;
    }
    if (add == NULL)
        return 0;
    if ((nout > 0 && mode == LINES_JOINED &&
         file_buf_add(out, "\r\n", 2) == -1) ||
        file_buf_str(out, add) == -1 ||
        (mode == LINES_ENDED && file_buf_add(out, "\r\n", 2) == -1))
        return -1;
    return 0;
}

/*
 * Rewrites path (tmp + rename) without the lines of id drop, plus add.
 * *kept: the other lines left. Writes nothing when remove_if_empty and no
 * line is left (the caller removes the file).
 */
static int
lines_rewrite(const char *path, const char *drop, const char *add,
              enum lines_mode mode, bool remove_if_empty, size_t *kept)
{
    struct file_buf in = {0}, out = {0};
    size_t k = 0;
    int rc = -1;

    if (file_read_all(path, true, &in) == -1 ||
        lines_filter(&in, drop, add, mode, &out, &k) == -1)
        goto done;
    if (!(remove_if_empty && k == 0 && add == NULL) &&
        file_write_atomic(path, out.p ? out.p : "", out.len) == -1)
        goto done;
    if (kept != NULL)
        *kept = k;
    rc = 0;
done:
    file_buf_free(&in);
    file_buf_free(&out);
    return rc;
}

static int
lock_take(struct symstore *s, char *err, size_t errlen)
{
    if (s->locked) {
        errbuf_set(err, errlen, "%s: a transaction is already open", s->root);
        return -1;
    }
    while (flock(s->lock_fd, LOCK_EX) == -1) {
        if (errno != EINTR) {
            errbuf_set(err, errlen, "%s/" LAYOUT_ADMIN "/.lock: flock: %s",
                       s->root, strerror(errno));
            return -1;
        }
    }
    s->locked = true;
    return 0;
}

static void
lock_release(struct symstore *s)
{
    if (s->locked)
        flock(s->lock_fd, LOCK_UN);
    s->locked = false;
}

/* lastid.txt under the lock: 0 for a new store. */
static int
read_lastid(const struct symstore *s, long *id, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct file_buf b = {0};

    if (admin_path(s, "lastid.txt", path, sizeof(path)) == -1 ||
        file_read_all(path, true, &b) == -1) {
        errbuf_set(err, errlen, "%s/" LAYOUT_ADMIN "/lastid.txt: %s", s->root,
                   strerror(errno));
        file_buf_free(&b);
        return -1;
    }
    *id = b.len == 0 ? 0 : parse_id(b.p, b.len);
    file_buf_free(&b);
    if (*id < 0 || *id >= SYMSTORE_ID_MAX) {
        errbuf_set(err, errlen, "%s: lastid.txt is not ten digits", path);
        return -1;
    }
    return 0;
}

static int
write_lastid(const struct symstore *s, long id)
{
    char path[PATH_MAX], digits[ID_LEN + 1];

    fmt_id(digits, id);
    if (admin_path(s, "lastid.txt", path, sizeof(path)) == -1)
        return -1;
    return file_write_atomic(path, digits, ID_LEN);
}

/* pingme.txt: 0 bytes, its mtime marks the last transaction. */
static int
touch_pingme(const struct symstore *s)
{
    char path[PATH_MAX];
    int fd;

    if (snprintf(path, sizeof(path), "%s/" LAYOUT_PINGME, s->root) >=
        (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd == -1)
        return -1;
    if (futimens(fd, NULL) == -1) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

static int
make_store(const char *root, bool two_tier, char *err, size_t errlen)
{
    char path[PATH_MAX];
    static const char idx[] = "two-tier store (symstore index2)\r\n";

    snprintf(path, sizeof(path), "%s/" LAYOUT_ADMIN, root);
    /* EEXIST: another writer is making the same new store. */
    if (mkdir(path, 0755) == -1 && errno != EEXIST) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/" LAYOUT_INDEX2, root);
    if (two_tier && file_write_atomic(path, idx, sizeof(idx) - 1) == -1) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Checks (and makes) the store; 0 when root holds a store afterwards. */
static int
check_root(const char *root, bool create, bool two_tier, char *err,
           size_t errlen)
{
    char admin[PATH_MAX];
    struct stat st;

    if (stat(root, &st) == -1 && errno == ENOENT && create &&
        mkdir(root, 0755) == -1 && errno != EEXIST) {
        errbuf_set(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    if (stat(root, &st) == -1) {
        errbuf_set(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        errbuf_set(err, errlen, "%s: not a directory", root);
        return -1;
    }
    if (snprintf(admin, sizeof(admin), "%s/" LAYOUT_ADMIN, root) >=
        (int)sizeof(admin) - 32) {
        errbuf_set(err, errlen, "%s: path too long", root);
        return -1;
    }
    if (stat(admin, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    /* A concurrent writer making this store makes 000Admin/ first: look
     * again once the root is seen not empty. */
    if (!file_dir_is_empty(root) &&
        !(stat(admin, &st) == 0 && S_ISDIR(st.st_mode))) {
        errbuf_set(err, errlen, "%s: not a symbol store (no 000Admin/)", root);
        return -1;
    }
    if (!create) {
        errbuf_set(err, errlen, "%s: not a symbol store (empty)", root);
        return -1;
    }
    return make_store(root, two_tier, err, errlen);
}

struct symstore *
symstore_open(const char *root, bool create, bool two_tier, char *err,
              size_t errlen)
{
    struct symstore *s;
    char path[PATH_MAX];
    struct stat st;

    if (check_root(root, create, two_tier, err, errlen) == -1)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->root = strdup(root);
    if (s == NULL || s->root == NULL) {
        errbuf_set(err, errlen, "%s", strerror(ENOMEM));
        free(s);
        return NULL;
    }
    s->journal_fd = -1;
    snprintf(path, sizeof(path), "%s/" LAYOUT_INDEX2, root);
    s->two_tier = stat(path, &st) == 0;
    snprintf(path, sizeof(path), "%s/" LAYOUT_ADMIN "/.lock", root);
    /* Also the write probe: an unwritable store fails here. */
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd == -1) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        free(s->root);
        free(s);
        return NULL;
    }
    return s;
}

static void
txn_clear(struct symstore *s)
{
    free(s->product);
    free(s->version);
    free(s->comment);
    s->product = s->version = s->comment = NULL;
    file_buf_free(&s->txn);
    s->id = 0;
}

/* Text symstore.exe writes between quotes: no '"', no line end. */
static bool
quotable(const char *v)
{
    return v == NULL || strpbrk(v, "\"\r\n") == NULL;
}

static char *
dup_or_empty(const char *v)
{
    return strdup(v ? v : "");
}

int
symstore_begin(struct symstore *s, const struct symstore_txn *t, char *err,
               size_t errlen)
{
    long last;

    if (t->product == NULL || t->product[0] == '\0' || !quotable(t->product) ||
        !quotable(t->version) || !quotable(t->comment)) {
        errbuf_set(err, errlen,
                   "product, version and comment: no '\"' or "
                   "line end (and a product is required)");
        return -1;
    }
    if (lock_and_recover(s, &last, err, errlen) == -1)
        return -1;
    s->product = dup_or_empty(t->product);
    s->version = dup_or_empty(t->version);
    s->comment = dup_or_empty(t->comment);
    if (s->product == NULL || s->version == NULL || s->comment == NULL) {
        errbuf_set(err, errlen, "%s", strerror(ENOMEM));
        symstore_abort(s);
        return -1;
    }
    s->compress = t->compress;
    s->id = last + 1;
    return 0;
}

/*
 * A path segment keys.h made, fit to be written: not empty, no '/', '\',
 * '"' or line end, and no name the store owns (layout_is_reserved(): a
 * leading '.', 000Admin, index2.txt, pingme.txt, refs.ptr, file.ptr). The
 * one check for every segment the writer makes (file, key, name).
 */
static bool
segment_ok(const char *v)
{
    return v[0] != '\0' && !layout_is_reserved(v) &&
           strpbrk(v, "/\\\"\r\n") == NULL;
}

/* Every entry's segments, before anything of the file is written. */
static int
check_entries(const char *src_path, const struct keys_entry *e, size_t n,
              char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *seg[3] = {e[i].file, e[i].key, e[i].name};

        for (size_t j = 0; j < 3; j++) {
            if (segment_ok(seg[j]))
                continue;
            errbuf_set(err, errlen,
                       "%s: refused: store path %s/%s/%s: '%s' is %s", src_path,
                       e[i].file, e[i].key, e[i].name, seg[j],
                       layout_is_reserved(seg[j])
                           ? "a name the store reserves (000Admin, "
                             "index2.txt, pingme.txt, refs.ptr, file.ptr, "
                             "or a leading '.')"
                           : "not a usable path segment");
            return -1;
        }
    }
    return 0;
}

/* <root>/[<pp>/]<file>/<key> */
static int
entry_dir(const struct symstore *s, const char *file, const char *key,
          char *out, size_t len)
{
    char pp[LAYOUT_TIER_MAX] = "";
    int n;

    if (s->two_tier)
        layout_tier_prefix(file, pp);
    n = snprintf(out, len, "%s/%s%s%s/%s", s->root, pp, pp[0] ? "/" : "", file,
                 key);
    if (n < 0 || (size_t)n >= len - KEYS_NAME_MAX - 32) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/*
 * refs.ptr's type column: symstore.exe says "pri" for a PDB with private
 * symbols (what a linker writes) and "pub" for a stripped one; telling
 * them apart needs the PDB's type and module streams, which no client
 * reads, so every PDB (MSF or portable) is "pri". Anything else is "bin".
 */
static const char *
ref_type(const unsigned char *buf, size_t len)
{
    static const char msf7[] = "Microsoft C/C++ MSF 7.00";
    static const char jg[] = "Microsoft C/C++ program database 2.00";

    if ((len >= sizeof(msf7) - 1 && memcmp(buf, msf7, sizeof(msf7) - 1) == 0) ||
        (len >= sizeof(jg) - 1 && memcmp(buf, jg, sizeof(jg) - 1) == 0) ||
        (len >= 4 && memcmp(buf, "BSJB", 4) == 0))
        return "pri";
    return "bin";
}

/* A CAB (MSZIP) holding buf under name, into out (g_free'd by caller). */
static int
cab_make(const char *name, const unsigned char *buf, size_t len, void **out,
         size_t *outlen, char *err, size_t errlen)
{
    GError *gerr = NULL;
    GCabCabinet *cab = gcab_cabinet_new();
    GCabFolder *folder = gcab_folder_new(GCAB_COMPRESSION_MSZIP);
    GBytes *bytes = g_bytes_new_static(buf, len);
    GCabFile *file = gcab_file_new_with_bytes(name, bytes);
    GOutputStream *os = g_memory_output_stream_new_resizable();
    int rc = -1;

    if (!gcab_folder_add_file(folder, file, FALSE, NULL, &gerr) ||
        !gcab_cabinet_add_folder(cab, folder, &gerr) ||
        !gcab_cabinet_write_simple(cab, os, NULL, NULL, NULL, &gerr) ||
        !g_output_stream_close(os, NULL, &gerr)) {
        errbuf_set(err, errlen, "CAB of %s: %s", name,
                   gerr ? gerr->message : "failed");
        goto done;
    }
    *outlen = g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(os));
    *out = g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(os));
    rc = 0;
done:
    if (gerr != NULL)
        g_error_free(gerr);
    g_object_unref(os);
    g_object_unref(file);
    g_bytes_unref(bytes);
    g_object_unref(folder);
    g_object_unref(cab);
    return rc;
}

/* Writes the stored file (or its CAB twin "name_") into dir. */
static int
store_bytes(const struct symstore *s, const char *dir, const char *name,
            const unsigned char *buf, size_t len, char *err, size_t errlen)
{
    char path[PATH_MAX], twin[NAME_MAX + 1];
    const char *stored = name;
    void *cab = NULL;
    size_t cablen = 0;
    int rc;

    if (s->compress) {
        if (layout_twin_name(name, twin, sizeof(twin)) == -1) {
            errbuf_set(err, errlen, "%s: no compressed name for it", name);
            return -1;
        }
        stored = twin;
    }
    if (file_path_join(path, sizeof(path), dir, "/", stored) == -1) {
        errbuf_set(err, errlen, "%s/%s: %s", dir, stored, strerror(errno));
        return -1;
    }
    if (!s->compress) {
        rc = file_write_atomic(path, buf, len);
    } else {
        if (cab_make(name, buf, len, &cab, &cablen, err, errlen) == -1)
            return -1;
        rc = file_write_atomic(path, cab, cablen);
        g_free(cab);
    }
    if (rc == -1)
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    return rc;
}

/* Stores one entry: the file, then its refs.ptr line. */
static int
add_entry(struct symstore *s, const char *src_path, const unsigned char *buf,
          size_t len, const struct keys_entry *e, char *err, size_t errlen)
{
    char dir[PATH_MAX], path[PATH_MAX], id[ID_LEN + 1], line[PATH_MAX + 64];

    if (check_entries(src_path, e, 1, err, errlen) == -1)
        return -1;
    if (entry_dir(s, e->file, e->key, dir, sizeof(dir)) == -1 ||
        file_mkdirs(dir, strlen(s->root)) == -1) {
        errbuf_set(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    /* A writer killed here before left its temporaries: they go now. */
    file_sweep_tmp(dir);
    if (store_bytes(s, dir, e->name, buf, len, err, errlen) == -1)
        return -1;
    fmt_id(id, s->id);
    snprintf(line, sizeof(line), "%s,file,\"%s\",%s,,%c,,", id, src_path,
             ref_type(buf, len), s->compress ? 'Y' : 'N');
    if (file_path_join(path, sizeof(path), dir, "/", LAYOUT_REFS_PTR) == -1 ||
        lines_rewrite(path, id, line, LINES_JOINED, false, NULL) == -1) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int undo_entry(const struct symstore *s, const char *id,
                      const char *file, const char *key, const char *name);

/* Whether an earlier add of this transaction stored under e's directory
 * (its transaction-file line "file\KEY", is there already). */
static bool
txn_has(const struct symstore *s, const struct keys_entry *e)
{
    char prefix[KEYS_NAME_MAX + KEYS_KEY_MAX + 8];
    const char *p = s->txn.p;

    if (p == NULL || snprintf(prefix, sizeof(prefix), "\"%s\\%s\",", e->file,
                              e->key) >= (int)sizeof(prefix))
        return false;
    for (; p != NULL; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

/*
 * Takes back e[0..n) after a failed add, as a rollback does, except the
 * entries an earlier add of this transaction stored too: their refs.ptr
 * line and file stay, as the transaction file names them.
 */
static void
unref_entries(const struct symstore *s, const struct keys_entry *e, size_t n)
{
    char id[ID_LEN + 1];

    fmt_id(id, s->id);
    for (size_t i = 0; i < n; i++)
        if (!txn_has(s, &e[i]))
            undo_entry(s, id, e[i].file, e[i].key, e[i].name);
}

/* The transaction file's lines of e[0..n): "file\KEY","src_path" CRLF. */
static int
txn_lines(struct file_buf *out, const char *src_path,
          const struct keys_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (file_buf_str(out, "\"") == -1 ||
            file_buf_str(out, e[i].file) == -1 ||
            file_buf_str(out, "\\") == -1 ||
            file_buf_str(out, e[i].key) == -1 ||
            file_buf_str(out, "\",\"") == -1 ||
            file_buf_str(out, src_path) == -1 ||
            file_buf_str(out, "\"\r\n") == -1)
            return -1;
    }
    return 0;
}

/*
 * The journal's lines of e[0..n): the transaction file's line, then a tab
 * and the name stored, so that a rollback removes exactly the files the
 * dead run wrote and nothing that was in the directory before.
 */
static int
journal_lines(struct file_buf *out, const char *src_path,
              const struct keys_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (txn_lines(out, src_path, &e[i], 1) == -1)
            return -1;
        out->len -= 2; /* the CRLF txn_lines() ended it with */
        if (file_buf_str(out, "\t") == -1 ||
            file_buf_str(out, e[i].name) == -1 ||
            file_buf_str(out, "\r\n") == -1)
            return -1;
    }
    return 0;
}

/*
 * Appends lines to the journal, made (with the id as its first line) on
 * the first add, and syncs it: an entry is in the journal before any of
 * its bytes are in the store, so a crash leaves nothing recover() misses.
 */
static int
journal_add(struct symstore *s, const struct file_buf *lines)
{
    char path[PATH_MAX], id[ID_LEN + 3];
    off_t good;
    int e;

    if (admin_path(s, JOURNAL, path, sizeof(path)) == -1)
        return -1;
    if (s->journal_fd == -1) {
        s->journal_fd = open(
            path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (s->journal_fd == -1)
            return -1;
        fmt_id(id, s->id);
        memcpy(id + ID_LEN, "\r\n", 3);
        if (file_write_all(s->journal_fd, id, ID_LEN + 2) == -1 ||
            file_fsync_parent(path) == -1)
            goto bad_header;
    }
    good = lseek(s->journal_fd, 0, SEEK_END);
    if (good != -1 &&
        file_write_all(s->journal_fd, lines->p, lines->len) == 0 &&
        fdatasync(s->journal_fd) == 0)
        return 0;
    /* A line cut short would glue onto the next one: the journal goes
     * back to its last whole line (the caller writes none of this add). */
    e = errno;
    if (good != -1 && ftruncate(s->journal_fd, good) == -1) {
        /* Then unref_line() skips the broken line: nothing more to do. */
    }
    errno = e;
    return -1;
bad_header:
    /* Without its id line the journal could not be rolled back: none. */
    e = errno;
    close(s->journal_fd);
    s->journal_fd = -1;
    unlink(path);
    errno = e;
    return -1;
}

/* Closes the journal; unlinks it too when the transaction is settled. */
static void
journal_close(struct symstore *s, bool remove)
{
    char path[PATH_MAX];

    if (s->journal_fd == -1)
        return;
    close(s->journal_fd);
    s->journal_fd = -1;
    if (remove && admin_path(s, JOURNAL, path, sizeof(path)) == 0)
        unlink(path);
}

int
symstore_add(struct symstore *s, const char *src_path, const unsigned char *buf,
             size_t len, const struct keys_entry *e, size_t n, char *err,
             size_t errlen)
{
    struct file_buf lines = {0}, journal = {0};
    int rc;

    if (s->id == 0) {
        errbuf_set(err, errlen, "no transaction open");
        return -1;
    }
    if (!quotable(src_path) || strlen(src_path) >= PATH_MAX) {
        errbuf_set(err, errlen, "%s: a source path with '\"' or a line end",
                   src_path);
        return -1;
    }
    if (check_entries(src_path, e, n, err, errlen) == -1)
        return -1;
    if (txn_lines(&lines, src_path, e, n) == -1 ||
        journal_lines(&journal, src_path, e, n) == -1 ||
        journal_add(s, &journal) == -1) {
        errbuf_set(err, errlen, "%s/" LAYOUT_ADMIN "/" JOURNAL ": %s", s->root,
                   strerror(errno));
        file_buf_free(&lines);
        file_buf_free(&journal);
        return -1;
    }
    file_buf_free(&journal);
    for (size_t i = 0; i < n; i++) {
        if (add_entry(s, src_path, buf, len, &e[i], err, errlen) == -1) {
            unref_entries(s, e, i + 1);
            file_buf_free(&lines);
            return -1;
        }
    }
    rc = file_buf_add(&s->txn, lines.p, lines.len);
    if (rc == -1)
        errbuf_set(err, errlen, "%s", strerror(ENOMEM));
    file_buf_free(&lines);
    return rc;
}

/* "0000000001,add,file,09/06/2016,10:34:19,"p","v","c"," (local time) */
static int
server_line(const struct symstore *s, char *out, size_t len)
{
    char id[ID_LEN + 1];
    time_t now = time(NULL);
    struct tm tm;
    int n;

    if (localtime_r(&now, &tm) == NULL)
        return -1;
    fmt_id(id, s->id);
    n = snprintf(out, len,
                 "%s,add,file,%02d/%02d/%04d,%02d:%02d:%02d,\"%s\",\"%s\","
                 "\"%s\",",
                 id, tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, s->product, s->version, s->comment);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/*
 * The transaction file, then server.txt and history.txt (a line of this
 * id left by a crashed run is replaced), then lastid.txt, then pingme.
 */
static int
publish(struct symstore *s, char *err, size_t errlen)
{
    char id[ID_LEN + 1], path[PATH_MAX], line[4096];
    static const char *const logs[] = {"server.txt", "history.txt"};

    fmt_id(id, s->id);
    if (admin_path(s, id, path, sizeof(path)) == -1 ||
        file_write_atomic(path, s->txn.p, s->txn.len) == -1)
        goto fail;
    if (server_line(s, line, sizeof(line)) == -1)
        goto fail;
    for (size_t i = 0; i < 2; i++) {
        if (admin_path(s, logs[i], path, sizeof(path)) == -1 ||
            lines_rewrite(path, id, line, LINES_ENDED, false, NULL) == -1)
            goto fail;
    }
    snprintf(path, sizeof(path), "%s/" LAYOUT_ADMIN "/lastid.txt", s->root);
    if (write_lastid(s, s->id) == -1)
        goto fail;
    snprintf(path, sizeof(path), "%s/" LAYOUT_PINGME, s->root);
    if (touch_pingme(s) == -1)
        goto fail;
    return 0;
fail:
    errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

long
symstore_commit(struct symstore *s, char *err, size_t errlen)
{
    long id = s->id;

    if (id == 0) {
        errbuf_set(err, errlen, "no transaction open");
        return -1;
    }
    if (s->txn.len == 0) {
        symstore_abort(s);
        return 0;
    }
    if (publish(s, err, errlen) == -1) {
        symstore_abort(s);
        return -1;
    }
    journal_close(s, true); /* published: nothing to roll back */
    txn_clear(s);
    lock_release(s);
    return id;
}

void
symstore_abort(struct symstore *s)
{
    char err[256];
    long last;

    /* Rolled back now; if that fails, the journal stays and the next
     * writer rolls back. */
    if (s->locked && s->journal_fd != -1 &&
        read_lastid(s, &last, err, sizeof(err)) == 0)
        recover(s, last, err, sizeof(err));
    journal_close(s, false);
    txn_clear(s);
    lock_release(s);
}

void
symstore_close(struct symstore *s)
{
    if (s == NULL)
        return;
    symstore_abort(s);
    if (s->lock_fd != -1)
        close(s->lock_fd);
    free(s->root);
    free(s);
}

/* Removes dir and then each parent left empty, up to the store root. */
static void
rmdir_up(const struct symstore *s, const char *dir)
{
    char path[PATH_MAX];
    size_t rootlen = strlen(s->root);

    if (file_path_join(path, sizeof(path), dir, "", "") == -1)
        return;
    while (strlen(path) > rootlen && rmdir(path) == 0) {
        char *slash = strrchr(path, '/');

        if (slash == NULL)
            break;
        *slash = '\0';
    }
}

/* Removes a key directory's files, then it and empty parents. */
static void
purge_dir(const struct symstore *s, const char *dir)
{
    char path[PATH_MAX];
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (file_path_join(path, sizeof(path), dir, "/", de->d_name) == 0)
            unlink(path);
    }
    closedir(d);
    rmdir_up(s, dir);
}

/*
 * A rolled-back entry whose directory no transaction refers to any more:
 * its own file (or CAB twin) and the emptied refs.ptr go, then the
 * directories that are left empty. Anything else in the directory (files
 * another tool put there) stays: a rollback never removes what the dead
 * run did not write.
 */
static void
remove_own(const struct symstore *s, const char *dir, const char *name)
{
    char path[PATH_MAX], twin[NAME_MAX + 1];

    if (layout_is_reserved(name) || strchr(name, '/') != NULL)
        return;
    if (file_path_join(path, sizeof(path), dir, "/", name) == 0)
        unlink(path);
    if (layout_twin_name(name, twin, sizeof(twin)) == 0 &&
        file_path_join(path, sizeof(path), dir, "/", twin) == 0)
        unlink(path);
    if (file_path_join(path, sizeof(path), dir, "/", LAYOUT_REFS_PTR) == 0)
        unlink(path);
    rmdir_up(s, dir);
}

/* In a journal line ("file\KEY","source"<TAB>name), the tab before the
 * name: the last tab that follows a '"'; NULL in a transaction file line
 * (a source path may hold a tab, but never '"' then tab at its end). */
static const char *
journal_name(const char *p, size_t n)
{
    for (size_t i = n; i > 1; i--)
        if (p[i - 1] == '\t' && p[i - 2] == '"')
            return p + i - 1;
    return NULL;
}

/* One line of a transaction file: "file\KEY","source" -> its directory;
 * a line of the journal adds a tab and the name stored. */
static int
unref_line(const struct symstore *s, const char *id, const char *p, size_t n)
{
    char file[KEYS_NAME_MAX], key[KEYS_KEY_MAX], name[KEYS_NAME_MAX];
    const char *tab = journal_name(p, n);
    const char *bs = memchr(p, '\\', n);
    const char *q = bs ? memchr(bs, '"', n - (size_t)(bs - p)) : NULL;
    size_t flen = bs ? (size_t)(bs - p - 1) : 0;
    size_t klen = q ? (size_t)(q - bs - 1) : 0;

    if (n < 2 || p[0] != '"' || q == NULL || flen == 0 ||
        flen >= sizeof(file) || klen == 0 || klen >= sizeof(key))
        return 0; /* not a line symstore writes: nothing to undo */
    memcpy(file, p + 1, flen);
    file[flen] = '\0';
    memcpy(key, bs + 1, klen);
    key[klen] = '\0';
    if (tab == NULL || (size_t)(p + n - tab - 1) >= sizeof(name))
        return undo_entry(s, id, file, key, NULL);
    memcpy(name, tab + 1, (size_t)(p + n - tab - 1));
    name[p + n - tab - 1] = '\0';
    return undo_entry(s, id, file, key, name);
}

/*
 * Drops id's line from the refs.ptr of <file>/<key>; a directory left
 * with no line (or none at all: the writer died between the file and its
 * refs.ptr line) is removed with everything in it, as a delete does.
 */
static int
undo_entry(const struct symstore *s, const char *id, const char *file,
           const char *key, const char *name)
{
    char dir[PATH_MAX], path[PATH_MAX];
    size_t kept = 0;

    if (!segment_ok(file) || !segment_ok(key) ||
        entry_dir(s, file, key, dir, sizeof(dir)) == -1)
        return 0;
    if (file_path_join(path, sizeof(path), dir, "/", LAYOUT_REFS_PTR) == -1)
        return -1;
    file_sweep_tmp(dir);
    if (lines_rewrite(path, id, NULL, LINES_JOINED, true, &kept) == -1)
        return errno == ENOENT ? 0 : -1;
    if (kept == 0 && name != NULL)
        remove_own(s, dir, name);
    else if (kept == 0)
        purge_dir(s, dir);
    return 0;
}

/* Drops id from every refs.ptr its transaction file names. */
static int
unref_all(const struct symstore *s, const char *id, const struct file_buf *txn)
{
    const char *p = txn->p ? txn->p : "";
    const char *end = p + txn->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0 && unref_line(s, id, p, n) == -1)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/*
 * Rolls back the unpublished transaction ids whose journal is j: its
 * entries as a delete removes them, its transaction file, any line of it
 * in server.txt or history.txt (publish() writes them before lastid.txt),
 * then pingme.txt for the build-id index.
 */
static int
rollback(struct symstore *s, const char *ids, const struct file_buf *j)
{
    static const char *const logs[] = {"server.txt", "history.txt"};
    char path[PATH_MAX];
    struct stat st;

    if (unref_all(s, ids, j) == -1 ||
        admin_path(s, ids, path, sizeof(path)) == -1 ||
        (unlink(path) == -1 && errno != ENOENT))
        return -1;
    for (size_t i = 0; i < 2; i++) {
        if (admin_path(s, logs[i], path, sizeof(path)) == -1)
            return -1;
        if (stat(path, &st) == 0 &&
            lines_rewrite(path, ids, NULL, LINES_ENDED, false, NULL) == -1)
            return -1;
    }
    return touch_pingme(s);
}

/*
 * Under the lock, with last from lastid.txt: a journal left behind names
 * a transaction that either reached lastid.txt (published: the journal
 * just goes) or did not (rolled back). A journal whose first line is not
 * a whole id was cut before anything else was written.
 */
static int
recover(struct symstore *s, long last, char *err, size_t errlen)
{
    char path[PATH_MAX], ids[ID_LEN + 1];
    struct file_buf j = {0};
    long id;
    int rc = 0;

    if (admin_path(s, JOURNAL, path, sizeof(path)) == -1 ||
        file_read_all(path, true, &j) == -1) {
        errbuf_set(err, errlen, "%s/" LAYOUT_ADMIN "/" JOURNAL ": %s", s->root,
                   strerror(errno));
        return -1;
    }
    id = j.len > 0 ? parse_id(j.p, j.len) : -1;
    if (id > last) {
        fmt_id(ids, id);
        rc = rollback(s, ids, &j);
    }
    if (rc == 0 && unlink(path) == -1 && errno != ENOENT)
        rc = -1;
    if (rc == -1)
        errbuf_set(err, errlen,
                   "%s: rolling back unpublished transaction %ld: %s", path, id,
                   strerror(errno));
    file_buf_free(&j);
    return rc;
}

/*
 * Takes the store lock, then settles what a writer that died left: its
 * journal (recover()) and its temporaries in the root and 000Admin/ (the
 * key directories are swept when a writer next writes to them or rolls
 * them back). *last is lastid.txt.
 */
static int
lock_and_recover(struct symstore *s, long *last, char *err, size_t errlen)
{
    char path[PATH_MAX];

    if (lock_take(s, err, errlen) == -1)
        return -1;
    if (read_lastid(s, last, err, errlen) == -1 ||
        recover(s, *last, err, errlen) == -1) {
        lock_release(s);
        return -1;
    }
    file_sweep_tmp(s->root);
    if (admin_path(s, "", path, sizeof(path)) == 0)
        file_sweep_tmp(path);
    return 0;
}

/* Under the lock: the steps of symstore_delete(). */
static int
delete_locked(struct symstore *s, long id, char *err, size_t errlen)
{
    char ids[ID_LEN + 1], nids[ID_LEN + 1], path[PATH_MAX], gone[PATH_MAX];
    char line[64];
    struct file_buf txn = {0};
    long last;

    if (read_lastid(s, &last, err, errlen) == -1)
        return -1;
    fmt_id(ids, id);
    fmt_id(nids, last + 1);
    if (admin_path(s, ids, path, sizeof(path)) == -1 ||
        file_read_all(path, false, &txn) == -1) {
        errbuf_set(err, errlen, "transaction %ld: %s", id,
                   errno == ENOENT ? "no such transaction (or deleted)"
                                   : strerror(errno));
        file_buf_free(&txn);
        return -1;
    }
    if (unref_all(s, ids, &txn) == -1)
        goto fail;
    if (file_path_join(gone, sizeof(gone), path, "", ".deleted") == -1 ||
        rename(path, gone) == -1)
        goto fail;
    snprintf(line, sizeof(line), "%s,del,%s", nids, ids);
    if (admin_path(s, "server.txt", path, sizeof(path)) == -1 ||
        lines_rewrite(path, ids, NULL, LINES_ENDED, false, NULL) == -1 ||
        admin_path(s, "history.txt", path, sizeof(path)) == -1 ||
        lines_rewrite(path, nids, line, LINES_ENDED, false, NULL) == -1 ||
        write_lastid(s, last + 1) == -1 || touch_pingme(s) == -1)
        goto fail;
    file_buf_free(&txn);
    return 0;
fail:
    errbuf_set(err, errlen, "deleting transaction %s: %s", ids,
               strerror(errno));
    file_buf_free(&txn);
    return -1;
}

int
symstore_delete(struct symstore *s, long id, char *err, size_t errlen)
{
    long last;
    int rc;

    if (id <= 0 || id >= SYMSTORE_ID_MAX) {
        errbuf_set(err, errlen, "transaction id %ld out of range", id);
        return -1;
    }
    if (lock_and_recover(s, &last, err, errlen) == -1)
        return -1;
    rc = delete_locked(s, id, err, errlen);
    lock_release(s);
    return rc;
}
