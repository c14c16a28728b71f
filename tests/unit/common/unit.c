/* Shared unit-test helpers; see unit.h. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool skipped;

const char *
unit_fixtures(void)
{
    const char *dir = getenv("SYMSRVD_FIXTURES");
    struct stat st;

#ifdef SYMSRVD_FIXTURES
    if (dir == NULL || *dir == '\0')
        dir = SYMSRVD_FIXTURES;
#endif
    if (dir == NULL || *dir == '\0' || stat(dir, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

const char *
unit_fixture_path(char *buf, size_t buflen, const char *rel)
{
    const char *dir = unit_fixtures();
    int w;

    if (dir == NULL)
        fail_msg("no fixture tree (SYMSRVD_FIXTURES)");
    w = snprintf(buf, buflen, "%s/%s", dir, rel);
    if (w < 0 || (size_t)w >= buflen)
        fail_msg("fixture path too long: %s/%s", dir, rel);
    return buf;
}

void
unit_skip(const char *fmt, ...)
{
    char why[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    print_message("skipped: %s\n", why);
    skipped = true;
    skip();
}

unsigned char *
unit_slurp(const char *path, size_t *len)
{
    struct stat st;
    unsigned char *buf = NULL;
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        *len = (size_t)st.st_size;
        buf = malloc(*len > 0 ? *len : 1);
        if (buf != NULL && fread(buf, 1, *len, f) != *len) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

unsigned char *
unit_exact(const void *src, size_t len)
{
    unsigned char *p = malloc(len > 0 ? len : 1);

    if (p != NULL && len > 0)
        memcpy(p, src, len);
    return p;
}

void
unit_appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (*len >= cap)
        fail_msg("append at %zu of %zu bytes", *len, cap);
    va_start(ap, fmt);
    w = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= cap - *len)
        fail_msg("append of %d bytes at %zu of %zu: truncated", w, *len, cap);
    *len += (size_t)w;
}

int
unit_main(int argc, char **argv, const struct unit_group *groups,
          size_t ngroups)
{
    const char *want = argc > 1 ? argv[1] : NULL;
    const struct unit_group *g = NULL;
    int failed;

    for (size_t i = 0; i < ngroups && g == NULL; i++)
        if (want == NULL
                ? groups[i].name == NULL
                : groups[i].name != NULL && strcmp(groups[i].name, want) == 0)
            g = &groups[i];
    if (g == NULL || argc > 2) {
        fprintf(stderr, "usage: %s [group]; groups:", argv[0]);
        for (size_t i = 0; i < ngroups; i++)
            fprintf(stderr, " %s", groups[i].name ? groups[i].name : "(none)");
        fprintf(stderr, "\n");
        return 1;
    }
    if (g->fixtures && unit_fixtures() == NULL) {
        printf("fixtures not found ($SYMSRVD_FIXTURES or %s): skipped\n",
#ifdef SYMSRVD_FIXTURES
               SYMSRVD_FIXTURES
#else
               "(not defined)"
#endif
        );
        return UNIT_SKIPPED;
    }
    failed = _cmocka_run_group_tests(g->name != NULL ? g->name : "unit",
                                     g->tests, g->ntests, NULL, NULL);
    if (failed != 0)
        return 1;
    return skipped ? UNIT_SKIPPED : 0;
}

int
unit_main_fixtures(int argc, char **argv, const struct CMUnitTest *tests,
                   size_t ntests, const struct CMUnitTest *fixture_tests,
                   size_t nfixture_tests)
{
    const struct unit_group groups[] = {
        {NULL, tests, ntests, false},
        {"fixtures", fixture_tests, nfixture_tests, true},
    };

    return unit_main(argc, argv, groups, 2);
}
