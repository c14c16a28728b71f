/*
 * debuginfod: /buildid/<hex>/debuginfo and /executable answered from the
 * SSQP keys of the store, built from real ELF files made at test time
 * (gcc, objcopy, readelf), with debuginfod's headers; every other
 * /buildid/ path a plain 404; the build-id index following the store; and
 * the real clients, debuginfod-find and gdb, fetching from the daemon.
 *
 * The real clients run over HTTP only: libdebuginfod gives libcurl no CA
 * file of ours and libcurl reads none from the environment, so they could
 * trust the test CA only if it were installed system-wide.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define ID_MAX 130

/* Made-up build-ids for files that need not be real ELF files. */
#define FAKE "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
#define DUP "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
#define TIER "7777777777777777777777777777777777777777"
#define HIDDEN "4444444444444444444444444444444444444444"
#define ESCAPE "5555555555555555555555555555555555555555"
#define LEAK "6666666666666666666666666666666666666666"
#define EMPTYKEY "8888888888888888888888888888888888888888"
#define UPPER "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
#define POINTED "9999999999999999999999999999999999999999"
#define SHORT "deadbeef"
#define SHORT_PADDED "deadbeef00000000000000000000000000000000"
#define NOWHERE "0123456789012345678901234567890123456789"

struct prog {
    char name[32];
    char id[ID_MAX];
    char src[256];      /* the C source, as gdb names it */
    char full[256];     /* gcc -g: what /debuginfo answers */
    char stripped[256]; /* objcopy --strip-debug: what /executable answers */
};

static struct daemon srv;
static int nbuilt;   /* programs built so far: each gets its own directory */
static bool skipped; /* the test ran no daemon */

static void sh(const char *fmt, ...) PRINTFLIKE(1, 2);

/* Runs a shell command; it must exit 0. */
static void
sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    status = system(cmd);
    if (status != 0)
        fail_msg("'%s' failed (status %d)", cmd, status);
}

/* Writes text at rel under the store, making its directories. */
static void
put_text(const char *rel, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", srv.root, rel);
    sh("mkdir -p \"$(dirname '%s')\"", path);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
put_copy(const char *rel, const char *src)
{
    sh("mkdir -p \"$(dirname '%s/%s')\" && cp '%s' '%s/%s'", srv.root, rel, src,
       srv.root, rel);
}

/* The GNU build-id of an ELF file, as readelf -n prints it. */
static void
read_build_id(const char *path, char *id)
{
    char cmd[512], line[512];
    FILE *p;

    id[0] = '\0';
    snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p) != NULL) {
        const char *at = strstr(line, "Build ID: ");

        if (at != NULL)
            sscanf(at + 10, "%129[0-9a-f]", id);
    }
    assert_int_equal(pclose(p), 0);
    if (strlen(id) != 40)
        fail_msg("%s: no SHA-1 build-id in readelf -n ('%s')", path, id);
}

/*
 * A tiny C program in a directory of its own under the scratch directory,
 * built with a SHA-1 build-id, and its stripped copy.
 */
static void
make_prog(const char *name, const char *greeting, struct prog *p)
{
    char dir[200];
    FILE *fp;

    snprintf(dir, sizeof(dir), "%s/build%d", srv.dir, nbuilt++);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->src, sizeof(p->src), "%s/%s.c", dir, name);
    snprintf(p->full, sizeof(p->full), "%s/%s", dir, name);
    snprintf(p->stripped, sizeof(p->stripped), "%s/%s.stripped", dir, name);
    fp = fopen(p->src, "w");
    assert_non_null(fp);
    fprintf(fp,
            "#include <stdio.h>\n\nint\nmain(void)\n{\n    puts(\"%s\");\n"
            "    return 0;\n}\n",
            greeting);
    fclose(fp);
    sh("gcc -g -O0 -Wl,--build-id=sha1 -o '%s' '%s'", p->full, p->src);
    sh("objcopy --strip-debug '%s' '%s'", p->full, p->stripped);
    read_build_id(p->full, p->id);
}

/* Stores both halves under their SSQP keys. */
static void
store_prog(const struct prog *p)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "_.debug/elf-buildid-sym-%s/_.debug", p->id);
    put_copy(rel, p->full);
    snprintf(rel, sizeof(rel), "%s/elf-buildid-%s/%s", p->name, p->id, p->name);
    put_copy(rel, p->stripped);
}

static void
start_with(struct prog *p)
{
    fixture_make(&srv);
    make_prog("hello", "hello, debuginfod", p);
    store_prog(p);
}

static int
teardown(void **state)
{
    (void)state;
    if (skipped) {
        skipped = false;
        return 0;
    }
    daemon_finish(&srv);
    return 0;
}

static void
get(const char *method, const char *target, const char *const *hdrs,
    struct resp *r)
{
    assert_int_equal(http_request(&srv, method, target, hdrs, false, r), 0);
}

static void
expect_header(const struct resp *r, const char *name, const char *want)
{
    char buf[256];
    const char *got = resp_header(r, name, buf);

    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s: '%s', want '%s'", name, got != NULL ? got : "(none)",
                 want);
}

/* A 200 whose body is the file at path, with debuginfod's headers. */
static void
expect_file(const char *target, const char *path, const char *xfile)
{
    struct resp r;
    size_t len;
    char *want = slurp(path, &len);
    char num[32];

    assert_non_null(want);
    get("GET", target, NULL, &r);
    if (r.code != 200)
        fail_msg("%s: got %ld, want 200", target, r.code);
    assert_int_equal(r.len, len);
    assert_memory_equal(r.body, want, len);
    snprintf(num, sizeof(num), "%zu", len);
    expect_header(&r, "Content-Type", "application/octet-stream");
    expect_header(&r, "Content-Length", num);
    expect_header(&r, "X-DEBUGINFOD-SIZE", num);
    expect_header(&r, "X-DEBUGINFOD-FILE", xfile);
    resp_free(&r);
    free(want);
}

/* GET target answers status with body text (NULL: any body). */
static void
expect_text(const char *target, long status, const char *text)
{
    struct resp r;
    char buf[256];

    get("GET", target, NULL, &r);
    if (r.code != status)
        fail_msg("%s: got %ld, want %ld", target, r.code, status);
    if (text != NULL && strcmp(r.body != NULL ? r.body : "", text) != 0)
        fail_msg("%s: body '%s', want '%s'", target, r.body, text);
    if (status == 404) {
        expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
        if (resp_header(&r, "X-DEBUGINFOD-SIZE", buf) != NULL)
            fail_msg("%s: X-DEBUGINFOD-SIZE on a miss", target);
    }
    resp_free(&r);
}

/* Polls target until it answers 200 (up to 5 s); returns the tries. */
static int
wait_found(const char *target)
{
    for (int i = 1; i <= 500; i++) {
        struct resp r;
        long code;

        get("GET", target, NULL, &r);
        code = r.code;
        resp_free(&r);
        if (code == 200)
            return i;
        assert_int_equal(code, 404);
        sleep_ms(10);
    }
    fail_msg("%s: still not found after 5 s", target);
    return 0;
}

static void
test_fetch(void **state)
{
    struct prog p;
    char target[256], xfile[256];

    (void)state;
    start_with(&p);
    daemon_start(&srv, NULL);
    snprintf(target, sizeof(target), "/buildid/%s/debuginfo", p.id);
    snprintf(xfile, sizeof(xfile), "/_.debug/elf-buildid-sym-%s/_.debug", p.id);
    expect_file(target, p.full, xfile);
    snprintf(target, sizeof(target), "/buildid/%s/executable", p.id);
    snprintf(xfile, sizeof(xfile), "/hello/elf-buildid-%s/hello", p.id);
    expect_file(target, p.stripped, xfile);
    /* the SSQP URLs of the same files still answer, without the headers */
    snprintf(target, sizeof(target), "/hello/elf-buildid-%s/hello", p.id);
    expect_text(target, 200, NULL);
}

/* HEAD, ranges and conditionals work on debuginfod answers too. */
static void
test_head_range_conditional(void **state)
{
    struct prog p;
    struct resp r;
    char target[256], num[32], etag[256], inm[300];
    struct stat st;

    (void)state;
    start_with(&p);
    daemon_start(&srv, NULL);
    assert_int_equal(stat(p.full, &st), 0);
    snprintf(num, sizeof(num), "%lld", (long long)st.st_size);
    snprintf(target, sizeof(target), "/buildid/%s/debuginfo", p.id);

    get("HEAD", target, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 0);
    expect_header(&r, "Content-Length", num);
    expect_header(&r, "X-DEBUGINFOD-SIZE", num);
    expect_header(&r, "Content-Type", "application/octet-stream");
    assert_non_null(resp_header(&r, "ETag", etag));
    resp_free(&r);

    get("GET", target, (const char *const[]){"Range: bytes=0-3", NULL}, &r);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 4);
    assert_memory_equal(r.body,
                        "\x7f"
                        "ELF",
                        4);
    expect_header(&r, "X-DEBUGINFOD-SIZE", num); /* the whole file's */
    resp_free(&r);

    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    get("GET", target, (const char *const[]){inm, NULL}, &r);
    assert_int_equal(r.code, 304);
    assert_int_equal(r.len, 0);
    resp_free(&r);
}

struct miss_case {
    const char *target;
    long status;
};

static const struct miss_case miss_cases[] = {
    {"/buildid/" NOWHERE "/debuginfo", 404},
    {"/buildid/" NOWHERE "/executable", 404},
    /* debuginfod paths symsrvd does not serve */
    {"/buildid/" FAKE "/source/usr/src/hello.c", 404},
    {"/buildid/" FAKE "/source/%2Fetc%2Fpasswd", 404},
    {"/buildid/" FAKE, 404},
    {"/buildid/" FAKE "/", 404},
    {"/buildid/" FAKE "/executable/extra", 404},
    {"/buildid/" FAKE "/Executable", 404},
    {"/buildid", 404},
    {"/buildid/", 404},
    {"/metrics", 404},
    /* malformed build-ids */
    {"/buildid/C0FFEE00C0FFEE00C0FFEE00C0FFEE00C0FFEE00/executable", 404},
    {"/buildid/c0ffee0/executable", 404},
    {"/buildid/c/executable", 404},
    {"/buildid/zz/executable", 404},
    {"/buildid/%63%30ffee/executable", 404},
    {"/buildid/" FAKE FAKE FAKE FAKE "00/executable", 404},
    /* not debuginfod's: the store's, where nothing is stored there */
    {"/BUILDID/" FAKE "/executable", 404},
    /* hidden names are not indexed; escapes are not served */
    {"/buildid/" HIDDEN "/executable", 404},
    {"/buildid/" ESCAPE "/executable", 404},
    {"/buildid/" LEAK "/executable", 404},
    /* a key directory without its file */
    {"/buildid/" EMPTYKEY "/executable", 404},
    /* paths that climb are refused before routing */
    {"/buildid/zz/../" FAKE "/executable", 200},
    {"/buildid/../../etc/passwd", 400},
};

static void
test_misses(void **state)
{
    struct prog p;
    char path[512];

    (void)state;
    start_with(&p);
    put_text("fake/elf-buildid-" FAKE "/fake", "fake");
    put_text(".secret/elf-buildid-" HIDDEN "/.secret", "hidden");
    put_text("refs.ptr/elf-buildid-" HIDDEN "/refs.ptr", "hidden");
    put_text("empty/elf-buildid-" EMPTYKEY "/refs.ptr", "0000000001");
    /* a name directory that is a symlink out of the store */
    sh("mkdir -p '%s/outside/evil/elf-buildid-" ESCAPE "' && "
       "echo evil > '%s/outside/evil/elf-buildid-" ESCAPE "/evil' && "
       "ln -s ../outside/evil '%s/evil'",
       srv.dir, srv.dir, srv.root);
    /* a stored file that is a symlink out of the store */
    snprintf(path, sizeof(path), "%s/leaky/elf-buildid-" LEAK, srv.root);
    sh("mkdir -p '%s' && ln -s ../../../outside/secret.txt '%s/leaky'", path,
       path);
    daemon_start(&srv, NULL);
    for (size_t i = 0; i < sizeof(miss_cases) / sizeof(miss_cases[0]); i++)
        expect_text(miss_cases[i].target, miss_cases[i].status,
                    miss_cases[i].status == 404 ? "not found\n" : NULL);
    /* HEAD of a miss: the same status, no body */
    {
        struct resp r;

        get("HEAD", "/buildid/" NOWHERE "/debuginfo", NULL, &r);
        assert_int_equal(r.code, 404);
        assert_int_equal(r.len, 0);
        resp_free(&r);
    }
}

/*
 * SSQP pads short build-ids with zero bytes to 20; a request for the id as
 * the ELF note holds it finds the padded key. The id as asked wins.
 */
static void
test_short_ids(void **state)
{
    struct prog p;

    (void)state;
    start_with(&p);
    put_text("_.debug/elf-buildid-sym-" SHORT_PADDED "/_.debug", "padded");
    put_text("short.so/elf-buildid-" SHORT_PADDED "/short.so", "short exe");
    put_text("_.debug/elf-buildid-sym-cafe/_.debug", "exact");
    put_text("_.debug/elf-buildid-sym-cafe000000000000000000000000000000000"
             "0/_.debug",
             "padded");
    daemon_start(&srv, NULL);
    expect_text("/buildid/" SHORT "/debuginfo", 200, "padded");
    expect_text("/buildid/" SHORT "/executable", 200, "short exe");
    expect_text("/buildid/" SHORT_PADDED "/executable", 200, "short exe");
    expect_text("/buildid/cafe/debuginfo", 200, "exact");
    expect_text("/buildid/deadbe/debuginfo", 404, "not found\n");
}

/*
 * Whose executable: one name per build-id, the path that sorts first byte
 * by byte; keys in any case; two-tier prefixes; a key holding only a
 * file.ptr (the store follows it).
 */
static void
test_index_layouts(void **state)
{
    static char roots[300], ptr[400];
    const char *flags[] = {"--pointer-roots", roots, NULL};
    struct prog p;
    struct resp r;

    (void)state;
    start_with(&p);
    snprintf(roots, sizeof(roots), "%s/outside", srv.dir);
    snprintf(ptr, sizeof(ptr), "PATH:%s/pointed.bin", roots);
    sh("echo pointed > '%s/pointed.bin'", roots);
    put_text("pointed/elf-buildid-" POINTED "/file.ptr", ptr);
    put_text("b-name/elf-buildid-" DUP "/b-name", "b");
    put_text("a-name/elf-buildid-" DUP "/a-name", "a");
    put_text("Upper/ELF-BUILDID-ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD/Upper",
             "upper");
    put_text("index2.txt", "");
    put_text("ti/tier.so/elf-buildid-" TIER "/tier.so", "tier");
    daemon_start(&srv, flags);
    expect_text("/buildid/" POINTED "/executable", 200, "pointed\n");
    expect_text("/buildid/" DUP "/executable", 200, "a");
    expect_text("/buildid/" UPPER "/executable", 200, "upper");
    get("GET", "/buildid/" TIER "/executable", NULL, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "tier");
    expect_header(&r, "X-DEBUGINFOD-FILE",
                  "/ti/tier.so/elf-buildid-" TIER "/tier.so");
    resp_free(&r);
}

static void
touch(const char *rel)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", srv.root, rel);
    assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
}

/*
 * The index follows the store: a transaction (pingme.txt touched) or a new
 * name directory is found without a restart, and without a request ever
 * scanning the tree; what was indexed before still answers meanwhile.
 */
static void
test_refresh(void **state)
{
    struct prog p, q, n;
    char target[256], xfile[256];

    (void)state;
    start_with(&p);
    daemon_start(&srv, NULL);
    /* a new build of a program already stored: pingme.txt tells */
    make_prog("hello", "hello again", &q);
    snprintf(target, sizeof(target), "/buildid/%s/executable", q.id);
    expect_text(target, 404, "not found\n");
    store_prog(&q);
    touch("pingme.txt");
    wait_found(target);
    snprintf(xfile, sizeof(xfile), "/hello/elf-buildid-%s/hello", q.id);
    expect_file(target, q.stripped, xfile);
    /* a new name directory: the root's mtime tells, pingme.txt untouched */
    make_prog("newcomer", "new here", &n);
    snprintf(target, sizeof(target), "/buildid/%s/executable", n.id);
    expect_text(target, 404, "not found\n");
    store_prog(&n);
    wait_found(target);
    snprintf(xfile, sizeof(xfile), "/newcomer/elf-buildid-%s/newcomer", n.id);
    expect_file(target, n.stripped, xfile);
    snprintf(target, sizeof(target), "/buildid/%s/executable", p.id);
    snprintf(xfile, sizeof(xfile), "/hello/elf-buildid-%s/hello", p.id);
    expect_file(target, p.stripped, xfile);
}

static void
need_tool(const char *name, const char *package)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    if (system(cmd) != 0) {
        skipped = true; /* no daemon for the teardown to stop */
        harness_skip("%s is not installed: run scripts/deps.sh (Debian "
                     "package %s)",
                     name, package);
    }
}

/* Runs cmd; its stdout goes to out[outsz]. Returns the exit status. */
static int
capture(const char *cmd, char *out, size_t outsz)
{
    FILE *p = popen(cmd, "r");
    size_t n;
    int status;

    assert_non_null(p);
    n = fread(out, 1, outsz - 1, p);
    out[n] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The clients' environment: this daemon only, a fresh cache of its own. */
static void
client_env(const char *cache)
{
    char path[300];

    snprintf(path, sizeof(path), "%s/%s", srv.dir, cache);
    setenv("DEBUGINFOD_URLS", srv.http_base, 1);
    setenv("DEBUGINFOD_CACHE_PATH", path, 1);
    setenv("DEBUGINFOD_TIMEOUT", "20", 1);
    unsetenv("DEBUGINFOD_VERBOSE");
    unsetenv("DEBUGINFOD_PROGRESS");
    unsetenv("DEBUGINFOD_HEADERS_FILE");
}

/* debuginfod-find KIND ID must print a file byte-identical to want. */
static void
find_file(const char *kind, const char *id, const char *want)
{
    char cmd[512], out[1024];
    size_t got_len, want_len;
    char *got, *exp;

    snprintf(cmd, sizeof(cmd), "debuginfod-find %s %s 2>'%s/find.err'", kind,
             id, srv.dir);
    if (capture(cmd, out, sizeof(out)) != 0) {
        char path[300], *err;

        snprintf(path, sizeof(path), "%s/find.err", srv.dir);
        err = slurp(path, NULL);
        fail_msg("%s: failed: %s", cmd, err != NULL ? err : "?");
    }
    out[strcspn(out, "\n")] = '\0';
    got = slurp(out, &got_len);
    exp = slurp(want, &want_len);
    if (got == NULL)
        fail_msg("%s: printed '%s', not a readable file", cmd, out);
    assert_non_null(exp);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, exp, want_len);
    free(got);
    free(exp);
}

/* The access log shows text within 5 s (lines follow the answers). */
static void
expect_logged(const char *text)
{
    for (int i = 0; i < 500; i++) {
        char *log = slurp(srv.access_log, NULL);
        int found = log != NULL && strstr(log, text) != NULL;

        free(log);
        if (found)
            return;
        sleep_ms(10);
    }
    fail_msg("access log: no '%s'", text);
}

static void
test_debuginfod_find(void **state)
{
    struct prog p;
    char cmd[512], out[8192], want[256];

    (void)state;
    need_tool("debuginfod-find", "debuginfod");
    start_with(&p);
    daemon_start(&srv, NULL);
    client_env("cache-find");
    find_file("debuginfo", p.id, p.full);
    find_file("executable", p.id, p.stripped);
    /* the client saw debuginfod's headers (it lists them under -vvv) */
    client_env("cache-verbose");
    snprintf(cmd, sizeof(cmd), "debuginfod-find -vvv executable %s 2>&1", p.id);
    assert_int_equal(capture(cmd, out, sizeof(out)), 0);
    snprintf(want, sizeof(want),
             "X-DEBUGINFOD-FILE: /hello/elf-buildid-%s/hello", p.id);
    if (strstr(out, "X-DEBUGINFOD-SIZE: ") == NULL || strstr(out, want) == NULL)
        fail_msg("debuginfod-find -vvv: no X-DEBUGINFOD headers: %s", out);
    /* a miss is a failure, not an empty file */
    snprintf(cmd, sizeof(cmd), "debuginfod-find executable %s 2>/dev/null",
             NOWHERE);
    assert_int_not_equal(capture(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

/* gdb finds a stripped program's lines only through the daemon. */
static void
test_gdb(void **state)
{
    struct prog p;
    char cmd[1024], out[4096], line[300];

    (void)state;
    need_tool("gdb", "gdb");
    start_with(&p);
    daemon_start(&srv, NULL);
    snprintf(cmd, sizeof(cmd),
             "gdb -batch -nx -iex 'set debuginfod enabled on' "
             "-ex 'info line main' '%s' 2>&1",
             p.stripped);
    unsetenv("DEBUGINFOD_URLS");
    capture(cmd, out, sizeof(out));
    if (strstr(out, "No line number information") == NULL)
        fail_msg("gdb found lines without the server: %s", out);
    client_env("cache-gdb");
    capture(cmd, out, sizeof(out));
    snprintf(line, sizeof(line), "of \"%s\" starts at address", p.src);
    if (strstr(out, "Line ") == NULL || strstr(out, line) == NULL)
        fail_msg("gdb did not get the debuginfo: %s", out);
    snprintf(line, sizeof(line), "GET /buildid/%s/debuginfo HTTP/1.1\" 200",
             p.id);
    expect_logged(line);
}

/* --- /buildid/<id>/section/<name> ------------------------------------- */

/*
 * Section name of file, as objcopy --dump-section writes it (the bytes as
 * stored, compressed ones too), into a malloc'd buffer; NULL when objcopy
 * has no bytes for it (absent, SHT_NOBITS).
 */
static char *
dump_section(const char *file, const char *name, size_t *len)
{
    char out[300], cmd[1024];

    snprintf(out, sizeof(out), "%s/dump.bin", srv.dir);
    unlink(out);
    snprintf(cmd, sizeof(cmd),
             "objcopy --dump-section '%s'='%s' '%s' '%s/dump.out' "
             ">/dev/null 2>&1",
             name, out, file, srv.dir);
    if (system(cmd) != 0)
        return NULL;
    return slurp(out, len);
}

/* Does b[0..len) hold the n bytes at what? */
static bool
holds(const char *b, size_t len, const char *what, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(b + i, what, n) == 0)
            return true;
    return false;
}

/* A program whose debug file (--only-keep-debug) has .text as NOBITS. */
static void
make_debug_file(const struct prog *p, char *debug, size_t debugsz)
{
    snprintf(debug, debugsz, "%s.debug", p->full);
    sh("objcopy --only-keep-debug '%s' '%s'", p->full, debug);
}

/* GET target: 200 whose body is section name of file, with the headers. */
static void
expect_section(const char *target, const char *file, const char *name,
               const char *xfile)
{
    struct resp r;
    size_t len;
    char *want = dump_section(file, name, &len);
    char num[32];

    if (want == NULL)
        fail_msg("objcopy has no %s in %s", name, file);
    get("GET", target, NULL, &r);
    if (r.code != 200)
        fail_msg("%s: got %ld, want 200", target, r.code);
    if (r.len != len || memcmp(r.body, want, len) != 0)
        fail_msg("%s: %zu bytes, not the %zu of %s in %s", target, r.len, len,
                 name, file);
    snprintf(num, sizeof(num), "%zu", len);
    expect_header(&r, "Content-Type", "application/octet-stream");
    expect_header(&r, "Content-Length", num);
    expect_header(&r, "X-DEBUGINFOD-SIZE", num); /* the section's */
    expect_header(&r, "X-DEBUGINFOD-FILE", xfile);
    resp_free(&r);
    free(want);
}

/* Stores the debug file and the stripped program; start the daemon. */
static void
start_sections(struct prog *p, char *debug, size_t debugsz, bool with_debug)
{
    char rel[256];

    fixture_make(&srv);
    make_prog("hello", "hello, sections", p);
    make_debug_file(p, debug, debugsz);
    if (with_debug) {
        snprintf(rel, sizeof(rel), "_.debug/elf-buildid-sym-%s/_.debug", p->id);
        put_copy(rel, debug);
    }
    snprintf(rel, sizeof(rel), "%s/elf-buildid-%s/%s", p->name, p->id, p->name);
    put_copy(rel, p->stripped);
    daemon_start(&srv, NULL);
}

/*
 * A section comes from the debug file when it has bytes there, else from
 * the executable (.text is NOBITS in a --only-keep-debug file); NOBITS in
 * both, or in neither, is a 404.
 */
static void
test_sections(void **state)
{
    struct prog p;
    char debug[300], target[256], xdebug[256], xexe[256];

    (void)state;
    start_sections(&p, debug, sizeof(debug), true);
    snprintf(xdebug, sizeof(xdebug), "/_.debug/elf-buildid-sym-%s/_.debug",
             p.id);
    snprintf(xexe, sizeof(xexe), "/hello/elf-buildid-%s/hello", p.id);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_info", p.id);
    expect_section(target, debug, ".debug_info", xdebug);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_line", p.id);
    expect_section(target, debug, ".debug_line", xdebug);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_abbrev", p.id);
    expect_section(target, debug, ".debug_abbrev", xdebug);
    /* NOBITS in the debug file: the executable's */
    snprintf(target, sizeof(target), "/buildid/%s/section/.text", p.id);
    expect_section(target, p.stripped, ".text", xexe);
    snprintf(target, sizeof(target), "/buildid/%s/section/.dynsym", p.id);
    expect_section(target, p.stripped, ".dynsym", xexe);
    /* NOBITS in both, absent from both */
    snprintf(target, sizeof(target), "/buildid/%s/section/.bss", p.id);
    expect_text(target, 404, "not found\n");
    snprintf(target, sizeof(target), "/buildid/%s/section/.nothere", p.id);
    expect_text(target, 404, "not found\n");
    expect_text("/buildid/" NOWHERE "/section/.text", 404, "not found\n");
}

/* Without a debug file: the executable's sections, and nothing else. */
static void
test_sections_executable_only(void **state)
{
    struct prog p;
    char debug[300], target[256], xexe[256];

    (void)state;
    start_sections(&p, debug, sizeof(debug), false);
    snprintf(xexe, sizeof(xexe), "/hello/elf-buildid-%s/hello", p.id);
    snprintf(target, sizeof(target), "/buildid/%s/section/.text", p.id);
    expect_section(target, p.stripped, ".text", xexe);
    snprintf(target, sizeof(target), "/buildid/%s/section/.rodata", p.id);
    expect_section(target, p.stripped, ".rodata", xexe);
    /* --strip-debug took these away */
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_info", p.id);
    expect_text(target, 404, "not found\n");
}

/* SHF_COMPRESSED sections are sent as stored (debuginfod: elf_rawdata). */
static void
test_section_compressed(void **state)
{
    struct prog p;
    char debug[300], zdebug[310], rel[256], target[256], xdebug[260];
    size_t len;
    char *raw;

    (void)state;
    fixture_make(&srv);
    make_prog("hello", "hello, compressed", &p);
    make_debug_file(&p, debug, sizeof(debug));
    snprintf(zdebug, sizeof(zdebug), "%s.z", debug);
    sh("objcopy --compress-debug-sections=zlib '%s' '%s'", debug, zdebug);
    snprintf(rel, sizeof(rel), "_.debug/elf-buildid-sym-%s/_.debug", p.id);
    put_copy(rel, zdebug);
    daemon_start(&srv, NULL);
    snprintf(xdebug, sizeof(xdebug), "/%s", rel);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_info", p.id);
    expect_section(target, zdebug, ".debug_info", xdebug);
    raw = dump_section(zdebug, ".debug_info", &len);
    assert_non_null(raw);
    /* an Elf64_Chdr, ch_type 1 (ELFCOMPRESS_ZLIB), then a zlib stream */
    assert_true(len > 26 && raw[0] == 1 && (unsigned char)raw[24] == 0x78);
    free(raw);
}

/*
 * Ranges, preconditions and HEAD work on the section, not on the file it
 * lies in: Content-Range and 416 give the section's size, its ETag is its
 * own, and a multipart answer (read through out[], not sendfile) carries
 * the section's bytes.
 */
static void
test_section_ranges(void **state)
{
    struct prog p;
    struct resp r;
    char debug[300], target[256], file_target[256], num[32], want_cr[64];
    char etag[256], file_etag[256], line[300];
    size_t len;
    char *sec;

    (void)state;
    start_sections(&p, debug, sizeof(debug), true);
    sec = dump_section(debug, ".debug_info", &len);
    assert_non_null(sec);
    assert_true(len > 16);
    snprintf(num, sizeof(num), "%zu", len);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_info", p.id);
    snprintf(file_target, sizeof(file_target), "/buildid/%s/debuginfo", p.id);

    get("HEAD", target, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 0);
    expect_header(&r, "Content-Length", num);
    assert_non_null(resp_header(&r, "ETag", etag));
    resp_free(&r);
    get("HEAD", file_target, NULL, &r);
    assert_non_null(resp_header(&r, "ETag", file_etag));
    resp_free(&r);
    if (strcmp(etag, file_etag) == 0)
        fail_msg("the section and its file share the ETag %s", etag);

    get("GET", target, (const char *const[]){"Range: bytes=4-11", NULL}, &r);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 8);
    assert_memory_equal(r.body, sec + 4, 8);
    snprintf(want_cr, sizeof(want_cr), "bytes 4-11/%zu", len);
    expect_header(&r, "Content-Range", want_cr);
    expect_header(&r, "X-DEBUGINFOD-SIZE", num);
    resp_free(&r);

    get("GET", target, (const char *const[]){"Range: bytes=-5", NULL}, &r);
    assert_int_equal(r.code, 206);
    assert_int_equal(r.len, 5);
    assert_memory_equal(r.body, sec + len - 5, 5);
    resp_free(&r);

    get("GET", target, (const char *const[]){"Range: bytes=0-1,8-9", NULL}, &r);
    assert_int_equal(r.code, 206);
    if (!holds(r.body, r.len, sec, 2) || !holds(r.body, r.len, sec + 8, 2))
        fail_msg("multipart: not the section's bytes");
    resp_free(&r);

    snprintf(line, sizeof(line), "Range: bytes=%zu-", len);
    get("GET", target, (const char *const[]){line, NULL}, &r);
    assert_int_equal(r.code, 416);
    snprintf(want_cr, sizeof(want_cr), "bytes */%zu", len);
    expect_header(&r, "Content-Range", want_cr);
    resp_free(&r);

    snprintf(line, sizeof(line), "If-None-Match: %s", etag);
    get("GET", target, (const char *const[]){line, NULL}, &r);
    assert_int_equal(r.code, 304);
    resp_free(&r);
    /* the whole file's tag is not the section's: no 304, no 206 */
    snprintf(line, sizeof(line), "If-None-Match: %s", file_etag);
    get("GET", target, (const char *const[]){line, NULL}, &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    snprintf(line, sizeof(line), "If-Range: %s", file_etag);
    get("GET", target, (const char *const[]){"Range: bytes=0-3", line, NULL},
        &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, len);
    resp_free(&r);
    free(sec);
}

struct section_miss {
    const char *suffix; /* after /buildid/<id> */
    long status;
};

static const struct section_miss section_misses[] = {
    {"/section/", 404},
    {"/section", 404},
    {"/section/.text/", 200}, /* canonical: "/section/.text" */
    {"/section/.text/x", 404},
    {"/section/.te%20xt", 404},
    {"/section/.text%0d%0aX-Evil:%201", 400}, /* control bytes: the path */
    {"/section/%ff", 404},
    {"/section/.TEXT", 404},
    {"/section/.tex", 404},
    {"/section/ext", 404},
    {"/section/"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     404},
    {"/section/..", 404},
    {"/section/%00", 400},
    {"/section/../../../../etc/passwd", 400},
};

/* Hostile names: a miss (or the path's own 400), never a file. */
static void
test_section_hostile(void **state)
{
    struct prog p;
    char debug[300], target[600];

    (void)state;
    start_sections(&p, debug, sizeof(debug), true);
    for (size_t i = 0; i < sizeof(section_misses) / sizeof(section_misses[0]);
         i++) {
        snprintf(target, sizeof(target), "/buildid/%s%s", p.id,
                 section_misses[i].suffix);
        expect_text(target, section_misses[i].status,
                    section_misses[i].status == 404 ? "not found\n" : NULL);
    }
}

/*
 * A section offered gzip, with a cache directory (so compression is on):
 * never coded, nor marked as varying by coding, however often asked (a
 * copy would be made of the whole file, not the section).
 */
static void
expect_section_not_coded(const char *target)
{
    const char *hdrs[] = {"Accept-Encoding: gzip, zstd", NULL};
    char buf[64];

    for (int i = 0; i < 3; i++) {
        struct resp r;

        get("GET", target, hdrs, &r);
        assert_int_equal(r.code, 200);
        if (resp_header(&r, "Content-Encoding", buf) != NULL ||
            resp_header(&r, "Vary", buf) != NULL)
            fail_msg("%s: a section answered with coding headers", target);
        resp_free(&r);
        sleep_ms(100); /* time for a copy, had one been queued */
    }
}

/*
 * The debug file stored only as a CAB twin (_.debu_), expanded on demand:
 * the section request waits for the expansion like any other and is
 * answered from the expanded copy; NOBITS there still falls back to the
 * executable.
 */
static void
test_section_cab_twin(void **state)
{
    static char cache_flag[300];
    /* Any file compressible, so that a section would be offered a copy
     * if a window were not refused (expect_section_not_coded()). */
    const char *flags[] = {
        "--expand-compressed",  "on", "--cache-dir", cache_flag,
        "--compress-min-bytes", "1",  NULL};
    struct prog p;
    char debug[300], dir[400], rel[256], target[256], xdebug[260], xexe[260];

    (void)state;
    fixture_make(&srv);
    make_prog("hello", "hello, twin", &p);
    make_debug_file(&p, debug, sizeof(debug));
    snprintf(dir, sizeof(dir), "%s/_.debug/elf-buildid-sym-%s", srv.root, p.id);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    sh("mkdir -p '%s' && mkdir -p '%s/twin' && cp '%s' '%s/twin/_.debug' && "
       "cd '%s/twin' && gcab -c -z -n '%s/_.debu_' _.debug",
       dir, srv.dir, debug, srv.dir, srv.dir, dir);
    snprintf(rel, sizeof(rel), "%s/elf-buildid-%s/%s", p.name, p.id, p.name);
    put_copy(rel, p.stripped);
    daemon_start(&srv, flags);
    snprintf(xdebug, sizeof(xdebug), "/_.debug/elf-buildid-sym-%s/_.debug",
             p.id);
    snprintf(xexe, sizeof(xexe), "/%s", rel);
    snprintf(target, sizeof(target), "/buildid/%s/section/.debug_info", p.id);
    expect_section(target, debug, ".debug_info", xdebug);
    snprintf(target, sizeof(target), "/buildid/%s/section/.text", p.id);
    expect_section(target, p.stripped, ".text", xexe);
    expect_section_not_coded(target);
}

/* A stored file that is not ELF: a 404, and a warning naming it. */
static void
test_section_not_elf(void **state)
{
    (void)state;
    fixture_make(&srv);
    put_text("fake/elf-buildid-" FAKE "/fake", "not an ELF file at all");
    daemon_allow_stderr("symsrvd: fake/elf-buildid-" FAKE
                        "/fake: section .text: not an ELF file");
    daemon_start(&srv, NULL);
    expect_text("/buildid/" FAKE "/section/.text", 404, "not found\n");
    expect_text("/buildid/" FAKE "/executable", 200, NULL);
    for (int i = 0;; i++) { /* the line is written before the answer */
        char *err = slurp(srv.stderr_log, NULL);
        bool said = err != NULL && strstr(err, "section .text: not an ELF "
                                               "file") != NULL;

        free(err);
        if (said)
            break;
        if (i == 100)
            fail_msg("no warning about the file that is not ELF");
        sleep_ms(10);
    }
}

/* debuginfod-find section SECTION ID prints a file of want_file's bytes. */
static void
find_section(const char *id, const char *name, const char *want_file)
{
    char cmd[512], out[1024], line[300];
    size_t got_len, want_len;
    char *got, *want = dump_section(want_file, name, &want_len);

    assert_non_null(want);
    snprintf(cmd, sizeof(cmd), "debuginfod-find section %s %s 2>/dev/null", id,
             name);
    if (capture(cmd, out, sizeof(out)) != 0)
        fail_msg("%s: failed", cmd);
    out[strcspn(out, "\n")] = '\0';
    got = slurp(out, &got_len);
    if (got == NULL)
        fail_msg("%s: printed '%s', not a readable file", cmd, out);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    /* from the server's section answer, not the client's own extraction */
    snprintf(line, sizeof(line), "GET /buildid/%s/section/%s HTTP/1.1\" 200",
             id, name);
    expect_logged(line);
    free(got);
    free(want);
}

static void
test_debuginfod_find_section(void **state)
{
    struct prog p;
    char debug[300], cmd[512], out[1024];

    (void)state;
    need_tool("debuginfod-find", "debuginfod");
    start_sections(&p, debug, sizeof(debug), true);
    client_env("cache-section");
    find_section(p.id, ".debug_info", debug);
    find_section(p.id, ".text", p.stripped); /* NOBITS in the debug file */
    snprintf(cmd, sizeof(cmd), "debuginfod-find section %s .bss 2>/dev/null",
             p.id);
    assert_int_not_equal(capture(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    daemon_finish(&srv);

    start_sections(&p, debug, sizeof(debug), false);
    client_env("cache-section-exe");
    find_section(p.id, ".text", p.stripped);
    snprintf(cmd, sizeof(cmd),
             "debuginfod-find section %s .debug_info 2>/dev/null", p.id);
    assert_int_not_equal(capture(cmd, out, sizeof(out)), 0);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fetch, teardown),
        cmocka_unit_test_teardown(test_head_range_conditional, teardown),
        cmocka_unit_test_teardown(test_misses, teardown),
        cmocka_unit_test_teardown(test_short_ids, teardown),
        cmocka_unit_test_teardown(test_index_layouts, teardown),
        cmocka_unit_test_teardown(test_refresh, teardown),
        cmocka_unit_test_teardown(test_sections, teardown),
        cmocka_unit_test_teardown(test_sections_executable_only, teardown),
        cmocka_unit_test_teardown(test_section_compressed, teardown),
        cmocka_unit_test_teardown(test_section_ranges, teardown),
        cmocka_unit_test_teardown(test_section_hostile, teardown),
        cmocka_unit_test_teardown(test_section_not_elf, teardown),
        cmocka_unit_test_teardown(test_section_cab_twin, teardown),
        /* the real clients last: over HTTPS they are left out */
        cmocka_unit_test_teardown(test_debuginfod_find, teardown),
        cmocka_unit_test_teardown(test_gdb, teardown),
        cmocka_unit_test_teardown(test_debuginfod_find_section, teardown),
    };
    size_t count = sizeof(tests) / sizeof(tests[0]);

    harness_init(argc, argv);
    /* Not skipped over HTTPS but not there: libdebuginfod's libcurl cannot
     * be given the test CA, so the clients' check is the HTTP run's. */
    if (harness_tls()) {
        printf("debuginfod: real clients (debuginfod-find, gdb) run over "
               "HTTP only\n");
        count -= 3;
    }
    return harness_run_group("debuginfod", tests, count, NULL, NULL);
}
