/* Unit tests for include/http/acceptenc.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/acceptenc.h"

#include "../common/unit.h"

/* A string literal and its length, so that values may hold a raw NUL. */
#define T(s) s, sizeof(s) - 1
#define U ACCEPTENC_UNSET
#define BOTH ((1u << ACCEPTENC_GZIP) | (1u << ACCEPTENC_ZSTD))
#define GZ (1u << ACCEPTENC_GZIP)

#define ID ACCEPTENC_IDENTITY
#define GZIP ACCEPTENC_GZIP
#define ZSTD ACCEPTENC_ZSTD

struct ae_case {
    const char *name;
    const char *v;
    size_t len;
    enum acceptenc_rc rc;
    int q_id, q_gzip, q_zstd, star; /* as parsed (all U when BAD) */
    enum acceptenc_coding both;     /* chosen with gzip and zstd offered */
    enum acceptenc_coding gz_only;  /* chosen with gzip alone offered */
};

static const struct ae_case cases[] = {
    /* Hostile and malformed: the line offers nothing (identity). */
    {"NUL after a coding", T("gzip\0zstd"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"NUL alone", T("\0"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q without =", T("gzip;q"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q empty", T("gzip;q="), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q above 1", T("gzip;q=2"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q 1.5", T("gzip;q=1.5"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q 1.0001", T("gzip;q=1.0001"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q four decimals", T("gzip;q=0.1234"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q negative", T("gzip;q=-1"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q leading dot", T("gzip;q=.5"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"q trailing junk", T("gzip;q=0.5x"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"space before =", T("gzip;q =1"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"another parameter", T("gzip;level=9"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"two weights", T("gzip;q=1;q=1"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"empty weight", T("gzip;"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"weight alone", T(";q=1"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"space inside a token", T("gz ip"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"quoted", T("\"gzip\""), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"slash", T("gzip/1"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"control byte", T("gzip\x01"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"obs-text", T("gzip, \xc3\xa9"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"good then bad", T("zstd, gzip;q=x"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    {"CR LF inside", T("gzip\r\n, zstd"), ACCEPTENC_BAD, U, U, U, U, ID, ID},
    /* Empty: identity only (section 12.5.3). */
    {"empty", T(""), ACCEPTENC_OK, U, U, U, U, ID, ID},
    {"only commas and spaces", T(" , ,\t,"), ACCEPTENC_OK, U, U, U, U, ID, ID},
    /* Plain lists. */
    {"gzip", T("gzip"), ACCEPTENC_OK, U, 1000, U, U, GZIP, GZIP},
    {"x-gzip is gzip", T("x-gzip"), ACCEPTENC_OK, U, 1000, U, U, GZIP, GZIP},
    {"case-blind", T("GZip, ZSTD"), ACCEPTENC_OK, U, 1000, 1000, U, ZSTD, GZIP},
    {"zstd", T("zstd"), ACCEPTENC_OK, U, U, 1000, U, ZSTD, ID},
    {"curl --compressed", T("deflate, gzip, br, zstd"), ACCEPTENC_OK, U, 1000,
     1000, U, ZSTD, GZIP},
    {"browser", T("gzip, deflate, br"), ACCEPTENC_OK, U, 1000, U, U, GZIP,
     GZIP},
    {"unknown codings only", T("br, compress, deflate"), ACCEPTENC_OK, U, U, U,
     U, ID, ID},
    {"OWS everywhere", T(" \tgzip \t; \tq=0.5 \t, zstd ;Q=0.25 "), ACCEPTENC_OK,
     U, 500, 250, U, GZIP, GZIP},
    /* q-values. */
    {"q=1.000", T("gzip;q=1.000"), ACCEPTENC_OK, U, 1000, U, U, GZIP, GZIP},
    {"q=1.", T("gzip;q=1."), ACCEPTENC_OK, U, 1000, U, U, GZIP, GZIP},
    {"q=0.", T("gzip;q=0."), ACCEPTENC_OK, U, 0, U, U, ID, ID},
    {"q=0.001", T("gzip;q=0.001"), ACCEPTENC_OK, U, 1, U, U, GZIP, GZIP},
    {"q=0.5 each, zstd wins a tie", T("gzip;q=0.5, zstd;q=0.5"), ACCEPTENC_OK,
     U, 500, 500, U, ZSTD, GZIP},
    {"higher q wins", T("gzip;q=0.9, zstd;q=0.1"), ACCEPTENC_OK, U, 900, 100, U,
     GZIP, GZIP},
    /* Refusals. */
    {"gzip refused", T("gzip;q=0, zstd"), ACCEPTENC_OK, U, 0, 1000, U, ZSTD,
     ID},
    {"all refused", T("gzip;q=0, zstd;q=0"), ACCEPTENC_OK, U, 0, 0, U, ID, ID},
    {"first of two wins", T("gzip;q=0, gzip"), ACCEPTENC_OK, U, 0, U, U, ID,
     ID},
    {"identity preferred", T("identity, gzip;q=0.5"), ACCEPTENC_OK, 1000, 500,
     U, U, ID, ID},
    {"identity below gzip", T("identity;q=0.2, gzip;q=0.5"), ACCEPTENC_OK, 200,
     500, U, U, GZIP, GZIP},
    {"identity refused, nothing else: identity anyway", T("identity;q=0"),
     ACCEPTENC_OK, 0, U, U, U, ID, ID},
    {"identity refused, gzip taken", T("identity;q=0, gzip"), ACCEPTENC_OK, 0,
     1000, U, U, GZIP, GZIP},
    /* "*". */
    {"star", T("*"), ACCEPTENC_OK, U, U, U, 1000, ZSTD, GZIP},
    {"star but gzip refused", T("*, gzip;q=0"), ACCEPTENC_OK, U, 0, U, 1000,
     ZSTD, ID},
    {"star refused, identity named", T("*;q=0, identity"), ACCEPTENC_OK, 1000,
     U, U, 0, ID, ID},
    {"star refused: identity too", T("*;q=0"), ACCEPTENC_OK, U, U, U, 0, ID,
     ID},
    {"star lower than gzip", T("gzip, *;q=0.1"), ACCEPTENC_OK, U, 1000, U, 100,
     GZIP, GZIP},
};

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ae_case *c = &cases[i];
        unsigned char *v = unit_exact(c->v, c->len);
        struct acceptenc ae;

        print_message("%s\n", c->name);
        acceptenc_init(&ae);
        assert_int_equal(acceptenc_parse((const char *)v, c->len, &ae), c->rc);
        assert_int_equal(ae.q[ACCEPTENC_IDENTITY], c->q_id);
        assert_int_equal(ae.q[ACCEPTENC_GZIP], c->q_gzip);
        assert_int_equal(ae.q[ACCEPTENC_ZSTD], c->q_zstd);
        assert_int_equal(ae.star, c->star);
        assert_int_equal(acceptenc_choose(&ae, BOTH), c->both);
        assert_int_equal(acceptenc_choose(&ae, GZ), c->gz_only);
        /* identity alone is always what is sent when nothing is offered */
        assert_int_equal(acceptenc_choose(&ae, 0), ACCEPTENC_IDENTITY);
        free(v);
    }
}

/* Repeated field lines are one list; a bad one adds nothing. */
static void
test_lines(void **state)
{
    struct acceptenc ae;

    (void)state;
    acceptenc_init(&ae);
    assert_int_equal(acceptenc_parse(T("gzip;q=0.4"), &ae), ACCEPTENC_OK);
    assert_int_equal(acceptenc_parse(T("zstd;q=bad"), &ae), ACCEPTENC_BAD);
    assert_int_equal(ae.q[ACCEPTENC_ZSTD], ACCEPTENC_UNSET);
    assert_int_equal(acceptenc_parse(T("gzip, zstd;q=0.3"), &ae), ACCEPTENC_OK);
    assert_int_equal(ae.q[ACCEPTENC_GZIP], 400); /* the first line's */
    assert_int_equal(ae.q[ACCEPTENC_ZSTD], 300);
    assert_int_equal(acceptenc_choose(&ae, BOTH), ACCEPTENC_GZIP);
    assert_int_equal(acceptenc_parse(NULL, 0, &ae), ACCEPTENC_BAD);
}

/* A long list: linear, and the codings we know found at its end. */
static void
test_long_list(void **state)
{
    size_t cap = 200000, len = 0;
    char *v = malloc(cap);
    struct acceptenc ae;

    (void)state;
    assert_non_null(v);
    while (len + 32 < cap) {
        memcpy(v + len, "br;q=0.5 , ,", 12);
        len += 12;
    }
    memcpy(v + len, "zstd;q=0.7", 10);
    len += 10;
    acceptenc_init(&ae);
    assert_int_equal(acceptenc_parse(v, len, &ae), ACCEPTENC_OK);
    assert_int_equal(acceptenc_q(&ae, ACCEPTENC_ZSTD), 700);
    assert_int_equal(acceptenc_q(&ae, ACCEPTENC_GZIP), 0);
    assert_int_equal(acceptenc_q(&ae, ACCEPTENC_IDENTITY), 1);
    free(v);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(acceptenc_name(ACCEPTENC_GZIP), "gzip");
    assert_string_equal(acceptenc_name(ACCEPTENC_ZSTD), "zstd");
    assert_string_equal(acceptenc_name(ACCEPTENC_IDENTITY), "identity");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_long_list),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
