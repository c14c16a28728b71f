/*
 * Conditional requests (RFC 9110 section 13): pure, no I/O.
 */
#ifndef SYMSRVD_PRECOND_H
#define SYMSRVD_PRECOND_H

#include <stdbool.h>
#include <time.h>

/* The precondition fields of a request, NULL when absent. */
struct precond_hdrs {
    const char *if_match;
    const char *if_none_match;
    const char *if_modified_since;
    const char *if_unmodified_since;
};

enum precond_rc {
    PRECOND_PASS,         /* go on: 200 or 206 */
    PRECOND_NOT_MODIFIED, /* 304 */
    PRECOND_FAILED,       /* 412 */
};

/*
 * Evaluates the preconditions in RFC 9110 section 13.2.2 order (steps 1-4;
 * step 5 is precond_if_range()) for a representation with entity tag etag
 * (as etag_format() writes it; NULL when there is none, and then only "*"
 * matches) and modification time mtime; get_or_head says whether the
 * method is GET or HEAD. If-Match (strong comparison; "*" matches) false
 * -> FAILED; only without If-Match, If-Unmodified-Since (mtime > date) ->
 * FAILED; If-None-Match (weak comparison; "*" matches) true ->
 * NOT_MODIFIED for GET/HEAD, FAILED otherwise; only without If-None-Match
 * and only for GET/HEAD, If-Modified-Since (mtime <= date) -> NOT_MODIFIED.
 * A malformed If-Match or If-None-Match list is false (see
 * etag_list_match()) but still present: it makes the date field after it
 * ignored. A date that does not parse (OWS around it is allowed) makes its
 * field ignored. now is the current time, for RFC 850 dates (see
 * httpdate_parse()).
 */
enum precond_rc precond_evaluate(const struct precond_hdrs *h, bool get_or_head,
                                 const char *etag, time_t mtime, time_t now);

/*
 * If-Range (RFC 9110 section 13.1.5): true when the Range may be honoured,
 * that is the value is one entity tag that matches etag strongly (a W/ tag
 * never does; a list is malformed) or an HTTP-date exactly equal to mtime.
 * A value starting with DQUOTE or "W/" is read as an entity tag, anything
 * else as a date; OWS around it is allowed. Anything else, a malformed
 * value included, is false: the Range is then ignored. if_range NULL (no
 * If-Range field) is true.
 */
bool precond_if_range(const char *if_range, const char *etag, time_t mtime,
                      time_t now);

#endif
