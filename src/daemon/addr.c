/* Listen addresses; see addr.h. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/addr.h"
#include "util/errbuf.h"
#include "util/num.h"

/* Port digits after the colon: 0-65535, no sign, no leading junk. */
static int
parse_port(const char *s, in_port_t *port)
{
    uint64_t v;

    if (num_parse_u64(s, strlen(s), 65535, &v) == -1)
        return -1;
    *port = htons((uint16_t)v);
    return 0;
}

static int
parse_v6(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    const char *close = strchr(s, ']');
    char host[INET6_ADDRSTRLEN];
    size_t n;

    if (close == NULL || close[1] != ':')
        return -1;
    n = (size_t)(close - s - 1);
    if (n == 0 || n >= sizeof(host))
        return -1;
    memcpy(host, s + 1, n);
    host[n] = '\0';
    memset(sin6, 0, sizeof(*sin6));
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
        parse_port(close + 2, &sin6->sin6_port) == -1)
        return -1;
    *sslen = sizeof(*sin6);
    return 0;
}

static int
parse_v4(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    const char *colon = strrchr(s, ':');
    char host[INET_ADDRSTRLEN];
    size_t n;

    if (colon == NULL)
        return -1;
    n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof(host))
        return -1;
    memcpy(host, s, n);
    host[n] = '\0';
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
        parse_port(colon + 1, &sin->sin_port) == -1)
        return -1;
    *sslen = sizeof(*sin);
    return 0;
}

int
addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen)
{
    if (s[0] == '[')
        return parse_v6(s, ss, sslen);
    return parse_v4(s, ss, sslen);
}

/* Port digits: 0-65535, no sign, no leading junk; host byte order. */
static int
parse_port_value(const char *s, uint16_t *port)
{
    uint64_t v;

    if (num_parse_u64(s, strlen(s), 65535, &v) == -1)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static bool
is_label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-';
}

/*
 * A host name's syntax (RFC 1123 section 2.1): labels of 1 to 63 letters,
 * digits and hyphens, not starting or ending with a hyphen, one trailing
 * dot allowed. A last label of digits only is no top-level domain (RFC
 * 3696 section 2): such a name must be a whole dotted-quad, so "127.1"
 * or "1.2.3.256" is refused rather than read loosely by inet_aton().
 */
static bool
host_name_ok(const char *h, size_t n)
{
    size_t label = 0;
    bool digits = true; /* the label so far is digits only */

    if (n > 0 && h[n - 1] == '.')
        n--;
    if (n == 0 || n > ADDR_HOST_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (label == 0 || label > 63 || h[i - 1] == '-' ||
                h[i - label] == '-')
                return false;
            label = 0;
            if (i < n)
                digits = true;
            continue;
        }
        if (!is_label_char(h[i]))
            return false;
        digits = digits && h[i] >= '0' && h[i] <= '9';
        label++;
    }
    return !digits;
}

static int
split_bracketed(const char *s, char *host, uint16_t *port)
{
    const char *close = strchr(s, ']');
    struct in6_addr a6;
    size_t n;

    if (close == NULL || close[1] != ':')
        return -1;
    n = (size_t)(close - s - 1);
    if (n == 0 || n >= INET6_ADDRSTRLEN)
        return -1;
    memcpy(host, s + 1, n);
    host[n] = '\0';
    if (inet_pton(AF_INET6, host, &a6) != 1 ||
        parse_port_value(close + 2, port) == -1)
        return -1;
    return ADDR_NUMERIC;
}

int
addr_split(const char *s, char *host, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    struct in_addr a4;
    size_t n;

    host[0] = '\0';
    if (s[0] == '[')
        return split_bracketed(s, host, port);
    if (colon == NULL) /* "8080" */
        return parse_port_value(s, port) == 0 ? ADDR_ANY : -1;
    if (parse_port_value(colon + 1, port) == -1)
        return -1;
    n = (size_t)(colon - s);
    if (n == 0 || (n == 1 && s[0] == '*')) /* ":8080", "*:8080" */
        return ADDR_ANY;
    if (n > ADDR_HOST_MAX || memchr(s, ':', n) != NULL)
        return -1; /* an unbracketed IPv6 address is ambiguous */
    memcpy(host, s, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, &a4) == 1)
        return ADDR_NUMERIC;
    return host_name_ok(host, n) ? ADDR_NAME : -1;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* Appends sa unless out[] has it. Returns 0, or -1 when out[] is full. */
static int
add_unique(struct sockaddr_storage *out, socklen_t *lens, size_t max, size_t *n,
           const struct sockaddr *sa, socklen_t len)
{
    for (size_t i = 0; i < *n; i++)
        if (lens[i] == len && memcmp(&out[i], sa, len) == 0)
            return 0;
    if (*n == max)
        return -1;
    memset(&out[*n], 0, sizeof(out[*n]));
    memcpy(&out[*n], sa, len);
    lens[(*n)++] = len;
    return 0;
}

static int
resolve_any(struct sockaddr_storage *out, socklen_t *lens, size_t max,
            size_t *n, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

    sin.sin_addr.s_addr = htonl(INADDR_ANY);
    sin.sin_port = htons(port);
    sin6.sin6_addr = in6addr_any;
    sin6.sin6_port = htons(port);
    if (add_unique(out, lens, max, n, (struct sockaddr *)&sin, sizeof(sin)) ==
            -1 ||
        add_unique(out, lens, max, n, (struct sockaddr *)&sin6, sizeof(sin6)) ==
            -1)
        return -1;
    return 0;
}

/* Every IPv4 and IPv6 address of name, port set, duplicates dropped (one
 * per socket type and protocol would come back otherwise). */
static int
resolve_name(const char *s, const char *name, uint16_t port,
             struct sockaddr_storage *out, socklen_t *lens, size_t max,
             size_t *n, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(name, NULL, &hints, &res);

    if (rc != 0) {
        errbuf_set(err, errlen, "%s: %s", s, gai_strerror(rc));
        return -1;
    }
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        struct sockaddr_storage ss;

        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(ss))
            continue;
        memset(&ss, 0, sizeof(ss));
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        set_port(&ss, port);
        if (add_unique(out, lens, max, n, (struct sockaddr *)&ss,
                       ai->ai_addrlen) == -1) {
            freeaddrinfo(res);
            errbuf_set(err, errlen, "%s: more than %zu addresses", s, max);
            return -1;
        }
    }
    freeaddrinfo(res);
    if (*n == 0) {
        errbuf_set(err, errlen, "%s: no IPv4 or IPv6 address", s);
        return -1;
    }
    return 0;
}

int
addr_resolve(const char *s, struct sockaddr_storage *out, socklen_t *lens,
             size_t max, size_t *n, char *err, size_t errlen)
{
    char host[ADDR_HOST_MAX + 1];
    uint16_t port;
    int kind = addr_split(s, host, &port);

    *n = 0;
    if (max > ADDR_RESOLVE_MAX)
        max = ADDR_RESOLVE_MAX;
    switch (kind) {
    case ADDR_ANY:
        if (resolve_any(out, lens, max, n, port) == 0)
            return 0;
        break;
    case ADDR_NUMERIC:
        if (max > 0 && addr_parse(s, &out[0], &lens[0]) == 0) {
            *n = 1;
            return 0;
        }
        break;
    case ADDR_NAME:
        if (resolve_name(s, host, port, out, lens, max, n, err, errlen) == 0)
            return 0;
        *n = 0;
        return -1;
    default:
        errbuf_set(err, errlen, "%s: malformed address", s);
        return -1;
    }
    *n = 0;
    errbuf_set(err, errlen, "%s: more than %zu addresses", s, max);
    return -1;
}

void
addr_format(const struct sockaddr *sa, char *buf)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        snprintf(buf, ADDR_TEXT_LEN, "[%s]:%u", host, ntohs(sin6->sin6_port));
        return;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        snprintf(buf, ADDR_TEXT_LEN, "%s:%u", host, ntohs(sin->sin_port));
        return;
    }
    snprintf(buf, ADDR_TEXT_LEN, "?");
}
