/* Unit tests for include/remote/s3xml.h: hostile answers first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/s3xml.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define LIST                                                                   \
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
#define OBJ(k, s) "<Contents><Key>" k "</Key><Size>" s "</Size></Contents>"

struct list_case {
    const char *xml;
    enum s3xml_rc rc;
    size_t objects;
    const char *keys; /* '|'-joined keys seen */
};

static const struct list_case lists[] = {
    {"", S3XML_BAD, 0, ""},
    {"not xml", S3XML_BAD, 0, ""},
    {HEAD "<Error><Code>x</Code></Error>", S3XML_BAD, 0, ""}, /* wrong root */
    {HEAD LIST, S3XML_BAD, 0, ""},                            /* unclosed */
    {HEAD LIST "</ListBucketResult><x/>", S3XML_BAD, 0, ""},  /* 2 roots */
    {HEAD "<!DOCTYPE l [<!ENTITY e \"boom\">]>" LIST
          "<Contents><Key>&e;</Key><Size>1</Size></Contents>"
          "</ListBucketResult>",
     S3XML_BAD, 0, ""},
    {HEAD "<!DOCTYPE l SYSTEM \"file:///etc/passwd\">" LIST
          "</ListBucketResult>",
     S3XML_BAD, 0, ""},
    {HEAD LIST "<Contents><Key>a</Key></Contents></ListBucketResult>",
     S3XML_BAD, 0, ""}, /* no Size */
    {HEAD LIST "<Contents><Size>1</Size></Contents></ListBucketResult>",
     S3XML_BAD, 0, ""}, /* no Key */
    {HEAD LIST OBJ("", "1") "</ListBucketResult>", S3XML_BAD, 0, ""},
    {HEAD LIST OBJ("a&#0;b", "1") "</ListBucketResult>", S3XML_BAD, 0, ""},
    {HEAD LIST OBJ("a", "-1") "</ListBucketResult>", S3XML_BAD, 0, ""},
    {HEAD LIST OBJ("a", "1.5") "</ListBucketResult>", S3XML_BAD, 0, ""},
    {HEAD LIST OBJ("a", "9223372036854775808") "</ListBucketResult>", S3XML_BAD,
     0, ""}, /* 2^63 */
    {HEAD LIST OBJ("a", "") "</ListBucketResult>", S3XML_BAD, 0, ""},
    {HEAD LIST "<IsTruncated>true</IsTruncated></ListBucketResult>", S3XML_BAD,
     0, ""}, /* truncated, no token: it could not go on */
    {HEAD LIST "<a><b><c><d><e><f><g><h>x</h></g></f></e></d></c></b></a>"
               "</ListBucketResult>",
     S3XML_BAD, 0, ""}, /* nine deep */
    {HEAD "<ListBucketResult/>", S3XML_OK, 0, ""},
    {HEAD LIST "<IsTruncated>false</IsTruncated></ListBucketResult>", S3XML_OK,
     0, ""},
    {HEAD LIST OBJ("a.pdb/K/a.pdb", "0")
         OBJ("b&amp;c &lt;d&gt;",
             "12") "<Contents><Key>e</Key><Size>9223372036854775807</Size>"
                   "<ETag>&quot;x&quot;</ETag><Unknown>u</Unknown></Contents>"
                   "</ListBucketResult>",
     S3XML_OK, 3, "a.pdb/K/a.pdb|b&c <d>|e|"},
    {HEAD LIST OBJ("\xc3\xa9t\xc3\xa9", "1") "</ListBucketResult>", S3XML_OK, 1,
     "\xc3\xa9t\xc3\xa9|"},
    /* A Key elsewhere than in Contents is no object. */
    {HEAD LIST "<Key>top</Key><CommonPrefixes><Prefix>p/</Prefix>"
               "</CommonPrefixes></ListBucketResult>",
     S3XML_OK, 0, ""},
    {HEAD LIST OBJ("a\xff", "1") "</ListBucketResult>", S3XML_BAD, 0, ""},
};

struct seen {
    char keys[512];
    size_t n;
    int stop_after;
};

static int
on_object(void *arg, const struct s3xml_object *o)
{
    struct seen *s = arg;
    int n = snprintf(s->keys + s->n, sizeof(s->keys) - s->n, "%s|", o->key);

    assert_true(n > 0 && (size_t)n < sizeof(s->keys) - s->n);
    s->n += (size_t)n;
    return --s->stop_after == 0;
}

static void
test_list_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const struct list_case *c = &lists[i];
        struct seen s = {"", 0, -1};
        struct s3xml_list out;
        char err[256] = "";
        enum s3xml_rc rc = s3xml_parse_list(c->xml, strlen(c->xml), on_object,
                                            &s, &out, err, sizeof(err));

        if (rc != c->rc)
            fail_msg("row %zu: rc %d (%s)", i, rc, err);
        if (rc == S3XML_BAD && err[0] == '\0')
            fail_msg("row %zu: refused without a reason", i);
        if (rc == S3XML_OK &&
            (out.objects != c->objects || strcmp(s.keys, c->keys) != 0))
            fail_msg("row %zu: %zu objects \"%s\"", i, out.objects, s.keys);
    }
}

static void
test_list_pages(void **state)
{
    static const char page[] = HEAD LIST
        "<IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1/a+b=</NextContinuationToken>" OBJ("a", "1")
            OBJ("b", "2") "</ListBucketResult>";
    struct seen s = {"", 0, 1};
    struct s3xml_list out;
    char err[128];

    (void)state;
    assert_int_equal(s3xml_parse_list(page, strlen(page), on_object, &s, &out,
                                      err, sizeof(err)),
                     S3XML_STOPPED);
    assert_string_equal(s.keys, "a|");
    s.stop_after = -1;
    assert_int_equal(s3xml_parse_list(page, strlen(page), NULL, NULL, &out, err,
                                      sizeof(err)),
                     S3XML_OK);
    assert_true(out.truncated);
    assert_string_equal(out.next_token, "1/a+b=");
    assert_int_equal(out.objects, 2);
}

/* Texts past S3XML_TEXT_MAX are refused, not cut. */
static void
test_long_text(void **state)
{
    size_t n = S3XML_TEXT_MAX + 1;
    char *xml = malloc(n + 256), err[128];
    struct s3xml_list out;
    int len;

    (void)state;
    assert_non_null(xml);
    len = snprintf(xml, 256, HEAD LIST "<Contents><Key>");
    memset(xml + len, 'k', n);
    snprintf(xml + len + n, 200,
             "</Key><Size>1</Size></Contents></ListBucketResult>");
    assert_int_equal(
        s3xml_parse_list(xml, strlen(xml), NULL, NULL, &out, err, sizeof(err)),
        S3XML_BAD);
    assert_non_null(strstr(err, "longer"));
    xml[len + n - 1] = '<'; /* one byte shorter: "k...k</Key>" */
    memmove(xml + len + n - 1, xml + len + n, strlen(xml + len + n) + 1);
    assert_int_equal(
        s3xml_parse_list(xml, strlen(xml), NULL, NULL, &out, err, sizeof(err)),
        S3XML_OK);
    free(xml);
}

/* A billion laughs is refused at its DOCTYPE, before any expansion. */
static void
test_entity_bomb(void **state)
{
    static const char bomb[] =
        HEAD "<!DOCTYPE Error [<!ENTITY a \"aaaaaaaaaa\">"
             "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
             "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
             "<Error><Code>&c;</Code></Error>";
    char code[64] = "x", msg[64] = "x";

    (void)state;
    assert_int_equal(s3xml_parse_error(bomb, strlen(bomb), code, sizeof(code),
                                       msg, sizeof(msg)),
                     S3XML_BAD);
}

static void
test_error(void **state)
{
    static const char e[] =
        HEAD "<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
             "signature we calculated does not match</Message><Deep><Code>"
             "no</Code></Deep></Error>";
    char code[8], msg[256];

    (void)state;
    assert_int_equal(
        s3xml_parse_error(e, strlen(e), code, sizeof(code), msg, sizeof(msg)),
        S3XML_OK);
    assert_string_equal(code, "Signatu"); /* cut to fit */
    assert_string_equal(msg, "The request signature we calculated does not "
                             "match");
    assert_int_equal(
        s3xml_parse_error("", 0, code, sizeof(code), msg, sizeof(msg)),
        S3XML_BAD);
    assert_string_equal(code, "");
    assert_int_equal(s3xml_parse_error(HEAD LIST "</ListBucketResult>",
                                       strlen(HEAD LIST "</ListBucketResult>"),
                                       code, sizeof(code), msg, sizeof(msg)),
                     S3XML_BAD);
}

static void
test_upload_id(void **state)
{
    static const char ok[] =
        HEAD "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
             "<UploadId>abc/+=</UploadId></InitiateMultipartUploadResult>";
    static const char none[] =
        HEAD "<InitiateMultipartUploadResult><UploadId></UploadId>"
             "</InitiateMultipartUploadResult>";
    char id[64], err[128];

    (void)state;
    assert_int_equal(
        s3xml_parse_upload_id(ok, strlen(ok), id, sizeof(id), err, sizeof(err)),
        S3XML_OK);
    assert_string_equal(id, "abc/+=");
    assert_int_equal(s3xml_parse_upload_id(none, strlen(none), id, sizeof(id),
                                           err, sizeof(err)),
                     S3XML_BAD);
    assert_int_equal(
        s3xml_parse_upload_id("<Error/>", 8, id, sizeof(id), err, sizeof(err)),
        S3XML_BAD);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_table), cmocka_unit_test(test_list_pages),
        cmocka_unit_test(test_long_text),  cmocka_unit_test(test_entity_bomb),
        cmocka_unit_test(test_error),      cmocka_unit_test(test_upload_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
