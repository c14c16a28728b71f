/*
 * A client of an S3-compatible bucket (remote/s3.h).
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4, libcurl 7.75 and later). What
 * libcurl 7.88 (Debian 12) leaves to us, and why:
 *  - x-amz-content-sha256: S3 needs it on every request and 7.88 does not
 *    add it; when the header is there libcurl signs its value as the
 *    payload hash. We send the body's SHA-256 (the empty string's for no
 *    body), so a body changed on the way is refused by the server;
 *  - the canonical URI and query: libcurl signs the path and query as
 *    written in the URL, so s3url.c writes them already canonical (keys
 *    encoded once, parameters sorted);
 *  - Content-Type of a POST: set by us, so what is sent is what is signed;
 *  - no header may be blanked out ("Expect:" to drop libcurl's
 *    Expect: 100-continue): 7.88 signs the empty header it then does not
 *    send, and the server answers 403 SignatureDoesNotMatch.
 * Credentials go as CURLOPT_USERNAME and CURLOPT_PASSWORD (not "key:secret"
 * in one string, so a ':' in a secret is harmless).
 */
#include "remote/s3.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ini.h>
#include <openssl/evp.h>

#include "remote/s3xml.h"
#include "util/errbuf.h"
#include "util/hex.h"
#include "util/num.h"

#define CRED_MAX 256
#define EMPTY_SHA256                                                           \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
    struct s3url_store store;
    struct s3url_endpoint ep;
    enum s3url_style style;
    char sigv4[64 + 16]; /* "aws:amz:REGION:s3" */
    char access_key[CRED_MAX], secret_key[CRED_MAX], token[CRED_MAX * 8];
    uint64_t part_size;
    long connect_timeout, stall_timeout;
    CURL *easy; /* for the blocking calls */
};

/* What one blocking request brought back. */
struct reply {
    long status;
    struct file_buf body;
    uint64_t max;
    bool over;
    char etag[128];
    uint64_t length;
};

struct cred_search {
    const char *profile;
    char *key, *secret, *token;
    size_t keylen, secretlen, tokenlen;
};

static int
cred_line(void *user, const char *section, const char *name, const char *value)
{
    struct cred_search *c = user;

    if (strcmp(section, c->profile) != 0)
        return 1;
    if (strcmp(name, "aws_access_key_id") == 0)
        snprintf(c->key, c->keylen, "%s", value);
    else if (strcmp(name, "aws_secret_access_key") == 0)
        snprintf(c->secret, c->secretlen, "%s", value);
    else if (strcmp(name, "aws_session_token") == 0)
        snprintf(c->token, c->tokenlen, "%s", value);
    return 1;
}

static const char *
first_of(const char *a, const char *env)
{
    const char *v = a != NULL ? a : getenv(env);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The credentials file (AWS's INI layout), when the config and the
 * environment left the key or the secret unset. */
static int
creds_from_file(const struct s3_conf *conf, struct s3 *s, char *err,
                size_t errlen)
{
    const char *file =
        first_of(conf->credentials_file, "AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    char path[4096];
    struct cred_search c = {first_of(conf->profile, "AWS_PROFILE"),
                            s->access_key,
                            s->secret_key,
                            s->token,
                            sizeof(s->access_key),
                            sizeof(s->secret_key),
                            sizeof(s->token)};
    int rc;

    if (c.profile == NULL)
        c.profile = "default";
    if (file == NULL && home != NULL)
        snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    else
        snprintf(path, sizeof(path), "%s", file != NULL ? file : "");
    rc = path[0] != '\0' ? ini_parse(path, cred_line, &c) : -1;
    if (rc > 0) {
        errbuf_set(err, errlen, "%s:%d: not an INI line", path, rc);
        return -1;
    }
    if (s->access_key[0] == '\0' || s->secret_key[0] == '\0') {
        errbuf_set(err, errlen,
                   "no S3 credentials: set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY, [s3] access_key and secret_key, "
                   "or [%s] in %s",
                   c.profile, path[0] ? path : "~/.aws/credentials");
        return -1;
    }
    return 0;
}

static int
creds_resolve(const struct s3_conf *conf, struct s3 *s, char *err,
              size_t errlen)
{
    const char *key = first_of(conf->access_key, "AWS_ACCESS_KEY_ID");
    const char *secret = first_of(conf->secret_key, "AWS_SECRET_ACCESS_KEY");
    const char *token = first_of(conf->session_token, "AWS_SESSION_TOKEN");

    if (key != NULL && secret != NULL) {
        if (strlen(key) >= CRED_MAX || strlen(secret) >= CRED_MAX ||
            (token != NULL && strlen(token) >= sizeof(s->token))) {
            errbuf_set(err, errlen, "an S3 credential is too long");
            return -1;
        }
        snprintf(s->access_key, sizeof(s->access_key), "%s", key);
        snprintf(s->secret_key, sizeof(s->secret_key), "%s", secret);
        snprintf(s->token, sizeof(s->token), "%s", token ? token : "");
        return 0;
    }
    return creds_from_file(conf, s, err, errlen);
}

static bool
region_ok(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') ||
              r[i] == '-'))
            return false;
    return true;
}

/* Endpoint, region and addressing into s. */
static int
where_resolve(const struct s3_conf *conf, struct s3 *s, char *err,
              size_t errlen)
{
    const char *region = first_of(conf->region, "AWS_REGION");
    char aws[128];

    if (region == NULL)
        region = "us-east-1";
    if (!region_ok(region)) {
        errbuf_set(err, errlen, "'%s' is not a region name (a-z 0-9 -)",
                   region);
        return -1;
    }
    snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", region);
    snprintf(aws, sizeof(aws), "https://s3.%s.amazonaws.com", region);
    if (s3url_parse_endpoint(conf->endpoint ? conf->endpoint : aws, &s->ep, err,
                             errlen) == -1)
        return -1;
    if (conf->addressing == S3_ADDR_PATH)
        s->style = S3URL_PATH;
    else if (conf->addressing == S3_ADDR_VIRTUAL || conf->endpoint == NULL)
        s->style = S3URL_VIRTUAL;
    else
        s->style = S3URL_PATH; /* MinIO, Ceph and s3rver's default */
    return 0;
}

struct s3 *
s3_open(const struct s3_conf *conf, const char *url, char *err, size_t errlen)
{
    struct s3 *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    if (s3url_parse_store(url, &s->store, err, errlen) == -1 ||
        where_resolve(conf, s, err, errlen) == -1 ||
        creds_resolve(conf, s, err, errlen) == -1) {
        free(s);
        return NULL;
    }
    s->part_size = conf->part_size ? conf->part_size : S3_PART_SIZE_DEFAULT;
    s->connect_timeout = conf->connect_timeout ? conf->connect_timeout : 10;
    s->stall_timeout = conf->stall_timeout ? conf->stall_timeout : 60;
    s->easy = curl_easy_init();
    if (s->easy == NULL) {
        errbuf_set(err, errlen, "curl_easy_init failed");
        free(s);
        return NULL;
    }
    return s;
}

void
s3_close(struct s3 *s)
{
    if (s == NULL)
        return;
    curl_easy_cleanup(s->easy);
    /* The secret is not left in freed memory. */
    memset(s->secret_key, 0, sizeof(s->secret_key));
    free(s);
}

const struct s3url_store *
s3_store(const struct s3 *s)
{
    return &s->store;
}

static int
add_header(struct curl_slist **h, const char *line)
{
    struct curl_slist *n = curl_slist_append(*h, line);

    if (n == NULL)
        return -1;
    *h = n;
    return 0;
}

static int
headers_make(const struct s3 *s, const char *sha,
             const struct curl_slist *extra, struct curl_slist **hdrs)
{
    char line[CRED_MAX * 8 + 32];

    *hdrs = NULL;
    snprintf(line, sizeof(line), "x-amz-content-sha256: %s",
             sha ? sha : EMPTY_SHA256);
    if (add_header(hdrs, line) == -1)
        return -1;
    if (s->token[0] != '\0') {
        snprintf(line, sizeof(line), "x-amz-security-token: %s", s->token);
        if (add_header(hdrs, line) == -1)
            return -1;
    }
    for (; extra != NULL; extra = extra->next)
        if (add_header(hdrs, extra->data) == -1)
            return -1;
    return 0;
}

static void
set_method(CURL *c, enum s3_method m)
{
    if (m == S3_HEAD)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (m == S3_PUT)
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    else if (m == S3_DELETE)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    else if (m == S3_POST)
        curl_easy_setopt(c, CURLOPT_POST, 1L);
}

int
s3_prepare(const struct s3 *s, CURL *c, enum s3_method method, const char *rel,
           const char *query, const char *payload_sha256,
           const struct curl_slist *extra, struct curl_slist **hdrs, char *err,
           size_t errlen)
{
    char key[S3URL_KEY_MAX + 1], url[S3URL_URL_MAX];

    *hdrs = NULL;
    if (rel != NULL && s3url_key(&s->store, rel, key, sizeof(key)) == -1) {
        errbuf_set(err, errlen, "%s: an S3 key longer than 1024 bytes", rel);
        return -1;
    }
    if (s3url_object(&s->ep, s->style, s->store.bucket, rel ? key : NULL, query,
                     url, sizeof(url)) == -1) {
        errbuf_set(err, errlen, "%s: URL too long", rel ? rel : "listing");
        return -1;
    }
    if (headers_make(s, payload_sha256, extra, hdrs) == -1) {
        curl_slist_free_all(*hdrs);
        *hdrs = NULL;
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(c, CURLOPT_USERNAME, s->access_key);
    curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret_key);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
    /* A stalled transfer ends: under 1 byte/s for stall_timeout. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->stall_timeout);
    set_method(c, method);
    return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;

    (void)size; /* always 1 */
    if (r->body.len + n > r->max) {
        r->over = true;
        return 0; /* ends the transfer: CURLE_WRITE_ERROR */
    }
    return file_buf_add(&r->body, p, n) == 0 ? n : 0;
}

/* Keeps the ETag (of an uploaded part) and Content-Length (of a HEAD). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = n;

    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
        len--;
    if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
        size_t skip = 5;

        while (skip < len && p[skip] == ' ')
            skip++;
        snprintf(r->etag, sizeof(r->etag), "%.*s", (int)(len - skip), p + skip);
    } else if (len > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
        size_t skip = 15;

        while (skip < len && p[skip] == ' ')
            skip++;
        if (num_parse_u64(p + skip, len - skip, UINT64_MAX, &r->length) == -1)
            r->length = 0;
    }
    (void)size;
    return n;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t
on_read(char *out, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t take = n < u->left ? n : u->left;

    (void)size;
    memcpy(out, u->p, take);
    u->p += take;
    u->left -= take;
    return take;
}

static void
sha256_hex(const void *buf, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
    hex_encode(md, 32, false, out);
    out[64] = '\0';
}

/* The reason of a refused request: status, S3's Code and Message. */
static enum s3_rc
refused(const struct s3 *s, const char *rel, struct reply *r, char *err,
        size_t errlen)
{
    char code[64], msg[256];
    const char *what = rel ? rel : "(listing)";

    if (s3xml_parse_error(r->body.p ? r->body.p : "", r->body.len, code,
                          sizeof(code), msg, sizeof(msg)) != S3XML_OK)
        code[0] = msg[0] = '\0';
    if (r->status == 404 && strcmp(code, "NoSuchBucket") == 0) {
        errbuf_set(err, errlen, "s3://%s: no such bucket (404 NoSuchBucket)",
                   s->store.bucket);
        return S3_ERROR;
    }
    if (r->status == 404)
        return S3_NOT_FOUND;
    if (r->status == 412)
        return S3_PRECONDITION;
    errbuf_set(err, errlen, "s3://%s/%s%s%s: HTTP %ld%s%s%s%s", s->store.bucket,
               s->store.prefix, s->store.prefix[0] ? "/" : "", what, r->status,
               code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
    return S3_ERROR;
}

/* What one request sends. */
struct req {
    enum s3_method m;
    const char *rel, *query;
    const void *body;
    size_t len;
    const struct curl_slist *extra;
};

/* Whether a failed attempt is worth another: a transfer cut or timed out,
 * or 500, 502, 503 (S3's SlowDown), 504. */
static bool
transient(CURLcode cc, long status)
{
    if (cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_RECV_ERROR ||
        cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
        cc == CURLE_PARTIAL_FILE)
        return true;
    return cc == CURLE_OK &&
           (status == 500 || status == 502 || status == 503 || status == 504);
}

/* One attempt of q on s->easy; *again: the failure is transient. */
static enum s3_rc
attempt(struct s3 *s, const struct req *q, const char *sha, struct reply *r,
        bool *again, char *err, size_t errlen)
{
    struct curl_slist *hdrs = NULL;
    struct upload u = {q->body, q->len};
    char cerr[CURL_ERROR_SIZE] = "";
    CURLcode cc;

    curl_easy_reset(s->easy);
    *again = false;
    if (s3_prepare(s, s->easy, q->m, q->rel, q->query, sha, q->extra, &hdrs,
                   err, errlen) == -1)
        return S3_ERROR;
    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, r);
    if (q->m == S3_PUT) {
        curl_easy_setopt(s->easy, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(s->easy, CURLOPT_READDATA, &u);
        curl_easy_setopt(s->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
    } else if (q->m == S3_POST) {
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, q->body ? q->body : "");
        curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)q->len);
    }
    cc = curl_easy_perform(s->easy);
    curl_slist_free_all(hdrs);
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &r->status);
    *again = transient(cc, r->status);
    if (r->over) {
        errbuf_set(err, errlen, "%s: larger than %" PRIu64 " bytes",
                   q->rel ? q->rel : "(listing)", r->max);
        return S3_ERROR;
    }
    if (cc != CURLE_OK) {
        errbuf_set(err, errlen, "%s://%s: %s", s->ep.https ? "https" : "http",
                   s->ep.host, cerr[0] ? cerr : curl_easy_strerror(cc));
        return S3_ERROR;
    }
    if (r->status >= 200 && r->status < 300)
        return S3_OK;
    return refused(s, q->rel, r, err, errlen);
}

/*
 * One blocking request on s->easy. body (len bytes) is sent for PUT and
 * POST; the answer goes into r (r->max bounds its body). A transient
 * failure is tried again, up to S3_ATTEMPTS in all, 0.2 s then 0.8 s
 * apart, except for a POST (a second "start an upload" would start
 * another) and a request with extra fields (a conditional PUT: the first
 * attempt may have written, and the second would then lose to itself).
 */
#define S3_ATTEMPTS 3
static enum s3_rc
request(struct s3 *s, enum s3_method m, const char *rel, const char *query,
        const void *body, size_t len, const struct curl_slist *extra,
        struct reply *r, char *err, size_t errlen)
{
    struct req q = {m, rel, query, body, len, extra};
    size_t had = r->body.len;
    char sha[65];
    enum s3_rc rc;
    bool again;

    sha256_hex(body ? body : "", body ? len : 0, sha);
    for (int i = 0;; i++) {
        struct timespec pause = {0, (long)(200000000L << (2 * i))};

        r->body.len = had;
        r->over = false;
        r->etag[0] = '\0';
        r->length = 0;
        rc = attempt(s, &q, sha, r, &again, err, errlen);
        if (rc == S3_OK || !again || m == S3_POST || extra != NULL ||
            i + 1 >= S3_ATTEMPTS)
            return rc;
        nanosleep(&pause, NULL);
    }
}

enum s3_rc
s3_get(struct s3 *s, const char *rel, struct file_buf *out, char *err,
       size_t errlen)
{
    struct reply r = {.max = S3_GET_MAX};
    size_t had = out->len;
    enum s3_rc rc;

    r.body = *out;
    rc = request(s, S3_GET, rel, NULL, NULL, 0, NULL, &r, err, errlen);
    if (rc != S3_OK)
        r.body.len = had; /* what an error answer brought goes */
    *out = r.body;        /* (it may have moved) */
    return rc;
}

enum s3_rc
s3_head(struct s3 *s, const char *rel, uint64_t *size, char *err, size_t errlen)
{
    struct reply r = {.max = 0};
    enum s3_rc rc =
        request(s, S3_HEAD, rel, NULL, NULL, 0, NULL, &r, err, errlen);

    if (rc == S3_OK && size != NULL)
        *size = r.length;
    file_buf_free(&r.body);
    return rc;
}

enum s3_rc
s3_put(struct s3 *s, const char *rel, const void *buf, size_t len,
       bool if_absent, char *err, size_t errlen)
{
    char line[] = "If-None-Match: *";
    struct curl_slist cond = {line, NULL};
    struct reply r = {.max = 1 << 20};
    enum s3_rc rc = request(s, S3_PUT, rel, NULL, buf, len,
                            if_absent ? &cond : NULL, &r, err, errlen);

    file_buf_free(&r.body);
    return rc;
}

enum s3_rc
s3_delete(struct s3 *s, const char *rel, char *err, size_t errlen)
{
    struct reply r = {.max = 1 << 20};
    enum s3_rc rc =
        request(s, S3_DELETE, rel, NULL, NULL, 0, NULL, &r, err, errlen);

    file_buf_free(&r.body);
    return rc == S3_NOT_FOUND ? S3_OK : rc;
}

/* The CompleteMultipartUpload body: one Part per ETag, in order. */
static int
complete_body(struct file_buf *b, char (*etags)[128], unsigned n)
{
    char part[256];

    if (file_buf_str(b, "<CompleteMultipartUpload>") == -1)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        snprintf(part, sizeof(part),
                 "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
                 i + 1, etags[i]);
        if (file_buf_str(b, part) == -1)
            return -1;
    }
    return file_buf_str(b, "</CompleteMultipartUpload>");
}

static enum s3_rc
upload_start(struct s3 *s, const char *rel, char *id, size_t idlen, char *err,
             size_t errlen)
{
    /* The object's type is the one given here (signed: see above). */
    char line[] = "Content-Type: application/octet-stream";
    struct curl_slist ct = {line, NULL};
    struct reply r = {.max = 1 << 20};
    enum s3_rc rc =
        request(s, S3_POST, rel, "uploads=", "", 0, &ct, &r, err, errlen);

    if (rc == S3_OK &&
        s3xml_parse_upload_id(r.body.p ? r.body.p : "", r.body.len, id, idlen,
                              err, errlen) != S3XML_OK)
        rc = S3_ERROR;
    file_buf_free(&r.body);
    return rc;
}

/* The upload id encoded for a query; -1 if it does not fit. */
static int
id_query(const char *id, unsigned part, char *q, size_t qlen)
{
    char enc[1024];
    int n;

    if (s3url_encode(id, strlen(id), false, enc, sizeof(enc)) == -1)
        return -1;
    if (part > 0)
        n = snprintf(q, qlen, "partNumber=%u&uploadId=%s", part, enc);
    else
        n = snprintf(q, qlen, "uploadId=%s", enc);
    return n < 0 || (size_t)n >= qlen ? -1 : 0;
}

static enum s3_rc
upload_parts(struct s3 *s, const char *rel, const char *id, const char *buf,
             size_t len, char (*etags)[128], unsigned n, char *err,
             size_t errlen)
{
    char q[1200];

    for (unsigned i = 0; i < n; i++) {
        size_t off = (size_t)(i * s->part_size);
        size_t plen = len - off < s->part_size ? len - off : s->part_size;
        struct reply r = {.max = 1 << 20};
        enum s3_rc rc;

        if (id_query(id, i + 1, q, sizeof(q)) == -1) {
            errbuf_set(err, errlen, "%s: upload id too long", rel);
            return S3_ERROR;
        }
        rc = request(s, S3_PUT, rel, q, buf + off, plen, NULL, &r, err, errlen);
        file_buf_free(&r.body);
        if (rc != S3_OK)
            return rc == S3_NOT_FOUND ? S3_ERROR : rc;
        if (r.etag[0] == '\0') {
            errbuf_set(err, errlen, "%s: part %u answered without an ETag", rel,
                       i + 1);
            return S3_ERROR;
        }
        memcpy(etags[i], r.etag, sizeof(r.etag));
    }
    return S3_OK;
}

static enum s3_rc
upload_finish(struct s3 *s, const char *rel, const char *id, char (*etags)[128],
              unsigned n, char *err, size_t errlen)
{
    char line[] = "Content-Type: application/xml", q[1200];
    struct curl_slist ct = {line, NULL};
    struct file_buf b = {0};
    struct reply r = {.max = 1 << 20};
    char code[64], msg[256];
    enum s3_rc rc;

    if (id_query(id, 0, q, sizeof(q)) == -1 ||
        complete_body(&b, etags, n) == -1) {
        file_buf_free(&b);
        errbuf_set(err, errlen, "%s: out of memory", rel);
        return S3_ERROR;
    }
    rc = request(s, S3_POST, rel, q, b.p, b.len, &ct, &r, err, errlen);
    /* S3 may answer 200 and put the error in the body. */
    if (rc == S3_OK && r.body.p != NULL &&
        s3xml_parse_error(r.body.p, r.body.len, code, sizeof(code), msg,
                          sizeof(msg)) == S3XML_OK) {
        errbuf_set(err, errlen, "%s: completing the upload: %s: %s", rel, code,
                   msg);
        rc = S3_ERROR;
    }
    file_buf_free(&b);
    file_buf_free(&r.body);
    return rc;
}

enum s3_rc
s3_put_large(struct s3 *s, const char *rel, const void *buf, size_t len,
             unsigned *parts, char *err, size_t errlen)
{
    char id[1024], q[1200], ignored[256];
    uint64_t n = (len + s->part_size - 1) / s->part_size;
    char(*etags)[128];
    enum s3_rc rc;

    if (len <= s->part_size) {
        if (parts != NULL)
            *parts = 1;
        return s3_put(s, rel, buf, len, false, err, errlen);
    }
    if (n > S3_PARTS_MAX) {
        errbuf_set(err, errlen, "%s: more than %d parts of %" PRIu64 " bytes",
                   rel, S3_PARTS_MAX, s->part_size);
        return S3_ERROR;
    }
    etags = calloc((size_t)n, sizeof(*etags));
    if (etags == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return S3_ERROR;
    }
    rc = upload_start(s, rel, id, sizeof(id), err, errlen);
    if (rc == S3_OK) {
        rc =
            upload_parts(s, rel, id, buf, len, etags, (unsigned)n, err, errlen);
        if (rc == S3_OK)
            rc = upload_finish(s, rel, id, etags, (unsigned)n, err, errlen);
        /* A failed upload is aborted: its parts would stay (and cost). */
        if (rc != S3_OK && id_query(id, 0, q, sizeof(q)) == 0) {
            struct reply r = {.max = 1 << 20};

            request(s, S3_DELETE, rel, q, NULL, 0, NULL, &r, ignored,
                    sizeof(ignored));
            file_buf_free(&r.body);
        }
    }
    free(etags);
    if (rc == S3_OK && parts != NULL)
        *parts = (unsigned)n;
    return rc == S3_NOT_FOUND ? S3_ERROR : rc;
}

struct list_walk {
    size_t skip; /* the prefix and its '/', cut from each key */
    s3_list_fn fn;
    void *arg;
};

static int
list_one(void *arg, const struct s3xml_object *o)
{
    struct list_walk *w = arg;

    if (strlen(o->key) <= w->skip) /* the prefix itself, as a "folder" */
        return 0;
    return w->fn(w->arg, o->key + w->skip, o->size);
}

enum s3_rc
s3_list(struct s3 *s, const char *under, s3_list_fn fn, void *arg, char *err,
        size_t errlen)
{
    char prefix[S3URL_KEY_MAX + 1], q[S3URL_URL_MAX];
    struct list_walk w = {0, fn, arg};
    struct s3xml_list page;
    int n = snprintf(prefix, sizeof(prefix), "%s%s%s", s->store.prefix,
                     s->store.prefix[0] ? "/" : "", under);

    if (n < 0 || (size_t)n >= sizeof(prefix)) {
        errbuf_set(err, errlen, "%s: prefix too long", under);
        return S3_ERROR;
    }
    w.skip = strlen(s->store.prefix) + (s->store.prefix[0] ? 1 : 0);
    page.next_token[0] = '\0';
    for (unsigned i = 0; i < S3_LIST_PAGES_MAX; i++) {
        struct reply r = {.max = 64 << 20};
        enum s3_rc rc;
        enum s3xml_rc xr;

        if (s3url_list_query(prefix, page.next_token, 0, q, sizeof(q)) == -1) {
            errbuf_set(err, errlen, "continuation token too long");
            return S3_ERROR;
        }
        rc = request(s, S3_GET, NULL, q, NULL, 0, NULL, &r, err, errlen);
        if (rc != S3_OK) {
            file_buf_free(&r.body);
            return rc == S3_NOT_FOUND ? S3_ERROR : rc;
        }
        xr = s3xml_parse_list(r.body.p ? r.body.p : "", r.body.len, list_one,
                              &w, &page, err, errlen);
        file_buf_free(&r.body);
        if (xr == S3XML_BAD)
            return S3_ERROR;
        if (xr == S3XML_STOPPED || !page.truncated)
            return S3_OK;
    }
    errbuf_set(err, errlen, "listing longer than %d pages", S3_LIST_PAGES_MAX);
    return S3_ERROR;
}
