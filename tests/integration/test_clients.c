/*
 * The request sequences real clients send (PROTOCOL.md "What clients ask,
 * in order"), played against the fixture store and the files each test
 * adds: symsrv (dbghelp, WinDbg) on single- and two-tier stores, Sentry's
 * symbolicator (f and f_ at once, casing, ranges in parallel),
 * dotnet-symbol (lower-case SSQP keys, misses exactly 404) and PerfView
 * (octet-stream, 0-byte files).
 *
 * Every answer is also held to what all of them need: a hit carries a
 * Content-Type ending in octet-stream and a Content-Length matching its
 * body; a miss is a plain-text 404, never HTML, never 403.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"

#define KEY "0123456789ABCDEF0123456789ABCDEF1" /* the fixture's app.pdb */
#define BIG_SIZE (1024 * 1024)

static struct daemon srv;
static unsigned requests;

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

/* The expected body: a file under the scratch directory. */
static char *
scratch_file(const char *rel, size_t *len)
{
    char path[512];
    char *bytes;

    snprintf(path, sizeof(path), "%s/%s", srv.dir, rel);
    bytes = slurp(path, len);
    if (bytes == NULL)
        fail_msg("%s: cannot read", path);
    return bytes;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * Holds an answer to what every client needs, then to want: the status,
 * and for a 200 or 206 (when want_body is not NULL) the body.
 */
static void
check_resp(const char *client, const char *target, const struct resp *r,
           long want, const char *want_body, size_t want_len)
{
    char type[256], length[256];

    requests++;
    if (r->code != want)
        fail_msg("%s %s: got %ld, want %ld", client, target, r->code, want);
    if (resp_header(r, "Content-Type", type) == NULL)
        type[0] = '\0';
    if (want == 200 || want == 206) {
        if (!ends_with(type, "octet-stream"))
            fail_msg("%s %s: Content-Type '%s'", client, target, type);
        if (resp_header(r, "Content-Length", length) == NULL ||
            strtoull(length, NULL, 10) != r->len)
            fail_msg("%s %s: Content-Length does not match %zu bytes", client,
                     target, r->len);
    } else if (strncmp(type, "text/plain", 10) != 0 ||
               (r->body != NULL && strchr(r->body, '<') != NULL)) {
        fail_msg("%s %s: a %ld must be plain text, got '%s'", client, target,
                 r->code, type);
    }
    if (want_body != NULL &&
        (r->len != want_len ||
         (want_len > 0 && memcmp(r->body, want_body, want_len) != 0)))
        fail_msg("%s %s: %zu bytes, not the %zu expected", client, target,
                 r->len, want_len);
}

static void
get(const char *client, const char *target, const char *const *hdrs, long want,
    const char *want_body, size_t want_len)
{
    struct resp r;

    assert_int_equal(http_request(&srv, "GET", target, hdrs, false, &r), 0);
    check_resp(client, target, &r, want, want_body, want_len);
    resp_free(&r);
}

/* One request of a client's sequence; body: a file under the scratch
 * directory the answer must equal, or NULL. */
struct step {
    const char *target;
    long status;
    const char *body;
};

static void
play(const char *client, const struct step *steps, size_t n)
{
    unsigned before = requests;

    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        char *want =
            steps[i].body != NULL ? scratch_file(steps[i].body, &len) : NULL;

        get(client, steps[i].target, NULL, steps[i].status, want, len);
        free(want);
    }
    printf("clients: %s: %u requests as the client sends them\n", client,
           requests - before);
}

#define PLAY(client, steps) play(client, steps, sizeof(steps) / sizeof(*steps))

/* ---- symsrv (dbghelp, WinDbg, Visual Studio) ---- */

/*
 * index2.txt first; then f, f_ (its CAB twin) and file.ptr until one
 * answers. comp.pdb is stored only as comp.pd_ and, with the default
 * flags, is not expanded: symsrv itself expands what it gets.
 */
static const struct step symsrv_single[] = {
    {"/index2.txt", 404, NULL},
    {"/app.pdb/" KEY "/app.pdb", 200, "store/app.pdb/" KEY "/app.pdb"},
    {"/comp.pdb/" KEY "/comp.pdb", 404, NULL},
    {"/comp.pdb/" KEY "/comp.pd_", 200, "store/comp.pdb/" KEY "/comp.pd_"},
    {"/comp.pdb/" KEY "/file.ptr", 404, NULL},
    {"/gone.pdb/" KEY "/gone.pdb", 404, NULL},
    {"/gone.pdb/" KEY "/gone.pd_", 404, NULL},
    {"/gone.pdb/" KEY "/file.ptr", 404, NULL},
    /* app.pdb has a file.ptr beside it: bookkeeping, never sent */
    {"/app.pdb/" KEY "/file.ptr", 404, NULL},
    {"/app.exe/5F3E2A1B6000/app.exe", 200,
     "store/app.exe/5F3E2A1B6000/app.exe"},
};

static void
test_symsrv_single_tier(void **state)
{
    (void)state;
    fixture_make(&srv);
    fixture_twin(&srv, "comp.pdb/" KEY "/comp.pdb", 20000, 11);
    daemon_start(&srv, NULL);
    PLAY("symsrv", symsrv_single);
}

/* index2.txt answers: symsrv then asks under the two-character prefix. */
static const struct step symsrv_two_tier[] = {
    {"/index2.txt", 200, "store/index2.txt"},
    {"/ap/app2.pdb/" KEY "/app2.pdb", 200,
     "store/ap/app2.pdb/" KEY "/app2.pdb"},
    {"/co/comp2.pdb/" KEY "/comp2.pdb", 404, NULL},
    {"/co/comp2.pdb/" KEY "/comp2.pd_", 200,
     "store/co/comp2.pdb/" KEY "/comp2.pd_"},
    {"/co/comp2.pdb/" KEY "/file.ptr", 404, NULL},
    {"/go/gone.pdb/" KEY "/gone.pdb", 404, NULL},
    {"/go/gone.pdb/" KEY "/gone.pd_", 404, NULL},
    {"/go/gone.pdb/" KEY "/file.ptr", 404, NULL},
    /* a one-character prefix when the second character is '.' */
    {"/a/a.dll/5F3E2A1B6000/a.dll", 200, "store/a/a.dll/5F3E2A1B6000/a.dll"},
    /* clients that ignore index2.txt still find the file */
    {"/app2.pdb/" KEY "/app2.pdb", 200, "store/ap/app2.pdb/" KEY "/app2.pdb"},
};

static void
test_symsrv_two_tier(void **state)
{
    static const char index2[] = "two-tier store\r\n";

    (void)state;
    fixture_make(&srv);
    fixture_put(&srv, "index2.txt", index2, sizeof(index2) - 1);
    fixture_put(&srv, "ap/app2.pdb/" KEY "/app2.pdb", "two-tier", 8);
    fixture_put(&srv, "a/a.dll/5F3E2A1B6000/a.dll", "one-char", 8);
    fixture_twin(&srv, "co/comp2.pdb/" KEY "/comp2.pdb", 5000, 12);
    daemon_start(&srv, NULL);
    PLAY("symsrv two-tier", symsrv_two_tier);
}

/* ---- Sentry symbolicator ---- */

struct job {
    char target[256];
    const char *range; /* a "Range: ..." line, or NULL */
    pthread_barrier_t *go;
    struct resp r;
    int rc;
};

static void *
run_job(void *arg)
{
    struct job *j = arg;
    const char *hdrs[] = {j->range, NULL};

    pthread_barrier_wait(j->go);
    j->rc = http_request(&srv, "GET", j->target, hdrs, false, &j->r);
    return NULL;
}

/* Sends the n requests at the same moment, one thread each. */
static void
run_parallel(struct job *jobs, unsigned n)
{
    pthread_barrier_t go;
    pthread_t t[8];

    assert_true(n <= 8);
    assert_int_equal(pthread_barrier_init(&go, NULL, n), 0);
    for (unsigned i = 0; i < n; i++) {
        jobs[i].go = &go;
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(jobs[i].rc, 0);
}

static void
check_range(const struct job *j, const char *want, size_t first, size_t last,
            size_t size)
{
    char got[256], expected[128];

    check_resp("symbolicator", j->target, &j->r, 206, want + first,
               last - first + 1);
    snprintf(expected, sizeof(expected), "bytes %zu-%zu/%zu", first, last,
             size);
    if (resp_header(&j->r, "Content-Range", got) == NULL ||
        strcmp(got, expected) != 0)
        fail_msg("symbolicator %s: Content-Range '%s', want '%s'", j->target,
                 resp_header(&j->r, "Content-Range", got) ? got : "", expected);
}

/* Symbolicator's casing options: as configured, lowercase, uppercase. */
static void
spell(char *out, size_t outsz, const char *path, int casing)
{
    snprintf(out, outsz, "%s", path);
    for (char *p = out; *p != '\0' && casing != 0; p++)
        *p = (char)(casing > 0 ? toupper((unsigned char)*p)
                               : tolower((unsigned char)*p));
}

/* Each file: its path, the bytes it answers with, and those of its twin
 * (NULL: none is stored, 404). */
struct pair {
    const char *path;
    const char *body;
    const char *twin_body;
};

static const struct pair pairs[] = {
    {"/app.exe/5F3E2A1B6000/app.exe", "store/app.exe/5F3E2A1B6000/app.exe",
     NULL},
    {"/comp.pdb/" KEY "/comp.pdb", "comp.pdb",
     "store/comp.pdb/" KEY "/comp.pd_"},
    {"/big.pdb/" KEY "/big.pdb", "store/big.pdb/" KEY "/big.pdb", NULL},
};

/* f and f_ at once, the first request of each with the 128 MiB range
 * symbolicator starts with: clamped to the whole (small) file. */
static void
symbolicator_pairs(void)
{
    static const char first[] = "Range: bytes=0-134217727";

    for (int casing = 0; casing <= 2; casing++) {
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
            const struct pair *p = &pairs[i];
            static struct job jobs[2]; /* reachable if a check fails */
            char *want, *twin = NULL;
            size_t len, twin_len = 0;

            memset(jobs, 0, sizeof(jobs));
            spell(jobs[0].target, sizeof(jobs[0].target), p->path,
                  casing == 2 ? -1 : casing);
            snprintf(jobs[1].target, sizeof(jobs[1].target), "%s",
                     jobs[0].target);
            jobs[1].target[strlen(jobs[1].target) - 1] = '_';
            jobs[0].range = jobs[1].range = first;
            run_parallel(jobs, 2);
            want = scratch_file(p->body, &len);
            check_range(&jobs[0], want, 0, len - 1, len);
            if (p->twin_body != NULL) {
                twin = scratch_file(p->twin_body, &twin_len);
                check_range(&jobs[1], twin, 0, twin_len - 1, twin_len);
            } else {
                check_resp("symbolicator", jobs[1].target, &jobs[1].r, 404,
                           NULL, 0);
            }
            free(want);
            free(twin);
            resp_free(&jobs[0].r);
            resp_free(&jobs[1].r);
        }
    }
}

/* Then up to four ranges of one file in parallel. */
static void
symbolicator_ranges(void)
{
    static const char *const ranges[] = {
        "Range: bytes=0-262143",
        "Range: bytes=262144-524287",
        "Range: bytes=524288-786431",
        "Range: bytes=786432-1048575",
    };
    unsigned char *want = malloc(BIG_SIZE);
    static struct job jobs[4]; /* reachable if a check fails */

    assert_non_null(want);
    fixture_bytes(BIG_SIZE, 5, want);
    memset(jobs, 0, sizeof(jobs));
    for (unsigned i = 0; i < 4; i++) {
        spell(jobs[i].target, sizeof(jobs[i].target),
              "/big.pdb/" KEY "/big.pdb", (int)i % 3 - 1);
        jobs[i].range = ranges[i];
    }
    run_parallel(jobs, 4);
    for (unsigned i = 0; i < 4; i++) {
        check_range(&jobs[i], (const char *)want, i * BIG_SIZE / 4,
                    (i + 1) * BIG_SIZE / 4 - 1, BIG_SIZE);
        resp_free(&jobs[i].r);
    }
    free(want);
}

static void
test_symbolicator(void **state)
{
    static char cache_flag[300];
    static const char *const flags[] = {"--expand-compressed", "on",
                                        "--cache-dir", cache_flag, NULL};
    unsigned char *big = malloc(BIG_SIZE);
    unsigned before;

    (void)state;
    assert_non_null(big);
    fixture_make(&srv);
    snprintf(cache_flag, sizeof(cache_flag), "%s/cache", srv.dir);
    fixture_twin(&srv, "comp.pdb/" KEY "/comp.pdb", 20000, 11);
    fixture_bytes(BIG_SIZE, 5, big);
    fixture_put(&srv, "big.pdb/" KEY "/big.pdb", big, BIG_SIZE);
    free(big);
    daemon_start(&srv, flags);
    before = requests;
    symbolicator_pairs();
    symbolicator_ranges();
    /* A twin stands for its own name only, not any name ending alike. */
    get("symbolicator", "/comp.pdb/" KEY "/comp.pdz", NULL, 404, NULL, 0);
    get("symbolicator", "/comp.pdb/" KEY "/COMP.PD1", NULL, 404, NULL, 0);
    printf("clients: symbolicator: %u requests, in parallel pairs and a "
           "group of four\n",
           requests - before);
}

/*
 * A file stored as a pointer (symstore /p: file.ptr, no file, no twin):
 * the pointer stands for <f>/<k>/<f> only. The twin name symbolicator
 * asks for at the same time is a plain miss: served the pointed-to file,
 * it would try to expand it as a CAB. Other names beside it miss too.
 */
static void
test_symbolicator_pointer(void **state)
{
    static char ptr_flag[300];
    static const char *const flags[] = {"--pointer-roots", ptr_flag, NULL};
    static const char first[] = "Range: bytes=0-134217727";
    static struct job jobs[2]; /* reachable if a check fails */
    char text[400], *want;
    size_t len;

    (void)state;
    fixture_make(&srv);
    snprintf(ptr_flag, sizeof(ptr_flag), "%s/outside", srv.dir);
    snprintf(text, sizeof(text), "PATH:%s/outside/secret.txt\r\n", srv.dir);
    fixture_put(&srv, "ptr.pdb/" KEY "/file.ptr", text, strlen(text));
    fixture_put(&srv, "ptr.pdb/" KEY "/refs.ptr", "0000000001,ptr\r\n", 16);
    daemon_start(&srv, flags);
    memset(jobs, 0, sizeof(jobs));
    snprintf(jobs[0].target, sizeof(jobs[0].target),
             "/ptr.pdb/" KEY "/ptr.pdb");
    snprintf(jobs[1].target, sizeof(jobs[1].target),
             "/ptr.pdb/" KEY "/ptr.pd_");
    jobs[0].range = jobs[1].range = first;
    run_parallel(jobs, 2);
    want = scratch_file("outside/secret.txt", &len);
    check_range(&jobs[0], want, 0, len - 1, len);
    free(want);
    check_resp("symbolicator", jobs[1].target, &jobs[1].r, 404, NULL, 0);
    resp_free(&jobs[0].r);
    resp_free(&jobs[1].r);
    get("symbolicator", "/ptr.pdb/" KEY "/other.exe", NULL, 404, NULL, 0);
}

/* ---- dotnet-symbol ---- */

/* Stored as symstore.exe or a person spelled it; asked in SSQP's lower
 * case. The file holds its own stored path. */
static const struct {
    const char *stored;
    const char *asked;
} ssqp_hits[] = {
    {"System.Threading.Thread.pdb/A43B38726E6A4B3CB1691F35F0D6CC48FFFFFFFF/"
     "System.Threading.Thread.pdb",
     "/system.threading.thread.pdb/a43b38726e6a4b3cb1691f35f0d6cc48ffffffff/"
     "system.threading.thread.pdb"},
    {"HelloWorld.pdb/99891b3ED7AE4c3bABFF8a2B4A9B0C43FfFfFfFf/HelloWorld.pdb",
     "/helloworld.pdb/99891b3ed7ae4c3babff8a2b4a9b0c43ffffffff/"
     "helloworld.pdb"},
    {"HelloWorld.exe/577F59198000/HelloWorld.exe",
     "/helloworld.exe/577f59198000/helloworld.exe"},
    {"libcoreclr.so/ELF-BUILDID-126BA1461CAF6644CFDD124BFCCEEFFA81B18897/"
     "libcoreclr.so",
     "/libcoreclr.so/elf-buildid-126ba1461caf6644cfdd124bfcceeffa81b18897/"
     "libcoreclr.so"},
    {"_.debug/elf-buildid-sym-126BA1461CAF6644CFDD124BFCCEEFFA81B18897/"
     "_.debug",
     "/_.debug/elf-buildid-sym-126ba1461caf6644cfdd124bfcceeffa81b18897/"
     "_.debug"},
    {"libSystem.Native.dylib/Mach-UUID-7A3A3F2C5C1D3E4FA2B1C0D9E8F7A6B5/"
     "libSystem.Native.dylib",
     "/libsystem.native.dylib/mach-uuid-7a3a3f2c5c1d3e4fa2b1c0d9e8f7a6b5/"
     "libsystem.native.dylib"},
};

/* Misses of every kind: dotnet-symbol drops a server for anything but
 * 404 (and the retried 408, 5xx). */
static const char *const ssqp_misses[] = {
    "/system.threading.thread.pdb/00000000000000000000000000000000ffffffff/"
    "system.threading.thread.pdb",
    "/system.threading.thread.pdb/a43b38726e6a4b3cb1691f35f0d6cc48ffffffff/"
    "other.pdb",
    "/system.threading.thread.pdb/a43b38726e6a4b3cb1691f35f0d6cc48ffffffff/"
    "system.threading.thread.pd_",
    "/system.threading.thread.pdb/a43b38726e6a4b3cb1691f35f0d6cc48ffffffff",
    "/system.threading.thread.pdb/a43b38726e6a4b3cb1691f35f0d6cc48ffffffff/"
    "system.threading.thread.pdb/more",
    "/system.threading.thread.pdb",
    "/missing.dll/5f3e2a1b6000/missing.dll",
    "/helloworld.exe/577f5919800/helloworld.exe", /* one digit short */
    "/_.debug/elf-buildid-sym-0000000000000000000000000000000000000000/_.debug",
    "/app.pdb/0123456789abcdef0123456789abcdef2/app.pdb",
    "/app.pdb/0123456789abcdef0123456789abcdef1/refs.ptr",
    "/fifo.pdb/key/fifo.pdb",
    "/leak",
    "/abs",
    "/index2.txt",
    "/",
};

static void
test_dotnet_symbol(void **state)
{
    bool unprivileged;

    (void)state;
    fixture_make(&srv);
    daemon_allow_stderr("symsrvd: open locked/x.pdb: Permission denied");
    for (size_t i = 0; i < sizeof(ssqp_hits) / sizeof(ssqp_hits[0]); i++)
        fixture_put(&srv, ssqp_hits[i].stored, ssqp_hits[i].stored,
                    strlen(ssqp_hits[i].stored));
    /* as nobody when we are root: root would read store/locked/ anyway */
    unprivileged = daemon_start_unprivileged(&srv, NULL);
    if (!unprivileged)
        daemon_start(&srv, NULL);
    for (size_t i = 0; i < sizeof(ssqp_hits) / sizeof(ssqp_hits[0]); i++)
        get("dotnet-symbol", ssqp_hits[i].asked, NULL, 200, ssqp_hits[i].stored,
            strlen(ssqp_hits[i].stored));
    for (size_t i = 0; i < sizeof(ssqp_misses) / sizeof(ssqp_misses[0]); i++)
        get("dotnet-symbol", ssqp_misses[i], NULL, 404, NULL, 0);
    printf("clients: dotnet-symbol: %zu SSQP hits, %zu misses all 404\n",
           sizeof(ssqp_hits) / sizeof(ssqp_hits[0]),
           sizeof(ssqp_misses) / sizeof(ssqp_misses[0]));
    /* unreadable (mode 000): 404, not 403 */
    if (!unprivileged)
        harness_skip("no unprivileged user to read store/locked/ as");
    get("dotnet-symbol", "/locked/x.pdb", NULL, 404, NULL, 0);
}

/* ---- PerfView ---- */

/* symsrv's order, then the two-tier prefix; every hit octet-stream (held
 * by check_resp), and a 0-byte file served as stored. */
static const struct step perfview[] = {
    {"/index2.txt", 404, NULL},
    {"/app.exe/5F3E2A1B6000/app.exe", 200,
     "store/app.exe/5F3E2A1B6000/app.exe"},
    {"/APP.EXE/5f3e2a1b6000/App.Exe", 200,
     "store/app.exe/5F3E2A1B6000/app.exe"},
    {"/comp.pdb/" KEY "/comp.pdb", 404, NULL},
    {"/comp.pdb/" KEY "/comp.pd_", 200, "store/comp.pdb/" KEY "/comp.pd_"},
    {"/gone.pdb/" KEY "/gone.pdb", 404, NULL},
    {"/gone.pdb/" KEY "/gone.pd_", 404, NULL},
    {"/gone.pdb/" KEY "/file.ptr", 404, NULL},
    {"/go/gone.pdb/" KEY "/gone.pdb", 404, NULL},
    {"/empty.pdb/00000000000000000000000000000000/empty.pdb", 200,
     "store/empty.pdb/00000000000000000000000000000000/empty.pdb"},
};

static void
test_perfview(void **state)
{
    static const char *const range[] = {"Range: bytes=10-19", NULL};
    char *want, length[256];
    size_t len;
    struct resp r;

    (void)state;
    fixture_make(&srv);
    fixture_twin(&srv, "comp.pdb/" KEY "/comp.pdb", 20000, 11);
    daemon_start(&srv, NULL);
    PLAY("PerfView", perfview);
    /* 0 bytes: 200 and Content-Length: 0 (PerfView calls it a failure) */
    assert_int_equal(
        http_request(&srv, "GET",
                     "/empty.pdb/00000000000000000000000000000000/empty.pdb",
                     NULL, false, &r),
        0);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 0);
    assert_non_null(resp_header(&r, "Content-Length", length));
    assert_string_equal(length, "0");
    resp_free(&r);
    /* a 206 is octet-stream too */
    want = scratch_file("store/app.exe/5F3E2A1B6000/app.exe", &len);
    get("PerfView", "/app.exe/5F3E2A1B6000/app.exe", range, 206, want + 10, 10);
    free(want);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_symsrv_single_tier, teardown),
        cmocka_unit_test_teardown(test_symsrv_two_tier, teardown),
        cmocka_unit_test_teardown(test_symbolicator, teardown),
        cmocka_unit_test_teardown(test_symbolicator_pointer, teardown),
        cmocka_unit_test_teardown(test_dotnet_symbol, teardown),
        cmocka_unit_test_teardown(test_perfview, teardown),
    };

    harness_init(argc, argv);
    return harness_run(tests, NULL, NULL);
}
