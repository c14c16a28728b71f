/* Client addresses and CIDR rules; see acl.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "daemon/acl.h"
#include "util/errbuf.h"
#include "util/num.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

static void
set_v4(struct acl_addr *out, const void *four)
{
    memcpy(out->b, v4_mapped_prefix, 12);
    memcpy(out->b + 12, four, 4);
}

bool
acl_addr_is_v4(const struct acl_addr *a)
{
    return memcmp(a->b, v4_mapped_prefix, 12) == 0;
}

int
acl_addr_parse(const char *s, size_t len, struct acl_addr *out)
{
    char buf[ACL_ADDR_TEXT];
    uint8_t four[4];

    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, four) == 1) {
        set_v4(out, four);
        return 0;
    }
    return inet_pton(AF_INET6, buf, out->b) == 1 ? 0 : -1;
}

int
acl_addr_from_sockaddr(const struct sockaddr *sa, struct acl_addr *out)
{
    if (sa->sa_family == AF_INET) {
        set_v4(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->b,
               &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

void
acl_addr_format(const struct acl_addr *a, char buf[ACL_ADDR_TEXT])
{
    const char *ok = acl_addr_is_v4(a)
                         ? inet_ntop(AF_INET, a->b + 12, buf, ACL_ADDR_TEXT)
                         : inet_ntop(AF_INET6, a->b, buf, ACL_ADDR_TEXT);

    if (ok == NULL)
        memcpy(buf, "-", 2);
}

/* Are the bits of b past the first `bits` all zero? */
static bool
host_bits_clear(const uint8_t b[16], unsigned bits)
{
    for (unsigned i = bits; i < 128; i++)
        if (b[i / 8] & (0x80u >> (i % 8)))
            return false;
    return true;
}

int
acl_cidr_parse(const char *s, size_t len, struct acl_cidr *out, char *why,
               size_t whylen)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - s) : len;
    struct acl_addr a;
    uint64_t n = 0;
    bool v4;

    if (len == 3 && memcmp(s, "all", 3) == 0) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    if (len > ACL_CIDR_TEXT_MAX || acl_addr_parse(s, alen, &a) == -1) {
        errbuf_set(why, whylen, "'%.*s' is not an IPv4 or IPv6 address/prefix",
                   (int)(len > ACL_CIDR_TEXT_MAX ? ACL_CIDR_TEXT_MAX : len), s);
        return -1;
    }
    /* "::ffff:1.2.3.4" is written as IPv6: its prefix counts 128 bits. */
    v4 = memchr(s, ':', alen) == NULL;
    if (slash != NULL &&
        num_parse_u64(slash + 1, len - alen - 1, v4 ? 32 : 128, &n) == -1) {
        errbuf_set(why, whylen, "'%.*s': the prefix length is not 0 to %u",
                   (int)len, s, v4 ? 32u : 128u);
        return -1;
    }
    if (slash == NULL)
        n = v4 ? 32 : 128;
    out->bits = (unsigned)n + (v4 ? 96u : 0u);
    memcpy(out->b, a.b, 16);
    if (!host_bits_clear(out->b, out->bits)) {
        errbuf_set(why, whylen, "'%.*s' has bits set past its prefix length",
                   (int)len, s);
        return -1;
    }
    return 0;
}

bool
acl_cidr_match(const struct acl_cidr *c, const struct acl_addr *a)
{
    unsigned whole = c->bits / 8, rest = c->bits % 8;

    if (memcmp(c->b, a->b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((c->b[whole] ^ a->b[whole]) & (0xff00u >> rest) & 0xff) == 0;
}

bool
acl_cidr_any(const struct acl_cidr *set, size_t n, const struct acl_addr *a)
{
    for (size_t i = 0; i < n; i++)
        if (acl_cidr_match(&set[i], a))
            return true;
    return false;
}

/* Entries of one header kept for the walk: the rightmost ones matter. */
#define FWD_MAX 32

struct slice {
    const char *p;
    size_t len;
};

static struct slice
trim(const char *p, size_t len)
{
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    return (struct slice){p, len};
}

/*
 * An address with an optional port: "1.2.3.4", "1.2.3.4:80", "2001:db8::1",
 * "[2001:db8::1]", "[2001:db8::1]:80". 0 or -1.
 */
static int
node_parse(struct slice s, struct acl_addr *out)
{
    const char *colon;

    if (s.len > 0 && s.p[0] == '[') {
        const char *close = memchr(s.p, ']', s.len);
        size_t after;

        if (close == NULL)
            return -1;
        after = s.len - (size_t)(close - s.p) - 1;
        if (after != 0 && close[1] != ':')
            return -1;
        return acl_addr_parse(s.p + 1, (size_t)(close - s.p) - 1, out);
    }
    colon = memchr(s.p, ':', s.len);
    if (colon != NULL &&
        memchr(colon + 1, ':', s.len - (size_t)(colon - s.p) - 1) == NULL)
        return acl_addr_parse(s.p, (size_t)(colon - s.p), out); /* v4:port */
    return acl_addr_parse(s.p, s.len, out);
}

/* Splits v at commas outside quoted strings; keeps the last FWD_MAX. */
static size_t
split_elements(const char *v, size_t len, struct slice *out)
{
    size_t n = 0, start = 0;
    bool quoted = false;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && v[i] == '"')
            quoted = !quoted;
        else if (i < len && v[i] == '\\' && quoted)
            i++;
        if (i < len && (quoted || v[i] != ','))
            continue;
        if (n == FWD_MAX) {
            memmove(out, out + 1, (FWD_MAX - 1) * sizeof(*out));
            n--;
        }
        out[n++] = trim(v + start, (i < len ? i : len) - start);
        start = i + 1;
    }
    return n;
}

/* The node of a Forwarded element's for= parameter (RFC 7239 4), unquoted
 * (a quoted-pair inside is not an address anyway). 0 or -1. */
static int
forwarded_for(struct slice e, struct acl_addr *out)
{
    size_t i = 0;

    while (i < e.len) {
        size_t end = i;
        struct slice pair;

        while (end < e.len && e.p[end] != ';')
            end++;
        pair = trim(e.p + i, end - i);
        if (pair.len > 4 && (pair.p[0] | 0x20) == 'f' &&
            (pair.p[1] | 0x20) == 'o' && (pair.p[2] | 0x20) == 'r' &&
            pair.p[3] == '=') {
            struct slice v = {pair.p + 4, pair.len - 4};

            if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
                v = (struct slice){v.p + 1, v.len - 2};
            return node_parse(v, out);
        }
        i = end + 1;
    }
    return -1;
}

bool
acl_forwarded_client(const char *value, size_t len, enum acl_fwd_kind kind,
                     const struct acl_cidr *trusted, size_t ntrusted,
                     struct acl_addr *client)
{
    struct slice e[FWD_MAX];
    size_t n = split_elements(value, len, e);

    while (n-- > 0) {
        struct acl_addr a;
        int rc = kind == ACL_FWD_XFF ? node_parse(e[n], &a)
                                     : forwarded_for(e[n], &a);

        if (rc == -1)
            return false; /* the last trusted hop stays the client */
        *client = a;
        if (!acl_cidr_any(trusted, ntrusted, &a))
            return false;
    }
    return true;
}
