/* Unit tests for include/daemon/cred.h: Authorization values, htpasswd and
 * token lines, APR1 and the password checks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/cred.h"

struct authz_case {
    const char *value;
    size_t len; /* 0: strlen */
    enum cred_kind kind;
    const char *user, *pass; /* CRED_BASIC; the token for CRED_BEARER */
};

static const struct authz_case authz_cases[] = {
    {"Basic YWxpY2U6c2VjcmV0", 0, CRED_BASIC, "alice", "secret"},
    {"basic YWxpY2U6c2VjcmV0", 0, CRED_BASIC, "alice", "secret"},
    {"BASIC   YWxpY2U6c2VjcmV0", 0, CRED_BASIC, "alice", "secret"},
    {"Basic Ym9iOnBhOnNz", 0, CRED_BASIC, "bob", "pa:ss"}, /* ':' in pw */
    {"Basic dTo=", 0, CRED_BASIC, "u", ""},                /* empty pw */
    {"Basic YTpi", 0, CRED_BASIC, "a", "b"},
    {"Bearer abcdefghijklmnop", 0, CRED_BEARER, "abcdefghijklmnop", NULL},
    {"bearer a-b.c_d~e+f/g==", 0, CRED_BEARER, "a-b.c_d~e+f/g==", NULL},
    /* Other schemes: a challenge, not a failure. */
    {"Digest username=\"a\"", 0, CRED_NONE, NULL, NULL},
    {"Negotiate YWI=", 0, CRED_NONE, NULL, NULL},
    {"Basically YWI=", 0, CRED_NONE, NULL, NULL},
    {"", 0, CRED_NONE, NULL, NULL},
    /* Hostile Basic. */
    {"Basic", 0, CRED_BAD, NULL, NULL},
    {"Basic ", 0, CRED_BAD, NULL, NULL},
    {"Basic Ong=", 0, CRED_BAD, NULL, NULL},              /* empty user */
    {"Basic YWI=", 0, CRED_BAD, NULL, NULL},              /* no colon */
    {"Basic dQE6cA==", 0, CRED_BAD, NULL, NULL},          /* control in user */
    {"Basic dTpwAHE=", 0, CRED_BAD, NULL, NULL},          /* NUL in password */
    {"Basic YWxpY2U6c2VjcmV0=", 0, CRED_BAD, NULL, NULL}, /* bad length */
    {"Basic YWxpY2U6c2VjcmV", 0, CRED_BAD, NULL, NULL},
    {"Basic YWxp!2U6c2VjcmV0", 0, CRED_BAD, NULL, NULL}, /* bad byte */
    {"Basic YW=pY2U6c2VjcmV0", 0, CRED_BAD, NULL, NULL}, /* '=' inside */
    {"Basic dTp=", 0, CRED_BAD, NULL, NULL},  /* dropped bits not zero */
    {"Basic dTo==", 0, CRED_BAD, NULL, NULL}, /* too much padding */
    {"Basic YTpi ", 0, CRED_BAD, NULL, NULL}, /* trailing space */
    {"Basic YTpi\0", 12, CRED_BAD, NULL, NULL},
    {"Basic\tYTpi", 0, CRED_BAD, NULL, NULL},
    /* Hostile Bearer. */
    {"Bearer", 0, CRED_BAD, NULL, NULL},
    {"Bearer ", 0, CRED_BAD, NULL, NULL},
    {"Bearer a b", 0, CRED_BAD, NULL, NULL},
    {"Bearer =abc", 0, CRED_BAD, NULL, NULL},
    {"Bearer ab=c", 0, CRED_BAD, NULL, NULL},
    {"Bearer a\"b", 0, CRED_BAD, NULL, NULL},
    {"Bearer abc\0", 11, CRED_BAD, NULL, NULL},
};

static void
test_authorization(void **state)
{
    unsigned failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(authz_cases) / sizeof(authz_cases[0]); i++) {
        const struct authz_case *c = &authz_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->value);
        struct cred cr;
        enum cred_kind k = cred_parse_authorization(c->value, len, &cr);
        bool ok = k == c->kind;

        if (ok && k == CRED_BASIC)
            ok = strcmp(cr.user, c->user) == 0 && strcmp(cr.pass, c->pass) == 0;
        if (ok && k == CRED_BEARER)
            ok = cr.token_len == strlen(c->user) &&
                 memcmp(cr.token, c->user, cr.token_len) == 0;
        if (!ok) {
            print_error("'%s': kind %d, want %d\n", c->value, (int)k,
                        (int)c->kind);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* Overlong user and password are refused, not cut. */
static void
test_authorization_long(void **state)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char plain[2048], value[4096];
    struct cred cr;
    size_t n, o = 6, bits = 0;
    uint32_t acc = 0;

    (void)state;
    memset(plain, 'u', CRED_USER_MAX + 1);
    plain[CRED_USER_MAX + 1] = ':';
    plain[CRED_USER_MAX + 2] = 'p';
    n = CRED_USER_MAX + 3;
    memcpy(value, "Basic ", 6);
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | (unsigned char)plain[i];
        bits += 8;
        while (bits >= 6) {
            value[o++] = b64[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0)
        value[o++] = b64[(acc << (6 - bits)) & 63];
    while ((o - 6) % 4 != 0)
        value[o++] = '=';
    assert_int_equal(cred_parse_authorization(value, o, &cr), CRED_BAD);
    memset(value + 7, 'a', CRED_TOKEN_MAX + 1);
    memcpy(value, "Bearer ", 7);
    assert_int_equal(
        cred_parse_authorization(value, 7 + CRED_TOKEN_MAX + 1, &cr), CRED_BAD);
    assert_int_equal(cred_parse_authorization(value, 7 + CRED_TOKEN_MAX, &cr),
                     CRED_BEARER);
}

#define BCRYPT "$2y$05$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBMlxW"
#define SHA512                                                                 \
    "$6$kq5UMavphLum32Gf$pg7h01QVTA9aSKPX/YFIR1G8Bh65v6tmed2cTxy.qkSmVCDC6w9Q" \
    "SOB3i4mIWDfru6eZETOxl7QFXxMjJTAkC0"
#define SHA256 "$5$8bi/bh3JNKpzniPy$cOkrydlpmXCZK6VAMQNY.fUhxiV9UkA2E6rB/.iBKb1"
#define APR1 "$apr1$DsWfWMFi$rPHskcHiVtw1JJM2.9El7."

struct line_case {
    const char *line;
    size_t len; /* 0: strlen */
    enum cred_line_rc rc;
    const char *want; /* the user name, or a part of why */
};

static const struct line_case htpasswd_cases[] = {
    {"alice:" BCRYPT, 0, CRED_LINE_ENTRY, "alice"},
    {"dave:" SHA512, 0, CRED_LINE_ENTRY, "dave"},
    {"erin:" SHA256, 0, CRED_LINE_ENTRY, "erin"},
    {"fred:" APR1, 0, CRED_LINE_ENTRY, "fred"},
    {"r:$5$rounds=5000$8bi/bh3JNKpzniPy$cOkrydlpmXCZK6VAMQNY.fUhxiV9UkA2E6rB/"
     ".iBKb1",
     0, CRED_LINE_ENTRY, "r"},
    {"b:$2b$10$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBMlxW", 0,
     CRED_LINE_ENTRY, "b"},
    {"", 0, CRED_LINE_SKIP, NULL},
    {"# comment", 0, CRED_LINE_SKIP, NULL},
    {"   ", 0, CRED_LINE_SKIP, NULL},
    /* Hostile. */
    {":" BCRYPT, 0, CRED_LINE_BAD, "empty or overlong user"},
    {"alice", 0, CRED_LINE_BAD, "no ':'"},
    {"alice:", 0, CRED_LINE_BAD, "unsupported hash"},
    {"carol:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", 0, CRED_LINE_BAD,
     "unsupported hash"},
    {"plain:password", 0, CRED_LINE_BAD, "unsupported hash"},
    {"des:abJnggxhB/yWI", 0, CRED_LINE_BAD, "unsupported hash"},
    {"x:$1$abc$def", 0, CRED_LINE_BAD, "unsupported hash"},
    {"alice:" BCRYPT "x", 0, CRED_LINE_BAD, "malformed bcrypt"},
    {"alice:$2y$5$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBMlxWx", 0,
     CRED_LINE_BAD, "malformed bcrypt"},
    {"alice:$2x$05$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBMlxW", 0,
     CRED_LINE_BAD, "unsupported hash"},
    {"alice:$2y$05$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQGjvJMfUWBM:xW", 0,
     CRED_LINE_BAD, "malformed bcrypt"},
    {"x:$6$salt$short", 0, CRED_LINE_BAD, "malformed SHA-512"},
    {"x:$5$$cOkrydlpmXCZK6VAMQNY.fUhxiV9UkA2E6rB/.iBKb1", 0, CRED_LINE_BAD,
     "malformed SHA-256"},
    {"x:$5$rounds=x$8bi/bh3JNKpzniPy$cOkrydlpmXCZK6VAMQNY.fUhxiV9UkA2E6rB/"
     ".iBKb1",
     0, CRED_LINE_BAD, "malformed SHA-256"},
    {"x:$apr1$123456789$rPHskcHiVtw1JJM2.9El7.", 0, CRED_LINE_BAD,
     "malformed APR1"},
    {"x:$apr1$$rPHskcHiVtw1JJM2.9El7.", 0, CRED_LINE_BAD, "malformed APR1"},
    {"x:$apr1$DsWfWMFi$rPHskcHiVtw1JJM2.9El7", 0, CRED_LINE_BAD,
     "malformed APR1"},
    {"a\0b:" APR1, 42, CRED_LINE_BAD, "control byte"},
    {"a\tb:" APR1, 0, CRED_LINE_BAD, "control byte"},
    {"alice:" BCRYPT "\r", 0, CRED_LINE_BAD, "control byte"},
};

static void
run_lines(const struct line_case *cases, size_t n, bool tokens)
{
    unsigned failed = 0;

    for (size_t i = 0; i < n; i++) {
        const struct line_case *c = &cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->line);
        struct cred_user u;
        struct cred_token t;
        char why[200] = "";
        enum cred_line_rc rc =
            tokens ? cred_token_line(c->line, len, &t, why, sizeof(why))
                   : cred_htpasswd_line(c->line, len, &u, why, sizeof(why));
        bool ok = rc == c->rc;

        if (ok && rc == CRED_LINE_ENTRY)
            ok = strcmp(tokens ? t.name : u.name, c->want) == 0;
        if (ok && rc == CRED_LINE_BAD)
            ok = strstr(why, c->want) != NULL;
        if (!ok) {
            print_error("'%s': rc %d why '%s'\n", c->line, (int)rc, why);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void
test_htpasswd_lines(void **state)
{
    char line[CRED_LINE_MAX + 8];

    (void)state;
    run_lines(htpasswd_cases,
              sizeof(htpasswd_cases) / sizeof(htpasswd_cases[0]), false);
    memset(line, 'a', sizeof(line));
    {
        struct line_case over[] = {
            {line, CRED_LINE_MAX + 1, CRED_LINE_BAD, "line too long"},
            {line, CRED_USER_MAX + 1, CRED_LINE_BAD, "no ':'"},
        };
        run_lines(over, 2, false);
    }
    memcpy(line + CRED_USER_MAX + 1, ":" APR1, sizeof(":" APR1));
    {
        struct line_case user_long[] = {
            {line, 0, CRED_LINE_BAD, "overlong user"},
        };
        run_lines(user_long, 1, false);
    }
}

static const struct line_case token_cases[] = {
    {"abcdefghijklmnopqrstuvwxyz012345", 0, CRED_LINE_ENTRY, "token"},
    {"abcdefghijklmnopqrstuvwxyz012345 ci-bot", 0, CRED_LINE_ENTRY, "ci-bot"},
    {"  abcdefghijklmnop  ci.bot@example  # the CI", 0, CRED_LINE_ENTRY,
     "ci.bot@example"},
    {"abcdefghijklmnop# not a comment", 0, CRED_LINE_BAD, "16 to 512"},
    {"abcdefghijklmnop==", 0, CRED_LINE_ENTRY, "token"},
    {"", 0, CRED_LINE_SKIP, NULL},
    {"# abcdefghijklmnop", 0, CRED_LINE_SKIP, NULL},
    {"    ", 0, CRED_LINE_SKIP, NULL},
    /* Hostile. */
    {"short", 0, CRED_LINE_BAD, "16 to 512"},
    {"abcdefghijklmno", 0, CRED_LINE_BAD, "16 to 512"},
    {"abcdefghij\"klmnop", 0, CRED_LINE_BAD, "16 to 512"},
    {"abcdefghijklmnop=x", 0, CRED_LINE_BAD, "16 to 512"},
    {"abcdefghijklmnop bad/name", 0, CRED_LINE_BAD, "a name is"},
    {"abcdefghijklmnop name extra", 0, CRED_LINE_BAD, "more than a token"},
    {"abcdefghijklmnop\tname", 0, CRED_LINE_BAD, "control byte"},
    {"abcdefghijklmnop\0name", 21, CRED_LINE_BAD, "control byte"},
    {"abcdefghijklmnop "
     "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
     0, CRED_LINE_BAD, "longer than 64"},
};

static void
test_token_lines(void **state)
{
    char line[CRED_LINE_MAX + 8];
    struct cred_token a, b;
    char why[100];

    (void)state;
    run_lines(token_cases, sizeof(token_cases) / sizeof(token_cases[0]), true);
    memset(line, 'a', sizeof(line));
    {
        struct line_case over[] = {
            {line, CRED_TOKEN_MAX, CRED_LINE_ENTRY, "token"},
            {line, CRED_TOKEN_MAX + 1, CRED_LINE_BAD, "16 to 512"},
            {line, CRED_LINE_MAX + 1, CRED_LINE_BAD, "line too long"},
        };
        run_lines(over, 3, true);
    }
    /* The digest is of the token alone. */
    assert_int_equal(cred_token_line("abcdefghijklmnop x", 18, &a, why, 100),
                     CRED_LINE_ENTRY);
    assert_int_equal(cred_token_line("abcdefghijklmnop y", 18, &b, why, 100),
                     CRED_LINE_ENTRY);
    assert_memory_equal(a.sha256, b.sha256, 32);
    assert_int_equal(cred_token_line("abcdefghijklmnoq x", 18, &b, why, 100),
                     CRED_LINE_ENTRY);
    assert_memory_not_equal(a.sha256, b.sha256, 32);
}

/* Vectors made by `openssl passwd -apr1 -salt S P` and htpasswd -m. */
static void
test_apr1(void **state)
{
    static const struct {
        const char *pass, *salt, *want;
    } v[] = {
        {"password", "saltsalt", "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"},
        {"pa:ss", "ab", "$apr1$ab$mU.feCuazQZT0MrVKiJdx/"},
        {"", "12345678", "$apr1$12345678$sHuPAw7VA9xjRbJz7zKV7/"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x",
         "$apr1$x$mq8o9qeJvNxS/DeCHNxsy1"},
        {"f1", "DsWfWMFi", APR1},
        /* A longer salt is cut to 8, as htpasswd does. */
        {"password", "saltsaltXX", "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"},
    };
    char out[CRED_APR1_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(
            cred_apr1(v[i].pass, v[i].salt, strlen(v[i].salt), out), 0);
        assert_string_equal(out, v[i].want);
    }
}

static void
test_verify(void **state)
{
    (void)state;
    assert_true(cred_verify(BCRYPT, "secret"));
    assert_false(cred_verify(BCRYPT, "secreT"));
    assert_false(cred_verify(BCRYPT, ""));
    assert_true(cred_verify(SHA512, "d6"));
    assert_false(cred_verify(SHA512, "d7"));
    assert_true(cred_verify(SHA256, "e5"));
    assert_false(cred_verify(SHA256, "e"));
    assert_true(cred_verify(APR1, "f1"));
    assert_false(cred_verify(APR1, "f2"));
    assert_false(cred_verify(APR1, "f1 "));
    /* A hash crypt cannot use fails, whatever the password. */
    assert_false(cred_verify("$2y$99$zL7vm.O851dyWv1gydQg6OUaU4ejT1KNgOTnCUYQ"
                             "GjvJMfUWBMlxW",
                             "secret"));
    assert_false(cred_verify("*0", "*0"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorization),
        cmocka_unit_test(test_authorization_long),
        cmocka_unit_test(test_htpasswd_lines),
        cmocka_unit_test(test_token_lines),
        cmocka_unit_test(test_apr1),
        cmocka_unit_test(test_verify),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
