/*
 * Accept-Encoding (RFC 9110 section 12.5.3): pure, no I/O. Which content
 * coding of a representation a client takes, from its q-values.
 */
#ifndef SYMSRVD_ACCEPTENC_H
#define SYMSRVD_ACCEPTENC_H

#include <stdbool.h>
#include <stddef.h>

/* The codings this server can send; identity is the file as stored. */
enum acceptenc_coding {
    ACCEPTENC_IDENTITY,
    ACCEPTENC_GZIP,
    ACCEPTENC_ZSTD,
    ACCEPTENC_CODINGS
};

/* A q-value not given. */
#define ACCEPTENC_UNSET (-1)

/* What the fields said: q-values in thousandths (0..1000), or UNSET. */
struct acceptenc {
    int q[ACCEPTENC_CODINGS]; /* by name ("x-gzip" counts as "gzip") */
    int star;                 /* "*": every coding not named */
};

enum acceptenc_rc {
    ACCEPTENC_OK,
    ACCEPTENC_BAD, /* not #( codings [ weight ] ): read as absent */
};

/* Every q-value UNSET: what a request without the field says. */
void acceptenc_init(struct acceptenc *ae);

/*
 * Adds one Accept-Encoding field value v[0..len) (v need not be
 * NUL-terminated; a NUL in it is a syntax error) to ae, which
 * acceptenc_init() set up: repeated lines are one list (RFC 9110 section
 * 5.3). Grammar: #( codings [ OWS ";" OWS "q=" qvalue ] ), codings a
 * token (case-blind), "identity" or "*"; qvalue "0" [ "." 0*3DIGIT ] or
 * "1" [ "." 0*3"0" ]; empty elements and OWS around commas allowed. A
 * coding named twice keeps its first q. Unknown codings are skipped.
 * ACCEPTENC_BAD leaves ae as it was before the call: a malformed line
 * offers nothing.
 */
enum acceptenc_rc acceptenc_parse(const char *v, size_t len,
                                  struct acceptenc *ae);

/*
 * The q-value (thousandths) ae gives coding c: its own, else that of "*",
 * else 0, except for identity, which stays acceptable unless refused
 * (identity;q=0, or *;q=0 without identity): then it gets 1, the lowest
 * positive q, so that a coding the client named is preferred to it.
 */
int acceptenc_q(const struct acceptenc *ae, enum acceptenc_coding c);

/*
 * The coding to send, among identity and the codings whose bit (1u << c)
 * is in offered: the highest q above 0; ties go to zstd, then gzip, then
 * identity. When nothing offered is acceptable (identity refused too),
 * identity: RFC 9110 section 12.5.3 lets a server disregard the field
 * rather than answer 406, and a symbol client does better with the file.
 */
enum acceptenc_coding acceptenc_choose(const struct acceptenc *ae,
                                       unsigned offered);

/* The coding's name in Content-Encoding ("identity" for identity). */
const char *acceptenc_name(enum acceptenc_coding c);

#endif
