/* Unit tests for the pure parts of include/debuginfod.h, and for the
 * first index's start-up budget on a small tree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "store/debuginfod.h"
#include "util/file.h"

#define ID40 "180a373d6afbabf0eb1f09be1bc45bd796a71085"
#define ID32 "180a373d6afbabf0eb1f09be1bc45bd7"
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64

struct parse_case {
    const char *canon;
    enum debuginfod_kind kind;
    const char *id;     /* when DEBUGINFO or EXECUTABLE */
    const char *padded; /* likewise */
};

static const struct parse_case parse_cases[] = {
    /* Hostile or malformed build-ids: a debuginfod path, never served. */
    {"buildid", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid//debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/a/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/abc/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/AB/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID32 "A0/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/0x12/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/g0/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/ab cd/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/ab%00/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/-ab/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/ab\xff/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/../ab/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" HEX128 "00/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" HEX128 "0/debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    /* Well-formed ids, unknown or malformed kinds. */
    {"buildid/" ID40, DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/source/usr/src/a.c", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/debuginfo/x", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/debuginfox", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/debuginf", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/Debuginfo", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/EXECUTABLE", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/executable/", DEBUGINFOD_OTHER, NULL, NULL},
    {"buildid/" ID40 "/metrics", DEBUGINFOD_OTHER, NULL, NULL},
    /* Not debuginfod's at all: the store answers these. */
    {"", DEBUGINFOD_NONE, NULL, NULL},
    {"metrics", DEBUGINFOD_NONE, NULL, NULL},
    {"BUILDID/" ID40 "/debuginfo", DEBUGINFOD_NONE, NULL, NULL},
    {"BuildId/" ID40 "/executable", DEBUGINFOD_NONE, NULL, NULL},
    {"buildids/" ID40 "/debuginfo", DEBUGINFOD_NONE, NULL, NULL},
    {"buildidx", DEBUGINFOD_NONE, NULL, NULL},
    {"build", DEBUGINFOD_NONE, NULL, NULL},
    {"_.debug/elf-buildid-sym-" ID40 "/_.debug", DEBUGINFOD_NONE, NULL, NULL},
    {"app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb", DEBUGINFOD_NONE, NULL,
     NULL},
    /* Served. 40 digits or more: no padded form. */
    {"buildid/" ID40 "/debuginfo", DEBUGINFOD_DEBUGINFO, ID40, ""},
    {"buildid/" ID40 "/executable", DEBUGINFOD_EXECUTABLE, ID40, ""},
    {"buildid/" HEX128 "/debuginfo", DEBUGINFOD_DEBUGINFO, HEX128, ""},
    {"buildid/" HEX64 "/executable", DEBUGINFOD_EXECUTABLE, HEX64, ""},
    {"buildid/" ID40 "00/executable", DEBUGINFOD_EXECUTABLE, ID40 "00", ""},
    /* Shorter ids: padded with '0's to 40 digits, as SSQP stores them. */
    {"buildid/" ID32 "/debuginfo", DEBUGINFOD_DEBUGINFO, ID32, ID32 "00000000"},
    {"buildid/ab/executable", DEBUGINFOD_EXECUTABLE, "ab",
     "ab00000000000000000000000000000000000000"},
    {"buildid/deadbeef/debuginfo", DEBUGINFOD_DEBUGINFO, "deadbeef",
     "deadbeef00000000000000000000000000000000"},
    {"buildid/180a373d6afbabf0eb1f09be1bc45bd796a710/executable",
     DEBUGINFOD_EXECUTABLE, "180a373d6afbabf0eb1f09be1bc45bd796a710",
     "180a373d6afbabf0eb1f09be1bc45bd796a71000"},
};

static void
test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct debuginfod_req r;
        enum debuginfod_kind kind;

        memset(&r, 'X', sizeof(r));
        kind = debuginfod_parse(c->canon, &r);
        if (kind != c->kind)
            fail_msg("'%s': kind %d, want %d", c->canon, (int)kind,
                     (int)c->kind);
        if (c->id == NULL)
            continue;
        if (strcmp(r.id, c->id) != 0 || strcmp(r.padded, c->padded) != 0)
            fail_msg("'%s': id '%s' padded '%s', want '%s' '%s'", c->canon,
                     r.id, r.padded, c->id, c->padded);
    }
}

#define NAME255                                                                \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"

struct section_case {
    const char *canon;
    const char *section; /* NULL: not a section request */
};

static const struct section_case section_cases[] = {
    {"buildid/" ID40 "/section/.debug_info", ".debug_info"},
    {"buildid/" ID40 "/section/.gnu_debugdata", ".gnu_debugdata"},
    {"buildid/" ID40 "/section/.text", ".text"},
    {"buildid/" ID40 "/section/x", "x"},
    {"buildid/" ID40 "/section/%zdebug~!", "%zdebug~!"},
    {"buildid/ab/section/.text", ".text"},
    {"buildid/" ID40 "/section/" NAME255, NAME255},
    /* Hostile or unusable names: a debuginfod path, never served. */
    {"buildid/" ID40 "/section/" NAME255 "f", NULL},
    {"buildid/" ID40 "/section/", NULL},
    {"buildid/" ID40 "/section", NULL},
    {"buildid/" ID40 "/section/.text/", NULL},
    {"buildid/" ID40 "/section/.text/x", NULL},
    {"buildid/" ID40 "/section/.te xt", NULL},
    {"buildid/" ID40 "/section/.text\t", NULL},
    {"buildid/" ID40 "/section/.text\r\nX-Evil: 1", NULL},
    {"buildid/" ID40 "/section/\x7f", NULL},
    {"buildid/" ID40 "/section/.caf\xc3\xa9", NULL},
    {"buildid/" ID40 "/section/\xff", NULL},
    {"buildid/" ID40 "/Section/.text", NULL},
    {"buildid/" ID40 "/sections/.text", NULL},
    {"buildid/" ID40 "/sectionx/.text", NULL},
    {"buildid/AB/section/.text", NULL},
    {"buildid/abc/section/.text", NULL},
};

/* DEBUGINFOD_SECTION with the name, or DEBUGINFOD_OTHER. */
static void
test_parse_section(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(section_cases) / sizeof(section_cases[0]);
         i++) {
        const struct section_case *c = &section_cases[i];
        struct debuginfod_req r;
        enum debuginfod_kind kind;

        memset(&r, 'X', sizeof(r));
        kind = debuginfod_parse(c->canon, &r);
        if (c->section == NULL) {
            if (kind != DEBUGINFOD_OTHER)
                fail_msg("case %zu: kind %d, want OTHER", i, (int)kind);
            continue;
        }
        if (kind != DEBUGINFOD_SECTION)
            fail_msg("case %zu: kind %d, want SECTION", i, (int)kind);
        if (strcmp(r.section, c->section) != 0)
            fail_msg("case %zu: section '%s', want '%s'", i, r.section,
                     c->section);
        if (strncmp(c->canon + 8, r.id, strlen(r.id)) != 0)
            fail_msg("case %zu: id '%s'", i, r.id);
    }
}

struct value_case {
    const char *rel;
    size_t outsz;
    const char *want; /* NULL: does not fit, 0 returned */
};

static const struct value_case value_cases[] = {
    {"_.debug/elf-buildid-sym-" ID40 "/_.debug", 128,
     "/_.debug/elf-buildid-sym-" ID40 "/_.debug"},
    {"app/elf-buildid-ab/app", 64, "/app/elf-buildid-ab/app"},
    {"", 2, "/"},
    {"", 1, NULL},
    {"", 0, NULL},
    /* Header injection and other bytes a header value must not carry. */
    {"a\r\nX-Evil: 1", 64, "/a%0D%0AX-Evil:%201"},
    {"tab\there", 64, "/tab%09here"},
    {"del\x7f", 64, "/del%7F"},
    {"caf\xc3\xa9", 64, "/caf%C3%A9"},
    {"100%", 64, "/100%25"},
    {"sp ace", 64, "/sp%20ace"},
    /* Exactly fits, one byte short (escapes are never cut). */
    {"abc", 5, "/abc"},
    {"abc", 4, NULL},
    {"a b", 7, "/a%20b"},
    {"a b", 6, NULL},
    {"a b", 5, NULL},
};

static void
test_file_value(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
        const struct value_case *c = &value_cases[i];
        char out[256];
        size_t n;

        memset(out, 'Z', sizeof(out));
        n = debuginfod_file_value(c->rel, out, c->outsz);
        if (c->want == NULL) {
            if (n != 0)
                fail_msg("case %zu: fits in %zu, want not", i, c->outsz);
            continue;
        }
        if (n != strlen(c->want) || strcmp(out, c->want) != 0)
            fail_msg("case %zu: '%s' (%zu), want '%s'", i, out, n, c->want);
        assert_int_equal(out[c->outsz], 'Z'); /* nothing past outsz */
    }
}

/* The worst case the header promises: 3 * strlen(rel) + 2 always fits. */
static void
test_file_value_bound(void **state)
{
    char rel[100], out[3 * (sizeof(rel) - 1) + 2];

    (void)state;
    memset(rel, '\n', sizeof(rel) - 1);
    rel[sizeof(rel) - 1] = '\0';
    assert_int_equal(debuginfod_file_value(rel, out, sizeof(out)),
                     3 * (sizeof(rel) - 1) + 1);
    assert_int_equal(debuginfod_file_value(rel, out, sizeof(out) - 1), 0);
}

/* A tree with one executable, app/elf-buildid-ID40/app; root[] filled. */
static void
make_store(char *root, size_t rootsz)
{
    char path[512];
    int fd;

    snprintf(root, rootsz, "/tmp/test_debuginfod.XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof(path), "%s/app/elf-buildid-" ID40, root);
    assert_int_equal(file_mkdirs(path, strlen(root)), 0);
    snprintf(path, sizeof(path), "%s/app/elf-buildid-" ID40 "/app", root);
    fd = creat(path, 0644);
    assert_true(fd >= 0);
    close(fd);
    /* An old store: a change that has settled forces no rescan. */
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimensat(AT_FDCWD, root, old, 0), 0);
}

static void
remove_store(const char *root)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static int
find_app(struct debuginfod *d, char *out, size_t outsz)
{
    struct debuginfod_req req;

    assert_int_equal(debuginfod_parse("buildid/" ID40 "/executable", &req),
                     DEBUGINFOD_EXECUTABLE);
    return debuginfod_executable(d, &req, out, outsz);
}

/* Within the budget, the first index is whole when debuginfod_new()
 * returns. */
static void
test_first_index_in_budget(void **state)
{
    char root[64], err[256], out[512];
    struct debuginfod *d;

    (void)state;
    make_store(root, sizeof(root));
    d = debuginfod_new(root, DEBUGINFOD_START_BUDGET_MS, err, sizeof(err));
    assert_non_null(d);
    assert_true(debuginfod_ready(d));
    assert_int_equal(find_app(d, out, sizeof(out)), 0);
    assert_string_equal(out, "app/elf-buildid-" ID40 "/app");
    debuginfod_free(d);
    remove_store(root);
}

/* Past the budget (0: no wait at all) the builder thread makes the first
 * index by itself, though the store never changes. */
static void
test_first_index_in_background(void **state)
{
    char root[64], err[256], out[512];
    struct debuginfod *d;
    int tries = 0;

    (void)state;
    make_store(root, sizeof(root));
    d = debuginfod_new(root, 0, err, sizeof(err));
    assert_non_null(d);
    while (!debuginfod_ready(d) && tries++ < 1000) {
        struct timespec ms = {0, 10000000};

        nanosleep(&ms, NULL);
    }
    assert_true(debuginfod_ready(d));
    assert_int_equal(find_app(d, out, sizeof(out)), 0);
    debuginfod_free(d);
    remove_store(root);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_section),
        cmocka_unit_test(test_file_value),
        cmocka_unit_test(test_file_value_bound),
        cmocka_unit_test(test_first_index_in_budget),
        cmocka_unit_test(test_first_index_in_background),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
