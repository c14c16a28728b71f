/*
 * Client addresses and CIDR rules, pure: parsing CIDR text, matching an
 * address, and finding the client behind trusted proxies from an
 * X-Forwarded-For or Forwarded (RFC 7239) value. No allocation, no I/O.
 *
 * Every address is kept as 16 bytes: IPv4 as the v4-mapped IPv6 address
 * ::ffff:a.b.c.d, so that a v4-mapped peer of a dual-stack socket matches
 * the IPv4 rules, and an IPv4 rule a.b.c.d/n is ::ffff:a.b.c.d/(96+n).
 */
#ifndef SYMSRVD_DAEMON_ACL_H
#define SYMSRVD_DAEMON_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text acl_addr_format() writes, NUL included. */
#define ACL_ADDR_TEXT 46

/* Longest CIDR text acl_cidr_parse() takes. */
#define ACL_CIDR_TEXT_MAX 64

struct acl_addr {
    uint8_t b[16];
};

struct acl_cidr {
    uint8_t b[16];
    unsigned bits; /* prefix length over the 128 bits */
};

/* An IPv4 or IPv6 address (no port, no brackets) of s[0..len). 0 or -1. */
int acl_addr_parse(const char *s, size_t len, struct acl_addr *out);

/* The address of an AF_INET or AF_INET6 socket address. 0 or -1. */
int acl_addr_from_sockaddr(const struct sockaddr *sa, struct acl_addr *out);

/* The address as text: dotted IPv4 for a v4-mapped one. */
void acl_addr_format(const struct acl_addr *a, char buf[ACL_ADDR_TEXT]);

/* Is a a v4-mapped (IPv4) address? */
bool acl_addr_is_v4(const struct acl_addr *a);

/*
 * "a.b.c.d", "a.b.c.d/n" (n <= 32), an IPv6 address with an optional
 * "/n" (n <= 128), or "all" (::/0). Bits set past the prefix are refused
 * (a typo more often than not). 0, or -1 with a reason in why.
 */
int acl_cidr_parse(const char *s, size_t len, struct acl_cidr *out, char *why,
                   size_t whylen);

bool acl_cidr_match(const struct acl_cidr *c, const struct acl_addr *a);

/* Does a match any of set[0..n)? */
bool acl_cidr_any(const struct acl_cidr *set, size_t n,
                  const struct acl_addr *a);

enum acl_fwd_kind {
    ACL_FWD_XFF,       /* X-Forwarded-For: addr, addr, ... */
    ACL_FWD_FORWARDED, /* Forwarded: for=addr;proto=..., for="[v6]:port" */
};

/*
 * The client behind a trusted proxy. value[0..len) is the header (repeated
 * lines joined with ", "); its entries are read from the right, and each
 * one that is a trusted proxy is skipped: the first that is not is the
 * client. If every entry is trusted the leftmost one is. An entry that is
 * not an address (garbage, "unknown", an obfuscated node) ends the walk:
 * the client is then the last trusted hop read, since nothing to its left
 * can be believed. *client holds the TCP peer on entry (a trusted proxy:
 * the caller checked) and the client on return. Returns true when every
 * entry was a trusted proxy, so that an earlier line of the same field
 * (walked from the last line up) may name the client.
 */
bool acl_forwarded_client(const char *value, size_t len, enum acl_fwd_kind kind,
                          const struct acl_cidr *trusted, size_t ntrusted,
                          struct acl_addr *client);

#endif
