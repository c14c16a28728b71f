/*
 * libFuzzer target for include/remote/s3xml.h: the answers of an S3
 * server are outside bytes. The first byte picks the parser (listing,
 * error, upload id); the rest is the answer (exact size).
 * Invariants: a refused listing says why; every object reported has a
 * non-empty key without NUL of at most S3XML_TEXT_MAX bytes and a size
 * below 2^63; a truncated listing that parsed has a continuation token;
 * the count matches the callbacks; the error and upload id outputs are
 * NUL-ended within their buffers; an upload id that parsed is not empty.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "remote/s3xml.h"

static int
on_object(void *arg, const struct s3xml_object *o)
{
    size_t n = strlen(o->key);

    CHECK(n > 0 && n <= S3XML_TEXT_MAX);
    CHECK(o->size <= (uint64_t)INT64_MAX);
    CHECK(strlen(o->etag) <= S3XML_TEXT_MAX);
    (*(size_t *)arg)++;
    return 0;
}

static void
check_list(const char *p, size_t n)
{
    struct s3xml_list out;
    char err[256] = "";
    size_t seen = 0;
    enum s3xml_rc rc =
        s3xml_parse_list(p, n, on_object, &seen, &out, err, sizeof(err));

    CHECK(rc == S3XML_OK || rc == S3XML_BAD);
    CHECK(rc == S3XML_OK || err[0] != '\0');
    if (rc == S3XML_OK) {
        CHECK(seen == out.objects);
        CHECK(!out.truncated || out.next_token[0] != '\0');
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char a[64], b[300];
    char *p;

    if (size < 1)
        return 0;
    p = malloc(size - 1 ? size - 1 : 1);
    if (p == NULL)
        return 0;
    memcpy(p, data + 1, size - 1);
    memset(a, 'x', sizeof(a));
    memset(b, 'x', sizeof(b));
    if (data[0] % 3 == 0) {
        check_list(p, size - 1);
    } else if (data[0] % 3 == 1) {
        s3xml_parse_error(p, size - 1, a, sizeof(a), b, sizeof(b));
        CHECK(memchr(a, '\0', sizeof(a)) && memchr(b, '\0', sizeof(b)));
    } else if (s3xml_parse_upload_id(p, size - 1, b, sizeof(b), a, sizeof(a)) ==
               S3XML_OK) {
        CHECK(b[0] != '\0' && memchr(b, '\0', sizeof(b)));
    }
    free(p);
    return 0;
}
