/*
 * What every unit test shares: the fixture tree, skips that ctest sees,
 * exact-size heap buffers (ASan flags a read one byte past them), checked
 * appends, and a main() that runs one group of tests chosen on the
 * command line.
 *
 * A test program's groups are its ctest entries (tests/CMakeLists.txt):
 * the default group always runs; "fixtures" needs the real fixtures and
 * exits UNIT_SKIPPED (ctest: Skipped) when they are absent; any test that
 * calls unit_skip() makes its entry Skipped too, never Passed.
 */
#ifndef SYMSRVD_TEST_UNIT_H
#define SYMSRVD_TEST_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

/* ctest's SKIP_RETURN_CODE for every unit entry. */
#define UNIT_SKIPPED 77

#define UNIT_FORMAT(a, b) __attribute__((format(printf, a, b)))

/*
 * The fixture tree: $SYMSRVD_FIXTURES when set and not empty, else the
 * SYMSRVD_FIXTURES the build defined; NULL when it is not a directory.
 */
const char *unit_fixtures(void);

/* unit_fixtures()/rel into buf; fails the test when there is no tree. */
const char *unit_fixture_path(char *buf, size_t buflen, const char *rel);

/* Says why, marks the run skipped (exit UNIT_SKIPPED) and skips. */
void unit_skip(const char *fmt, ...) UNIT_FORMAT(1, 2);

/*
 * The whole of path in a malloc of exactly its length (1 byte for an
 * empty file, with *len 0); NULL if it cannot be read.
 */
unsigned char *unit_slurp(const char *path, size_t *len);

/* src[0..len) in a malloc of exactly len bytes (1 when len is 0). */
unsigned char *unit_exact(const void *src, size_t len);

/*
 * Appends to buf (cap bytes, *len used, NUL-ended) and fails the test
 * rather than truncate: *len never passes cap, so cap - *len cannot wrap.
 */
void unit_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    UNIT_FORMAT(4, 5);

struct unit_group {
    const char *name; /* argv[1] that runs it; NULL: the default group */
    const struct CMUnitTest *tests;
    size_t ntests;
    bool fixtures; /* needs unit_fixtures() */
};

#define UNIT_GROUP(name, tests, fixtures)                                      \
    {                                                                          \
        (name), (tests), sizeof(tests) / sizeof((tests)[0]), (fixtures)        \
    }

/*
 * Runs the group argv[1] names (none: the default group). Returns 0,
 * UNIT_SKIPPED (fixtures absent, or a test skipped), or 1 (a test failed,
 * or an unknown group).
 */
int unit_main(int argc, char **argv, const struct unit_group *groups,
              size_t ngroups);

/* unit_main() of two groups: tests by default, fixture_tests "fixtures". */
int unit_main_fixtures(int argc, char **argv, const struct CMUnitTest *tests,
                       size_t ntests, const struct CMUnitTest *fixture_tests,
                       size_t nfixture_tests);

#define UNIT_MAIN_FIXTURES(argc, argv, tests, fixture_tests)                   \
    unit_main_fixtures((argc), (argv), (tests),                                \
                       sizeof(tests) / sizeof((tests)[0]), (fixture_tests),    \
                       sizeof(fixture_tests) / sizeof((fixture_tests)[0]))

#endif
