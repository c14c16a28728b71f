/* Unit tests for include/util/hex.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/hex.h"

static void
test_hex_value_every_byte(void **state)
{
    static const char digits[] = "0123456789abcdef";

    (void)state;
    for (int c = 0; c < 256; c++) {
        const char *lower = c != 0 ? strchr(digits, c) : NULL;
        const char *upper =
            c >= 'A' && c <= 'F' ? digits + 10 + (c - 'A') : NULL;
        int want = lower != NULL   ? (int)(lower - digits)
                   : upper != NULL ? (int)(upper - digits)
                                   : -1;

        if (hex_value((unsigned char)c) != want)
            fail_msg("byte 0x%02x: %d, want %d", c, hex_value((unsigned char)c),
                     want);
    }
}

static void
test_hex_encode(void **state)
{
    static const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff, 0x10};
    char out[2 * sizeof(in) + 2];

    (void)state;
    memset(out, 'x', sizeof(out));
    hex_encode(in, sizeof(in), false, out);
    assert_string_equal(out, "000fa5ff10");
    assert_int_equal(out[sizeof(out) - 1], 'x'); /* nothing past the NUL */
    hex_encode(in, sizeof(in), true, out);
    assert_string_equal(out, "000FA5FF10");
    hex_encode(in, 0, true, out);
    assert_string_equal(out, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_value_every_byte),
        cmocka_unit_test(test_hex_encode),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
