/*
 * The pure part of the store module: file.ptr contents. Hostile inputs
 * first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "store/store.h"

struct ptr_case {
    const char *name;
    const char *buf;
    size_t len; /* 0: strlen(buf) */
    enum store_ptr kind;
    const char *value; /* PATH/MSG: the value */
};

static const struct ptr_case ptr_cases[] = {
    {"empty", "", 0, STORE_PTR_BAD, NULL},
    {"prefix only", "PATH:", 0, STORE_PTR_BAD, NULL},
    {"prefix and blanks", "PATH:  \r\n", 0, STORE_PTR_BAD, NULL},
    {"msg prefix only", "MSG:", 0, STORE_PTR_BAD, NULL},
    {"no prefix", "/srv/app.pdb", 0, STORE_PTR_BAD, NULL},
    {"other scheme", "HTTP://x/app.pdb", 0, STORE_PTR_BAD, NULL},
    {"space before prefix", " PATH:/x", 0, STORE_PTR_BAD, NULL},
    {"NUL inside", "PATH:/a\0b", 9, STORE_PTR_BAD, NULL},
    {"second line", "PATH:/a\r\nPATH:/b", 0, STORE_PTR_BAD, NULL},
    {"control byte", "PATH:/a\x01", 0, STORE_PTR_BAD, NULL},
    {"DEL byte", "MSG:gone\x7f", 0, STORE_PTR_BAD, NULL},
    {"tab inside", "PATH:/a\tb", 0, STORE_PTR_BAD, NULL},
    {"path", "PATH:/srv/builds/app.pdb", 0, STORE_PTR_PATH,
     "/srv/builds/app.pdb"},
    {"path CRLF", "PATH:/srv/app.pdb\r\n", 0, STORE_PTR_PATH, "/srv/app.pdb"},
    {"path trailing blanks", "PATH:/srv/app.pdb \t\n", 0, STORE_PTR_PATH,
     "/srv/app.pdb"},
    {"lower-case prefix", "path:/srv/a", 0, STORE_PTR_PATH, "/srv/a"},
    {"windows path", "PATH:\\\\server\\share\\app.pdb", 0, STORE_PTR_PATH,
     "\\\\server\\share\\app.pdb"},
    {"8-bit path", "PATH:/srv/\xc3\xa9.pdb", 0, STORE_PTR_PATH,
     "/srv/\xc3\xa9.pdb"},
    {"message", "MSG:symbols withdrawn\r\n", 0, STORE_PTR_MSG,
     "symbols withdrawn"},
    {"mixed-case msg", "Msg:x", 0, STORE_PTR_MSG, "x"},
    {"len cuts the value", "PATH:/abcdef", 8, STORE_PTR_PATH, "/ab"},
};

static void
test_parse_ptr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ptr_cases) / sizeof(ptr_cases[0]); i++) {
        const struct ptr_case *c = &ptr_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->buf);
        const char *v = NULL;
        size_t vlen = 0;
        enum store_ptr got = store_parse_ptr(c->buf, len, &v, &vlen);

        if (got != c->kind)
            fail_msg("%s: kind %d, want %d", c->name, got, c->kind);
        if (c->value != NULL &&
            (vlen != strlen(c->value) || memcmp(v, c->value, vlen) != 0))
            fail_msg("%s: value '%.*s', want '%s'", c->name, (int)vlen, v,
                     c->value);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ptr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
