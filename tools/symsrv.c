/*
 * symsrv: fills a symbol store from Linux as symstore.exe does on Windows
 * (issue 5; docs/filling-a-store.md). argv and wiring only: the keys come
 * from keys.h, the store from symstore.h.
 *
 *   symsrv add [-r] -f PATH... -s STORE -t PRODUCT [-v VERSION] [-c COMMENT]
 *              [--compress] [--two-tier]
 *              [--s3-endpoint URL] [--s3-region NAME] [--s3-addressing
 *              path|virtual]   (STORE: a directory, or s3://BUCKET/PREFIX)
 *   symsrv del -i ID -s STORE
 *   symsrv key FILE...
 *   symsrv --version
 *
 * Messages go to stderr through util/log.h as "symsrv: ...".
 * Exit status: 0 when nothing failed, 1 when a file or the store failed,
 * 2 for a usage error.
 */
#define _XOPEN_SOURCE 700 /* realpath() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/detect.h"
#include "store/ids.h"
#include "util/errbuf.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/num.h"
#include "remote/s3url.h"
#include "symstore/s3store.h"
#include "symstore/symstore.h"

/* The largest input. PDBs are the largest symbol files, and MSF 7.00 with
 * its default 4 KiB pages stops at 4 GiB (only /PDBPAGESIZE above 4096
 * goes beyond); a bigger file under -r is more likely a mistake. */
#define SYMSRV_MAX_FILE ((uint64_t)4 << 30)
#define SYMSRV_WHY 512

struct opts {
    bool recurse, compress, two_tier;
    const char **paths; /* -f, in argv; not owned */
    size_t npaths;
    const char *store, *product, *version, *comment, *id;
    const char *s3_endpoint, *s3_region, *s3_addressing;
};

struct run {
    struct symstore *s; /* NULL for "key" and a bucket */
    struct s3store *b;  /* a bucket store (s3://), or NULL */
    unsigned stored, errors, ignored;
    dev_t store_dev; /* the store's root, which -r never walks into */
    ino_t store_ino;
};

/* A file's bytes, mapped read-only (empty: buf points at a static byte). */
struct input {
    const unsigned char *buf;
    size_t len;
    void *map;
};

static void
usage(FILE *fp)
{
    fputs("usage: symsrv add [-r] -f PATH... -s STORE -t PRODUCT "
          "[-v VERSION] [-c COMMENT]\n"
          "                  [--compress] [--two-tier]\n"
          "                  [--s3-endpoint URL] [--s3-region NAME]\n"
          "                  [--s3-addressing path|virtual]\n"
          "       (STORE: a directory, or s3://BUCKET/PREFIX)\n"
          "       symsrv del -i ID -s STORE\n"
          "       symsrv key FILE...\n"
          "       symsrv -h | --help\n"
          "       symsrv -V | --version\n"
          "symstore.exe's spellings are accepted too: /r /f /s /t /v /c /i "
          "/compress\n",
          fp);
}

static int usage_error(const char *fmt, ...) PRINTFLIKE(1, 2);

/* Names the problem, points at -h; returns the exit status 2. */
static int
usage_error(const char *fmt, ...)
{
    char msg[SYMSRV_WHY];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warnx("%s (symsrv -h for help)", msg);
    return 2;
}

/*
 * The option arg spells, as one letter ('r', 'f', 's', 't', 'v', 'c',
 * 'i', 'h'; 'Z' for --compress, 'T' for --two-tier, 'E', 'R' and 'A' for
 * --s3-endpoint, --s3-region and --s3-addressing), '?' for an unknown
 * option, or 0 when arg is no option (a path or a value). symstore.exe's
 * "/x" forms match in any case; any other word starting with '/' is a
 * path, so a path that is exactly "/s" must be written "/s/".
 */
static int
option_of(const char *arg)
{
    static const char letters[] = "rfstvcih";

    if (strcmp(arg, "--compress") == 0 || strcasecmp(arg, "/compress") == 0)
        return 'Z';
    if (strcmp(arg, "--two-tier") == 0)
        return 'T';
    if (strcmp(arg, "--help") == 0)
        return 'h';
    if (strcmp(arg, "--s3-endpoint") == 0)
        return 'E';
    if (strcmp(arg, "--s3-region") == 0)
        return 'R';
    if (strcmp(arg, "--s3-addressing") == 0)
        return 'A';
    if ((arg[0] == '-' || arg[0] == '/') && arg[1] != '\0' && arg[2] == '\0') {
        int c = arg[1] >= 'A' && arg[1] <= 'Z' ? arg[1] - 'A' + 'a' : arg[1];

        if (strchr(letters, c) != NULL && (arg[0] == '/' || c == arg[1]))
            return c;
    }
    return arg[0] == '-' && arg[1] != '\0' ? '?' : 0;
}

/* The value of the option at argv[*i]: the next word, which must exist. */
static const char *
value_of(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc || option_of(argv[*i + 1]) != 0)
        return NULL;
    return argv[++*i];
}

/* -f PATH...: every following word up to the next option. */
static int
take_paths(int argc, char **argv, int *i, struct opts *o)
{
    size_t before = o->npaths;

    while (*i + 1 < argc && option_of(argv[*i + 1]) == 0)
        o->paths[o->npaths++] = argv[++*i];
    if (o->npaths == before)
        return usage_error("%s needs at least one path", argv[*i]);
    return 0;
}

/* Sets the string option letter c; 0 or 2 (usage error printed). */
static int
take_value(int argc, char **argv, int *i, struct opts *o, int c)
{
    const char *opt = argv[*i], *v = value_of(argc, argv, i);
    const char **slot = c == 's'   ? &o->store
                        : c == 't' ? &o->product
                        : c == 'v' ? &o->version
                        : c == 'c' ? &o->comment
                        : c == 'E' ? &o->s3_endpoint
                        : c == 'R' ? &o->s3_region
                        : c == 'A' ? &o->s3_addressing
                                   : &o->id;

    if (v == NULL)
        return usage_error("%s needs a value", opt);
    if (*slot != NULL)
        return usage_error("%s given twice", opt);
    *slot = v;
    return 0;
}

/*
 * Parses argv[2..] of "add" or "del" (allowed: its option letters) into
 * o. 0; -1 when help was asked for (and printed); 2 on a usage error.
 */
static int
parse_opts(int argc, char **argv, struct opts *o, const char *allowed)
{
    for (int i = 2; i < argc; i++) {
        int c = option_of(argv[i]), rc = 0;

        if (c == 0)
            return usage_error("unexpected argument '%s'", argv[i]);
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || strchr(allowed, c) == NULL)
            return usage_error("%s: no such option of '%s'", argv[i], argv[1]);
        if (c == 'r')
            o->recurse = true;
        else if (c == 'Z')
            o->compress = true;
        else if (c == 'T')
            o->two_tier = true;
        else if (c == 'f')
            rc = take_paths(argc, argv, &i, o);
        else
            rc = take_value(argc, argv, &i, o, c);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Maps path; 0, or -1 with the reason in why (nothing to release). */
static int
input_open(const char *path, struct input *in, char *why, size_t whylen)
{
    static const unsigned char none[1];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    in->buf = none;
    in->len = 0;
    in->map = NULL;
    if (fd == -1 || fstat(fd, &st) == -1) {
        errbuf_set(why, whylen, "%s", strerror(errno));
        if (fd != -1)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SYMSRV_MAX_FILE) {
        errbuf_set(why, whylen, "%s",
                   S_ISREG(st.st_mode) ? "larger than 4 GiB"
                                       : "not a regular file");
        close(fd);
        return -1;
    }
    if (st.st_size > 0) {
        in->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (in->map == MAP_FAILED) {
            errbuf_set(why, whylen, "mmap: %s", strerror(errno));
            close(fd);
            return -1;
        }
        in->buf = in->map;
        in->len = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

static void
input_close(struct input *in)
{
    if (in->map != NULL)
        munmap(in->map, in->len);
    in->map = NULL;
}

/* The id of an ELF or Mach-O key ("elf-buildid-[sym-]<hex>",
 * "mach-uuid-[sym-]<hex>") into id[IDS_ID_MAX]; its length, 0 if none. */
static size_t
binary_id(const char *key, bool *elf, unsigned char *id)
{
    static const char *const prefixes[] = {"elf-buildid-sym-", "elf-buildid-",
                                           "mach-uuid-sym-", "mach-uuid-"};
    size_t n = 0;

    for (size_t i = 0; i < 4; i++) {
        size_t pl = strlen(prefixes[i]);

        if (strncmp(key, prefixes[i], pl) == 0) {
            *elf = i < 2;
            return ids_parse_hex(key + pl, strlen(key + pl), id, &n) ? n : 0;
        }
    }
    return 0;
}

/*
 * "symsrv key": after the store paths, the identifiers other clients ask
 * with (docs/store.md): for ELF and Mach-O the Breakpad debug id and the
 * code id Backtrace and symbolicator use; PE, PDB and Breakpad keys are
 * those ids already. One line per distinct id.
 */
static void
print_ids(const char *path, const struct keys_entry *e, size_t n)
{
    const char *base =
        strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    unsigned char prev[IDS_ID_MAX], id[IDS_ID_MAX];
    size_t prevlen = 0;

    for (size_t i = 0; i < n; i++) {
        struct ids_debug dbg = {.age = 0};
        char dtext[IDS_DEBUG_TEXT_MAX + 1], hex[2 * IDS_ID_MAX + 1];
        bool elf = false;
        size_t len = binary_id(e[i].key, &elf, id);

        if (len == 0 || (len == prevlen && memcmp(id, prev, len) == 0))
            continue;
        if (elf)
            ids_elf_guid(id, len, dbg.guid);
        else
            memcpy(dbg.guid, id, IDS_GUID_LEN);
        ids_debug_text(&dbg, dtext);
        hex_encode(id, len, false, hex);
        printf("%s: debug id %s, code id %s\n", base, dtext, hex);
        memcpy(prev, id, len);
        prevlen = len;
    }
}

/* symstore_add() under the absolute path, as symstore.exe records it in
 * the transaction file and refs.ptr. */
static int
store_file(const struct run *r, const char *path, const struct input *in,
           const struct keys_entry *e, size_t n, char *why, size_t whylen)
{
    char *abs = realpath(path, NULL);
    int rc = r->b != NULL ? s3store_add(r->b, abs != NULL ? abs : path, in->buf,
                                        in->len, e, n, why, whylen)
                          : symstore_add(r->s, abs != NULL ? abs : path,
                                         in->buf, in->len, e, n, why, whylen);

    free(abs);
    return rc;
}

/*
 * For the crash tests (tests/integration/test_symsrv.c): with
 * SYMSRV_TEST_KILL_AFTER=N in the environment, the run kills itself with
 * SIGKILL after storing its Nth file, mid-transaction, as kill -9 would.
 */
static void
test_kill_point(const struct run *r)
{
    const char *v = getenv("SYMSRV_TEST_KILL_AFTER");
    uint64_t n;

    if (v != NULL && num_parse_u64(v, strlen(v), UINT32_MAX, &n) == 0 &&
        r->stored == n) {
        fflush(stdout);
        raise(SIGKILL);
    }
}

/* Stores one file. found: met by -r inside a directory, so that a file no
 * format recognises is ignored rather than an error. */
static void
add_file(struct run *r, const char *path, bool found)
{
    struct keys_entry e[KEYS_MAX];
    struct input in;
    char why[SYMSRV_WHY];
    size_t n = 0;
    enum keys_rc rc = KEYS_BAD;
    bool opened = input_open(path, &in, why, sizeof(why)) == 0;

    if (opened)
        rc = keys_detect(path, in.buf, in.len, e, KEYS_MAX, &n, NULL, why,
                         sizeof(why));
    if (opened && found && (rc == KEYS_UNRECOGNISED || in.len == 0)) {
        r->ignored++;
    } else if (rc != KEYS_OK) {
        log_warnx("%s: %s", path, why);
        r->errors++;
    } else if (r->s == NULL && r->b == NULL) {
        for (size_t i = 0; i < n; i++)
            printf("%s/%s/%s\n", e[i].file, e[i].key, e[i].name);
        print_ids(path, e, n);
        r->stored++;
    } else if (store_file(r, path, &in, e, n, why, sizeof(why)) == -1) {
        log_warnx("%s: %s", path, why);
        r->errors++;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("stored %s/%s/%s from %s\n", e[i].file, e[i].key, e[i].name,
                   path);
        r->stored++;
        test_kill_point(r);
    }
    input_close(&in);
    fflush(stdout);
}

static void add_path(struct run *r, const char *path, bool recurse, bool found);

/* Every entry of dir, in name order; symlinks to directories are not
 * followed (no loops), symlinks to files are. */
static void
add_dir(struct run *r, const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);

    if (n < 0) {
        log_warn("%s", dir);
        r->errors++;
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        size_t len = strlen(dir) + strlen(name) + 2;
        char *child = malloc(len);
        struct stat st;

        if (child == NULL) {
            log_warnx("%s/%s: out of memory", dir, name);
            r->errors++;
        } else if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            snprintf(child, len, "%s%s%s", dir,
                     dir[strlen(dir) - 1] == '/' ? "" : "/", name);
            if (lstat(child, &st) == 0 && S_ISLNK(st.st_mode) &&
                stat(child, &st) == 0 && S_ISDIR(st.st_mode))
                r->ignored++;
            else
                add_path(r, child, true, true);
        }
        free(child);
        free(list[i]);
    }
    free(list);
}

/* A path of -f: a file, or with recurse a directory walked. */
static void
add_path(struct run *r, const char *path, bool recurse, bool found)
{
    struct stat st;

    if (stat(path, &st) == -1) {
        log_warn("%s", path);
        r->errors++;
    } else if (S_ISDIR(st.st_mode) && r->s != NULL &&
               st.st_dev == r->store_dev && st.st_ino == r->store_ino) {
        /* The store itself, inside a tree being added: not an input. */
    } else if (S_ISDIR(st.st_mode) && recurse) {
        add_dir(r, path);
    } else if (S_ISDIR(st.st_mode)) {
        log_warnx("%s: is a directory%s", path,
                  r->s != NULL || r->b != NULL ? " (add -r to walk it)" : "");
        r->errors++;
    } else if (!S_ISREG(st.st_mode) && found) {
        r->ignored++;
    } else {
        add_file(r, path, found);
    }
}

/* symstore.exe's closing lines. */
static void
summary(const struct run *r)
{
    printf("SYMSTORE: Number of files stored = %u\n", r->stored);
    printf("SYMSTORE: Number of errors = %u\n", r->errors);
    printf("SYMSTORE: Number of files ignored = %u\n", r->ignored);
}

/* The settings of a bucket store from the options (the rest from the
 * environment and the credentials file: remote/s3.h). 0, or 2 on a usage
 * error. */
static int
s3_conf_of(const struct opts *o, struct s3_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = o->s3_endpoint;
    c->region = o->s3_region;
    if (o->s3_addressing == NULL)
        c->addressing = S3_ADDR_AUTO;
    else if (strcmp(o->s3_addressing, "path") == 0)
        c->addressing = S3_ADDR_PATH;
    else if (strcmp(o->s3_addressing, "virtual") == 0)
        c->addressing = S3_ADDR_VIRTUAL;
    else
        return usage_error("--s3-addressing is path or virtual, not '%s'",
                           o->s3_addressing);
    return 0;
}

/* A whole number of the environment (tests and tuning), or dflt. */
static uint64_t
env_number(const char *name, uint64_t max, uint64_t dflt)
{
    const char *v = getenv(name);
    uint64_t n;

    if (v == NULL || num_parse_u64(v, strlen(v), max, &n) == -1)
        return dflt;
    return n;
}

/*
 * Publishes the transaction r holds: the id (> 0), 0 when nothing was
 * added, -1 when it failed (the reason printed).
 */
static long
run_commit(struct run *r)
{
    char err[SYMSRV_WHY];
    long id = r->b != NULL ? s3store_commit(r->b, err, sizeof(err))
                           : symstore_commit(r->s, err, sizeof(err));

    if (id == -1)
        log_warnx("%s", err);
    return id;
}

/* One transaction into a bucket store (symstore/s3store.h). */
static int
run_add_s3(const struct opts *o)
{
    struct symstore_txn t = {o->product, o->version, o->comment, o->compress};
    struct run r = {NULL, NULL, 0, 0, 0, 0, 0};
    struct s3_conf c;
    char err[SYMSRV_WHY];
    long id;
    int rc = s3_conf_of(o, &c);

    if (rc != 0)
        return rc;
    /* SYMSRV_S3_PART_SIZE: multipart above it (tests set it low). */
    c.part_size = env_number("SYMSRV_S3_PART_SIZE", UINT32_MAX, 0);
    r.b = s3store_open(&c, o->store, o->two_tier,
                       (unsigned)env_number("SYMSRV_S3_LOCK_WAIT", 86400, 60),
                       err, sizeof(err));
    if (r.b == NULL || s3store_begin(r.b, &t, err, sizeof(err)) == -1) {
        log_warnx("%s", err);
        s3store_close(r.b);
        return 1;
    }
    for (size_t i = 0; i < o->npaths; i++)
        add_path(&r, o->paths[i], o->recurse, false);
    id = run_commit(&r);
    if (id == -1)
        r.errors++;
    else if (id > 0)
        printf("transaction %010ld\n", id);
    s3store_close(r.b);
    summary(&r);
    return r.errors == 0 ? 0 : 1;
}

/* Opens the store, runs one transaction over every path. */
static int
run_add(const struct opts *o)
{
    struct symstore_txn t = {o->product, o->version, o->comment, o->compress};
    struct run r = {NULL, NULL, 0, 0, 0, 0, 0};
    char err[SYMSRV_WHY];
    struct stat st;
    long id;

    if (s3url_is_store(o->store))
        return run_add_s3(o);
    r.s = symstore_open(o->store, true, o->two_tier, err, sizeof(err));
    if (r.s == NULL) {
        log_warnx("%s", err);
        return 1;
    }
    if (stat(o->store, &st) == 0) {
        r.store_dev = st.st_dev;
        r.store_ino = st.st_ino;
    }
    if (symstore_begin(r.s, &t, err, sizeof(err)) == -1) {
        log_warnx("%s", err);
        symstore_close(r.s);
        return 1;
    }
    for (size_t i = 0; i < o->npaths; i++)
        add_path(&r, o->paths[i], o->recurse, false);
    id = run_commit(&r);
    if (id == -1) {
        r.errors++;
    } else if (id > 0) {
        printf("transaction %010ld\n", id);
    }
    symstore_close(r.s);
    summary(&r);
    return r.errors == 0 ? 0 : 1;
}

static int
cmd_add(int argc, char **argv)
{
    struct opts o = {.recurse = false};
    int rc;

    o.paths = calloc((size_t)argc, sizeof(*o.paths));
    if (o.paths == NULL) {
        log_warnx("out of memory");
        return 1;
    }
    rc = parse_opts(argc, argv, &o, "rfstvcZTERA");
    if (rc == 0 && o.npaths == 0)
        rc = usage_error("add needs -f PATH");
    else if (rc == 0 && o.store == NULL)
        rc = usage_error("add needs -s STORE");
    else if (rc == 0 && o.product == NULL)
        rc = usage_error("add needs -t PRODUCT");
    else if (rc == 0 && strchr(o.product, '"') != NULL)
        rc = usage_error("-t PRODUCT may not hold '\"'");
    if (rc == 0)
        rc = run_add(&o);
    free(o.paths);
    return rc == -1 ? 0 : rc;
}

/* The decimal transaction id of -i: 1 to 9999999999. */
static long
parse_id(const char *s)
{
    uint64_t v;

    if (num_parse_u64(s, strlen(s), SYMSTORE_ID_MAX, &v) == -1 || v == 0)
        return -1;
    return (long)v;
}

/* del of a bucket store (symstore/s3store.h). */
static int
run_del_s3(const struct opts *o, long id)
{
    struct s3_conf c;
    struct s3store *b;
    char err[SYMSRV_WHY];
    int rc = s3_conf_of(o, &c);

    if (rc != 0)
        return rc;
    b = s3store_open(&c, o->store, false,
                     (unsigned)env_number("SYMSRV_S3_LOCK_WAIT", 86400, 60),
                     err, sizeof(err));
    if (b == NULL || s3store_delete(b, id, err, sizeof(err)) == -1) {
        log_warnx("%s", err);
        s3store_close(b);
        return 1;
    }
    s3store_close(b);
    printf("deleted transaction %010ld\n", id);
    return 0;
}

static int
cmd_del(int argc, char **argv)
{
    struct opts o = {.recurse = false};
    struct symstore *s;
    char err[SYMSRV_WHY];
    long id;
    int rc = parse_opts(argc, argv, &o, "isERA");

    if (rc != 0)
        return rc == -1 ? 0 : rc;
    if (o.id == NULL || o.store == NULL)
        return usage_error("del needs -i ID and -s STORE");
    id = parse_id(o.id);
    if (id == -1)
        return usage_error("-i '%s' is not a transaction id", o.id);
    if (s3url_is_store(o.store))
        return run_del_s3(&o, id);
    s = symstore_open(o.store, false, false, err, sizeof(err));
    if (s == NULL || symstore_delete(s, id, err, sizeof(err)) == -1) {
        log_warnx("%s", err);
        if (s != NULL)
            symstore_close(s);
        return 1;
    }
    symstore_close(s);
    printf("deleted transaction %010ld\n", id);
    return 0;
}

static int
cmd_key(int argc, char **argv)
{
    struct run r = {NULL, NULL, 0, 0, 0, 0, 0};

    if (argc < 3)
        return usage_error("key needs FILE...");
    for (int i = 2; i < argc; i++)
        add_path(&r, argv[i], false, false);
    return r.errors == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    log_init("symsrv");
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("symsrv %s\n", SYMSRVD_VERSION);
        return 0;
    }
    if (strcasecmp(cmd, "add") == 0)
        return cmd_add(argc, argv);
    if (strcasecmp(cmd, "del") == 0)
        return cmd_del(argc, argv);
    if (strcmp(cmd, "key") == 0)
        return cmd_key(argc, argv);
    if (*cmd == '\0')
        return usage_error("a command is needed: add, del or key");
    return usage_error("unknown command '%s'", cmd);
}
