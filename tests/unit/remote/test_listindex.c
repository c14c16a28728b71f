/* Unit tests for include/remote/listindex.h: hostile paths first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/listindex.h"

struct want_case {
    const char *rel;
    int wanted;
};

static const struct want_case wanted[] = {
    {"", 0},
    {"/a.pdb/K/a.pdb", 0},
    {"a.pdb/K/", 0},
    {"a.pdb//a.pdb", 0},
    {"000Admin/lastid.txt", 0},
    {"000admin/server.txt", 0}, /* any case */
    {"000ADMIN/0000000001", 0},
    {"a.pdb/K/refs.ptr", 0},
    {"refs.ptr", 0},
    {"000Admin", 1}, /* a file named so is no admin directory */
    {"a.pdb/K/a.pdb", 1},
    {"a.pdb/K/file.ptr", 1},
    {"a.pdb/K/a.pd_", 1},
    {"a.pdb/K/REFS.PTR", 1}, /* only the name symstore writes */
    {"index2.txt", 1},
    {"ap/app.pdb/K/app.pdb", 1},
};

static void
test_wanted(void **state)
{
    char big[1100];

    (void)state;
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (listindex_wanted(wanted[i].rel) != (wanted[i].wanted != 0))
            fail_msg("row %zu \"%s\"", i, wanted[i].rel);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(listindex_wanted(big));
    big[1024] = '\0';
    assert_true(listindex_wanted(big));
}

struct find_case {
    const char *ask;
    size_t len;        /* 0: strlen */
    const char *found; /* NULL: not found */
};

static const struct find_case finds[] = {
    {"app.pdb/0123ABCD1/app.pdb", 0, "App.PDB/0123abcd1/App.pdb"},
    {"APP.PDB/0123ABCD1/APP.PDB", 0, "App.PDB/0123abcd1/App.pdb"},
    {"App.PDB/0123abcd1/App.pdb", 0, "App.PDB/0123abcd1/App.pdb"},
    {"app.pdb/0123abcd1/app.pd", 0, NULL},   /* a prefix is not a match */
    {"app.pdb/0123abcd1/app.pdbx", 0, NULL}, /* nor a longer one */
    {"app.pdb/0123abcd1/app.pdbXYZ", 25, "App.PDB/0123abcd1/App.pdb"},
    {"app.pdb/0123abcd1/app.pdb\0x", 27, NULL}, /* a NUL inside */
    {"", 0, NULL},
    {"\xc3\x89t\xc3\xa9.pdb/K/\xc3\x89t\xc3\xa9.pdb", 0,
     "\xc3\x89t\xc3\xa9.pdb/K/\xc3\x89t\xc3\xa9.pdb"},
    /* UTF-8 letters are not folded: only A-Z. */
    {"\xc3\xa9t\xc3\xa9.pdb/K/\xc3\xa9t\xc3\xa9.pdb", 0, NULL},
    {"a.pdb/k/refs.ptr", 0, NULL}, /* not indexed */
    {"000admin/lastid.txt", 0, NULL},
    /* '@' and '[' are next to 'A' and 'Z': no folding of them. */
    {"@.pdb/K/@.pdb", 0, NULL},
    {"[.pdb/K/[.pdb", 0, "[.pdb/K/[.pdb"},
};

static void
test_find(void **state)
{
    struct listindex *li = listindex_new();

    (void)state;
    assert_non_null(li);
    assert_int_equal(listindex_add(li, "App.PDB/0123abcd1/App.pdb"), 0);
    assert_int_equal(
        listindex_add(li, "\xc3\x89t\xc3\xa9.pdb/K/\xc3\x89t\xc3\xa9.pdb"), 0);
    assert_int_equal(listindex_add(li, "A.pdb/K/refs.ptr"), 0);
    assert_int_equal(listindex_add(li, "000Admin/lastid.txt"), 0);
    assert_int_equal(listindex_add(li, "`.pdb/K/`.pdb"), 0);
    assert_int_equal(listindex_add(li, "[.pdb/K/[.pdb"), 0);
    assert_int_equal(listindex_count(li), 4);
    for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
        const struct find_case *c = &finds[i];
        const char *got =
            listindex_find(li, c->ask, c->len ? c->len : strlen(c->ask));

        if ((got == NULL) != (c->found == NULL) ||
            (got != NULL && strcmp(got, c->found) != 0))
            fail_msg("row %zu \"%s\": \"%s\"", i, c->ask, got ? got : "(none)");
    }
    listindex_free(li);
}

/* A second spelling replaces the first; a removal is found no more; and
 * the same spelling added again changes nothing. */
static void
test_replace_remove(void **state)
{
    struct listindex *li = listindex_new();

    (void)state;
    assert_int_equal(listindex_add(li, "a.pdb/K/a.pdb"), 0);
    assert_int_equal(listindex_add(li, "A.PDB/K/A.PDB"), 0);
    assert_int_equal(listindex_count(li), 1);
    assert_string_equal(listindex_find(li, "a.pdb/k/a.pdb", 13),
                        "A.PDB/K/A.PDB");
    assert_int_equal(listindex_add(li, "A.PDB/K/A.PDB"), 0);
    assert_int_equal(listindex_count(li), 1);
    assert_false(listindex_remove(li, "b.pdb/K/b.pdb"));
    assert_true(listindex_remove(li, "a.PDB/k/A.pdb"));
    assert_null(listindex_find(li, "a.pdb/k/a.pdb", 13));
    assert_int_equal(listindex_count(li), 0);
    assert_false(listindex_remove(li, "a.pdb/K/a.pdb"));
    listindex_free(li);
}

/* Many entries: the table grows, tombstones and waste are reclaimed, and
 * every live entry is found in another case. */
static void
test_many(void **state)
{
    enum { N = 200000 };
    struct listindex *li = listindex_new();
    char rel[64], ask[64];

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(rel, sizeof(rel), "Lib%d.pdb/%08X1/Lib%d.pdb", i, i, i);
        assert_int_equal(listindex_add(li, rel), 0);
    }
    assert_int_equal(listindex_count(li), N);
    for (int i = 0; i < N; i += 2) { /* half removed */
        snprintf(ask, sizeof(ask), "LIB%d.PDB/%08x1/lib%d.pdb", i, i, i);
        assert_true(listindex_remove(li, ask));
    }
    for (int i = 0; i < N; i++) {
        const char *got;

        snprintf(rel, sizeof(rel), "Lib%d.pdb/%08X1/Lib%d.pdb", i, i, i);
        snprintf(ask, sizeof(ask), "lib%d.PDB/%08x1/LIB%d.pdb", i, i, i);
        got = listindex_find(li, ask, strlen(ask));
        if (i % 2 == 0 && got != NULL)
            fail_msg("%s: removed, still found", ask);
        if (i % 2 == 1 && (got == NULL || strcmp(got, rel) != 0))
            fail_msg("%s: %s", ask, got ? got : "(none)");
    }
    assert_int_equal(listindex_count(li), N / 2);
    /* Compacted: the removed half's bytes went. */
    assert_true(listindex_bytes(li) < (size_t)N * 64);
    listindex_free(li);
}

/* A clone finds what the original held when cloned, and neither sees
 * the other's later changes (the daemon refreshes one, serves the other):
 * an empty index, one with removed entries (tombstones, waste), one
 * after growth. */
static void
test_clone(void **state)
{
    struct listindex *empty = listindex_new(), *li = listindex_new(), *c;
    char rel[64], ask[64];

    (void)state;
    c = listindex_clone(empty);
    assert_non_null(c);
    assert_int_equal(listindex_count(c), 0);
    assert_null(listindex_find(c, "a.pdb/1/a.pdb", 13));
    assert_int_equal(listindex_add(c, "a.pdb/1/a.pdb"), 0);
    assert_null(listindex_find(empty, "a.pdb/1/a.pdb", 13));
    listindex_free(c);
    listindex_free(empty);
    for (int i = 0; i < 3000; i++) { /* past MIN_SLOTS: the table grew */
        snprintf(rel, sizeof(rel), "M%d.pdb/%04X1/M%d.pdb", i, i, i);
        assert_int_equal(listindex_add(li, rel), 0);
    }
    assert_true(listindex_remove(li, "m7.pdb/00071/m7.PDB"));
    c = listindex_clone(li);
    assert_non_null(c);
    assert_int_equal(listindex_count(c), listindex_count(li));
    assert_int_equal(listindex_bytes(c), listindex_bytes(li));
    for (int i = 0; i < 3000; i++) {
        const char *got;

        snprintf(rel, sizeof(rel), "M%d.pdb/%04X1/M%d.pdb", i, i, i);
        snprintf(ask, sizeof(ask), "m%d.PDB/%04x1/m%d.pdb", i, i, i);
        got = listindex_find(c, ask, strlen(ask));
        if (i == 7 ? got != NULL : got == NULL || strcmp(got, rel) != 0)
            fail_msg("%s: %s", ask, got ? got : "(none)");
    }
    /* Apart from here on. */
    assert_true(listindex_remove(li, "M8.pdb/00081/M8.pdb"));
    assert_int_equal(listindex_add(c, "New.pdb/1/New.pdb"), 0);
    assert_non_null(listindex_find(c, "M8.pdb/00081/M8.pdb", 19));
    assert_null(listindex_find(li, "new.pdb/1/new.pdb", 17));
    listindex_free(li);
    assert_non_null(listindex_find(c, "m9.pdb/00091/m9.pdb", 19));
    listindex_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wanted),         cmocka_unit_test(test_find),
        cmocka_unit_test(test_replace_remove), cmocka_unit_test(test_many),
        cmocka_unit_test(test_clone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
