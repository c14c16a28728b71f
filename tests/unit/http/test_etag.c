/* Unit tests for the tag makers of include/http/etag.h (etag_list_match()
 * is tested with the preconditions, test_precond.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "http/etag.h"

static struct stat
stat_of(unsigned long long ino, long long size, long long sec, long nsec)
{
    struct stat st;

    memset(&st, 0, sizeof(st));
    st.st_ino = (ino_t)ino;
    st.st_size = (off_t)size;
    st.st_mtim.tv_sec = (time_t)sec;
    st.st_mtim.tv_nsec = nsec;
    return st;
}

/* A tag is one strong entity-tag that matches itself and only itself. */
static void
check_tag(const char *tag)
{
    size_t n = strlen(tag);

    assert_true(n >= 2 && n < ETAG_LEN);
    assert_true(tag[0] == '"' && tag[n - 1] == '"');
    assert_true(etag_list_match(tag, tag, false));
}

struct window_case {
    long long size; /* the window's length, as st_size */
    unsigned long long off;
    const char *want;
};

static const struct window_case window_cases[] = {
    {0x40, 0x100, "\"2a-40-5f5e1000.1f4-w100\""},
    {0x40, 0, "\"2a-40-5f5e1000.1f4-w0\""},
    {1, 0xffffffffffffffffULL, "\"2a-1-5f5e1000.1f4-wffffffffffffffff\""},
};

static void
test_window_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(window_cases) / sizeof(window_cases[0]);
         i++) {
        const struct window_case *c = &window_cases[i];
        struct stat st = stat_of(42, c->size, 1600000000, 500);
        char tag[ETAG_LEN];

        etag_format_window(&st, c->off, tag);
        assert_string_equal(tag, c->want);
        check_tag(tag);
    }
}

/*
 * Windows of one file differ from the whole file's tag and from each
 * other, even where lengths and offsets could line up; every field at its
 * largest still fits ETAG_LEN.
 */
static void
test_window_distinct(void **state)
{
    struct stat whole = stat_of(7, 0x1000, 1700000000, 123456789);
    struct stat w40 = stat_of(7, 0x40, 1700000000, 123456789);
    struct stat w1000 = stat_of(7, 0x1000, 1700000000, 123456789);
    struct stat max =
        stat_of(~0ULL, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL, 999999999);
    char t_whole[ETAG_LEN], a[ETAG_LEN], b[ETAG_LEN], c[ETAG_LEN], d[ETAG_LEN],
        m[ETAG_LEN];

    (void)state;
    etag_format(&whole, t_whole);
    etag_format_window(&w1000, 0, a); /* a window as long as the file */
    etag_format_window(&w40, 0x100, b);
    etag_format_window(&w40, 0x140, c);
    etag_format_window(&w1000, 0x40, d);
    check_tag(t_whole);
    assert_string_not_equal(t_whole, a);
    assert_false(etag_list_match(t_whole, a, true));
    assert_string_not_equal(b, c);
    assert_string_not_equal(a, d);
    assert_false(etag_list_match(b, c, true));
    etag_format_window(&max, ~0ULL, m);
    check_tag(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_format),
        cmocka_unit_test(test_window_distinct),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
