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
    {"/buildid/" FAKE "/section/.debug_info", 404},
    {"/buildid/" FAKE "/section/.text", 404},
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
        /* the real clients last: over HTTPS they are left out */
        cmocka_unit_test_teardown(test_debuginfod_find, teardown),
        cmocka_unit_test_teardown(test_gdb, teardown),
    };
    size_t count = sizeof(tests) / sizeof(tests[0]);

    harness_init(argc, argv);
    /* Not skipped over HTTPS but not there: libdebuginfod's libcurl cannot
     * be given the test CA, so the clients' check is the HTTP run's. */
    if (harness_tls()) {
        printf("debuginfod: real clients (debuginfod-find, gdb) run over "
               "HTTP only\n");
        count -= 2;
    }
    return harness_run_group("debuginfod", tests, count, NULL, NULL);
}
