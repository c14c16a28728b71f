/* Unit tests for include/remote/s3url.h: hostile inputs first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/s3url.h"

struct store_case {
    const char *url;
    int rc;
    const char *bucket, *prefix;
};

static const struct store_case stores[] = {
    {"", -1, NULL, NULL},
    {"s3:/", -1, NULL, NULL},
    {"S3://bucket/p", -1, NULL, NULL},
    {"http://bucket/p", -1, NULL, NULL},
    {"s3://", -1, NULL, NULL},
    {"s3:///p", -1, NULL, NULL},
    {"s3://ab/p", -1, NULL, NULL},          /* too short */
    {"s3://Bucket/p", -1, NULL, NULL},      /* upper case */
    {"s3://-bucket/p", -1, NULL, NULL},     /* starts with '-' */
    {"s3://bucket-/p", -1, NULL, NULL},     /* ends with '-' */
    {"s3://buc..ket/p", -1, NULL, NULL},    /* ".." */
    {"s3://buc_ket/p", -1, NULL, NULL},     /* '_' */
    {"s3://bu%63ket/p", -1, NULL, NULL},    /* no decoding */
    {"s3://user@bucket/p", -1, NULL, NULL}, /* no user part */
    {"s3://bucket:9000/p", -1, NULL, NULL}, /* no port */
    {"s3://b\xc3\xa9ket/p", -1, NULL, NULL},
    {"s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/p",
     -1, NULL, NULL}, /* 64 bytes */
    {"s3://bucket//p", -1, NULL, NULL},
    {"s3://bucket/a//b", -1, NULL, NULL},
    {"s3://bucket/./b", -1, NULL, NULL},
    {"s3://bucket/a/..", -1, NULL, NULL},
    {"s3://bucket/a/../b", -1, NULL, NULL},
    {"s3://bucket/a\\b", -1, NULL, NULL},
    {"s3://bucket/a\nb", -1, NULL, NULL},
    {"s3://bucket/a\x7f", -1, NULL, NULL},
    {"s3://bucket", 0, "bucket", ""},
    {"s3://bucket/", 0, "bucket", ""},
    {"s3://bucket///", 0, "bucket", ""},
    {"s3://bucket/symbols", 0, "bucket", "symbols"},
    {"s3://bucket/symbols/", 0, "bucket", "symbols"},
    {"s3://my.bucket-1/a/b c/\xc3\xa9", 0, "my.bucket-1", "a/b c/\xc3\xa9"},
    {"s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""},
    {"s3://1.2.3/..a", 0, "1.2.3", "..a"}, /* "..a" is a name */
};

static void
test_parse_store(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
        const struct store_case *c = &stores[i];
        struct s3url_store st;
        char err[256] = "";
        int rc = s3url_parse_store(c->url, &st, err, sizeof(err));

        if (rc != c->rc)
            fail_msg("row %zu \"%s\": rc %d (%s)", i, c->url, rc, err);
        if (rc == -1 && err[0] == '\0')
            fail_msg("row %zu: refused without a reason", i);
        if (rc == 0 && (strcmp(st.bucket, c->bucket) != 0 ||
                        strcmp(st.prefix, c->prefix) != 0))
            fail_msg("row %zu: \"%s\" \"%s\"", i, st.bucket, st.prefix);
    }
}

static void
test_prefix_too_long(void **state)
{
    char url[S3URL_PREFIX_MAX + 32], err[128];
    struct s3url_store st;

    (void)state;
    snprintf(url, sizeof(url), "s3://bucket/");
    memset(url + 12, 'p', S3URL_PREFIX_MAX + 1);
    url[12 + S3URL_PREFIX_MAX + 1] = '\0';
    assert_int_equal(s3url_parse_store(url, &st, err, sizeof(err)), -1);
    url[12 + S3URL_PREFIX_MAX] = '\0';
    assert_int_equal(s3url_parse_store(url, &st, err, sizeof(err)), 0);
    assert_int_equal(strlen(st.prefix), S3URL_PREFIX_MAX);
}

struct ep_case {
    const char *s;
    int rc;
    int https;
    const char *host;
};

static const struct ep_case endpoints[] = {
    {"", -1, 0, NULL},
    {"127.0.0.1:9000", -1, 0, NULL},
    {"ftp://host", -1, 0, NULL},
    {"http://", -1, 0, NULL},
    {"http:///", -1, 0, NULL},
    {"http://host/path", -1, 0, NULL},
    {"http://host?x=1", -1, 0, NULL},
    {"http://user:pw@host", -1, 0, NULL},
    {"http://host #", -1, 0, NULL},
    {"http://ho\rst", -1, 0, NULL},
    {"HTTP://host", -1, 0, NULL},
    {"http://127.0.0.1:9000", 0, 0, "127.0.0.1:9000"},
    {"http://127.0.0.1:9000/", 0, 0, "127.0.0.1:9000"},
    {"https://s3.eu-west-1.amazonaws.com", 0, 1, "s3.eu-west-1.amazonaws.com"},
    {"https://[::1]:9000", 0, 1, "[::1]:9000"},
};

static void
test_parse_endpoint(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        const struct ep_case *c = &endpoints[i];
        struct s3url_endpoint ep;
        char err[256] = "";
        int rc = s3url_parse_endpoint(c->s, &ep, err, sizeof(err));

        if (rc != c->rc)
            fail_msg("row %zu \"%s\": rc %d (%s)", i, c->s, rc, err);
        if (rc == 0 && ((int)ep.https != c->https || strcmp(ep.host, c->host)))
            fail_msg("row %zu: %d \"%s\"", i, ep.https, ep.host);
    }
}

struct enc_case {
    const char *in;
    size_t len;
    int keep_slash;
    const char *out; /* NULL: does not fit in 16 bytes */
};

static const struct enc_case encodings[] = {
    {"", 0, 1, ""},
    {"AZaz09-._~", 10, 1, "AZaz09-._~"}, /* RFC 3986 unreserved */
    {"a/b", 3, 1, "a/b"},
    {"a/b", 3, 0, "a%2Fb"},
    {" ", 1, 1, "%20"}, /* never '+' */
    {"+", 1, 1, "%2B"},
    {"%", 1, 1, "%25"}, /* no double decoding downstream */
    {"%2F", 3, 1, "%252F"},
    {"a\0b", 3, 1, "a%00b"},
    {"\xc3\xa9", 2, 1, "%C3%A9"}, /* UTF-8 bytes, upper-case hex */
    {"\xff", 1, 1, "%FF"},
    {"?#[]@!$&'()*,;=:", 16, 1, NULL}, /* 48 bytes encoded: over 16 */
    {"?#&=", 4, 0, "%3F%23%26%3D"},
    {"a\\b", 3, 1, "a%5Cb"},
    {"0123456789abcde", 15, 1, "0123456789abcde"}, /* 15 + NUL fits */
    {"0123456789abcdef", 16, 1, NULL},             /* no room for NUL */
    {"aaaaa\xc3", 6, 1, "aaaaa%C3"},               /* 5 + 3 + NUL fits */
    {"aaaaaaaaaaaaa\xc3", 14, 1, NULL},            /* 13 + 3: no NUL */
};

static void
test_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
        const struct enc_case *c = &encodings[i];
        char out[16];
        long n = s3url_encode(c->in, c->len, c->keep_slash, out, sizeof(out));

        if (c->out == NULL && n != -1)
            fail_msg("row %zu: fits as \"%s\"", i, out);
        if (c->out != NULL &&
            (n != (long)strlen(c->out) || strcmp(out, c->out)))
            fail_msg("row %zu: %ld \"%s\", want \"%s\"", i, n,
                     n == -1 ? "" : out, c->out);
    }
}

static void
test_object_urls(void **state)
{
    struct s3url_endpoint ep = {false, "127.0.0.1:9000"};
    struct s3url_endpoint aws = {true, "s3.us-east-1.amazonaws.com"};
    char url[S3URL_URL_MAX], tiny[24];

    (void)state;
    assert_int_equal(s3url_object(&ep, S3URL_PATH, "bkt", "p/a b+c/\xc3\xa9",
                                  NULL, url, sizeof(url)),
                     0);
    assert_string_equal(url, "http://127.0.0.1:9000/bkt/p/a%20b%2Bc/%C3%A9");
    assert_int_equal(
        s3url_object(&aws, S3URL_VIRTUAL, "bkt", "k/x", NULL, url, sizeof(url)),
        0);
    assert_string_equal(url, "https://bkt.s3.us-east-1.amazonaws.com/k/x");
    /* A dotted bucket stays path-style: "*.host" certificates. */
    assert_int_equal(
        s3url_object(&aws, S3URL_VIRTUAL, "a.b", "k", NULL, url, sizeof(url)),
        0);
    assert_string_equal(url, "https://s3.us-east-1.amazonaws.com/a.b/k");
    assert_int_equal(s3url_object(&ep, S3URL_PATH, "bkt", NULL,
                                  "list-type=2&prefix=", url, sizeof(url)),
                     0);
    assert_string_equal(url, "http://127.0.0.1:9000/bkt?list-type=2&prefix=");
    assert_int_equal(
        s3url_object(&aws, S3URL_VIRTUAL, "bkt", NULL, "x=", url, sizeof(url)),
        0);
    assert_string_equal(url, "https://bkt.s3.us-east-1.amazonaws.com/?x=");
    assert_int_equal(
        s3url_object(&ep, S3URL_PATH, "bkt", "key", NULL, tiny, sizeof(tiny)),
        -1);
}

static void
test_keys(void **state)
{
    struct s3url_store st = {"bkt", "a/b"}, bare = {"bkt", ""};
    char key[S3URL_KEY_MAX + 1], rel[S3URL_KEY_MAX + 2];

    (void)state;
    assert_int_equal(s3url_key(&st, "000Admin/lastid.txt", key, sizeof(key)),
                     0);
    assert_string_equal(key, "a/b/000Admin/lastid.txt");
    assert_int_equal(s3url_key(&bare, "x.pdb/K/x.pdb", key, sizeof(key)), 0);
    assert_string_equal(key, "x.pdb/K/x.pdb");
    assert_int_equal(s3url_key(&st, "", key, sizeof(key)), -1);
    assert_int_equal(s3url_key(&st, "/abs", key, sizeof(key)), -1);
    /* S3's limit: 1024 bytes of key. */
    memset(rel, 'k', S3URL_KEY_MAX - 4);
    rel[S3URL_KEY_MAX - 4] = '\0';
    assert_int_equal(s3url_key(&st, rel, key, sizeof(key)), 0);
    rel[S3URL_KEY_MAX - 4] = 'k';
    rel[S3URL_KEY_MAX - 3] = '\0';
    assert_int_equal(s3url_key(&st, rel, key, sizeof(key)), -1);
}

static void
test_list_query(void **state)
{
    char q[256], tiny[20];

    (void)state;
    assert_int_equal(s3url_list_query("p/", NULL, 0, q, sizeof(q)), 0);
    assert_string_equal(q, "list-type=2&prefix=p%2F");
    /* Sorted by name, as SigV4 signs them; the token encoded. */
    assert_int_equal(s3url_list_query("a b/", "1/x+y=", 500, q, sizeof(q)), 0);
    assert_string_equal(q, "continuation-token=1%2Fx%2By%3D&list-type=2&"
                           "max-keys=500&prefix=a%20b%2F");
    assert_int_equal(s3url_list_query("", "", 0, q, sizeof(q)), 0);
    assert_string_equal(q, "list-type=2&prefix=");
    assert_int_equal(
        s3url_list_query("long prefix", NULL, 0, tiny, sizeof(tiny)), -1);
    assert_int_equal(s3url_list_query("", NULL, 0, tiny, 0), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_store),
        cmocka_unit_test(test_prefix_too_long),
        cmocka_unit_test(test_parse_endpoint),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_object_urls),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_list_query),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
