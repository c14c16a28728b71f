/* Hexadecimal digits, both ways. Pure. */
#ifndef SYMSRVD_UTIL_HEX_H
#define SYMSRVD_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* The value of one hex digit (either case), or -1 for any other byte. */
int hex_value(unsigned char c);

/* Writes the 2n digits of p[0..n) (upper or lower case) and a NUL into
 * out, which holds 2n + 1 bytes. */
void hex_encode(const unsigned char *p, size_t n, bool upper, char *out);

#endif
