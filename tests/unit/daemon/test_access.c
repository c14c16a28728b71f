/* Unit tests for include/daemon/access.h: a policy built from a config and
 * its files, and what it decides for hand-made heads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/access.h"
#include "daemon/config.h"

/* alice:secret (bcrypt), fred:f1 (APR1) */
#define HTPASSWD                                                               \
    "# users\n"                                                                \
    "alice:$2y$05$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBMlxW\n"     \
    "\n"                                                                       \
    "fred:$apr1$DsWfWMFi$rPHskcHiVtw1JJM2.9El7.\r\n"
#define TOKENS "abcdefghijklmnopqrstuvwxyz012345 ci-bot\nzyxwvutsrqponmlk\n"

/* config's strings are char *; these tests never write through them. */
static char *
mut(const char *s)
{
    return (char *)(uintptr_t)s;
}

static void
write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    size_t n = strlen(text);

    assert_true(fd != -1);
    assert_true(write(fd, text, n) == (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

struct fixture {
    char htpasswd[64], tokens[64];
    struct config cfg;
};

static void
fixture_init(struct fixture *f, const char *htpasswd, const char *tokens)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->htpasswd, "/tmp/symsrvd-unit-htpasswd-XXXXXX");
    strcpy(f->tokens, "/tmp/symsrvd-unit-tokens-XXXXXX");
    write_file(f->htpasswd, htpasswd);
    write_file(f->tokens, tokens);
    f->cfg.auth_realm = mut("symbols");
    f->cfg.auth_max_failures = 3;
    f->cfg.auth_window = 60;
    f->cfg.auth_lockout = 300;
}

static void
fixture_done(struct fixture *f)
{
    unlink(f->htpasswd);
    unlink(f->tokens);
}

static void
test_load_errors(void **state)
{
    static const struct {
        const char *htpasswd, *want;
    } cases[] = {
        {"alice:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n", ":1: unsupported hash"},
        {HTPASSWD "bob\n", ":5: no ':'"},
        {"", ": no users"},
        {"# only a comment\n", ": no users"},
        {HTPASSWD HTPASSWD, ": user 'alice' is listed twice"},
    };
    struct fixture f;
    char err[512];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[256];

        fixture_init(&f, cases[i].htpasswd, TOKENS);
        f.cfg.htpasswd = f.htpasswd;
        assert_null(access_new(&f.cfg, err, sizeof(err)));
        snprintf(want, sizeof(want), "%s%s", f.htpasswd, cases[i].want);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("err \"%s\", want \"%s...\"", err, want);
        fixture_done(&f);
    }
    fixture_init(&f, HTPASSWD, "abcdefghijklmnop\nshort\n");
    f.cfg.tokens = f.tokens;
    assert_null(access_new(&f.cfg, err, sizeof(err)));
    assert_non_null(strstr(err, ":2: the token must be"));
    assert_int_equal(strncmp(err, f.tokens, strlen(f.tokens)), 0);
    fixture_done(&f);
    fixture_init(&f, HTPASSWD, "abcdefghijklmnop a\nabcdefghijklmnop b\n");
    f.cfg.tokens = f.tokens;
    assert_null(access_new(&f.cfg, err, sizeof(err)));
    assert_non_null(strstr(err, ":2: the same token twice"));
    fixture_done(&f);
    f.cfg.htpasswd = mut("/nonexistent/htpasswd");
    f.cfg.tokens = NULL;
    assert_null(access_new(&f.cfg, err, sizeof(err)));
    assert_string_equal(err,
                        "/nonexistent/htpasswd: No such file or directory");
}

/* A head holding the given fields ("Name", "value", ...; NULL ends). */
static void
make_head(struct head *h, const char *const *kv)
{
    memset(h, 0, sizeof(*h));
    for (size_t i = 0; kv[i] != NULL; i += 2) {
        struct head_field *f = &h->fields[h->nfields++];

        f->name = (struct head_str){kv[i], strlen(kv[i])};
        f->value = (struct head_str){kv[i + 1], strlen(kv[i + 1])};
        f->id = HEAD_F_KNOWN;
    }
}

static struct acl_addr
addr(const char *text)
{
    struct acl_addr a;

    assert_int_equal(acl_addr_parse(text, strlen(text), &a), 0);
    return a;
}

static enum access_rc
check(const struct access *ac, struct guard *g, const char *path,
      const char *client, const char *const *kv, struct access_result *res)
{
    struct head h;
    struct acl_addr a = addr(client);

    make_head(&h, kv);
    return access_check(ac, g, path, &a, &h, 1000, res);
}

#define ALICE "Basic YWxpY2U6c2VjcmV0"      /* alice:secret */
#define ALICE_BAD "Basic YWxpY2U6c2VjcmVU"  /* alice:secreT */
#define FRED "Basic ZnJlZDpmMQ=="           /* fred:f1 */
#define NOBODY "Basic bm9ib2R5OnNlY3JldA==" /* nobody:secret */

static void
test_credentials(void **state)
{
    struct fixture f;
    struct access *ac;
    struct guard *g;
    struct access_result r;
    struct guard_limits l;
    char err[256];

    (void)state;
    fixture_init(&f, HTPASSWD, TOKENS);
    f.cfg.htpasswd = f.htpasswd;
    f.cfg.tokens = f.tokens;
    ac = access_new(&f.cfg, err, sizeof(err));
    assert_non_null(ac);
    l = access_guard_limits(&f.cfg);
    g = guard_new(&l);
    assert_string_equal(access_challenge(ac),
                        "Basic realm=\"symbols\", charset=\"UTF-8\"");
    {
        const char *none[] = {NULL};
        const char *alice[] = {"authorization", ALICE, NULL};
        const char *fred[] = {"Authorization", FRED, NULL};
        const char *tok[] = {"Authorization",
                             "Bearer abcdefghijklmnopqrstuvwxyz012345", NULL};
        const char *tok2[] = {"Authorization", "Bearer zyxwvutsrqponmlk", NULL};
        const char *badtok[] = {"Authorization", "Bearer zyxwvutsrqponmlj",
                                NULL};
        const char *twice[] = {"Authorization", ALICE, "Authorization", ALICE,
                               NULL};
        const char *digest[] = {"Authorization", "Digest x", NULL};

        assert_int_equal(check(ac, g, "a.pdb/1/a.pdb", "192.0.2.1", none, &r),
                         ACCESS_UNAUTHORIZED);
        assert_int_equal(check(ac, g, "a.pdb/1/a.pdb", "192.0.2.1", alice, &r),
                         ACCESS_OK);
        assert_string_equal(r.user, "alice");
        /* The second time from the cache: same answer. */
        assert_int_equal(check(ac, g, "a.pdb/1/a.pdb", "192.0.2.1", alice, &r),
                         ACCESS_OK);
        assert_string_equal(r.user, "alice");
        assert_int_equal(check(ac, g, "x", "192.0.2.1", fred, &r), ACCESS_OK);
        assert_string_equal(r.user, "fred");
        assert_int_equal(check(ac, g, "x", "192.0.2.1", tok, &r), ACCESS_OK);
        assert_string_equal(r.user, "ci-bot");
        assert_int_equal(check(ac, g, "x", "192.0.2.1", tok2, &r), ACCESS_OK);
        assert_string_equal(r.user, "token");
        /* Not failures: no credentials, another scheme. */
        for (int i = 0; i < 5; i++) {
            assert_int_equal(check(ac, g, "x", "192.0.2.9", none, &r),
                             ACCESS_UNAUTHORIZED);
            assert_int_equal(check(ac, g, "x", "192.0.2.9", digest, &r),
                             ACCESS_UNAUTHORIZED);
        }
        /* Failures: a bad token, two Authorization lines, then locked. */
        assert_int_equal(check(ac, g, "x", "192.0.2.9", badtok, &r),
                         ACCESS_UNAUTHORIZED);
        assert_string_equal(r.user, "");
        assert_int_equal(check(ac, g, "x", "192.0.2.9", twice, &r),
                         ACCESS_UNAUTHORIZED);
        assert_int_equal(check(ac, g, "x", "192.0.2.9", badtok, &r),
                         ACCESS_LOCKED);
        assert_int_equal(r.retry_after, 300);
        assert_int_equal(check(ac, g, "x", "192.0.2.9", alice, &r),
                         ACCESS_LOCKED);
        assert_int_equal(check(ac, g, "x", "192.0.2.1", alice, &r), ACCESS_OK);
    }
    {
        const char *bad[] = {"Authorization", ALICE_BAD, NULL};
        const char *nobody[] = {"Authorization", NOBODY, NULL};

        assert_int_equal(check(ac, g, "x", "192.0.2.20", bad, &r),
                         ACCESS_UNAUTHORIZED);
        assert_int_equal(check(ac, g, "x", "192.0.2.20", nobody, &r),
                         ACCESS_UNAUTHORIZED);
    }
    guard_free(g);
    access_free(ac);
    fixture_done(&f);
}

/* A reload: a new policy never takes the cache entries of the old one. */
static void
test_cache_per_policy(void **state)
{
    struct fixture f;
    struct access *ac;
    struct guard *g;
    struct access_result r;
    struct guard_limits l = {0, 60, 300};
    char err[256];
    const char *alice[] = {"Authorization", ALICE, NULL};

    (void)state;
    fixture_init(&f, HTPASSWD, TOKENS);
    f.cfg.htpasswd = f.htpasswd;
    ac = access_new(&f.cfg, err, sizeof(err));
    g = guard_new(&l);
    assert_int_equal(check(ac, g, "x", "192.0.2.1", alice, &r), ACCESS_OK);
    access_free(ac);
    fixture_done(&f);
    /* alice's password changed to f1 */
    fixture_init(&f, "alice:$apr1$DsWfWMFi$rPHskcHiVtw1JJM2.9El7.\n", TOKENS);
    f.cfg.htpasswd = f.htpasswd;
    ac = access_new(&f.cfg, err, sizeof(err));
    assert_non_null(ac);
    assert_int_equal(check(ac, g, "x", "192.0.2.1", alice, &r),
                     ACCESS_UNAUTHORIZED);
    guard_free(g);
    access_free(ac);
    fixture_done(&f);
}

static void
test_ip_and_paths(void **state)
{
    struct fixture f;
    struct access *ac;
    struct guard *g;
    struct access_result r;
    char err[256];
    const char *none[] = {NULL};
    const char *alice[] = {"Authorization", ALICE, NULL};

    (void)state;
    fixture_init(&f, HTPASSWD, TOKENS);
    f.cfg.htpasswd = f.htpasswd;
    f.cfg.acl[0] = mut("-192.0.2.66");
    f.cfg.acl[1] = mut("+192.0.2.0/24");
    f.cfg.acl[2] = mut("+2001:db8::/32");
    f.cfg.acl[3] = mut("-all");
    f.cfg.nacl = 4;
    f.cfg.paths[0] = (struct config_path){
        mut("/buildid/"), {mut("+10.0.0.0/8"), mut("-all")}, 2, 0};
    f.cfg.paths[1] = (struct config_path){mut("/open/"), {0}, 0, 0};
    f.cfg.paths[2] = (struct config_path){mut("/open/closed/"), {0}, 0, -1};
    f.cfg.npaths = 3;
    ac = access_new(&f.cfg, err, sizeof(err));
    assert_non_null(ac);
    g = guard_new(&(struct guard_limits){3, 60, 300});
    {
        struct acl_addr a;

        a = addr("192.0.2.66");
        assert_false(access_ip_allowed(ac, &a)); /* first match: deny */
        a = addr("192.0.2.67");
        assert_true(access_ip_allowed(ac, &a));
        a = addr("::ffff:192.0.2.67");
        assert_true(access_ip_allowed(ac, &a));
        a = addr("2001:db8::5");
        assert_true(access_ip_allowed(ac, &a));
        a = addr("198.51.100.1");
        assert_false(access_ip_allowed(ac, &a));
    }
    /* /buildid/: open, but only to 10/8. */
    assert_int_equal(check(ac, g, "buildid/ab/debuginfo", "10.1.1.1", none, &r),
                     ACCESS_OK);
    assert_int_equal(check(ac, g, "BuildID/ab/debuginfo", "10.1.1.1", none, &r),
                     ACCESS_OK);
    assert_int_equal(
        check(ac, g, "buildid/ab/debuginfo", "192.0.2.1", none, &r),
        ACCESS_FORBIDDEN);
    /* Elsewhere: credentials, unless a longer prefix says otherwise; the
     * letter case of the path does not dodge a rule. */
    assert_int_equal(check(ac, g, "a.pdb/1/a.pdb", "10.1.1.1", none, &r),
                     ACCESS_UNAUTHORIZED);
    assert_int_equal(check(ac, g, "a.pdb/1/a.pdb", "10.1.1.1", alice, &r),
                     ACCESS_OK);
    assert_int_equal(check(ac, g, "open/x", "10.1.1.1", none, &r), ACCESS_OK);
    assert_int_equal(check(ac, g, "open/closed/x", "10.1.1.1", none, &r),
                     ACCESS_UNAUTHORIZED);
    assert_int_equal(check(ac, g, "OPEN/CLOSED/x", "10.1.1.1", none, &r),
                     ACCESS_UNAUTHORIZED);
    assert_int_equal(check(ac, g, "buildi", "10.1.1.1", none, &r),
                     ACCESS_UNAUTHORIZED);
    guard_free(g);
    access_free(ac);
    fixture_done(&f);
}

static void
test_client(void **state)
{
    struct config cfg;
    struct access *ac;
    struct head h;
    struct acl_addr peer, client;
    char err[256], got[ACL_ADDR_TEXT];
    const char *xff[] = {"X-Forwarded-For", "198.51.100.7, 127.0.0.1", NULL};
    const char *two[] = {"x-forwarded-for", "203.0.113.1", "X-Forwarded-For",
                         "127.0.0.2", NULL};
    const char *fwd[] = {"Forwarded", "for=\"[2001:db8::7]:1\"", NULL};
    const char *both[] = {"Forwarded", "for=203.0.113.9", "X-Forwarded-For",
                          "198.51.100.7", NULL};

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.trusted_proxies[0] = mut("127.0.0.0/8");
    cfg.ntrusted_proxies = 1;
    ac = access_new(&cfg, err, sizeof(err));
    assert_non_null(ac);
    peer = addr("127.0.0.1");
    make_head(&h, xff);
    access_client(ac, &peer, &h, &client);
    acl_addr_format(&client, got);
    assert_string_equal(got, "198.51.100.7");
    make_head(&h, two); /* lines walked from the last up */
    access_client(ac, &peer, &h, &client);
    acl_addr_format(&client, got);
    assert_string_equal(got, "203.0.113.1");
    make_head(&h, fwd);
    access_client(ac, &peer, &h, &client);
    acl_addr_format(&client, got);
    assert_string_equal(got, "2001:db8::7");
    make_head(&h, both); /* X-Forwarded-For first */
    access_client(ac, &peer, &h, &client);
    acl_addr_format(&client, got);
    assert_string_equal(got, "198.51.100.7");
    /* An untrusted peer's header is ignored. */
    peer = addr("192.0.2.1");
    make_head(&h, xff);
    access_client(ac, &peer, &h, &client);
    acl_addr_format(&client, got);
    assert_string_equal(got, "192.0.2.1");
    access_free(ac);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_credentials),
        cmocka_unit_test(test_cache_per_policy),
        cmocka_unit_test(test_ip_and_paths),
        cmocka_unit_test(test_client),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
