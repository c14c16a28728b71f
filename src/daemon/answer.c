/* Answers as data; see answer.h. */
#include <string.h>

#include "daemon/answer.h"

void
answer_reset(struct answer *a)
{
    a->status = 0;
    a->body = ANSWER_BODY_NONE;
    a->text = NULL;
    a->allow = a->keyed = a->validators = a->head_only = a->close = false;
    a->no_store = false;
    a->text_type = NULL;
    a->route = ANSWER_ROUTE_OTHER;
    a->challenge = NULL;
    a->retry_after = 0;
    a->fd = -1;
    a->window = false;
    a->window_off = 0;
    a->nranges = 0;
    a->multipart = false;
    a->body_len = 0;
    a->debuginfod_file[0] = '\0';
    a->pending = false;
    a->vary = false;
    a->encoding = NULL;
    a->compress = false;
    a->fetch = false;
}

void
answer_text(struct answer *a, int status, const char *text)
{
    a->status = status;
    a->text = text;
    a->body = status == 204 || status == 304 || text == NULL || *text == '\0'
                  ? ANSWER_BODY_NONE
                  : ANSWER_BODY_TEXT;
}

void
answer_plan_file(struct answer *a, size_t nranges, const char *boundary)
{
    uint64_t size = (uint64_t)a->st.st_size;

    a->validators = true;
    a->status = nranges > 0 ? 206 : 200;
    a->multipart = nranges > 1;
    if (size == 0) { /* nothing to send; a 0-byte file has no ranges */
        a->nranges = 0;
        a->body_len = 0;
        a->body = ANSWER_BODY_NONE;
        return;
    }
    a->body = ANSWER_BODY_FILE;
    a->nranges = nranges > 0 ? nranges : 1;
    if (nranges == 0) {
        a->ranges[0].first = 0;
        a->ranges[0].last = size - 1;
    }
    a->body_len = a->multipart ? range_multipart_length(boundary, a->ranges,
                                                        nranges, size)
                               : a->ranges[0].last - a->ranges[0].first + 1;
}
