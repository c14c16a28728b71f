/* Listen addresses; see addr.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "daemon/addr.h"
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
