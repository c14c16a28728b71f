/*
 * Range requests (RFC 9110 section 14): pure, no I/O.
 */
#ifndef SYMSRVD_RANGE_H
#define SYMSRVD_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* The most ranges one request may ask for (http.max_ranges caps here). */
#define RANGE_MAX 64

/* One satisfiable range, inclusive, clamped to the representation. */
struct range_spec {
    uint64_t first, last;
};

enum range_rc {
    RANGE_NONE,          /* ignore the header: 200 with the whole file */
    RANGE_OK,            /* *n satisfiable ranges in out, request order */
    RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * / size */
};

/*
 * Parses a Range field value hdr[0..len) against a representation of size
 * bytes. hdr need not be NUL-terminated; a NUL inside it is a syntax error.
 * The unit "bytes" is matched case-blind and must be followed at once by
 * "="; OWS before the value, around list elements and around commas is
 * allowed, and empty elements are skipped; forms are "a-b", "a-" and "-n"
 * (no OWS inside), with numbers of any length (overflow is handled: a huge
 * first is beyond the end, a huge last or suffix is clamped, and two huge
 * numbers are still compared exactly). Answers RANGE_NONE for a syntax
 * error, hdr NULL, an unknown unit, no range-spec at all ("bytes=", "bytes=,"),
 * a "b < a" range, more than max range-specs (satisfiable or not; max is taken
 * as RANGE_MAX when larger, and max == 0 refuses every header), satisfiable
 * ranges that overlap (so that the ranges never add up to more than size;
 * adjacent ranges are fine), and for a zero-length representation.
 * RANGE_UNSATISFIABLE when the header is valid but no range is satisfiable
 * ("a-" with a >= size, "-0"). RANGE_OK: out[0..*n) holds the satisfiable
 * ranges in request order, the unsatisfiable ones dropped. out has room for max
 * ranges; *n is 0 unless RANGE_OK, and out may then have been written.
 */
enum range_rc range_parse(const char *hdr, size_t len, uint64_t size,
                          struct range_spec *out, size_t max, size_t *n);

/*
 * A multipart/byteranges body (RFC 9110 section 14.6) is laid out as, for
 * each range in turn,
 *   "--" boundary CRLF
 *   "Content-Type: application/octet-stream" CRLF
 *   "Content-Range: bytes " first "-" last "/" size CRLF
 *   CRLF
 *   the bytes first..last of the representation
 *   CRLF
 * and then, once, the close delimiter "--" boundary "--" CRLF. The CRLF
 * after each part's data is the one RFC 2046 puts before the next
 * delimiter; the first part's header has none before it.
 *
 * range_part_header() writes the first four lines above for r (the part
 * header, ending with the empty line) into buf[bufsz]. Returns its length,
 * snprintf-style: the length it needs, even when that is bufsz or more and
 * buf holds a cut copy, always NUL-terminated when bufsz > 0; buf may be
 * NULL when bufsz is 0.
 */
size_t range_part_header(char *buf, size_t bufsz, const char *boundary,
                         const struct range_spec *r, uint64_t size);

/* The close delimiter "--" boundary "--" CRLF (no CRLF first); as above. */
size_t range_trailer(char *buf, size_t bufsz, const char *boundary);

/*
 * The exact Content-Length of the body laid out above for r[0..n): the
 * sum over the parts of range_part_header(), last - first + 1 and 2 (the
 * CRLF), plus range_trailer(). UINT64_MAX if that does not fit.
 */
uint64_t range_multipart_length(const char *boundary,
                                const struct range_spec *r, size_t n,
                                uint64_t size);

enum range_content_rc {
    RANGE_CONTENT_BAD,   /* not a Content-Range we can use */
    RANGE_CONTENT_RANGE, /* "bytes first-last/size": *r and *size set */
    RANGE_CONTENT_UNSAT, /* a 416's unsatisfied form: *size set */
};

/*
 * Parses a Content-Range field value v[0..len) (RFC 9110 section 14.4),
 * as a remote server sends it with a 206 or a 416: OWS around the value,
 * the unit "bytes" (case-blind), one SP, then "first-last/size" with
 * first <= last < size, or an asterisk directly followed by "/size". A size of
 * "*" (unknown), a NUL, any other unit or blank, and numbers that overflow
 * are RANGE_CONTENT_BAD: the caller then trusts none of it. *r and *size
 * are written only on success. Reads no byte at or past v + len.
 */
enum range_content_rc range_content_parse(const char *v, size_t len,
                                          struct range_spec *r, uint64_t *size);

#endif
