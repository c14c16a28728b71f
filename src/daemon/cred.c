/* Credentials; see cred.h. */
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/cred.h"
#include "util/errbuf.h"

/* The alphabet of crypt(3) hashes and of htpasswd's salts. */
static bool
is_crypt64(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || c == '.' || c == '/';
}

/* RFC 6750 2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=" */
static bool
is_token68(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len &&
           ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= 'a' && s[i] <= 'z') || strchr("-._~+/", s[i]) != NULL) &&
           s[i] != '\0')
        i++;
    if (i == 0)
        return false;
    while (i < len && s[i] == '=')
        i++;
    return i == len;
}

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict, padded base64 of s[0..len) into out[cap]; the length or -1. */
static long
b64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    size_t n = 0;

    if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        size_t pad = 0;

        for (size_t k = 0; k < 4; k++) {
            bool last = i + 4 == len;

            v[k] = b64_value((unsigned char)s[i + k]);
            if (v[k] == -1 && last && k >= 2 && s[i + k] == '=' &&
                (k == 3 || s[i + 3] == '=')) {
                v[k] = 0;
                pad++;
            } else if (v[k] == -1 || pad > 0) {
                return -1;
            }
        }
        /* Bits the padding drops must be zero: one spelling per value. */
        if ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0))
            return -1;
        out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1)
            out[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    return (long)n;
}

static bool
has_ctl(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

static enum cred_kind
parse_basic(const char *v, size_t len, struct cred *out)
{
    unsigned char buf[CRED_USER_MAX + 1 + CRED_PASS_MAX + 3];
    long n = b64_decode(v, len, buf, sizeof(buf));
    const unsigned char *colon;
    size_t ulen, plen;

    if (n <= 0 || has_ctl(buf, (size_t)n))
        return CRED_BAD;
    colon = memchr(buf, ':', (size_t)n);
    if (colon == NULL || colon == buf)
        return CRED_BAD;
    ulen = (size_t)(colon - buf);
    plen = (size_t)n - ulen - 1;
    if (ulen > CRED_USER_MAX || plen > CRED_PASS_MAX)
        return CRED_BAD;
    memcpy(out->user, buf, ulen);
    out->user[ulen] = '\0';
    memcpy(out->pass, colon + 1, plen);
    out->pass[plen] = '\0';
    OPENSSL_cleanse(buf, sizeof(buf));
    return CRED_BASIC;
}

/* Is v[0..len) the scheme name, case-blind, then one or more spaces? */
static size_t
scheme_len(const char *v, size_t len, const char *scheme)
{
    size_t n = strlen(scheme), i;

    if (len <= n || strncasecmp(v, scheme, n) != 0 || v[n] != ' ')
        return 0;
    for (i = n; i < len && v[i] == ' '; i++)
        ;
    return i;
}

/* Does v start with scheme, case-blind, followed by no letter or digit? */
static bool
starts_scheme(const char *v, size_t len, const char *scheme)
{
    size_t n = strlen(scheme);
    char c;

    if (len < n || strncasecmp(v, scheme, n) != 0)
        return false;
    c = len > n ? v[n] : ' ';
    return !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
             (c >= 'a' && c <= 'z'));
}

enum cred_kind
cred_parse_authorization(const char *v, size_t len, struct cred *out)
{
    size_t skip;

    out->user[0] = out->pass[0] = '\0';
    out->token = NULL;
    out->token_len = 0;
    skip = scheme_len(v, len, "Basic");
    if (skip > 0)
        return parse_basic(v + skip, len - skip, out);
    skip = scheme_len(v, len, "Bearer");
    if (skip > 0) {
        if (len - skip > CRED_TOKEN_MAX || !is_token68(v + skip, len - skip))
            return CRED_BAD;
        out->token = v + skip;
        out->token_len = len - skip;
        return CRED_BEARER;
    }
    /* "Basic" or "Bearer" alone, or with a tab or other byte for the
     * space: malformed, not another scheme. */
    if (starts_scheme(v, len, "Basic") || starts_scheme(v, len, "Bearer"))
        return CRED_BAD;
    return CRED_NONE;
}

/* n characters of the crypt alphabet at s? */
static bool
crypt64_run(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_crypt64((unsigned char)s[i]))
            return false;
    return true;
}

/* "$2y$NN$" + 53; "$5$[rounds=N$]salt$" + 43 or 86; "$apr1$salt$" + 22. */
static bool
hash_shape_ok(const char *h, size_t len, const char **name)
{
    const char *p, *d;
    size_t want;

    if (len >= 4 && h[0] == '$' && h[1] == '2' && strchr("yba", h[2]) &&
        h[2] != '\0' && h[3] == '$') {
        *name = "bcrypt";
        return len == 60 && h[4] >= '0' && h[4] <= '3' && h[5] >= '0' &&
               h[5] <= '9' && h[6] == '$' && crypt64_run(h + 7, 53);
    }
    if (len >= 6 && strncmp(h, "$apr1$", 6) == 0) {
        *name = "APR1";
        p = h + 6;
        want = 22;
    } else if (len >= 3 &&
               (strncmp(h, "$5$", 3) == 0 || strncmp(h, "$6$", 3) == 0)) {
        *name = h[1] == '5' ? "SHA-256-crypt" : "SHA-512-crypt";
        p = h + 3;
        want = h[1] == '5' ? 43 : 86;
        if (strncmp(p, "rounds=", 7) == 0) {
            p += 7;
            while (*p >= '0' && *p <= '9')
                p++;
            if (*p++ != '$')
                return false;
        }
    } else {
        *name = NULL;
        return false;
    }
    d = strchr(p, '$');
    return d != NULL && d > p && d - p <= (*name[0] == 'A' ? 8 : 16) &&
           crypt64_run(p, (size_t)(d - p)) && strlen(d + 1) == want &&
           crypt64_run(d + 1, want);
}

/* Only spaces (a tab is refused before as a control byte)? */
static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ')
            return false;
    return true;
}

static enum cred_line_rc
bad(char *why, size_t whylen, const char *reason)
{
    errbuf_set(why, whylen, "%s", reason);
    return CRED_LINE_BAD;
}

enum cred_line_rc
cred_htpasswd_line(const char *line, size_t len, struct cred_user *out,
                   char *why, size_t whylen)
{
    const char *colon, *name;
    size_t ulen, hlen;

    if (len > CRED_LINE_MAX)
        return bad(why, whylen, "line too long");
    if (memchr(line, '\0', len) != NULL || has_ctl((const void *)line, len))
        return bad(why, whylen, "control byte in the line");
    if (len == 0 || line[0] == '#' || blank(line, len))
        return CRED_LINE_SKIP;
    colon = memchr(line, ':', len);
    if (colon == NULL)
        return bad(why, whylen, "no ':' between user and hash");
    ulen = (size_t)(colon - line);
    hlen = len - ulen - 1;
    if (ulen == 0 || ulen > CRED_USER_MAX)
        return bad(why, whylen, "empty or overlong user name");
    if (hlen > CRED_HASH_MAX)
        return bad(why, whylen, "hash too long");
    memcpy(out->hash, colon + 1, hlen);
    out->hash[hlen] = '\0';
    if (!hash_shape_ok(out->hash, hlen, &name)) {
        if (name != NULL)
            errbuf_set(why, whylen, "malformed %s hash", name);
        else
            errbuf_set(why, whylen,
                       "unsupported hash (bcrypt $2y$, SHA-crypt $5$ $6$ or "
                       "APR1 $apr1$ only: htpasswd -B makes bcrypt)");
        return CRED_LINE_BAD;
    }
    memcpy(out->name, line, ulen);
    out->name[ulen] = '\0';
    return CRED_LINE_ENTRY;
}

static bool
is_name_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || (c != '\0' && strchr("._-@", c) != NULL);
}

/* The next word of line[*i..len), skipping blanks; its length (0: none). */
static size_t
next_word(const char *line, size_t len, size_t *i, const char **w)
{
    size_t n = 0;

    while (*i < len && (line[*i] == ' ' || line[*i] == '\t'))
        (*i)++;
    *w = line + *i;
    if (*i < len && line[*i] == '#')
        return 0; /* a comment ends the line */
    while (*i < len && line[*i] != ' ' && line[*i] != '\t') {
        (*i)++;
        n++;
    }
    return n;
}

enum cred_line_rc
cred_token_line(const char *line, size_t len, struct cred_token *out, char *why,
                size_t whylen)
{
    const char *tok, *name, *rest;
    size_t i = 0, tlen, nlen;

    if (len > CRED_LINE_MAX)
        return bad(why, whylen, "line too long");
    if (memchr(line, '\0', len) != NULL || has_ctl((const void *)line, len))
        return bad(why, whylen, "control byte in the line");
    tlen = next_word(line, len, &i, &tok);
    if (tlen == 0)
        return CRED_LINE_SKIP;
    if (tlen < CRED_TOKEN_MIN || tlen > CRED_TOKEN_MAX ||
        !is_token68(tok, tlen))
        return bad(why, whylen,
                   "the token must be 16 to 512 characters of A-Z a-z 0-9 "
                   "- . _ ~ + / (then '=' padding)");
    nlen = next_word(line, len, &i, &name);
    if (nlen > CRED_NAME_MAX)
        return bad(why, whylen, "name longer than 64 bytes");
    for (size_t k = 0; k < nlen; k++)
        if (!is_name_char(name[k]))
            return bad(why, whylen,
                       "a name is letters, digits, '.', '_', '-', '@'");
    if (next_word(line, len, &i, &rest) != 0)
        return bad(why, whylen, "more than a token and a name");
    if (EVP_Digest(tok, tlen, out->sha256, NULL, EVP_sha256(), NULL) != 1)
        return bad(why, whylen, "SHA-256 failed");
    memcpy(out->name, nlen > 0 ? name : "token", nlen > 0 ? nlen : 5);
    out->name[nlen > 0 ? nlen : 5] = '\0';
    return CRED_LINE_ENTRY;
}

/* crypt(3)'s base-64: 6 bits at a time, least significant first. */
static char *
to64(char *p, unsigned long v, int n)
{
    static const char alphabet[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    while (n-- > 0) {
        *p++ = alphabet[v & 0x3f];
        v >>= 6;
    }
    return p;
}

static bool
md5_of(EVP_MD_CTX *ctx, const void *const parts[], const size_t lens[],
       size_t n, unsigned char out[16])
{
    if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lens[i] > 0 && EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1)
            return false;
    return EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

/*
 * The first digest of MD5-crypt: password, magic, salt, then the digest of
 * password+salt+password over the password's length, then one byte per bit
 * of that length (NUL for a 1 bit, the password's first byte for a 0).
 */
static bool
apr1_initial(EVP_MD_CTX *ctx, const char *pw, size_t pl, const char *salt,
             size_t sl, unsigned char out[16])
{
    const void *alt_parts[] = {pw, salt, pw};
    const size_t alt_lens[] = {pl, sl, pl};
    unsigned char alt[16];

    if (!md5_of(ctx, alt_parts, alt_lens, 3, alt) ||
        EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, pw, pl) != 1 ||
        EVP_DigestUpdate(ctx, "$apr1$", 6) != 1 ||
        EVP_DigestUpdate(ctx, salt, sl) != 1)
        return false;
    for (size_t left = pl; left > 0; left -= left > 16 ? 16 : left)
        if (EVP_DigestUpdate(ctx, alt, left > 16 ? 16 : left) != 1)
            return false;
    for (size_t bits = pl; bits != 0; bits >>= 1)
        if (EVP_DigestUpdate(ctx, (bits & 1) ? "" : pw, 1) != 1)
            return false;
    OPENSSL_cleanse(alt, sizeof(alt));
    return EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

/* 1000 rounds, each mixing the last digest, password and salt. */
static bool
apr1_rounds(EVP_MD_CTX *ctx, const char *pw, size_t pl, const char *salt,
            size_t sl, unsigned char d[16])
{
    for (unsigned i = 0; i < 1000; i++) {
        const void *parts[4];
        size_t lens[4], n = 0;

        parts[n] = (i & 1) ? (const void *)pw : d;
        lens[n++] = (i & 1) ? pl : 16;
        if (i % 3 != 0) {
            parts[n] = salt;
            lens[n++] = sl;
        }
        if (i % 7 != 0) {
            parts[n] = pw;
            lens[n++] = pl;
        }
        parts[n] = (i & 1) ? (const void *)d : pw;
        lens[n++] = (i & 1) ? 16 : pl;
        if (!md5_of(ctx, parts, lens, n, d))
            return false;
    }
    return true;
}

int
cred_apr1(const char *pass, const char *salt, size_t saltlen,
          char out[CRED_APR1_MAX])
{
    static const unsigned char groups[5][3] = {
        {0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t pl = strlen(pass), sl = saltlen > 8 ? 8 : saltlen;
    unsigned char d[16];
    bool ok;
    char *p;

    if (memchr(salt, '$', sl) != NULL)
        sl = (size_t)((const char *)memchr(salt, '$', sl) - salt);
    ok = ctx != NULL && apr1_initial(ctx, pass, pl, salt, sl, d) &&
         apr1_rounds(ctx, pass, pl, salt, sl, d);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    memcpy(out, "$apr1$", 6);
    memcpy(out + 6, salt, sl);
    p = out + 6 + sl;
    *p++ = '$';
    for (size_t g = 0; g < 5; g++)
        p = to64(p,
                 (unsigned long)d[groups[g][0]] << 16 |
                     (unsigned long)d[groups[g][1]] << 8 | d[groups[g][2]],
                 4);
    p = to64(p, d[11], 2);
    *p = '\0';
    OPENSSL_cleanse(d, sizeof(d));
    return 0;
}

/* Same length and same bytes, compared in constant time. */
static bool
same_hash(const char *a, const char *b)
{
    size_t n = strlen(a);

    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

bool
cred_verify(const char *hash, const char *pass)
{
    struct crypt_data *data;
    const char *got;
    bool ok;

    if (strncmp(hash, "$apr1$", 6) == 0) {
        char mine[CRED_APR1_MAX];

        ok = cred_apr1(pass, hash + 6, strlen(hash + 6), mine) == 0 &&
             same_hash(mine, hash);
        OPENSSL_cleanse(mine, sizeof(mine));
        return ok;
    }
    /* 32 KiB: too big for a worker's stack habits, so from the heap. */
    data = calloc(1, sizeof(*data));
    if (data == NULL)
        return false;
    got = crypt_rn(pass, hash, data, (int)sizeof(*data));
    ok = got != NULL && got[0] != '*' && same_hash(got, hash);
    OPENSSL_cleanse(data, sizeof(*data));
    free(data);
    return ok;
}
