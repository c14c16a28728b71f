/* Unit tests for include/util/symname.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "util/symname.h"

struct sym_case {
    const char *name;
    size_t outsz;
    const char *want; /* NULL: 0 returned */
};

static const struct sym_case sym_cases[] = {
    {"xul.pdb", 64, "xul.sym"},
    {"XUL.PDB", 64, "XUL.sym"},
    {"libxul.so", 64, "libxul.so.sym"},
    {"ssltunnel", 64, "ssltunnel.sym"},
    {"app.exe", 64, "app.exe.sym"},
    {".pdb", 64, ".sym"},
    {"pdb", 64, "pdb.sym"},
    {"", 64, NULL},
    {"abc", 8, "abc.sym"},
    {"abcd", 8, NULL},
    {"abcd.pdb", 9, "abcd.sym"},
};

static void
test_symname(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sym_cases) / sizeof(sym_cases[0]); i++) {
        const struct sym_case *c = &sym_cases[i];
        char out[64];
        size_t n = symname_breakpad(c->name, strlen(c->name), out, c->outsz);

        if ((n == 0) != (c->want == NULL) ||
            (n > 0 && (strcmp(out, c->want) != 0 || n != strlen(c->want))))
            fail_msg("'%s' in %zu: %zu '%s'", c->name, c->outsz, n,
                     n > 0 ? out : "");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symname),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
