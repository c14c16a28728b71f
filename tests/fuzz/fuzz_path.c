/*
 * libFuzzer target for include/http/path.h: path_canonicalize() on the
 * input as a request-target, into an out buffer of exact size (ASan), with
 * room enough, with exactly the room its answer needs and with less.
 * Invariants: a canonical path is a NUL-terminated string of outlen bytes
 * with no leading or trailing '/', no empty, "." or ".." segment, no NUL,
 * control byte or backslash; it is a fixed point (its percent-encoding,
 * canonicalised again, gives it back); room never changes BAD into OK, and
 * less room than the answer never gives OK.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "http/path.h"

static enum path_rc
canon(const char *t, size_t len, size_t outsz, char **out, size_t *outlen)
{
    enum path_rc rc;

    *out = malloc(outsz > 0 ? outsz : 1);
    CHECK(*out != NULL);
    *outlen = (size_t)-1;
    rc = path_canonicalize(t, len, *out, outsz, outlen);
    CHECK(rc == PATH_OK || rc == PATH_BAD || rc == PATH_TOO_LONG);
    return rc;
}

static void
check_canonical(const char *p, size_t n)
{
    size_t seg = 0;

    CHECK(strlen(p) == n);
    if (n == 0)
        return;
    CHECK(p[0] != '/' && p[n - 1] != '/');
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            size_t sl = i - seg;

            CHECK(sl > 0);
            CHECK(!(sl == 1 && p[seg] == '.'));
            CHECK(!(sl == 2 && p[seg] == '.' && p[seg + 1] == '.'));
            seg = i + 1;
            continue;
        }
        CHECK((unsigned char)p[i] >= 0x20 && p[i] != 0x7f);
        CHECK(p[i] != '\\');
    }
}

/* "/" + p with every byte but unreserved ones and '/' percent-encoded. */
static char *
encode(const char *p, size_t n, size_t *elen)
{
    static const char hex[] = "0123456789ABCDEF";
    char *e = malloc(3 * n + 1);
    size_t k = 0;

    CHECK(e != NULL);
    e[k++] = '/';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' ||
            c == '/') {
            e[k++] = (char)c;
        } else {
            e[k++] = '%';
            e[k++] = hex[c >> 4];
            e[k++] = hex[c & 15];
        }
    }
    *elen = k;
    return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    char *out, *small, *again, *enc;
    size_t outlen, slen, alen, elen;
    enum path_rc rc, src, arc;

    if (size > 65536)
        return 0;
    /* Room for any answer: a canonical path is never longer than the
     * target, and no segment read decodes to more than its bytes. */
    rc = canon(t, size, size + 1, &out, &outlen);
    CHECK(rc != PATH_TOO_LONG);
    if (rc == PATH_OK) {
        CHECK(outlen <= size);
        check_canonical(out, outlen);
        /* Exactly the room it needs: OK (the same path) or TOO_LONG (a
         * segment dropped later did not fit), never BAD. */
        src = canon(t, size, outlen + 1, &small, &slen);
        CHECK(src == PATH_OK || src == PATH_TOO_LONG);
        if (src == PATH_OK)
            CHECK(slen == outlen && memcmp(small, out, outlen + 1) == 0);
        free(small);
        /* One byte less: TOO_LONG (no room at all is not checked: the
         * header says nothing of outsz 0). */
        if (outlen > 0) {
            src = canon(t, size, outlen, &small, &slen);
            CHECK(src == PATH_TOO_LONG);
            free(small);
        }
        /* A fixed point. */
        enc = encode(out, outlen, &elen);
        arc = canon(enc, elen, elen + 1, &again, &alen);
        CHECK(arc == PATH_OK);
        CHECK(alen == outlen && memcmp(again, out, outlen + 1) == 0);
        free(again);
        free(enc);
    } else {
        /* Less room: BAD or TOO_LONG, never OK. */
        src = canon(t, size, size / 2, &small, &slen);
        CHECK(src != PATH_OK);
        free(small);
    }
    free(out);
    return 0;
}
