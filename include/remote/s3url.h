/*
 * Names in an S3-compatible bucket, pure: no I/O, no allocation.
 *
 * A bucket store is named s3://BUCKET/PREFIX (docs/remote.md): the bucket
 * holds the layout of a disk store under PREFIX ("<prefix>/000Admin/...",
 * "<prefix>/<file>/<key>/<file>"). An endpoint is "http[s]://HOST[:PORT]"
 * (no path, query or user part); an object's URL is either path-style
 * ("<scheme>://HOST/BUCKET/KEY") or virtual-hosted
 * ("<scheme>://BUCKET.HOST/KEY"). Keys and query values are written
 * already in the canonical form of AWS Signature V4 (every byte but
 * A-Z a-z 0-9 - . _ ~ as %XX, upper-case hex; '/' kept in a key), so the
 * URL libcurl sends is the one it signs: libcurl 7.88 signs the path and
 * query as given.
 */
#ifndef SYMSRVD_REMOTE_S3URL_H
#define SYMSRVD_REMOTE_S3URL_H

#include <stdbool.h>
#include <stddef.h>

#define S3URL_BUCKET_MAX 63
#define S3URL_PREFIX_MAX 512
#define S3URL_HOST_MAX 255
/* S3's key limit is 1024 bytes; a key needs three times that encoded. */
#define S3URL_KEY_MAX 1024
#define S3URL_URL_MAX 4096

struct s3url_store {
    char bucket[S3URL_BUCKET_MAX + 1];
    char prefix[S3URL_PREFIX_MAX + 1]; /* "" or "a/b": no slash at the ends */
};

struct s3url_endpoint {
    bool https;
    char host[S3URL_HOST_MAX + 1]; /* as given, with ":PORT" if any */
};

enum s3url_style { S3URL_PATH, S3URL_VIRTUAL };

/* Whether s names a bucket store (starts with "s3://"). */
bool s3url_is_store(const char *s);

/*
 * Parses "s3://BUCKET[/PREFIX][/]" into out. The bucket follows S3's
 * naming rules (3 to 63 of a-z 0-9 . -, starting and ending with a letter
 * or digit, no ".."); the prefix has no empty, "." or ".." segment, no
 * control byte, no backslash. 0, or -1 with the reason in err.
 */
int s3url_parse_store(const char *s, struct s3url_store *out, char *err,
                      size_t errlen);

/* Whether name is a valid bucket name (see above). */
bool s3url_bucket_ok(const char *name);

/*
 * Parses "http://HOST[:PORT][/]" or "https://..." into out. 0, or -1 with
 * the reason in err.
 */
int s3url_parse_endpoint(const char *s, struct s3url_endpoint *out, char *err,
                         size_t errlen);

/*
 * Writes src[0..len) encoded as SigV4 wants (see above) into out (NUL
 * ended); keep_slash keeps '/' (a key) or encodes it (a query value).
 * Returns the encoded length, or -1 (ENAMETOOLONG) if it does not fit.
 */
long s3url_encode(const char *src, size_t len, bool keep_slash, char *out,
                  size_t outlen);

/*
 * The object key of rel (a store path such as "000Admin/lastid.txt",
 * no leading slash) under st's prefix. 0, or -1 if it does not fit in
 * S3URL_KEY_MAX bytes or rel is empty.
 */
int s3url_key(const struct s3url_store *st, const char *rel, char *out,
              size_t outlen);

/*
 * The URL of key (NULL or "": the bucket itself) in bucket at ep,
 * path-style or virtual-hosted, with query (already canonical, or NULL)
 * after '?'. A bucket whose name holds a '.' is addressed path-style
 * even if virtual is asked: "a.b.host" would not match a TLS certificate
 * for "*.host". 0, or -1 (ENAMETOOLONG).
 */
int s3url_object(const struct s3url_endpoint *ep, enum s3url_style style,
                 const char *bucket, const char *key, const char *query,
                 char *out, size_t outlen);

/*
 * The canonical query of a ListObjectsV2 request: its parameters in the
 * byte order SigV4 signs them in, each value encoded ("continuation-token"
 * only when token is not NULL or empty; "max-keys" only when max > 0).
 * 0, or -1 (ENAMETOOLONG).
 */
int s3url_list_query(const char *prefix, const char *token, unsigned max,
                     char *out, size_t outlen);

#endif
