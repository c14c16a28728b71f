/*
 * Listen addresses as users write them:
 *
 *   "127.0.0.1:8080", "[::1]:8080"   numeric: that address
 *   "8080", ":8080", "*:8080"        every address: 0.0.0.0 and [::]
 *   "localhost:8080", "sym.lan:80"   a host name: every address
 *                                    getaddrinfo() gives, deduplicated
 *
 * addr_parse() and addr_split() are pure (no name lookup); addr_resolve()
 * looks names up, once, at start-up. Port 0 asks the kernel for a free
 * port.
 */
#ifndef SYMSRVD_ADDR_H
#define SYMSRVD_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "[ffff:...:ffff]:65535" plus NUL */
#define ADDR_TEXT_LEN 56

/* The longest host name (RFC 1035: 253 characters written out). */
#define ADDR_HOST_MAX 253

/* The longest listen text: a host name, ':', 5 port digits, NUL. */
#define ADDR_INPUT_LEN (ADDR_HOST_MAX + 7)

/* The most addresses one listen text may stand for. */
#define ADDR_RESOLVE_MAX 16

/* Parses numeric s ("IPv4:PORT", "[IPv6]:PORT") into *ss and *sslen.
 * Returns 0, or -1 when s is malformed or not numeric. */
int addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen);

enum addr_host {
    ADDR_ANY,     /* no host, or "*": every address */
    ADDR_NUMERIC, /* IPv4 or [IPv6]: addr_parse() takes it */
    ADDR_NAME     /* a host name, for getaddrinfo() */
};

/*
 * Splits a listen text into its host (written into host[ADDR_HOST_MAX + 1],
 * "" for ADDR_ANY, the name for ADDR_NAME, the address without brackets
 * for ADDR_NUMERIC) and *port. Checks the syntax only: letters, digits,
 * '-' and '.' in labels of 1 to 63; a name whose last label is all digits
 * must be a dotted-quad IPv4. Returns the kind, or -1 when s is malformed.
 */
int addr_split(const char *s, char *host, uint16_t *port);

/*
 * The addresses s stands for, into out[0..*n), at most max (and at most
 * ADDR_RESOLVE_MAX): one for a numeric address, 0.0.0.0 then [::] for
 * ADDR_ANY, every distinct address getaddrinfo() returns for a name, in
 * its order. Returns 0, or -1 with err naming the problem (malformed, the
 * lookup's error, more addresses than max).
 */
int addr_resolve(const char *s, struct sockaddr_storage *out, socklen_t *lens,
                 size_t max, size_t *n, char *err, size_t errlen);

/* Writes sa as "a.b.c.d:port" or "[v6]:port" into buf[ADDR_TEXT_LEN]. */
void addr_format(const struct sockaddr *sa, char *buf);

#endif
