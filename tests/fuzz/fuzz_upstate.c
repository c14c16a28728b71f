/*
 * libFuzzer target for the proxy's pure state (include/daemon/upstate.h),
 * which judges request paths a client sends: "PATTERN\nPATH". Invariants:
 * upstate_path_matches() agrees with a plain dynamic-programming glob
 * over the path's first segment (case blind, '*' and '?'), whatever the
 * bytes; the negative cache finds what was just put and forgets it at
 * its expiry.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "daemon/upstate.h"

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The reference: m[i][j] = pat[0..i) matches name[0..j). */
static bool
reference(const char *pat, const char *name, size_t len)
{
    size_t np = strlen(pat);
    bool *m = calloc((np + 1) * (len + 1), sizeof(*m));
    bool r;

    if (m == NULL)
        abort();
    m[0] = true;
    for (size_t i = 1; i <= np; i++) {
        for (size_t j = 0; j <= len; j++) {
            bool v = false;

            if (pat[i - 1] == '*')
                v = m[(i - 1) * (len + 1) + j] ||
                    (j > 0 && m[i * (len + 1) + j - 1]);
            else if (j > 0 && (pat[i - 1] == '?' ||
                               lower((unsigned char)pat[i - 1]) ==
                                   lower((unsigned char)name[j - 1])))
                v = m[(i - 1) * (len + 1) + j - 1];
            m[i * (len + 1) + j] = v;
        }
    }
    r = m[np * (len + 1) + len];
    free(m);
    return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    char *nl = strchr(s, '\n'), *pats[1];
    const char *path;
    struct upstate_neg *n;
    size_t len;

    if (nl == NULL || size > 4096) {
        free(s);
        return 0;
    }
    *nl = '\0';
    path = nl + 1;
    pats[0] = s;
    len = strcspn(path, "/");
    CHECK(upstate_path_matches(pats, 1, path) ==
          (len > 0 && reference(s, path, len)));
    CHECK(upstate_path_matches(pats, 0, path) == (len > 0));
    n = upstate_neg_new(8);
    CHECK(n != NULL);
    upstate_neg_put(n, 1, path, 100, 50);
    CHECK(upstate_neg_has(n, 1, path, 149));
    CHECK(!upstate_neg_has(n, 1, path, 150));
    upstate_neg_free(n);
    free(s);
    return 0;
}
