/*
 * A client of an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2, GCS's
 * XML API): requests signed with AWS Signature V4 by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3"), path-style or virtual-hosted
 * (remote/s3url.h). docs/remote.md, "A bucket-backed cluster", says how
 * to set it up.
 *
 * Two ways in:
 *  - s3_prepare(): sets up a caller's curl easy handle for one request
 *    (URL, signing, credentials, x-amz-content-sha256, timeouts) and
 *    nothing else: it performs nothing and blocks on nothing, so the
 *    handle can go onto a non-blocking multi handle on an event loop (the
 *    daemon's fetch machinery), with the caller's write callback;
 *  - the blocking calls below (s3_get() ... s3_list()), for symsrv: one
 *    request at a time on the client's own easy handle.
 *
 * Not thread-safe: one struct s3 per thread (s3_prepare() only reads it
 * and may be called from any thread once s3_open() returned).
 */
#ifndef SYMSRVD_REMOTE_S3_H
#define SYMSRVD_REMOTE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "remote/s3url.h"
#include "util/file.h"

#define S3_PART_SIZE_DEFAULT ((uint64_t)64 << 20)
/* S3's bounds: parts of 5 MiB at least (but the last), 10000 parts. */
#define S3_PART_SIZE_MIN ((uint64_t)5 << 20)
#define S3_PARTS_MAX 10000
/* The largest object s3_get() reads into memory (admin files, refs.ptr). */
#define S3_GET_MAX ((uint64_t)256 << 20)

enum s3_addressing { S3_ADDR_AUTO, S3_ADDR_PATH, S3_ADDR_VIRTUAL };

/*
 * Settings; every pointer may be NULL (the default in brackets). Strings
 * are copied by s3_open().
 */
struct s3_conf {
    const char *endpoint;          /* http[s]://HOST[:PORT] [https://s3.REGION.
                                      amazonaws.com] */
    const char *region;            /* [AWS_REGION, else us-east-1] */
    enum s3_addressing addressing; /* AUTO: virtual-hosted on AWS's own
                                      endpoint, path-style on any other */
    const char *access_key;        /* [AWS_ACCESS_KEY_ID, else the credentials
                                      file] */
    const char *secret_key;        /* [AWS_SECRET_ACCESS_KEY, else the file] */
    const char *session_token;     /* [AWS_SESSION_TOKEN, else the file] */
    const char *credentials_file;  /* [AWS_SHARED_CREDENTIALS_FILE, else
                                      $HOME/.aws/credentials] */
    const char *profile;           /* [AWS_PROFILE, else "default"] */
    uint64_t part_size;   /* multipart above this [S3_PART_SIZE_DEFAULT];
                             below S3_PART_SIZE_MIN only for tests */
    long connect_timeout; /* seconds [10] */
    long stall_timeout;   /* seconds without a byte moving [60] */
};

enum s3_method { S3_GET, S3_HEAD, S3_PUT, S3_DELETE, S3_POST };

enum s3_rc {
    S3_OK,
    S3_NOT_FOUND,    /* 404 NoSuchKey (a missing bucket is S3_ERROR) */
    S3_PRECONDITION, /* 412: a conditional write lost */
    S3_ERROR,        /* anything else; the reason is in err */
};

struct s3;

/*
 * A client of the store url ("s3://BUCKET/PREFIX") with conf. Credentials
 * are resolved here: none found is an error naming where they were
 * looked for. NULL with the reason in err.
 */
struct s3 *s3_open(const struct s3_conf *conf, const char *url, char *err,
                   size_t errlen);
void s3_close(struct s3 *s);

/* The store's bucket and prefix, as parsed by s3_open(). */
const struct s3url_store *s3_store(const struct s3 *s);

/*
 * Sets c up for method on the store path rel (e.g. "a.pdb/KEY/a.pdb";
 * NULL: the bucket itself, for a listing) with query (canonical, see
 * s3url.h, or NULL). payload_sha256: the body's SHA-256 in hex, or NULL
 * for no body (GET, HEAD, DELETE: the empty string's hash is sent). The
 * header list made is returned in *hdrs (with extra's lines added,
 * copied); the caller frees it with curl_slist_free_all() after the
 * transfer. The caller sets the body (CURLOPT_UPLOAD / READFUNCTION, or
 * POSTFIELDS) and the callbacks. 0, or -1 with err.
 */
int s3_prepare(const struct s3 *s, CURL *c, enum s3_method method,
               const char *rel, const char *query, const char *payload_sha256,
               const struct curl_slist *extra, struct curl_slist **hdrs,
               char *err, size_t errlen);

/* GETs rel into out (appended; at most S3_GET_MAX bytes). */
enum s3_rc s3_get(struct s3 *s, const char *rel, struct file_buf *out,
                  char *err, size_t errlen);

/* HEADs rel; *size gets its length when not NULL. */
enum s3_rc s3_head(struct s3 *s, const char *rel, uint64_t *size, char *err,
                   size_t errlen);

/*
 * PUTs buf[0..len) as rel, signed with its SHA-256. if_absent: sends
 * If-None-Match: * so the write happens only if rel does not exist
 * (S3_PRECONDITION otherwise): the writers' lock.
 */
enum s3_rc s3_put(struct s3 *s, const char *rel, const void *buf, size_t len,
                  bool if_absent, char *err, size_t errlen);

/*
 * PUTs buf[0..len) as rel; above the part size as a multipart upload
 * (parts signed each with its SHA-256, aborted on failure so no part
 * stays billed). *parts gets the number of parts (1 for a plain PUT)
 * when not NULL.
 */
enum s3_rc s3_put_large(struct s3 *s, const char *rel, const void *buf,
                        size_t len, unsigned *parts, char *err, size_t errlen);

/* DELETEs rel (a missing one is S3_OK, as S3 answers 204 for it). */
enum s3_rc s3_delete(struct s3 *s, const char *rel, char *err, size_t errlen);

/*
 * Lists every object whose key starts with the store's prefix + "/" +
 * under (under may be ""), page after page (continuation tokens), calling
 * fn with each object's key relative to the store's prefix. fn's non-zero
 * return stops the listing (S3_OK). At most S3_LIST_PAGES_MAX pages.
 */
#define S3_LIST_PAGES_MAX 100000
typedef int (*s3_list_fn)(void *arg, const char *rel, uint64_t size);
enum s3_rc s3_list(struct s3 *s, const char *under, s3_list_fn fn, void *arg,
                   char *err, size_t errlen);

#endif
