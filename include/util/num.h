/*
 * The one checked decimal parser: config values, ports, transaction ids.
 * Pure; no locale, no sign, no blanks, no strtoul surprises.
 */
#ifndef SYMSRVD_UTIL_NUM_H
#define SYMSRVD_UTIL_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses s[0..len) as one or more ASCII digits and nothing else, into
 * *out. Returns 0, or -1 when len is 0, a byte is not a digit, or the value
 * exceeds max (checked before each step, so no overflow whatever len is);
 * *out is left alone on failure. Reads no byte at or past s + len.
 */
int num_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif
