/* Unit tests for include/daemon/acl.h: CIDR text, matching, forwarding. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/acl.h"

struct cidr_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    bool ok;
    const char *why; /* a part of the reason, when refused */
};

static const struct cidr_case cidr_cases[] = {
    {"192.0.2.0/24", 0, true, NULL},
    {"192.0.2.7", 0, true, NULL},
    {"0.0.0.0/0", 0, true, NULL},
    {"2001:db8::/32", 0, true, NULL},
    {"::1", 0, true, NULL},
    {"::/0", 0, true, NULL},
    {"::ffff:192.0.2.0/120", 0, true, NULL},
    {"all", 0, true, NULL},
    /* Hostile. */
    {"", 0, false, "is not an IPv4"},
    {"/24", 0, false, "is not an IPv4"},
    {"192.0.2.0/33", 0, false, "prefix length is not 0 to 32"},
    {"2001:db8::/129", 0, false, "prefix length is not 0 to 128"},
    {"192.0.2.0/", 0, false, "prefix length"},
    {"192.0.2.0/-1", 0, false, "prefix length"},
    {"192.0.2.0/2 4", 0, false, "prefix length"},
    {"192.0.2.0/99999999999999999999", 0, false, "prefix length"},
    {"192.0.2.1/24", 0, false, "bits set past"},
    {"2001:db8::1/64", 0, false, "bits set past"},
    {"192.0.2", 0, false, "is not an IPv4"},
    {"192.0.2.256", 0, false, "is not an IPv4"},
    {"192.0.2.0/24/8", 0, false, "prefix length"},
    {"[::1]", 0, false, "is not an IPv4"},
    {"1.2.3.4\0/8", 10, false, "is not an IPv4"},
    {"ALL", 0, false, "is not an IPv4"},
    {"fe80::1%eth0", 0, false, "is not an IPv4"},
    {"1111111111111111111111111111111111111111111111111111111111111111111", 0,
     false, "is not an IPv4"},
};

static void
test_cidr_parse(void **state)
{
    unsigned failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
        const struct cidr_case *c = &cidr_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        struct acl_cidr cidr;
        char why[200] = "";
        int rc = acl_cidr_parse(c->text, len, &cidr, why, sizeof(why));

        if ((rc == 0) != c->ok || (!c->ok && strstr(why, c->why) == NULL)) {
            print_error("'%s': rc %d why '%s'\n", c->text, rc, why);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

struct match_case {
    const char *cidr, *addr;
    bool match;
};

static const struct match_case match_cases[] = {
    {"192.0.2.0/24", "192.0.2.0", true},
    {"192.0.2.0/24", "192.0.2.255", true},
    {"192.0.2.0/24", "192.0.3.0", false},
    {"192.0.2.0/25", "192.0.2.128", false},
    {"192.0.2.0/31", "192.0.2.1", true},
    {"192.0.2.7", "192.0.2.7", true},
    {"192.0.2.7", "192.0.2.6", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "2001:db8::1", false}, /* IPv4 rules stay IPv4 */
    {"::/0", "203.0.113.9", true},       /* all of IPv6 holds mapped v4 */
    {"all", "2001:db8::1", true},
    {"all", "10.0.0.1", true},
    /* A v4-mapped IPv6 address is its IPv4 address. */
    {"192.0.2.0/24", "::ffff:192.0.2.9", true},
    {"::ffff:192.0.2.0/120", "192.0.2.9", true},
    {"2001:db8::/32", "2001:db8:ffff::1", true},
    {"2001:db8::/32", "2001:db9::1", false},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"::1", "::1", true},
    {"::1", "127.0.0.1", false},
    {"127.0.0.0/8", "::1", false},
};

static void
test_cidr_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const struct match_case *c = &match_cases[i];
        struct acl_cidr cidr;
        struct acl_addr a;

        assert_int_equal(
            acl_cidr_parse(c->cidr, strlen(c->cidr), &cidr, NULL, 0), 0);
        assert_int_equal(acl_addr_parse(c->addr, strlen(c->addr), &a), 0);
        if (acl_cidr_match(&cidr, &a) != c->match)
            fail_msg("%s vs %s: want %d", c->cidr, c->addr, c->match);
    }
}

static void
test_addr_format(void **state)
{
    struct acl_addr a;
    char buf[ACL_ADDR_TEXT];

    (void)state;
    assert_int_equal(acl_addr_parse("::ffff:10.1.2.3", 15, &a), 0);
    acl_addr_format(&a, buf);
    assert_string_equal(buf, "10.1.2.3");
    assert_int_equal(acl_addr_parse("2001:db8::1", 11, &a), 0);
    acl_addr_format(&a, buf);
    assert_string_equal(buf, "2001:db8::1");
    assert_int_equal(acl_addr_parse("1.2.3.4 ", 8, &a), -1);
    assert_int_equal(acl_addr_parse("1.2.3.4\0", 8, &a), -1);
    assert_int_equal(acl_addr_parse("", 0, &a), -1);
}

struct fwd_case {
    const char *name;
    enum acl_fwd_kind kind;
    const char *value;
    const char *want; /* the client; the peer is 10.0.0.1 */
    bool more;        /* every entry was trusted */
};

/* Trusted: 10.0.0.0/8 and 2001:db8:1::/48. */
static const struct fwd_case fwd_cases[] = {
    {"one client", ACL_FWD_XFF, "203.0.113.5", "203.0.113.5", false},
    {"rightmost untrusted wins", ACL_FWD_XFF, "198.51.100.1, 203.0.113.5",
     "203.0.113.5", false},
    {"trusted hops skipped", ACL_FWD_XFF, "198.51.100.1, 10.2.3.4, 10.9.9.9",
     "198.51.100.1", false},
    {"spoofed left part ignored", ACL_FWD_XFF, "127.0.0.1, 203.0.113.5",
     "203.0.113.5", false},
    {"all trusted: leftmost, more", ACL_FWD_XFF, "10.1.1.1, 10.2.2.2",
     "10.1.1.1", true},
    {"garbage ends the walk", ACL_FWD_XFF, "203.0.113.5, garbage", "10.0.0.1",
     false},
    {"garbage after a trusted hop", ACL_FWD_XFF, "bad, 10.7.7.7", "10.7.7.7",
     false},
    {"empty", ACL_FWD_XFF, "", "10.0.0.1", false},
    {"empty entry", ACL_FWD_XFF, "203.0.113.5,,", "10.0.0.1", false},
    {"v4 with port", ACL_FWD_XFF, "203.0.113.5:4711", "203.0.113.5", false},
    {"v6", ACL_FWD_XFF, "2001:db8:2::7", "2001:db8:2::7", false},
    {"v6 bracketed with port", ACL_FWD_XFF, "[2001:db8:2::7]:80",
     "2001:db8:2::7", false},
    {"v6 trusted skipped", ACL_FWD_XFF, "203.0.113.5, 2001:db8:1::9",
     "203.0.113.5", false},
    {"v4-mapped is v4", ACL_FWD_XFF, "::ffff:10.3.3.3, 203.0.113.5",
     "203.0.113.5", false},
    {"unclosed bracket", ACL_FWD_XFF, "[2001:db8::1", "10.0.0.1", false},
    {"bracket junk", ACL_FWD_XFF, "[2001:db8::1]x", "10.0.0.1", false},
    {"NUL inside", ACL_FWD_XFF, "203.0.113.5\0", "10.0.0.1", false},
    {"unknown", ACL_FWD_XFF, "unknown", "10.0.0.1", false},
    {"forwarded one", ACL_FWD_FORWARDED, "for=203.0.113.5;proto=https",
     "203.0.113.5", false},
    {"forwarded case and params", ACL_FWD_FORWARDED,
     "proto=http;FOR=203.0.113.5;by=10.0.0.1", "203.0.113.5", false},
    {"forwarded quoted v6 port", ACL_FWD_FORWARDED,
     "for=\"[2001:db8:2::7]:4711\"", "2001:db8:2::7", false},
    {"forwarded list", ACL_FWD_FORWARDED, "for=198.51.100.1, for=10.5.5.5",
     "198.51.100.1", false},
    {"forwarded comma in quotes", ACL_FWD_FORWARDED,
     "for=198.51.100.1;x=\"a,b\", for=203.0.113.5", "203.0.113.5", false},
    {"forwarded obfuscated", ACL_FWD_FORWARDED, "for=_hidden", "10.0.0.1",
     false},
    {"forwarded unknown", ACL_FWD_FORWARDED, "for=unknown", "10.0.0.1", false},
    {"forwarded without for", ACL_FWD_FORWARDED, "proto=http", "10.0.0.1",
     false},
    {"forwarded empty for", ACL_FWD_FORWARDED, "for=", "10.0.0.1", false},
    {"forwarded unclosed quote", ACL_FWD_FORWARDED, "for=\"203.0.113.5",
     "10.0.0.1", false},
};

static void
test_forwarded(void **state)
{
    struct acl_cidr trusted[2];
    unsigned failed = 0;

    (void)state;
    assert_int_equal(acl_cidr_parse("10.0.0.0/8", 10, &trusted[0], NULL, 0), 0);
    assert_int_equal(
        acl_cidr_parse("2001:db8:1::/48", 15, &trusted[1], NULL, 0), 0);
    for (size_t i = 0; i < sizeof(fwd_cases) / sizeof(fwd_cases[0]); i++) {
        const struct fwd_case *c = &fwd_cases[i];
        struct acl_addr client;
        char got[ACL_ADDR_TEXT];
        size_t len = strlen(c->value);
        bool more;

        if (strcmp(c->name, "NUL inside") == 0)
            len++;
        assert_int_equal(acl_addr_parse("10.0.0.1", 8, &client), 0);
        more =
            acl_forwarded_client(c->value, len, c->kind, trusted, 2, &client);
        acl_addr_format(&client, got);
        if (strcmp(got, c->want) != 0 || more != c->more) {
            print_error("%s: got %s more %d\n", c->name, got, more);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* A header of many entries: only the rightmost 32 are read, and the walk
 * still ends right. */
static void
test_forwarded_long(void **state)
{
    char v[8192] = "";
    struct acl_cidr trusted;
    struct acl_addr client;
    char got[ACL_ADDR_TEXT];

    (void)state;
    for (int i = 0; i < 500; i++)
        strcat(v, "198.51.100.1, ");
    strcat(v, "203.0.113.5, 10.0.0.2");
    assert_int_equal(acl_cidr_parse("10.0.0.0/8", 10, &trusted, NULL, 0), 0);
    assert_int_equal(acl_addr_parse("10.0.0.1", 8, &client), 0);
    assert_false(
        acl_forwarded_client(v, strlen(v), ACL_FWD_XFF, &trusted, 1, &client));
    acl_addr_format(&client, got);
    assert_string_equal(got, "203.0.113.5");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_cidr_match),
        cmocka_unit_test(test_addr_format),
        cmocka_unit_test(test_forwarded),
        cmocka_unit_test(test_forwarded_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
