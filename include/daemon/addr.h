/*
 * Listen addresses as the config writes them: "127.0.0.1:8080",
 * "[::1]:8080", "0.0.0.0:443". Numeric only (no name lookup at start-up);
 * port 0 asks the kernel for a free port.
 */
#ifndef SYMSRVD_ADDR_H
#define SYMSRVD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "[ffff:...:ffff]:65535" plus NUL */
#define ADDR_TEXT_LEN 56

/* Parses s into *ss and *sslen. Returns 0, or -1 when s is malformed. */
int addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen);

/* Writes sa as "a.b.c.d:port" or "[v6]:port" into buf[ADDR_TEXT_LEN]. */
void addr_format(const struct sockaddr *sa, char *buf);

#endif
