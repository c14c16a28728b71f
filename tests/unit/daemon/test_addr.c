/* Unit tests for include/addr.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon/addr.h"

struct addr_case {
    const char *name;
    const char *text;
    int rc;
    int family;       /* when rc is 0 */
    unsigned port;    /* when rc is 0 */
    const char *back; /* addr_format() of the result, when rc is 0 */
};

static const struct addr_case addr_cases[] = {
    /* Good. */
    {"IPv4 loopback", "127.0.0.1:8080", 0, AF_INET, 8080, "127.0.0.1:8080"},
    {"IPv4 any, port 0", "0.0.0.0:0", 0, AF_INET, 0, "0.0.0.0:0"},
    {"IPv4 broadcast, top port", "255.255.255.255:65535", 0, AF_INET, 65535,
     "255.255.255.255:65535"},
    {"IPv4 leading zeros in port", "10.0.0.5:00080", 0, AF_INET, 80,
     "10.0.0.5:80"},
    {"IPv6 loopback", "[::1]:443", 0, AF_INET6, 443, "[::1]:443"},
    {"IPv6 any, top port", "[::]:65535", 0, AF_INET6, 65535, "[::]:65535"},
    {"IPv6 link-local", "[fe80::1]:1", 0, AF_INET6, 1, "[fe80::1]:1"},
    {"IPv6 long form", "[0:0:0:0:0:0:0:1]:80", 0, AF_INET6, 80, "[::1]:80"},
    {"IPv6 upper case", "[2001:DB8::A]:8443", 0, AF_INET6, 8443,
     "[2001:db8::a]:8443"},
    {"IPv4-mapped IPv6", "[::ffff:192.0.2.1]:80", 0, AF_INET6, 80,
     "[::ffff:192.0.2.1]:80"},
    {"longest IPv6 text", "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:1",
     0, AF_INET6, 1, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1"},
    /* Bad. */
    {"empty", "", -1, 0, 0, NULL},
    {"port only", ":80", -1, 0, 0, NULL},
    {"no port", "127.0.0.1", -1, 0, 0, NULL},
    {"empty port", "127.0.0.1:", -1, 0, 0, NULL},
    {"port 65536", "127.0.0.1:65536", -1, 0, 0, NULL},
    {"negative port", "127.0.0.1:-1", -1, 0, 0, NULL},
    {"plus sign", "127.0.0.1:+80", -1, 0, 0, NULL},
    {"letter in port", "127.0.0.1:8o", -1, 0, 0, NULL},
    {"space after port", "127.0.0.1:80 ", -1, 0, 0, NULL},
    {"space before host", " 127.0.0.1:80", -1, 0, 0, NULL},
    {"port overflows 64 bits", "127.0.0.1:99999999999999999999", -1, 0, 0,
     NULL},
    {"host name", "localhost:80", -1, 0, 0, NULL},
    {"IPv4 shorthand", "127.1:80", -1, 0, 0, NULL},
    {"five IPv4 parts", "1.2.3.4.5:80", -1, 0, 0, NULL},
    {"IPv4 part over 255", "1.2.3.256:80", -1, 0, 0, NULL},
    {"IPv4 too long for its buffer", "255.255.255.2555:80", -1, 0, 0, NULL},
    {"IPv6 without port", "[::1]", -1, 0, 0, NULL},
    {"IPv6 without colon", "[::1]80", -1, 0, 0, NULL},
    {"IPv6 empty port", "[::1]:", -1, 0, 0, NULL},
    {"IPv6 port junk", "[::1]:443x", -1, 0, 0, NULL},
    {"IPv6 unbracketed", "::1:80", -1, 0, 0, NULL},
    {"IPv6 unclosed", "[::1", -1, 0, 0, NULL},
    {"IPv6 empty", "[]:80", -1, 0, 0, NULL},
    {"IPv6 two brackets", "[::1]]:80", -1, 0, 0, NULL},
    {"IPv6 zone", "[fe80::1%eth0]:80", -1, 0, 0, NULL},
    {"IPv4 in brackets", "[127.0.0.1]:80", -1, 0, 0, NULL},
    {"IPv6 port 65536", "[::1]:65536", -1, 0, 0, NULL},
};

static unsigned
check_case(const struct addr_case *c)
{
    struct sockaddr_storage ss, again;
    socklen_t sslen = 0, againlen = 0;
    char text[ADDR_TEXT_LEN];
    unsigned port;
    int rc;

    memset(&ss, 0, sizeof(ss));
    rc = addr_parse(c->text, &ss, &sslen);
    if (rc != c->rc) {
        print_error("%s: \"%s\" rc %d, want %d\n", c->name, c->text, rc, c->rc);
        return 1;
    }
    if (rc != 0)
        return 0;
    if (ss.ss_family == AF_INET) {
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        if (sslen != sizeof(struct sockaddr_in))
            port = ~0u;
    } else {
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        if (sslen != sizeof(struct sockaddr_in6))
            port = ~0u;
    }
    addr_format((struct sockaddr *)&ss, text);
    if (ss.ss_family != c->family || port != c->port ||
        strcmp(text, c->back) != 0) {
        print_error("%s: family %d port %u \"%s\", want %d %u \"%s\"\n",
                    c->name, ss.ss_family, port, text, c->family, c->port,
                    c->back);
        return 1;
    }
    /* Round trip: the formatted text parses to the same address. */
    memset(&again, 0, sizeof(again));
    if (addr_parse(text, &again, &againlen) != 0 || againlen != sslen ||
        memcmp(&again, &ss, sslen) != 0) {
        print_error("%s: \"%s\" does not parse back\n", c->name, text);
        return 1;
    }
    return 0;
}

static void
test_addr_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++)
        failures += check_case(&addr_cases[i]);
    assert_int_equal(failures, 0);
}

/* prefix, n copies of c, suffix; caller frees. */
static char *
build(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    char *str = malloc(p + n + s + 1);

    assert_non_null(str);
    memcpy(str, prefix, p);
    memset(str + p, c, n);
    memcpy(str + p + n, suffix, s + 1);
    return str;
}

static void
test_long_strings(void **state)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    char *s;

    (void)state;
    s = build("", '1', 300, ":80");
    assert_int_equal(addr_parse(s, &ss, &sslen), -1);
    free(s);
    s = build("[", ':', 300, "]:80");
    assert_int_equal(addr_parse(s, &ss, &sslen), -1);
    free(s);
    s = build("[", 'f', 4096, "]:80");
    assert_int_equal(addr_parse(s, &ss, &sslen), -1);
    free(s);
    s = build("127.0.0.1:", '8', 300, "");
    assert_int_equal(addr_parse(s, &ss, &sslen), -1);
    free(s);
    s = build("127.0.0.1:", '0', 300, "80");
    assert_int_equal(addr_parse(s, &ss, &sslen), 0);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 80);
    free(s);
    s = build("[::1]:", '9', 100000, "");
    assert_int_equal(addr_parse(s, &ss, &sslen), -1);
    free(s);
}

/* Addresses the kernel hands back, formatted without parsing. */
static void
test_format_sockaddrs(void **state)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr_un sun;
    char text[ADDR_TEXT_LEN];

    (void)state;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(4711);
    sin.sin_addr.s_addr = htonl(0x0a000005);
    addr_format((struct sockaddr *)&sin, text);
    assert_string_equal(text, "10.0.0.5:4711");

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(65535);
    memset(&sin6.sin6_addr, 0xff, sizeof(sin6.sin6_addr));
    addr_format((struct sockaddr *)&sin6, text);
    assert_string_equal(text,
                        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    addr_format((struct sockaddr *)&sun, text);
    assert_string_equal(text, "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_table),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_format_sockaddrs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
