/* Unit tests for include/util/errbuf.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/errbuf.h"

static void
test_printable(void **state)
{
    static const struct {
        const char *in;
        size_t outsz;
        const char *want;
    } cases[] = {
        {".text", 16, ".text"},
        {"a\nb", 16, "a?b"},            /* no line of its own */
        {"a\r\n\tb\x7f", 16, "a???b?"}, /* CR, LF, TAB, DEL */
        {"\xc3\xa9", 16, "??"},         /* 8-bit bytes */
        {"", 16, ""},
        {"0123456789", 8, "0123..."}, /* cut, and says so */
        {"0123456", 8, "0123456"},    /* just fits */
        {"abc", 1, ""},
    };
    char out[32];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(out, 'x', sizeof(out));
        errbuf_printable(cases[i].in, out, cases[i].outsz);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("row %zu: \"%s\", want \"%s\"", i, out, cases[i].want);
    }
    assert_string_equal(errbuf_printable("abc", out, 0), "");
}

static void
test_set_null_and_cut(void **state)
{
    char buf[8];

    (void)state;
    errbuf_set(NULL, 0, "%s", "ignored");
    errbuf_set(buf, 0, "%s", "ignored");
    errbuf_set(buf, sizeof(buf), "%s", "0123456789");
    assert_string_equal(buf, "0123456");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printable),
        cmocka_unit_test(test_set_null_and_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
