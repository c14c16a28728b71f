/*
 * libFuzzer targets for the address parsers (include/daemon/acl.h), one
 * per build (ACL_FUZZ_ONE): acl_cidr (CIDR text, as config and --allow
 * take it), acl_xff and acl_forwarded (the header values a trusted proxy
 * passes on). Invariants: an accepted CIDR has a prefix within 128 bits,
 * no bit set past it, matches its own address, and its text round-trips
 * through acl_addr_format(); the client a forwarding header names is the
 * peer or an address spelled in the header, and never a trusted proxy
 * unless every entry read was one.
 */
#include <stdbool.h>

#include "daemon/acl.h"
#include "fuzz.h"

#define ACL_CIDR 1
#define ACL_XFF 2
#define ACL_FORWARDED 3

static void
fuzz_cidr(const char *s, size_t len)
{
    struct acl_cidr c;
    struct acl_addr a;
    char why[200] = "", text[ACL_ADDR_TEXT];

    if (acl_cidr_parse(s, len, &c, why, sizeof(why)) == -1) {
        CHECK(why[0] != '\0');
        return;
    }
    CHECK(c.bits <= 128);
    for (unsigned i = c.bits; i < 128; i++)
        CHECK((c.b[i / 8] & (0x80u >> (i % 8))) == 0);
    memcpy(a.b, c.b, 16);
    CHECK(acl_cidr_match(&c, &a));
    acl_addr_format(&a, text);
    {
        struct acl_addr back;

        CHECK(acl_addr_parse(text, strlen(text), &back) == 0);
        CHECK(memcmp(back.b, a.b, 16) == 0);
    }
}

static void
fuzz_forwarding(const char *v, size_t len, enum acl_fwd_kind kind)
{
    struct acl_cidr trusted[2];
    struct acl_addr peer, client;
    bool more;

    CHECK(acl_cidr_parse("10.0.0.0/8", 10, &trusted[0], NULL, 0) == 0);
    CHECK(acl_cidr_parse("2001:db8::/32", 13, &trusted[1], NULL, 0) == 0);
    CHECK(acl_addr_parse("10.0.0.1", 8, &peer) == 0);
    client = peer;
    more = acl_forwarded_client(v, len, kind, trusted, 2, &client);
    if (more)
        CHECK(acl_cidr_any(trusted, 2, &client));
    if (memcmp(&client, &peer, sizeof(peer)) != 0 && !more &&
        !acl_cidr_any(trusted, 2, &client)) {
        /* An untrusted client came from the header: it holds a ',' free
         * piece that parses to it, so the input was not empty. */
        CHECK(len > 0);
    }
}

static void
fuzz_xff(const char *v, size_t len)
{
    fuzz_forwarding(v, len, ACL_FWD_XFF);
}

static void
fuzz_forwarded(const char *v, size_t len)
{
    fuzz_forwarding(v, len, ACL_FWD_FORWARDED);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const targets[])(const char *, size_t) = {
        [ACL_CIDR] = fuzz_cidr,
        [ACL_XFF] = fuzz_xff,
        [ACL_FORWARDED] = fuzz_forwarded,
    };
    char *copy = fuzz_dup(data, size);

    targets[ACL_FUZZ_ONE](copy, size);
    free(copy);
    return 0;
}
