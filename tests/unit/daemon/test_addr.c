/* Unit tests for include/daemon/addr.h. getaddrinfo() is wrapped
 * (-Wl,--wrap) so that a name resolves to what a test says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
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

struct split_case {
    const char *text;
    int kind; /* enum addr_host, or -1 */
    const char *host;
    unsigned port;
};

static const struct split_case split_cases[] = {
    {"8080", ADDR_ANY, "", 8080},
    {"0", ADDR_ANY, "", 0},
    {":8080", ADDR_ANY, "", 8080},
    {"*:443", ADDR_ANY, "", 443},
    {"127.0.0.1:80", ADDR_NUMERIC, "127.0.0.1", 80},
    {"[::1]:80", ADDR_NUMERIC, "::1", 80},
    {"localhost:8080", ADDR_NAME, "localhost", 8080},
    {"LocalHost:1", ADDR_NAME, "LocalHost", 1},
    {"sym-01.example.com.:80", ADDR_NAME, "sym-01.example.com.", 80},
    {"a.b.c.123x:80", ADDR_NAME, "a.b.c.123x", 80},
    {"1host:80", ADDR_NAME, "1host", 80},
    /* Bad. */
    {"", -1, NULL, 0},
    {":", -1, NULL, 0},
    {"*:", -1, NULL, 0},
    {"*", -1, NULL, 0},
    {"**:80", -1, NULL, 0},
    {"65536", -1, NULL, 0},
    {"-1", -1, NULL, 0},
    {"+80", -1, NULL, 0},
    {" 80", -1, NULL, 0},
    {"80 ", -1, NULL, 0},
    {"localhost", -1, NULL, 0},
    {"localhost:", -1, NULL, 0},
    {"localhost:http", -1, NULL, 0},
    {"localhost:65536", -1, NULL, 0},
    {"-host:80", -1, NULL, 0},
    {"host-:80", -1, NULL, 0},
    {"a..b:80", -1, NULL, 0},
    {".a:80", -1, NULL, 0},
    {"a.:80", ADDR_NAME, "a.", 80},
    {"a..:80", -1, NULL, 0},
    {".:80", -1, NULL, 0},
    {"ho_st:80", -1, NULL, 0},
    {"ho st:80", -1, NULL, 0},
    {"h\xc3\xa9:80", -1, NULL, 0},
    {"127.1:80", -1, NULL, 0},
    {"1.2.3.256:80", -1, NULL, 0},
    {"123:80", -1, NULL, 0},
    {"example.123:80", -1, NULL, 0},
    {"::1:80", -1, NULL, 0},
    {"[::1]", -1, NULL, 0},
    {"[localhost]:80", -1, NULL, 0},
    {"*.example:80", -1, NULL, 0},
    {"user@host:80", -1, NULL, 0},
    {"host%eth0:80", -1, NULL, 0},
};

static void
test_split_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const struct split_case *c = &split_cases[i];
        char host[ADDR_HOST_MAX + 1];
        uint16_t port = 0;
        int kind = addr_split(c->text, host, &port);

        if (kind != c->kind ||
            (kind != -1 && (strcmp(host, c->host) != 0 || port != c->port))) {
            print_error("\"%s\": kind %d host \"%s\" port %u, want %d "
                        "\"%s\" %u\n",
                        c->text, kind, kind == -1 ? "" : host, port, c->kind,
                        c->host ? c->host : "", c->port);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Labels of 63 are fine, 64 not; names of 253 fine, 254 not. */
static void
test_split_lengths(void **state)
{
    char host[ADDR_HOST_MAX + 1];
    uint16_t port;
    char *s;

    (void)state;
    s = build("", 'a', 63, ".x:80");
    assert_int_equal(addr_split(s, host, &port), ADDR_NAME);
    free(s);
    s = build("", 'a', 64, ".x:80");
    assert_int_equal(addr_split(s, host, &port), -1);
    free(s);
    /* 253 characters in labels of one: "a.a.a...a" */
    s = malloc(ADDR_HOST_MAX + 16);
    assert_non_null(s);
    for (size_t i = 0; i < ADDR_HOST_MAX; i++)
        s[i] = (i % 2 == 0) ? 'a' : '.';
    strcpy(s + ADDR_HOST_MAX, ":80");
    assert_int_equal(addr_split(s, host, &port), ADDR_NAME);
    assert_int_equal(strlen(host), ADDR_HOST_MAX);
    s[ADDR_HOST_MAX] = '.'; /* 254 with a trailing dot: too long too */
    strcpy(s + ADDR_HOST_MAX + 1, ":80");
    assert_int_equal(addr_split(s, host, &port), -1);
    s[ADDR_HOST_MAX] = 'a'; /* "...a.aa": 254 */
    assert_int_equal(addr_split(s, host, &port), -1);
    free(s);
    s = build("", 'a', 100000, ":80");
    assert_int_equal(addr_split(s, host, &port), -1);
    free(s);
}

/* What the wrapped getaddrinfo() answers: NULL calls the real one. */
static struct addrinfo *fake_res;
static int fake_rc;
static unsigned fake_calls;

int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
int __real_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *res);
void __real_freeaddrinfo(struct addrinfo *res);

int
__wrap_getaddrinfo(const char *node, const char *service,
                   const struct addrinfo *hints, struct addrinfo **res)
{
    fake_calls++;
    if (fake_res == NULL && fake_rc == 0)
        return __real_getaddrinfo(node, service, hints, res);
    *res = fake_res;
    return fake_rc;
}

void
__wrap_freeaddrinfo(struct addrinfo *res)
{
    if (res != fake_res)
        __real_freeaddrinfo(res);
}

/* A fake answer: IPv4 and IPv6 addresses, each twice (as getaddrinfo
 * gives one per socket type), and an AF_UNIX entry to be skipped. */
struct fake_answer {
    struct addrinfo ai[6];
    struct sockaddr_in sin[2];
    struct sockaddr_in6 sin6[1];
    struct sockaddr_un sun;
};

static void
fake_answer_make(struct fake_answer *f)
{
    struct addrinfo *ai = f->ai;

    memset(f, 0, sizeof(*f));
    f->sin[0].sin_family = AF_INET;
    f->sin[0].sin_port = htons(53); /* replaced by the listen port */
    inet_pton(AF_INET, "192.0.2.7", &f->sin[0].sin_addr);
    f->sin[1].sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.8", &f->sin[1].sin_addr);
    f->sin6[0].sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2001:db8::7", &f->sin6[0].sin6_addr);
    f->sun.sun_family = AF_UNIX;
    ai[0] = (struct addrinfo){.ai_family = AF_INET,
                              .ai_addrlen = sizeof(f->sin[0]),
                              .ai_addr = (struct sockaddr *)&f->sin[0]};
    ai[1] = ai[0];
    ai[2] = (struct addrinfo){.ai_family = AF_INET6,
                              .ai_addrlen = sizeof(f->sin6[0]),
                              .ai_addr = (struct sockaddr *)&f->sin6[0]};
    ai[3] = (struct addrinfo){.ai_family = AF_UNIX,
                              .ai_addrlen = sizeof(f->sun),
                              .ai_addr = (struct sockaddr *)&f->sun};
    ai[4] = ai[2];
    ai[5] = (struct addrinfo){.ai_family = AF_INET,
                              .ai_addrlen = sizeof(f->sin[1]),
                              .ai_addr = (struct sockaddr *)&f->sin[1]};
    for (int i = 0; i < 5; i++)
        ai[i].ai_next = &ai[i + 1];
}

/* addr_resolve() of s, formatted "a,b,c" into out, or the error. */
static int
resolve_text(const char *s, size_t max, char *out, size_t outlen)
{
    struct sockaddr_storage ss[ADDR_RESOLVE_MAX];
    socklen_t lens[ADDR_RESOLVE_MAX];
    char err[300] = "";
    size_t n = 99;
    int rc = addr_resolve(s, ss, lens, max, &n, err, sizeof(err));

    out[0] = '\0';
    if (rc == -1) {
        assert_int_equal(n, 0);
        snprintf(out, outlen, "%s", err);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char text[ADDR_TEXT_LEN];
        size_t used = strlen(out);

        assert_int_equal(lens[i], ss[i].ss_family == AF_INET
                                      ? sizeof(struct sockaddr_in)
                                      : sizeof(struct sockaddr_in6));
        addr_format((struct sockaddr *)&ss[i], text);
        snprintf(out + used, outlen - used, "%s%s", i > 0 ? "," : "", text);
    }
    return 0;
}

static void
test_resolve_any_and_numeric(void **state)
{
    char out[512];

    (void)state;
    fake_calls = 0;
    assert_int_equal(resolve_text("8080", 16, out, sizeof(out)), 0);
    assert_string_equal(out, "0.0.0.0:8080,[::]:8080");
    assert_int_equal(resolve_text(":0", 16, out, sizeof(out)), 0);
    assert_string_equal(out, "0.0.0.0:0,[::]:0");
    assert_int_equal(resolve_text("*:443", 2, out, sizeof(out)), 0);
    assert_string_equal(out, "0.0.0.0:443,[::]:443");
    assert_int_equal(resolve_text("*:443", 1, out, sizeof(out)), -1);
    assert_string_equal(out, "*:443: more than 1 addresses");
    assert_int_equal(resolve_text("[::1]:80", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "[::1]:80");
    assert_int_equal(resolve_text("10.0.0.5:00080", 16, out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.0.5:80");
    assert_int_equal(resolve_text("10.0.0.5:80", 0, out, sizeof(out)), -1);
    assert_string_equal(out, "10.0.0.5:80: more than 0 addresses");
    assert_int_equal(resolve_text("127.1:80", 16, out, sizeof(out)), -1);
    assert_string_equal(out, "127.1:80: malformed address");
    assert_int_equal(resolve_text("[::1]", 16, out, sizeof(out)), -1);
    assert_string_equal(out, "[::1]: malformed address");
    /* None of these asks the resolver. */
    assert_int_equal(fake_calls, 0);
}

static void
test_resolve_name(void **state)
{
    struct fake_answer f;
    char out[512];

    (void)state;
    fake_answer_make(&f);
    fake_res = f.ai;
    fake_rc = 0;
    assert_int_equal(resolve_text("sym.example:8080", 16, out, sizeof(out)), 0);
    assert_string_equal(out,
                        "192.0.2.7:8080,[2001:db8::7]:8080,192.0.2.8:8080");
    /* Three distinct addresses do not fit in two; nor in more than
     * ADDR_RESOLVE_MAX whatever max says. */
    assert_int_equal(resolve_text("sym.example:80", 2, out, sizeof(out)), -1);
    assert_string_equal(out, "sym.example:80: more than 2 addresses");
    /* Only entries that are not IPv4 or IPv6. */
    f.ai[3].ai_next = NULL;
    fake_res = &f.ai[3];
    assert_int_equal(resolve_text("unix.example:80", 16, out, sizeof(out)), -1);
    assert_string_equal(out, "unix.example:80: no IPv4 or IPv6 address");
    /* The resolver's own error, named. */
    fake_res = NULL;
    fake_rc = EAI_NONAME;
    assert_int_equal(resolve_text("nowhere.example:80", 16, out, sizeof(out)),
                     -1);
    assert_string_equal(out, "nowhere.example:80: Name or service not known");
    fake_rc = 0;
}

/* The real resolver: localhost has 127.0.0.1 in /etc/hosts everywhere. */
static void
test_resolve_localhost(void **state)
{
    char out[512];

    (void)state;
    fake_res = NULL;
    fake_rc = 0;
    assert_int_equal(resolve_text("localhost:8080", 16, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "127.0.0.1:8080"));
    /* Each address once, though glibc answers per socket type. */
    assert_null(strstr(strstr(out, "127.0.0.1:8080") + 1, "127.0.0.1:8080"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_table),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_format_sockaddrs),
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_split_lengths),
        cmocka_unit_test(test_resolve_any_and_numeric),
        cmocka_unit_test(test_resolve_name),
        cmocka_unit_test(test_resolve_localhost),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
