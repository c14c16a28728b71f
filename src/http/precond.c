/* Conditional requests; see precond.h. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "http/etag.h"
#include "http/httpdate.h"
#include "http/precond.h"

/*
 * An HTTP-date field value, without the OWS the field line may put around
 * it (RFC 9112 section 5), for httpdate_parse(). -1 when it is not a valid
 * date: RFC 9110 sections 13.1.3 and 13.1.4 then make the field ignored.
 */
static int
parse_date(const char *v, time_t now, time_t *t)
{
    size_t len;

    while (*v == ' ' || *v == '\t')
        v++;
    len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    return httpdate_parse(v, len, now, t);
}

/*
 * Steps 1 to 4 of RFC 9110 section 13.2.2; step 5 (If-Range) is
 * precond_if_range(), for the caller to apply to a GET with Range.
 */
enum precond_rc
precond_evaluate(const struct precond_hdrs *h, bool get_or_head,
                 const char *etag, time_t mtime, time_t now)
{
    time_t date;

    /* 1. If-Match, strong comparison (section 13.1.1). */
    if (h->if_match != NULL) {
        if (!etag_list_match(h->if_match, etag, false))
            return PRECOND_FAILED;
    } else if (h->if_unmodified_since != NULL &&
               parse_date(h->if_unmodified_since, now, &date) == 0 &&
               mtime > date) {
        /* 2. If-Unmodified-Since, only without If-Match (13.1.4). */
        return PRECOND_FAILED;
    }
    /* 3. If-None-Match, weak comparison (section 13.1.2). */
    if (h->if_none_match != NULL) {
        if (etag_list_match(h->if_none_match, etag, true))
            return get_or_head ? PRECOND_NOT_MODIFIED : PRECOND_FAILED;
    } else if (get_or_head && h->if_modified_since != NULL &&
               parse_date(h->if_modified_since, now, &date) == 0 &&
               mtime <= date) {
        /* 4. If-Modified-Since, GET/HEAD only, without If-None-Match. */
        return PRECOND_NOT_MODIFIED;
    }
    return PRECOND_PASS;
}

/*
 * Is v one entity-tag and nothing else, but for trailing OWS? Only its
 * shape: etag_list_match() checks the bytes inside the quotes, and this
 * rules out the lists (a comma after the closing quote) it would accept.
 */
static bool
one_tag(const char *v)
{
    const char *close;

    if (v[0] == 'W' && v[1] == '/')
        v += 2;
    if (*v != '"')
        return false;
    close = strchr(v + 1, '"');
    if (close == NULL)
        return false;
    for (v = close + 1; *v == ' ' || *v == '\t'; v++)
        ;
    return *v == '\0';
}

/*
 * Section 13.1.5: a value is an entity-tag when it starts with DQUOTE or
 * "W/" (a date starts with a day name), else an HTTP-date. The tag must
 * match strongly, so a weak one never does; the date must equal mtime.
 */
bool
precond_if_range(const char *if_range, const char *etag, time_t mtime,
                 time_t now)
{
    const char *v = if_range;
    time_t date;

    if (v == NULL)
        return true;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v == '"' || (v[0] == 'W' && v[1] == '/'))
        return one_tag(v) && etag_list_match(v, etag, false);
    return parse_date(v, now, &date) == 0 && date == mtime;
}
