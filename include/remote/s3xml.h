/*
 * The XML answers of an S3-compatible server, parsed with expat: outside
 * bytes, so bounded and strict. Pure: no I/O; the parser allocates only
 * inside expat and frees before returning.
 *
 * Refused (S3XML_BAD with the reason in err): anything expat refuses, a
 * DOCTYPE or entity declaration (no entity expansion at all), a root
 * element other than the one expected, elements nested deeper than
 * S3XML_DEPTH_MAX, a text longer than S3XML_TEXT_MAX bytes, a key with
 * a NUL or an empty key, a Size that is not a decimal up to 2^63-1.
 */
#ifndef SYMSRVD_REMOTE_S3XML_H
#define SYMSRVD_REMOTE_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S3XML_DEPTH_MAX 8
#define S3XML_TEXT_MAX 2048 /* a key is at most 1024 bytes; tokens fit */

enum s3xml_rc { S3XML_OK, S3XML_BAD, S3XML_STOPPED };

/* One <Contents> of a listing; pointers valid during the callback only. */
struct s3xml_object {
    const char *key;
    uint64_t size;
    const char *etag; /* "" if absent */
};

/* Called per object in document order; non-zero stops the parse
 * (S3XML_STOPPED). */
typedef int (*s3xml_object_fn)(void *arg, const struct s3xml_object *o);

struct s3xml_list {
    bool truncated;                      /* IsTruncated was "true" */
    char next_token[S3XML_TEXT_MAX + 1]; /* NextContinuationToken, or "" */
    size_t objects;                      /* how many fn was called for */
};

/* A ListObjectsV2 answer (root ListBucketResult). A truncated listing
 * without a continuation token is S3XML_BAD (it could not go on). */
enum s3xml_rc s3xml_parse_list(const char *buf, size_t len, s3xml_object_fn fn,
                               void *arg, struct s3xml_list *out, char *err,
                               size_t errlen);

/* An error answer (root Error): its Code and Message, "" when absent,
 * cut to fit. S3XML_BAD if buf is not one. */
enum s3xml_rc s3xml_parse_error(const char *buf, size_t len, char *code,
                                size_t codelen, char *msg, size_t msglen);

/* An InitiateMultipartUploadResult's UploadId (not empty). */
enum s3xml_rc s3xml_parse_upload_id(const char *buf, size_t len, char *id,
                                    size_t idlen, char *err, size_t errlen);

#endif
