/*
 * Store semantics: case-blind lookups on every segment (exact match first,
 * duplicates resolved the documented way, changes noticed), two-tier
 * stores (index2.txt) under both URL forms, hidden names in any case, and
 * store.serve_admin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define KEY "0123456789ABCDEF0123456789ABCDEF1"

static struct daemon srv;

static void
put_file(const char *rel, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", srv.root, rel);
    for (char *p = path + strlen(srv.root) + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
start(const char *const *extra)
{
    fixture_make(&srv);
    put_file("dup.pdb/" KEY "/dup.pdb", "lower");
    put_file("dup.pdb/" KEY "/DUP.pdb", "upper");
    put_file("Mixed.PDB/" KEY "/Mixed.PDB", "mixed");
    daemon_start(&srv, extra);
}

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(daemon_stop(&srv), 0);
    daemon_check_stderr(&srv);
    fixture_remove(&srv);
    return 0;
}

/* GET target; status must be want, and for 200 the body text. */
static void
expect(const char *target, long want, const char *body)
{
    struct resp r;

    assert_int_equal(http_request(&srv, "GET", target, NULL, false, &r), 0);
    if (r.code != want)
        fail_msg("%s: got %ld, want %ld", target, r.code, want);
    if (body != NULL && strcmp(r.body != NULL ? r.body : "", body) != 0)
        fail_msg("%s: body '%s', want '%s'", target, r.body, body);
    resp_free(&r);
}

struct case_case {
    const char *target;
    long status;
    const char *body;
};

static const struct case_case case_cases[] = {
    {"/Mixed.PDB/" KEY "/Mixed.PDB", 200, "mixed"},
    {"/mixed.pdb/" KEY "/mixed.pdb", 200, "mixed"},
    {"/MIXED.PDB/0123456789abcdef0123456789abcdef1/MIXED.PDB", 200, "mixed"},
    {"/mIxEd.pDb/0123456789AbCdEf0123456789aBcDeF1/MiXeD.PdB", 200, "mixed"},
    {"/MIXED.PDB%2F" KEY "%2Fmixed.pdb", 200, "mixed"},
    /* an exact match wins over a case-blind one */
    {"/dup.pdb/" KEY "/dup.pdb", 200, "lower"},
    {"/dup.pdb/" KEY "/DUP.pdb", 200, "upper"},
    /* otherwise the name that sorts first byte by byte: "DUP" < "dup" */
    {"/dup.pdb/" KEY "/Dup.Pdb", 200, "upper"},
    {"/DUP.PDB/0123456789abcdef0123456789abcdef1/dup.PDB", 200, "upper"},
    /* misses stay misses in any case */
    {"/MIXED.PDB/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF1/MIXED.PDB", 404, NULL},
    {"/mixed.pdb/" KEY "/other.pdb", 404, NULL},
    {"/MIXED.PDB/" KEY, 404, NULL},
    /* hidden names are hidden in every case */
    {"/APP.PDB/" KEY "/REFS.PTR", 404, NULL},
    {"/app.pdb/" KEY "/File.Ptr", 404, NULL},
    {"/000ADMIN/LASTID.TXT", 404, NULL},
    {"/.HIDDEN", 404, NULL},
    {"/index2.txt", 404, NULL},
};

static void
test_case_blind(void **state)
{
    (void)state;
    start(NULL);
    for (int pass = 0; pass < 2; pass++) /* cold, then learned */
        for (size_t i = 0; i < sizeof(case_cases) / sizeof(case_cases[0]); i++)
            expect(case_cases[i].target, case_cases[i].status,
                   case_cases[i].body);
}

/* What was learned follows the tree: new files, removals, renames. */
static void
test_changes_noticed(void **state)
{
    char from[512], to[512];

    (void)state;
    start(NULL);
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 200, "mixed");
    put_file("Mixed.PDB/" KEY "/New.pdb", "new");
    expect("/MIXED.PDB/" KEY "/NEW.PDB", 200, "new");
    put_file("Fresh.pdb/ABC1/Fresh.pdb", "fresh");
    expect("/fresh.pdb/abc1/fresh.pdb", 200, "fresh");
    snprintf(from, sizeof(from), "%s/Mixed.PDB/" KEY "/Mixed.PDB", srv.root);
    snprintf(to, sizeof(to), "%s/Mixed.PDB/" KEY "/renamed.pdb", srv.root);
    assert_int_equal(rename(from, to), 0);
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 404, NULL);
    expect("/MIXED.PDB/" KEY "/RENAMED.PDB", 200, "mixed");
    put_file("Mixed.PDB/" KEY "/mixed.pdb", "again");
    expect("/MIXED.PDB/" KEY "/MIXED.PDB", 200, "again");
}

/* index2.txt: files under their name's first two characters (one if the
 * second is '.'); both the plain and the prefixed URL answer. */
static void
test_two_tier(void **state)
{
    (void)state;
    fixture_make(&srv);
    put_file("index2.txt", "");
    put_file("ap/app2.pdb/" KEY "/app2.pdb", "two-tier");
    put_file("a/a.dll/5F3E2A1B6000/a.dll", "one-char");
    put_file("ZZ/ZzTop.exe/5F3E2A1B6000/ZzTop.exe", "upper-prefix");
    daemon_start(&srv, NULL);
    expect("/index2.txt", 200, "");
    expect("/app2.pdb/" KEY "/app2.pdb", 200, "two-tier");
    expect("/ap/app2.pdb/" KEY "/app2.pdb", 200, "two-tier");
    expect("/APP2.PDB/0123456789abcdef0123456789abcdef1/App2.pdb", 200,
           "two-tier");
    expect("/AP/APP2.PDB/" KEY "/APP2.PDB", 200, "two-tier");
    expect("/a.dll/5F3E2A1B6000/a.dll", 200, "one-char");
    expect("/a/a.dll/5f3e2a1b6000/A.DLL", 200, "one-char");
    expect("/zztop.exe/5f3e2a1b6000/zztop.exe", 200, "upper-prefix");
    expect("/app2.pdb/FFFF/app2.pdb", 404, NULL);
    /* a single-tier file in a two-tier store still answers */
    expect("/app.exe/5F3E2A1B6000/app.exe", 200, NULL);
}

static void
test_serve_admin(void **state)
{
    static const char *const flags[] = {"--serve-admin", "on", NULL};

    (void)state;
    start(flags);
    expect("/000Admin/lastid.txt", 200, "0000000001");
    expect("/000admin/LASTID.TXT", 200, "0000000001");
    expect("/app.pdb/" KEY "/refs.ptr", 404, NULL);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_case_blind, teardown),
        cmocka_unit_test_teardown(test_changes_noticed, teardown),
        cmocka_unit_test_teardown(test_two_tier, teardown),
        cmocka_unit_test_teardown(test_serve_admin, teardown),
    };

    harness_init(argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
