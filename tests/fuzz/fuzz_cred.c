/*
 * libFuzzer targets for the credential parsers (include/daemon/cred.h),
 * one per build (CRED_FUZZ_ONE): cred_authz (an Authorization value),
 * cred_htpasswd (an htpasswd line), cred_token (a token-file line).
 * Invariants: a Basic answer decodes to exactly the user and password
 * found (user not empty, no ':' in it, no control byte in either, within
 * the limits), and the value is the strict encoding of "user:pass"; a
 * Bearer token points into the value and is a token68; an accepted
 * htpasswd line has a user without ':' and a hash of a known shape; an
 * accepted token line a name of the allowed characters; a refusal says
 * why.
 */
#include <stdbool.h>
#include <strings.h>

#include "daemon/cred.h"
#include "fuzz.h"

#define CRED_AUTHZ 1
#define CRED_HTPASSWD 2
#define CRED_TOKEN 3

static bool
no_ctl(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* The strict base64 of s[0..n) into out (NUL-terminated). */
static void
b64(const unsigned char *s, size_t n, char *out)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
}

static void
check_basic(const char *v, size_t len, const struct cred *c)
{
    char plain[CRED_USER_MAX + CRED_PASS_MAX + 2];
    char enc[sizeof(plain) * 2];
    size_t ul = strlen(c->user), pl = strlen(c->pass), start = 6;

    CHECK(ul > 0 && ul <= CRED_USER_MAX && pl <= CRED_PASS_MAX);
    CHECK(strchr(c->user, ':') == NULL && no_ctl(c->user) && no_ctl(c->pass));
    memcpy(plain, c->user, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, c->pass, pl);
    b64((const unsigned char *)plain, ul + 1 + pl, enc);
    CHECK(len > 6 && strncasecmp(v, "basic ", 6) == 0);
    while (start < len && v[start] == ' ')
        start++;
    CHECK(len - start == strlen(enc) &&
          memcmp(v + start, enc, len - start) == 0);
}

static void
fuzz_authz(const char *v, size_t len)
{
    struct cred c;
    enum cred_kind k = cred_parse_authorization(v, len, &c);

    switch (k) {
    case CRED_BASIC:
        check_basic(v, len, &c);
        break;
    case CRED_BEARER:
        CHECK(c.token > v && c.token + c.token_len == v + len);
        CHECK(c.token_len > 0 && c.token_len <= CRED_TOKEN_MAX);
        CHECK(memchr(c.token, ' ', c.token_len) == NULL);
        CHECK(memchr(c.token, '\0', c.token_len) == NULL);
        break;
    case CRED_NONE:
    case CRED_BAD:
        break;
    }
}

static bool
only_spaces(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ')
            return false;
    return true;
}

static void
fuzz_htpasswd(const char *line, size_t len)
{
    struct cred_user u;
    char why[200] = "";

    switch (cred_htpasswd_line(line, len, &u, why, sizeof(why))) {
    case CRED_LINE_ENTRY:
        CHECK(u.name[0] != '\0' && strchr(u.name, ':') == NULL);
        CHECK(no_ctl(u.name) && no_ctl(u.hash) && u.hash[0] == '$');
        CHECK(strlen(u.name) + 1 + strlen(u.hash) == len);
        CHECK(memcmp(line, u.name, strlen(u.name)) == 0);
        break;
    case CRED_LINE_SKIP:
        CHECK(memchr(line, '\0', len) == NULL);
        CHECK(len == 0 || line[0] == '#' || only_spaces(line, len));
        break;
    case CRED_LINE_BAD:
        CHECK(why[0] != '\0');
        break;
    }
}

static void
fuzz_token(const char *line, size_t len)
{
    struct cred_token t;
    char why[200] = "";

    switch (cred_token_line(line, len, &t, why, sizeof(why))) {
    case CRED_LINE_ENTRY:
        CHECK(t.name[0] != '\0' && strlen(t.name) <= CRED_NAME_MAX);
        for (const char *p = t.name; *p != '\0'; p++)
            CHECK(strchr("._-@", *p) != NULL || (*p >= '0' && *p <= '9') ||
                  (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
        break;
    case CRED_LINE_SKIP:
        break;
    case CRED_LINE_BAD:
        CHECK(why[0] != '\0');
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const targets[])(const char *, size_t) = {
        [CRED_AUTHZ] = fuzz_authz,
        [CRED_HTPASSWD] = fuzz_htpasswd,
        [CRED_TOKEN] = fuzz_token,
    };
    char *copy = fuzz_dup(data, size);

    targets[CRED_FUZZ_ONE](copy, size);
    free(copy);
    return 0;
}
