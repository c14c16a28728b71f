/* The access policy; see access.h and docs/access.md. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/access.h"
#include "daemon/config.h"
#include "daemon/cred.h"
#include "util/errbuf.h"

struct acl_rule {
    struct acl_cidr cidr;
    bool allow;
};

struct acl_list {
    struct acl_rule rules[CONFIG_MAX_ACL];
    size_t n;
};

struct path_rule {
    char prefix[256]; /* root-relative, as path_canonicalize() writes */
    size_t len;
    bool has_list; /* the section had allow or deny */
    struct acl_list list;
    bool auth; /* credentials needed here */
};

struct access {
    struct acl_list list; /* [access] allow/deny */
    struct acl_cidr trusted[CONFIG_MAX_ACL];
    size_t ntrusted;
    struct path_rule paths[CONFIG_MAX_PATHS];
    size_t npaths;
    bool auth;               /* credentials needed outside the path sections */
    struct cred_user *users; /* sorted by name */
    size_t nusers;
    struct cred_token *tokens;
    size_t ntokens;
    char challenge[ACCESS_CHALLENGE_MAX];
    /* Keys this policy's cache digests: a new policy (a reload) never
     * hits an entry an old one made, whatever its users were. */
    unsigned char cache_key[32];
};

static int
fill_list(struct acl_list *l, char *const items[], unsigned n)
{
    l->n = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *t = items[i];

        if (acl_cidr_parse(t + 1, strlen(t + 1), &l->rules[l->n].cidr, NULL,
                           0) == -1)
            return -1; /* config.c checked it: cannot happen */
        l->rules[l->n++].allow = t[0] == '+';
    }
    return 0;
}

/* First match wins; no match lets the client in (as nginx does). */
static bool
list_allows(const struct acl_list *l, const struct acl_addr *a)
{
    for (size_t i = 0; i < l->n; i++)
        if (acl_cidr_match(&l->rules[i].cidr, a))
            return l->rules[i].allow;
    return true;
}

/*
 * Calls take() on each line of path ("\r\n" or "\n" cut off), with its
 * number; a line take() refuses, or a read error, fails with
 * "path:line: reason" in err.
 */
static int
read_lines(const char *path,
           int (*take)(struct access *, const char *, size_t, char *, size_t),
           struct access *ac, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    char *line = NULL, why[200];
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int rc = 0;

    if (fp == NULL) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && (n = getline(&line, &cap, fp)) != -1) {
        size_t len = (size_t)n;

        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (take(ac, line, len, why, sizeof(why)) == -1) {
            errbuf_set(err, errlen, "%s:%u: %s", path, lineno, why);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(fp)) {
        errbuf_set(err, errlen, "%s: cannot be read", path);
        rc = -1;
    }
    if (line != NULL)
        OPENSSL_cleanse(line, cap);
    free(line);
    fclose(fp);
    return rc;
}

static int
take_user(struct access *ac, const char *line, size_t len, char *why,
          size_t whylen)
{
    struct cred_user u, *grown;

    switch (cred_htpasswd_line(line, len, &u, why, whylen)) {
    case CRED_LINE_SKIP:
        return 0;
    case CRED_LINE_BAD:
        return -1;
    case CRED_LINE_ENTRY:
        break;
    }
    grown = realloc(ac->users, (ac->nusers + 1) * sizeof(*grown));
    if (grown == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    ac->users = grown;
    ac->users[ac->nusers++] = u;
    return 0;
}

static int
take_token(struct access *ac, const char *line, size_t len, char *why,
           size_t whylen)
{
    struct cred_token t, *grown;

    switch (cred_token_line(line, len, &t, why, whylen)) {
    case CRED_LINE_SKIP:
        return 0;
    case CRED_LINE_BAD:
        return -1;
    case CRED_LINE_ENTRY:
        break;
    }
    for (size_t i = 0; i < ac->ntokens; i++) {
        if (memcmp(ac->tokens[i].sha256, t.sha256, 32) == 0) {
            errbuf_set(why, whylen, "the same token twice");
            return -1;
        }
    }
    grown = realloc(ac->tokens, (ac->ntokens + 1) * sizeof(*grown));
    if (grown == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    ac->tokens = grown;
    ac->tokens[ac->ntokens++] = t;
    return 0;
}

static int
user_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cred_user *)a)->name,
                  ((const struct cred_user *)b)->name);
}

static int
load_users(struct access *ac, const char *path, char *err, size_t errlen)
{
    if (read_lines(path, take_user, ac, err, errlen) == -1)
        return -1;
    if (ac->nusers == 0) {
        errbuf_set(err, errlen, "%s: no users", path);
        return -1;
    }
    qsort(ac->users, ac->nusers, sizeof(*ac->users), user_cmp);
    for (size_t i = 1; i < ac->nusers; i++) {
        if (strcmp(ac->users[i - 1].name, ac->users[i].name) == 0) {
            errbuf_set(err, errlen, "%s: user '%s' is listed twice", path,
                       ac->users[i].name);
            return -1;
        }
    }
    return 0;
}

static int
load_tokens(struct access *ac, const char *path, char *err, size_t errlen)
{
    if (read_lines(path, take_token, ac, err, errlen) == -1)
        return -1;
    if (ac->ntokens == 0) {
        errbuf_set(err, errlen, "%s: no tokens", path);
        return -1;
    }
    return 0;
}

/*
 * Basic realm="..." (Bearer realm="..." with tokens only), with '"' and
 * '\' escaped (RFC 9110 5.6.4). The realm is at most 256 bytes here.
 */
static void
make_challenge(struct access *ac, const char *realm)
{
    bool basic = ac->nusers > 0 || ac->ntokens == 0;
    char *p = ac->challenge;
    char *end = ac->challenge + 13 + 2 * 256;

    memcpy(p, basic ? "Basic realm=\"" : "Bearer realm=\"", basic ? 13 : 14);
    p += basic ? 13 : 14;
    for (; *realm != '\0' && p < end; realm++) {
        if (*realm == '"' || *realm == '\\')
            *p++ = '\\';
        *p++ = *realm;
    }
    if (basic)
        memcpy(p, "\", charset=\"UTF-8\"", sizeof("\", charset=\"UTF-8\""));
    else
        memcpy(p, "\"", 2);
}

static int
fill_paths(struct access *ac, const struct config *cfg, char *err,
           size_t errlen)
{
    for (unsigned i = 0; i < cfg->npaths; i++) {
        const struct config_path *cp = &cfg->paths[i];
        struct path_rule *r = &ac->paths[ac->npaths++];
        const char *prefix = cp->prefix + 1; /* the leading '/' */

        r->len = strlen(prefix);
        if (r->len >= sizeof(r->prefix)) {
            errbuf_set(err, errlen, "path \"%s\": prefix too long", cp->prefix);
            return -1;
        }
        memcpy(r->prefix, prefix, r->len + 1);
        r->has_list = cp->nacl > 0;
        if (fill_list(&r->list, cp->acl, cp->nacl) == -1) {
            errbuf_set(err, errlen, "path \"%s\": bad rule", cp->prefix);
            return -1;
        }
        r->auth = cp->auth == -1 ? ac->auth : cp->auth == 1;
    }
    return 0;
}

struct access *
access_new(const struct config *cfg, char *err, size_t errlen)
{
    struct access *ac = calloc(1, sizeof(*ac));

    if (ac == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    if (RAND_bytes(ac->cache_key, sizeof(ac->cache_key)) != 1) {
        errbuf_set(err, errlen, "no random bytes for the cache key");
        goto fail;
    }
    ac->auth = cfg->htpasswd != NULL || cfg->tokens != NULL;
    if (fill_list(&ac->list, cfg->acl, cfg->nacl) == -1)
        goto bad_rule;
    for (unsigned i = 0; i < cfg->ntrusted_proxies; i++)
        if (acl_cidr_parse(cfg->trusted_proxies[i],
                           strlen(cfg->trusted_proxies[i]),
                           &ac->trusted[ac->ntrusted++], NULL, 0) == -1)
            goto bad_rule;
    if (fill_paths(ac, cfg, err, errlen) == -1)
        goto fail;
    if (cfg->htpasswd != NULL &&
        load_users(ac, cfg->htpasswd, err, errlen) == -1)
        goto fail;
    if (cfg->tokens != NULL && load_tokens(ac, cfg->tokens, err, errlen) == -1)
        goto fail;
    make_challenge(ac, cfg->auth_realm != NULL ? cfg->auth_realm : "symsrvd");
    return ac;
bad_rule:
    errbuf_set(err, errlen, "access: a CIDR rule does not parse");
fail:
    access_free(ac);
    return NULL;
}

void
access_free(struct access *ac)
{
    if (ac == NULL)
        return;
    if (ac->users != NULL)
        OPENSSL_cleanse(ac->users, ac->nusers * sizeof(*ac->users));
    free(ac->users);
    free(ac->tokens);
    OPENSSL_cleanse(ac, sizeof(*ac));
    free(ac);
}

struct guard_limits
access_guard_limits(const struct config *cfg)
{
    return (struct guard_limits){cfg->auth_max_failures, cfg->auth_window,
                                 cfg->auth_lockout};
}

const char *
access_challenge(const struct access *ac)
{
    return ac->challenge;
}

bool
access_ip_allowed(const struct access *ac, const struct acl_addr *client)
{
    return list_allows(&ac->list, client);
}

/* Walks the lines of one forwarding field from the last up. */
static bool
walk_field(const struct access *ac, const struct head *h, const char *name,
           enum acl_fwd_kind kind, struct acl_addr *client)
{
    bool seen = false;

    for (size_t i = h->nfields; i-- > 0;) {
        const struct head_field *f = &h->fields[i];

        if (!head_str_ieq(f->name, name))
            continue;
        seen = true;
        if (!acl_forwarded_client(f->value.p, f->value.len, kind, ac->trusted,
                                  ac->ntrusted, client))
            break;
    }
    return seen;
}

void
access_client(const struct access *ac, const struct acl_addr *peer,
              const struct head *h, struct acl_addr *client)
{
    *client = *peer;
    if (ac == NULL || !acl_cidr_any(ac->trusted, ac->ntrusted, peer))
        return;
    if (!walk_field(ac, h, "X-Forwarded-For", ACL_FWD_XFF, client))
        walk_field(ac, h, "Forwarded", ACL_FWD_FORWARDED, client);
}

/* The longest prefix of the path sections that path starts with, letter
 * case aside: the store finds names in any case, so must the rules. */
static const struct path_rule *
path_rule_of(const struct access *ac, const char *path)
{
    const struct path_rule *best = NULL;

    for (size_t i = 0; i < ac->npaths; i++) {
        const struct path_rule *r = &ac->paths[i];

        if (strncasecmp(path, r->prefix, r->len) == 0 &&
            (best == NULL || r->len > best->len))
            best = r;
    }
    return best;
}

/* The one Authorization value, or NULL; *several when it is repeated. */
static const struct head_str *
authorization(const struct head *h, bool *several)
{
    const struct head_str *v = NULL;

    *several = false;
    for (size_t i = 0; i < h->nfields; i++) {
        if (!head_str_ieq(h->fields[i].name, "Authorization"))
            continue;
        if (v != NULL)
            *several = true;
        v = &h->fields[i].value;
    }
    return v;
}

static const struct cred_user *
find_user(const struct access *ac, const char *name)
{
    struct cred_user key;

    snprintf(key.name, sizeof(key.name), "%s", name);
    return bsearch(&key, ac->users, ac->nusers, sizeof(*ac->users), user_cmp);
}

/* A bearer token's name, or NULL; every stored token is compared. */
static const char *
check_token(const struct access *ac, const struct cred *c)
{
    unsigned char d[32];
    const char *name = NULL;

    if (EVP_Digest(c->token, c->token_len, d, NULL, EVP_sha256(), NULL) != 1)
        return NULL;
    for (size_t i = 0; i < ac->ntokens; i++)
        if (CRYPTO_memcmp(d, ac->tokens[i].sha256, 32) == 0)
            name = ac->tokens[i].name;
    return name;
}

/*
 * Basic: a cache hit (a keyed digest of the whole value, so the password
 * is part of the key), else the slow hash. An unknown user is checked
 * against the first user's hash, so it costs as long as a known one.
 */
static bool
check_basic(const struct access *ac, struct guard *g, const struct head_str *v,
            const struct cred *c, char *user)
{
    unsigned char d[32];
    unsigned dlen = 0;
    const struct cred_user *u;
    bool ok;

    if (ac->nusers == 0)
        return false;
    if (HMAC(EVP_sha256(), ac->cache_key, sizeof(ac->cache_key),
             (const unsigned char *)v->p, v->len, d, &dlen) == NULL ||
        dlen != sizeof(d))
        return false;
    if (guard_cache_find(g, d, user))
        return true;
    u = find_user(ac, c->user);
    ok = cred_verify(u != NULL ? u->hash : ac->users[0].hash, c->pass) &&
         u != NULL;
    if (ok) {
        snprintf(user, ACCESS_USER_LEN, "%s", u->name);
        guard_cache_put(g, d, u->name);
    }
    return ok;
}

static bool
check_credentials(const struct access *ac, struct guard *g,
                  const struct head *h, bool *attempted, char *user)
{
    bool several;
    const struct head_str *v = authorization(h, &several);
    struct cred c;
    enum cred_kind kind;
    const char *name;
    bool ok = false;

    *attempted = v != NULL;
    if (v == NULL)
        return false;
    kind = several ? CRED_BAD : cred_parse_authorization(v->p, v->len, &c);
    switch (kind) {
    case CRED_NONE:
        *attempted = false; /* another scheme: a challenge, not a failure */
        break;
    case CRED_BAD:
        break;
    case CRED_BEARER:
        name = check_token(ac, &c);
        if (name != NULL)
            snprintf(user, ACCESS_USER_LEN, "%s", name);
        ok = name != NULL;
        break;
    case CRED_BASIC:
        ok = check_basic(ac, g, v, &c, user);
        break;
    }
    OPENSSL_cleanse(&c, sizeof(c));
    return ok;
}

enum access_rc
access_check(const struct access *ac, struct guard *g, const char *path,
             const struct acl_addr *client, const struct head *h, time_t now,
             struct access_result *res)
{
    const struct path_rule *r = path_rule_of(ac, path);
    bool attempted;

    res->user[0] = '\0';
    res->retry_after = 0;
    if (r != NULL && r->has_list && !list_allows(&r->list, client))
        return ACCESS_FORBIDDEN;
    if (!(r != NULL ? r->auth : ac->auth))
        return ACCESS_OK;
    /* Locked out: even good credentials wait, or guessing would go on. */
    if (guard_locked(g, client, now, &res->retry_after))
        return ACCESS_LOCKED;
    if (check_credentials(ac, g, h, &attempted, res->user))
        return ACCESS_OK;
    res->user[0] = '\0';
    if (attempted && guard_fail(g, client, now)) {
        guard_locked(g, client, now, &res->retry_after);
        return ACCESS_LOCKED;
    }
    return ACCESS_UNAUTHORIZED;
}
