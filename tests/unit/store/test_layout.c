/* Unit tests for include/store/layout.h: hidden names, tiers, twins. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "store/layout.h"

struct hidden_case {
    const char *name;
    const char *canon;
    bool hidden;
};

static const struct hidden_case hidden_cases[] = {
    {"dot directory", ".git/config", true},
    {"dot file below", "a/.hidden", true},
    {"dot directory below", "a/.b/c", true},
    {"dot directory alone", ".well-known", true},
    {"refs.ptr at top", "refs.ptr", true},
    {"refs.ptr, upper case, deep", "a/b/REFS.PTR", true},
    {"refs.ptr as a directory", "Refs.Ptr/x", true},
    {"file.ptr", "x/y/file.ptr", true},
    {"file.ptr, mixed case", "app.pdb/KEY/File.Ptr", true},
    {"000Admin file", "000Admin/lastid.txt", true},
    {"000admin alone", "000admin", true},
    {"000ADMIN upper case", "000ADMIN/history.txt", true},
    {"000Admin below the top", "a/000Admin/x", false},
    {"000Admin prefix", "000Admin2/x", false},
    {"store file", "app.pdb/KEY/app.pdb", false},
    {"root", "", false},
    {"dots inside a name", "a..b/c", false},
    {"trailing dot in a name", "a./b", false},
    {"refs.ptr prefix", "a/refs.ptr.bak", false},
    {"refs.ptr suffix", "a/old-refs.ptr", false},
    {"other .ptr file", "x/y/app.ptr", false},
    {"index2.txt", "index2.txt", false},
};

/* With store.serve_admin on, 000Admin is served; the rest stays hidden. */
static const struct hidden_case admin_cases[] = {
    {"lastid", "000Admin/lastid.txt", false},
    {"transaction", "000admin/0000000001", false},
    {"history", "000ADMIN/history.txt", false},
    {"dot-file inside", "000Admin/.lock", true},
    {"refs.ptr still", "app.pdb/KEY/refs.ptr", true},
    {"file.ptr still", "app.pdb/KEY/FILE.PTR", true},
};

static void
test_hidden_serve_admin(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(admin_cases) / sizeof(admin_cases[0]); i++) {
        const struct hidden_case *c = &admin_cases[i];

        if (layout_is_hidden(c->canon, true) != c->hidden)
            fail_msg("%s: \"%s\"", c->name, c->canon);
    }
}

static void
test_hidden_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(hidden_cases) / sizeof(hidden_cases[0]);
         i++) {
        const struct hidden_case *c = &hidden_cases[i];
        bool got = layout_is_hidden(c->canon, false);

        if (got != c->hidden) {
            print_error("%s: \"%s\" hidden %d, want %d\n", c->name, c->canon,
                        got, c->hidden);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

struct tier_case {
    const char *name, *prefix;
};

static const struct tier_case tier_cases[] = {
    {"", ""},       {"/x", ""},       {"a", "a"},        {"a.dll", "a"},
    {"a/b", "a"},   {"ab", "ab"},     {"app.pdb", "ap"}, {"ZzTop.exe", "Zz"},
    {".pdb", ".p"}, {"_.debug", "_"}, {"a./x", "a"},
};

static void
test_tier_prefix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(tier_cases) / sizeof(tier_cases[0]); i++) {
        char out[LAYOUT_TIER_MAX] = "xx";
        size_t n = layout_tier_prefix(tier_cases[i].name, out);

        assert_string_equal(out, tier_cases[i].prefix);
        assert_int_equal(n, strlen(tier_cases[i].prefix));
    }
}

struct reserved_case {
    const char *name;
    bool reserved;
};

static const struct reserved_case reserved_cases[] = {
    {"000Admin", true},
    {"000admin", true},
    {"000ADMIN", true},
    {"index2.txt", true},
    {"INDEX2.TXT", true},
    {"pingme.txt", true},
    {"PingMe.Txt", true},
    {"refs.ptr", true},
    {"Refs.PTR", true},
    {"file.ptr", true},
    {"FILE.ptr", true},
    {".lock", true},
    {".app.pdb.tmp.123", true},
    {".", true},
    {"..", true},
    {".hidden.pdb", true},
    {"app.pdb", false},
    {"000Admin2", false},
    {"000Admi", false},
    {"index2.txt.sym", false},
    {"index2", false},
    {"pingme.txt_", false},
    {"refs.pt_", false},
    {"file.pt_", false},
    {"xfile.ptr", false},
    {"a.", false},
    {"elf-buildid-0123", false},
    {"", false},
};

static void
test_reserved(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(reserved_cases) / sizeof(reserved_cases[0]);
         i++) {
        const struct reserved_case *c = &reserved_cases[i];

        if (layout_is_reserved(c->name) != c->reserved)
            fail_msg("\"%s\": want %s", c->name,
                     c->reserved ? "reserved" : "not reserved");
    }
}

struct twin_case {
    const char *name;
    size_t outsz;
    int rc;
    const char *twin;
};

static const struct twin_case twin_cases[] = {
    {"", 16, -1, NULL},
    {"app.pd_", 16, -1, NULL}, /* the twin itself: no twin of it */
    {"_", 16, -1, NULL},
    {"app.pdb", 7, -1, NULL}, /* no room for the NUL */
    {"app.pdb", 8, 0, "app.pd_"},
    {"a", 2, 0, "_"},
    {"APP.EXE", 16, 0, "APP.EX_"},
    {"libc.so.6", 16, 0, "libc.so._"},
    {"x.", 16, 0, "x_"},
};

static void
test_twin_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(twin_cases) / sizeof(twin_cases[0]); i++) {
        const struct twin_case *c = &twin_cases[i];
        char out[32];

        memset(out, 'x', sizeof(out));
        if (layout_twin_name(c->name, out, c->outsz) != c->rc)
            fail_msg("\"%s\" in %zu: want %d", c->name, c->outsz, c->rc);
        if (c->rc == 0)
            assert_string_equal(out, c->twin);
        else
            assert_int_equal(out[0], 'x'); /* nothing written */
    }
}

struct admin_case {
    const char *canon;
    bool admin;
};

/* Which paths the request metrics count under route="admin". */
static const struct admin_case admin_route_cases[] = {
    {"000Admin", true},
    {"000admin/lastid.txt", true},
    {"000ADMIN/history.txt", true},
    {"index2.txt", true},
    {"INDEX2.TXT", true},
    {"pingme.txt", true},
    {"PingMe.Txt", true},
    {"", false},
    {"000Admin2/x", false},
    {"000Admi", false},
    {"a/000Admin/x", false},
    {"a/index2.txt", false},
    {"index2.txt/x", false},
    {"pingme.txt/x", false},
    {"index2.txt.bak", false},
    {"xpingme.txt", false},
    {"app.pdb/KEY/app.pdb", false},
    {"buildid/abcd/debuginfo", false},
};

static void
test_admin_route(void **state)
{
    (void)state;
    for (size_t i = 0;
         i < sizeof(admin_route_cases) / sizeof(admin_route_cases[0]); i++) {
        const struct admin_case *c = &admin_route_cases[i];

        if (layout_is_admin(c->canon) != c->admin)
            fail_msg("\"%s\": admin %d, want %d", c->canon, !c->admin,
                     c->admin);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hidden_table),
        cmocka_unit_test(test_hidden_serve_admin),
        cmocka_unit_test(test_tier_prefix),
        cmocka_unit_test(test_twin_name),
        cmocka_unit_test(test_reserved),
        cmocka_unit_test(test_admin_route),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
