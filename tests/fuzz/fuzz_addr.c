/*
 * libFuzzer target for addr_split() and addr_parse() (include/daemon/
 * addr.h): a listen address as a user writes it (NUL-terminated copy).
 * Invariants: a split host fits ADDR_HOST_MAX and holds only the bytes a
 * host name or address may; ADDR_ANY leaves it empty; a text is
 * ADDR_NUMERIC exactly when addr_parse() takes it, and the address it
 * gives formats and parses back to itself; the port is the text's last
 * digits. addr_resolve() is not called: it may ask the network.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "fuzz.h"
#include "daemon/addr.h"

static bool
host_bytes_ok(const char *h)
{
    for (; *h != '\0'; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
              (*h >= '0' && *h <= '9') || *h == '-' || *h == '.' || *h == ':'))
            return false;
    return true;
}

static void
check_numeric(const char *s, uint16_t port)
{
    struct sockaddr_storage ss, again;
    socklen_t len = 0, againlen = 0;
    char text[ADDR_TEXT_LEN];
    uint16_t back = 0;
    char host[ADDR_HOST_MAX + 1];

    CHECK(addr_parse(s, &ss, &len) == 0);
    addr_format((const struct sockaddr *)&ss, text);
    CHECK(addr_parse(text, &again, &againlen) == 0);
    CHECK(againlen == len && memcmp(&again, &ss, len) == 0);
    CHECK(addr_split(text, host, &back) == ADDR_NUMERIC && back == port);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    char host[ADDR_HOST_MAX + 1];
    struct sockaddr_storage ss;
    socklen_t len;
    uint16_t port = 0;
    int kind;

    if (s == NULL)
        return 0;
    kind = addr_split(s, host, &port);
    CHECK(kind == -1 || kind == ADDR_ANY || kind == ADDR_NUMERIC ||
          kind == ADDR_NAME);
    if (kind != ADDR_NUMERIC)
        CHECK(addr_parse(s, &ss, &len) == -1);
    if (kind != -1) {
        CHECK(strlen(host) <= ADDR_HOST_MAX && host_bytes_ok(host));
        CHECK(kind != ADDR_ANY || host[0] == '\0');
        CHECK(kind != ADDR_NAME || strchr(host, ':') == NULL);
        CHECK(kind == ADDR_ANY || host[0] != '\0');
    }
    if (kind == ADDR_NUMERIC)
        check_numeric(s, port);
    free(s);
    return 0;
}
