/* Unit tests for include/precond.h and etag_list_match() in etag.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/etag.h"
#include "http/precond.h"

#include "../common/unit.h"

/* The representation: its tag, and its mtime (the RFC 9110 example). */
#define ETAG "\"abc\""
#define MTIME ((time_t)784111777)
#define NOW ((time_t)1717977600) /* 2024-06-10, for RFC 850 years */

/* MTIME, one second before and one after, in the three forms. */
#define D_EQ "Sun, 06 Nov 1994 08:49:37 GMT"
#define D_BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define D_AFTER "Sun, 06 Nov 1994 08:49:38 GMT"
#define D_EQ_850 "Sunday, 06-Nov-94 08:49:37 GMT"
#define D_BEFORE_850 "Sunday, 06-Nov-94 08:49:36 GMT"
#define D_EQ_ASC "Sun Nov  6 08:49:37 1994"
#define D_BEFORE_ASC "Sun Nov  6 08:49:36 1994"
#define D_FUTURE "Fri, 31 Dec 9999 23:59:59 GMT"

struct match_case {
    const char *name;
    const char *hdr;
    const char *etag;
    bool strong, weak; /* the answers for weak == false and weak == true */
};

static const struct match_case match_cases[] = {
    /* Malformed or empty lists match nothing. */
    {"NULL", NULL, ETAG, false, false},
    {"empty", "", ETAG, false, false},
    {"OWS only", " \t ", ETAG, false, false},
    {"one comma", ",", ETAG, false, false},
    {"empty elements only", " , ,\t, ", ETAG, false, false},
    {"unterminated", "\"abc", ETAG, false, false},
    {"unterminated after a match", "\"abc\", \"abc", ETAG, false, false},
    {"no quotes", "abc", ETAG, false, false},
    {"weak, no quotes", "W/abc", ETAG, false, false},
    {"junk after the quote", "\"abc\"x", ETAG, false, false},
    {"missing comma", "\"abc\" \"xyz\"", ETAG, false, false},
    {"missing comma, no space", "\"xyz\"\"abc\"", ETAG, false, false},
    {"match then garbage", "\"abc\", garbage", ETAG, false, false},
    {"garbage then match", "garbage, \"abc\"", ETAG, false, false},
    {"lowercase w/", "w/\"abc\"", ETAG, false, false},
    {"space in W /", "W /\"abc\"", ETAG, false, false},
    {"space after W/", "W/ \"abc\"", ETAG, false, false},
    {"W without slash", "W\"abc\"", ETAG, false, false},
    {"quote inside", "\"ab\"c\"", ETAG, false, false},
    {"space inside", "\"a b\"", "\"a b\"", false, false},
    {"DEL inside", "\"abc\x7f\"", "\"abc\x7f\"", false, false},
    {"control inside", "\"ab\x01\"", "\"ab\x01\"", false, false},
    {"tab inside", "\"ab\tc\"", "\"ab\tc\"", false, false},
    {"single quotes", "'abc'", ETAG, false, false},
    {"semicolon after", "\"abc\";", ETAG, false, false},
    {"two stars", "**", ETAG, false, false},
    {"star in a list", "*, \"abc\"", ETAG, false, false},
    {"star after a tag", "\"abc\", *", ETAG, false, false},
    {"star with junk", "*x", ETAG, false, false},
    {"CRLF after", "\"abc\"\r\n", ETAG, false, false},
    /* "*" matches any etag. */
    {"star", "*", ETAG, true, true},
    {"star with OWS", " \t* \t", ETAG, true, true},
    {"star, weak etag", "*", "W/\"abc\"", true, true},
    {"star, no etag", "*", NULL, true, true},
    {"star, malformed etag", "*", "abc", true, true},
    {"quoted star is a tag", "\"*\"", ETAG, false, false},
    {"quoted star matches itself", "\"*\"", "\"*\"", true, true},
    /* One tag. */
    {"same", "\"abc\"", ETAG, true, true},
    {"same, OWS", "  \"abc\"\t", ETAG, true, true},
    {"weak in the list", "W/\"abc\"", ETAG, false, true},
    {"weak etag", "\"abc\"", "W/\"abc\"", false, true},
    {"both weak", "W/\"abc\"", "W/\"abc\"", false, true},
    {"other", "\"xyz\"", ETAG, false, false},
    {"other, weak", "W/\"xyz\"", ETAG, false, false},
    {"case differs", "\"ABC\"", ETAG, false, false},
    {"prefix", "\"ab\"", ETAG, false, false},
    {"longer", "\"abcd\"", ETAG, false, false},
    {"empty tag", "\"\"", ETAG, false, false},
    {"empty tag matches itself", "\"\"", "\"\"", true, true},
    {"obs-text", "\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", true, true},
    {"obs-text differs", "\"caf\xc3\xa9\"", "\"cafe\"", false, false},
    {"0xff", "\"\xff\"", "\"\xff\"", true, true},
    {"every etagc punctuation", "\"!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\"",
     "\"!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\"", true, true},
    {"comma inside a tag", "\"a,b\"", "\"a,b\"", true, true},
    {"comma inside is not a separator", "\"a,b\"", "\"a\"", false, false},
    /* Lists. */
    {"second of two", "\"xyz\", \"abc\"", ETAG, true, true},
    {"no space", "\"xyz\",\"abc\"", ETAG, true, true},
    {"OWS everywhere", "  \"xyz\" ,\t \"abc\"  ", ETAG, true, true},
    {"leading comma", ",\"abc\"", ETAG, true, true},
    {"trailing comma", "\"abc\",", ETAG, true, true},
    {"empty elements around", ", ,\"abc\",, ,", ETAG, true, true},
    {"first of three", "\"abc\", \"x\", \"y\"", ETAG, true, true},
    {"weak and other", "\"xyz\", W/\"abc\"", ETAG, false, true},
    {"weak then strong", "W/\"abc\", \"abc\"", ETAG, true, true},
    {"none of three", "\"x\", \"y\", W/\"z\"", ETAG, false, false},
    /* The etag argument must be one entity-tag. */
    {"no etag", "\"abc\"", NULL, false, false},
    {"etag without quotes", "\"abc\"", "abc", false, false},
    {"etag with junk", "\"abc\"", "\"abc\"x", false, false},
    {"etag is a list", "\"abc\"", "\"abc\", \"abc\"", false, false},
    {"a real etag", "\"1a2b-400-5f5e100.3b9ac9ff\"",
     "\"1a2b-400-5f5e100.3b9ac9ff\"", true, true},
};

static void
test_etag_list_match(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
        const struct match_case *c = &match_cases[i];
        bool strong = etag_list_match(c->hdr, c->etag, false);
        bool weak = etag_list_match(c->hdr, c->etag, true);

        if (strong != c->strong || weak != c->weak) {
            print_error("%s: strong %d weak %d, want %d %d\n", c->name, strong,
                        weak, c->strong, c->weak);
            failures++;
        }
    }
    print_message("%zu etag_list_match cases\n",
                  sizeof(match_cases) / sizeof(match_cases[0]));
    assert_int_equal(failures, 0);
}

/* A long list is read to its end; a bad last element spoils it. */
static void
test_etag_long_list(void **state)
{
    size_t cap = 1000 * 12 + 32, len = 0;
    char *hdr = malloc(cap);

    (void)state;
    assert_non_null(hdr);
    for (int i = 0; i < 1000; i++)
        unit_appendf(hdr, cap, &len, "\"t%d\", ", i);
    unit_appendf(hdr, cap, &len, "\"abc\"");
    assert_true(etag_list_match(hdr, ETAG, false));
    hdr[len - 1] = '\0'; /* unterminated */
    assert_false(etag_list_match(hdr, ETAG, true));
    free(hdr);
}

struct eval_case {
    const char *name;
    struct precond_hdrs h; /* if_match, if_none_match, IMS, IUS */
    bool get_or_head;
    const char *etag;
    enum precond_rc want;
};

static const struct eval_case eval_cases[] = {
    /* Malformed fields. */
    {"If-Match malformed",
     {"\"abc", NULL, NULL, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-Match empty", {"", NULL, NULL, NULL}, true, ETAG, PRECOND_FAILED},
    {"If-Match garbage after a match",
     {"\"abc\" x", NULL, NULL, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-None-Match malformed",
     {NULL, "\"abc", NULL, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"If-None-Match malformed still disables IMS",
     {NULL, "abc", D_AFTER, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IUS garbage ignored",
     {NULL, NULL, NULL, "garbage"},
     true,
     ETAG,
     PRECOND_PASS},
    {"IUS empty ignored", {NULL, NULL, NULL, ""}, true, ETAG, PRECOND_PASS},
    {"IUS in UTC ignored",
     {NULL, NULL, NULL, "Sun, 06 Nov 1994 08:49:36 UTC"},
     true,
     ETAG,
     PRECOND_PASS},
    {"IUS 31 Apr ignored",
     {NULL, NULL, NULL, "Sun, 31 Apr 1994 08:49:36 GMT"},
     false,
     ETAG,
     PRECOND_PASS},
    {"IMS garbage ignored",
     {NULL, NULL, "garbage", NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IMS two members ignored",
     {NULL, NULL, D_AFTER ", " D_AFTER, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IMS hour 24 ignored",
     {NULL, NULL, "Sun, 06 Nov 1994 24:00:00 GMT", NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IMS before 1970 ignored",
     {NULL, NULL, "Wed Dec 31 23:59:59 1969", NULL},
     true,
     ETAG,
     PRECOND_PASS},
    /* No fields. */
    {"none, GET", {NULL, NULL, NULL, NULL}, true, ETAG, PRECOND_PASS},
    {"none, other method", {NULL, NULL, NULL, NULL}, false, ETAG, PRECOND_PASS},
    /* 1. If-Match. */
    {"If-Match same", {ETAG, NULL, NULL, NULL}, true, ETAG, PRECOND_PASS},
    {"If-Match star", {"*", NULL, NULL, NULL}, true, ETAG, PRECOND_PASS},
    {"If-Match in a list",
     {"\"x\", \"abc\"", NULL, NULL, NULL},
     false,
     ETAG,
     PRECOND_PASS},
    {"If-Match other",
     {"\"xyz\"", NULL, NULL, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-Match other, other method",
     {"\"xyz\"", NULL, NULL, NULL},
     false,
     ETAG,
     PRECOND_FAILED},
    {"If-Match weak tag: strong comparison",
     {"W/\"abc\"", NULL, NULL, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-Match false beats If-None-Match 304",
     {"\"xyz\"", ETAG, NULL, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-Match false beats IMS 304",
     {"\"xyz\"", NULL, D_AFTER, NULL},
     true,
     ETAG,
     PRECOND_FAILED},
    {"If-Match true, If-None-Match true",
     {ETAG, ETAG, NULL, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"If-Match true, If-None-Match true, other method",
     {ETAG, ETAG, NULL, NULL},
     false,
     ETAG,
     PRECOND_FAILED},
    {"If-Match true, IMS 304",
     {ETAG, NULL, D_EQ, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"no etag, If-Match tag",
     {ETAG, NULL, NULL, NULL},
     true,
     NULL,
     PRECOND_FAILED},
    {"no etag, If-Match star",
     {"*", NULL, NULL, NULL},
     true,
     NULL,
     PRECOND_PASS},
    /* 2. If-Unmodified-Since, only without If-Match. */
    {"IUS before mtime",
     {NULL, NULL, NULL, D_BEFORE},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS before mtime, other method",
     {NULL, NULL, NULL, D_BEFORE},
     false,
     ETAG,
     PRECOND_FAILED},
    {"IUS equal", {NULL, NULL, NULL, D_EQ}, true, ETAG, PRECOND_PASS},
    {"IUS after", {NULL, NULL, NULL, D_AFTER}, false, ETAG, PRECOND_PASS},
    {"IUS RFC 850 before",
     {NULL, NULL, NULL, D_BEFORE_850},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS asctime before",
     {NULL, NULL, NULL, D_BEFORE_ASC},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS with OWS",
     {NULL, NULL, NULL, " \t" D_BEFORE "\t "},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS ignored with If-Match",
     {ETAG, NULL, NULL, D_BEFORE},
     true,
     ETAG,
     PRECOND_PASS},
    {"IUS ignored with If-Match star",
     {"*", NULL, NULL, D_BEFORE},
     false,
     ETAG,
     PRECOND_PASS},
    {"IUS false beats If-None-Match 304",
     {NULL, ETAG, NULL, D_BEFORE},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS false beats IMS 304",
     {NULL, NULL, D_EQ, D_BEFORE},
     true,
     ETAG,
     PRECOND_FAILED},
    {"IUS true, IMS 304",
     {NULL, NULL, D_EQ, D_EQ},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    /* 3. If-None-Match. */
    {"INM same, GET",
     {NULL, ETAG, NULL, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"INM same, other method",
     {NULL, ETAG, NULL, NULL},
     false,
     ETAG,
     PRECOND_FAILED},
    {"INM star, GET",
     {NULL, "*", NULL, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"INM star, other method",
     {NULL, "*", NULL, NULL},
     false,
     ETAG,
     PRECOND_FAILED},
    {"INM star, no etag",
     {NULL, "*", NULL, NULL},
     true,
     NULL,
     PRECOND_NOT_MODIFIED},
    {"INM weak tag: weak comparison",
     {NULL, "W/\"abc\"", NULL, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"INM weak tag, other method",
     {NULL, "W/\"abc\"", NULL, NULL},
     false,
     ETAG,
     PRECOND_FAILED},
    {"INM in a list",
     {NULL, "\"x\", \"y\", \"abc\"", NULL, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"INM other", {NULL, "\"xyz\"", NULL, NULL}, true, ETAG, PRECOND_PASS},
    {"INM other, other method",
     {NULL, "\"xyz\"", NULL, NULL},
     false,
     ETAG,
     PRECOND_PASS},
    {"INM other disables IMS",
     {NULL, "\"xyz\"", D_AFTER, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"INM same with IMS before",
     {NULL, ETAG, D_BEFORE, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"no etag, INM tag", {NULL, ETAG, NULL, NULL}, true, NULL, PRECOND_PASS},
    /* 4. If-Modified-Since, GET/HEAD only, without If-None-Match. */
    {"IMS equal", {NULL, NULL, D_EQ, NULL}, true, ETAG, PRECOND_NOT_MODIFIED},
    {"IMS after",
     {NULL, NULL, D_AFTER, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"IMS before: mtime a second later",
     {NULL, NULL, D_BEFORE, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IMS equal, other method",
     {NULL, NULL, D_EQ, NULL},
     false,
     ETAG,
     PRECOND_PASS},
    {"IMS RFC 850 equal",
     {NULL, NULL, D_EQ_850, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"IMS RFC 850 before",
     {NULL, NULL, D_BEFORE_850, NULL},
     true,
     ETAG,
     PRECOND_PASS},
    {"IMS asctime equal",
     {NULL, NULL, D_EQ_ASC, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"IMS with OWS",
     {NULL, NULL, "  " D_EQ " ", NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
    {"IMS in the far future",
     {NULL, NULL, D_FUTURE, NULL},
     true,
     ETAG,
     PRECOND_NOT_MODIFIED},
};

static const char *
rc_name(enum precond_rc rc)
{
    switch (rc) {
    case PRECOND_PASS:
        return "PASS";
    case PRECOND_NOT_MODIFIED:
        return "NOT_MODIFIED";
    case PRECOND_FAILED:
        return "FAILED";
    }
    return "?";
}

static void
test_evaluate(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
        const struct eval_case *c = &eval_cases[i];
        enum precond_rc rc =
            precond_evaluate(&c->h, c->get_or_head, c->etag, MTIME, NOW);

        if (rc != c->want) {
            print_error("%s: %s, want %s\n", c->name, rc_name(rc),
                        rc_name(c->want));
            failures++;
        }
    }
    print_message("%zu precond_evaluate cases\n",
                  sizeof(eval_cases) / sizeof(eval_cases[0]));
    assert_int_equal(failures, 0);
}

struct if_range_case {
    const char *name;
    const char *if_range;
    const char *etag;
    time_t mtime;
    bool want;
};

static const struct if_range_case if_range_cases[] = {
    /* Malformed: the Range is ignored. */
    {"empty", "", ETAG, MTIME, false},
    {"OWS only", "  ", ETAG, MTIME, false},
    {"garbage", "garbage", ETAG, MTIME, false},
    {"unterminated tag", "\"abc", ETAG, MTIME, false},
    {"tag with junk", "\"abc\"x", ETAG, MTIME, false},
    {"list of one, trailing comma", "\"abc\",", ETAG, MTIME, false},
    {"list of two", "\"abc\", \"abc\"", ETAG, MTIME, false},
    {"star", "*", ETAG, MTIME, false},
    {"bad byte in tag", "\"a\x01\"", "\"a\x01\"", MTIME, false},
    {"date in UTC", "Sun, 06 Nov 1994 08:49:37 UTC", ETAG, MTIME, false},
    {"31 Apr", "Sun, 31 Apr 1994 08:49:37 GMT", ETAG, MTIME, false},
    {"date with junk", D_EQ "x", ETAG, MTIME, false},
    {"lowercase w/", "w/\"abc\"", ETAG, MTIME, false},
    /* Entity tags: strong comparison. */
    {"same tag", ETAG, ETAG, MTIME, true},
    {"same tag, OWS", " \t" ETAG " ", ETAG, MTIME, true},
    {"weak tag never", "W/\"abc\"", ETAG, MTIME, false},
    {"weak tag, weak etag", "W/\"abc\"", "W/\"abc\"", MTIME, false},
    {"strong tag, weak etag", ETAG, "W/\"abc\"", MTIME, false},
    {"other tag", "\"xyz\"", ETAG, MTIME, false},
    {"case differs", "\"ABC\"", ETAG, MTIME, false},
    {"no etag", ETAG, NULL, MTIME, false},
    {"comma inside the tag", "\"a,b\"", "\"a,b\"", MTIME, true},
    {"obs-text", "\"\xc3\xa9\"", "\"\xc3\xa9\"", MTIME, true},
    /* Dates: exactly mtime. */
    {"date equal", D_EQ, ETAG, MTIME, true},
    {"date equal, OWS", "\t" D_EQ "  ", ETAG, MTIME, true},
    {"date equal, RFC 850", D_EQ_850, ETAG, MTIME, true},
    {"date equal, asctime", D_EQ_ASC, ETAG, MTIME, true},
    {"date earlier than mtime", D_BEFORE, ETAG, MTIME, false},
    {"date later than mtime", D_AFTER, ETAG, MTIME, false},
    {"date, no etag", D_EQ, NULL, MTIME, true},
    {"second 60 reads as 59", "Sun, 06 Nov 1994 08:49:60 GMT", ETAG, MTIME + 22,
     true},
    /* No If-Range field. */
    {"absent", NULL, ETAG, MTIME, true},
};

static void
test_if_range(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(if_range_cases) / sizeof(if_range_cases[0]);
         i++) {
        const struct if_range_case *c = &if_range_cases[i];
        bool got = precond_if_range(c->if_range, c->etag, c->mtime, NOW);

        if (got != c->want) {
            print_error("%s: %d, want %d\n", c->name, got, c->want);
            failures++;
        }
    }
    print_message("%zu precond_if_range cases\n",
                  sizeof(if_range_cases) / sizeof(if_range_cases[0]));
    assert_int_equal(failures, 0);
}

/* The tag etag_format() writes matches itself in every comparison. */
static void
test_real_etag(void **state)
{
    struct stat st;
    char tag[ETAG_LEN], weak[ETAG_LEN + 2];
    struct precond_hdrs h = {NULL, NULL, NULL, NULL};

    (void)state;
    memset(&st, 0, sizeof(st));
    st.st_ino = 0x1a2b;
    st.st_size = 1024;
    st.st_mtim.tv_sec = MTIME;
    st.st_mtim.tv_nsec = 999999999;
    etag_format(&st, tag);
    snprintf(weak, sizeof(weak), "W/%s", tag);
    assert_true(etag_list_match(tag, tag, false));
    assert_true(precond_if_range(tag, tag, MTIME, NOW));
    assert_false(precond_if_range(weak, tag, MTIME, NOW));
    h.if_match = tag;
    assert_int_equal(precond_evaluate(&h, false, tag, MTIME, NOW),
                     PRECOND_PASS);
    h.if_match = NULL;
    h.if_none_match = weak;
    assert_int_equal(precond_evaluate(&h, true, tag, MTIME, NOW),
                     PRECOND_NOT_MODIFIED);
}

/*
 * The tags of a coded copy: strong, apart from the file's and from each
 * other, never matching one another, and within ETAG_LEN at the largest
 * numbers.
 */
static void
test_coded_etag(void **state)
{
    struct stat st;
    char id[ETAG_LEN], gz[ETAG_LEN], zst[ETAG_LEN], list[3 * ETAG_LEN];

    (void)state;
    memset(&st, 0, sizeof(st));
    st.st_ino = 0x1a2b;
    st.st_size = 1024;
    st.st_mtim.tv_sec = MTIME;
    st.st_mtim.tv_nsec = 999999999;
    etag_format(&st, id);
    etag_format_coded(&st, "gz", gz);
    etag_format_coded(&st, "zst", zst);
    assert_string_equal(gz + strlen(gz) - 4, "-gz\"");
    assert_memory_equal(gz, id, strlen(id) - 1); /* the file's, extended */
    assert_true(etag_list_match(gz, gz, false));
    assert_true(etag_list_match(zst, zst, false));
    assert_false(etag_list_match(id, gz, true));
    assert_false(etag_list_match(gz, id, true));
    assert_false(etag_list_match(zst, gz, true));
    snprintf(list, sizeof(list), "%s, %s", id, zst);
    assert_false(etag_list_match(list, gz, true));
    assert_true(etag_list_match(list, zst, true));
    /* The longest numbers still fit, closing quote included. */
    st.st_ino = (ino_t)~0ULL;
    st.st_size = INT64_MAX;
    st.st_mtim.tv_sec = INT64_MAX;
    etag_format_coded(&st, "zst", zst);
    assert_true(strlen(zst) < ETAG_LEN - 1);
    assert_string_equal(zst + strlen(zst) - 5, "-zst\"");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coded_etag),
        cmocka_unit_test(test_etag_list_match),
        cmocka_unit_test(test_etag_long_list),
        cmocka_unit_test(test_evaluate),
        cmocka_unit_test(test_if_range),
        cmocka_unit_test(test_real_etag),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
