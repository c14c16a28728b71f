/* Settings; see config.h. */
#define _GNU_SOURCE /* asprintf, explicit_bzero */
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/errbuf.h"
#include "daemon/acl.h"
#include "daemon/addr.h"
#include "daemon/config.h"
#include "daemon/upstate.h"
#include "http/range.h"
#include "remote/s3url.h"
#include "util/num.h"

#ifndef SYMSRVD_VERSION
#define SYMSRVD_VERSION "0.1.0"
#endif

/* K_ACL: a CIDR list into the one ordered allow/deny list of its array
 * ("+CIDR" for a key named allow, "-CIDR" for deny); K_CIDRS: a CIDR list. */
enum kind { K_STR, K_ADDRS, K_LIST, K_UINT, K_BOOL, K_ACL, K_CIDRS };

struct directive {
    const char *section, *key;
    char short_flag;       /* 0: none */
    const char *long_flag; /* without "--" */
    enum kind kind;
    size_t off;       /* into struct config */
    size_t count_off; /* lists: the unsigned count beside the array */
    unsigned min, max;
    const char *def; /* NULL: no default */
    const char *help;
    const char *metavar; /* the value's name in --help */
};

/* store.root: a directory, or a bucket store named right. */
static int
check_root(const char *v, char *why, size_t whylen)
{
    struct s3url_store st;

    return s3url_is_store(v) ? s3url_parse_store(v, &st, why, whylen) : 0;
}

static int
check_s3_endpoint(const char *v, char *why, size_t whylen)
{
    struct s3url_endpoint ep;

    return s3url_parse_endpoint(v, &ep, why, whylen);
}

/* A region is signed into every request: a-z 0-9 - only (as s3.c). */
static int
check_s3_region(const char *v, char *why, size_t whylen)
{
    if (strlen(v) > 64 ||
        v[strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-")] != '\0') {
        errbuf_set(why, whylen, "'%s' is not a region name (a-z 0-9 -)", v);
        return -1;
    }
    return 0;
}

static int
check_s3_addressing(const char *v, char *why, size_t whylen)
{
    if (strcmp(v, "auto") != 0 && strcmp(v, "path") != 0 &&
        strcmp(v, "virtual") != 0) {
        errbuf_set(why, whylen, "'%s' is not auto, path or virtual", v);
        return -1;
    }
    return 0;
}

#define OFF(f) offsetof(struct config, f)

static const struct directive directives[] = {
    {"store", "root", 'r', "root", K_STR, OFF(root), 0, 0, 0, NULL,
     "symbol store directory, or s3://BUCKET/PREFIX (required)", "DIR"},
    {"store", "serve_admin", 0, "serve-admin", K_BOOL, OFF(serve_admin), 0, 0,
     0, "off", "serve 000Admin/ read-only (on/off)", "on|off"},
    {"store", "pointer_roots", 0, "pointer-roots", K_LIST, OFF(pointer_roots),
     OFF(npointer_roots), 0, 0, NULL,
     "directories file.ptr may point into, space-separated", "DIR..."},
    {"store", "expand_compressed", 0, "expand-compressed", K_BOOL,
     OFF(expand_compressed), 0, 0, 0, "off",
     "answer app.pdb from app.pd_ by expanding the CAB once", "on|off"},
    {"store", "max_expanded_mib", 0, "max-expanded-mib", K_UINT,
     OFF(max_expanded_mib), 0, 1, 1048576, "4096",
     "largest file a CAB twin may expand to, in MiB (checked against the "
     "CAB's header before a byte is written)",
     "MIB"},
    {"store", "cache_dir", 0, "cache-dir", K_STR, OFF(cache_dir), 0, 0, 0, NULL,
     "where expanded files are kept (needed by expand_compressed)", "DIR"},
    {"store", "cache_max_mib", 0, "cache-max-mib", K_UINT, OFF(cache_max_mib),
     0, 0, 1048576 * 16, "10240",
     "bound of cache_dir in MiB, least recently used files evicted (0: no "
     "bound)",
     "MIB"},
    {"store", "upstream", 0, "upstream", K_LIST, OFF(upstream_urls),
     OFF(nupstream_urls), 0, 0, NULL,
     "upstream symbol server asked on a miss, repeatable, in order "
     "([upstream \"NAME\"] sections hold the rest)",
     "URL"},
    {"store", "upstream_negative_ttl", 0, "upstream-negative-ttl", K_UINT,
     OFF(upstream_negative_ttl), 0, 0, 86400, "300",
     "seconds an upstream's 404 is remembered (0: not at all)", "SECONDS"},
    {"store", "upstream_backoff", 0, "upstream-backoff", K_UINT,
     OFF(upstream_backoff), 0, 1, 3600, "30",
     "seconds a failing upstream is skipped (doubling, up to 16 times)",
     "SECONDS"},
    {"store", "upstream_failures", 0, "upstream-failures", K_UINT,
     OFF(upstream_failures), 0, 1, 1000, "3",
     "failures in a row (5xx, timeouts, TLS) before an upstream is skipped",
     "N"},
    {"store", "upstream_max_mib", 0, "upstream-max-mib", K_UINT,
     OFF(upstream_max_mib), 0, 1, 1048576, "4096",
     "largest file fetched from an upstream, in MiB", "MIB"},
    {"s3", "endpoint", 0, "s3-endpoint", K_STR, OFF(s3_endpoint), 0, 0, 0, NULL,
     "http[s]://HOST[:PORT] of a bucket store's S3 service (AWS's of the "
     "region)",
     "URL"},
    {"s3", "region", 0, "s3-region", K_STR, OFF(s3_region), 0, 0, 0, NULL,
     "region a bucket store's requests are signed for (AWS_REGION, else "
     "us-east-1)",
     "NAME"},
    {"s3", "addressing", 0, "s3-addressing", K_STR, OFF(s3_addressing), 0, 0, 0,
     "auto", "bucket URLs: path, virtual or auto (virtual-hosted on AWS only)",
     "auto|path|virtual"},
    {"s3", "index_refresh", 0, "s3-index-refresh", K_UINT,
     OFF(s3_index_refresh), 0, 1, 86400, "30",
     "seconds between looks at the bucket's 000Admin/lastid.txt (what "
     "others added is served within this)",
     "SECONDS"},
    {"s3", "negative_ttl", 0, "s3-negative-ttl", K_UINT, OFF(s3_negative_ttl),
     0, 0, 86400, "60",
     "seconds a 404 of the bucket is remembered (0: not at all)", "SECONDS"},
    {"server", "listen", 'l', "listen", K_ADDRS, OFF(listen), OFF(nlisten), 0,
     0, NULL,
     "ADDR:PORT to serve HTTP on, repeatable (127.0.0.1:8080); ADDR may be "
     "a host name, * or left out (every address)",
     "ADDR:PORT"},
    {"server", "tls_listen", 0, "tls-listen", K_ADDRS, OFF(tls_listen),
     OFF(ntls_listen), 0, 0, NULL, "ADDR:PORT to serve HTTPS on, repeatable",
     "ADDR:PORT"},
    {"server", "tls_cert", 0, "tls-cert", K_STR, OFF(tls_cert), 0, 0, 0, NULL,
     "PEM certificate chain for HTTPS", "PEM"},
    {"server", "tls_key", 0, "tls-key", K_STR, OFF(tls_key), 0, 0, 0, NULL,
     "PEM private key for HTTPS", "PEM"},
    {"server", "workers", 'w', "workers", K_UINT, OFF(workers), 0, 0, 256, "0",
     "worker threads (0: one per CPU)", "N"},
    {"server", "max_connections", 0, "max-connections", K_UINT,
     OFF(max_connections), 0, 1, 1000000, "16384",
     "open connections per worker; beyond, new ones get 503 and close", "N"},
    {"server", "max_connections_per_client", 0, "max-connections-per-client",
     K_UINT, OFF(max_connections_per_client), 0, 0, 1000000, "1024",
     "open connections one client address may hold in all (0: no cap); "
     "beyond, new ones get 503 and close",
     "N"},
    {"server", "addr_file", 0, "addr-file", K_STR, OFF(addr_file), 0, 0, 0,
     NULL, "write the bound addresses here, one per line, once listening",
     "FILE"},
    {"server", "shutdown_timeout", 0, "shutdown-timeout", K_UINT,
     OFF(shutdown_timeout), 0, 0, 3600, "30",
     "seconds running downloads may finish after SIGTERM", "SECONDS"},
    {"server", "metrics_listen", 0, "metrics-listen", K_ADDRS,
     OFF(metrics_listen), OFF(nmetrics_listen), 0, 0, NULL,
     "ADDR:PORT to answer /metrics, /healthz and /readyz on (plain HTTP), "
     "repeatable; off unless set",
     "ADDR:PORT"},
    {"server", "job_threads", 0, "job-threads", K_UINT, OFF(job_threads), 0, 1,
     64, "2", "threads for blocking jobs (CAB expansions), off the workers",
     "N"},
    {"server", "job_queue", 0, "job-queue", K_UINT, OFF(job_queue), 0, 1, 65536,
     "64",
     "jobs that may wait for a thread; beyond, requests get 503 with "
     "Retry-After",
     "N"},
    {"server", "job_timeout", 0, "job-timeout", K_UINT, OFF(job_timeout), 0, 1,
     3600, "300",
     "seconds a request waits for its job (an expansion); then 503", "SECONDS"},
    {"log", "access_log", 'a', "access-log", K_STR, OFF(access_log), 0, 0, 0,
     "-", "access log file ('-' stdout, 'off' none)", "FILE"},
    {"http", "timeout", 0, "timeout", K_UINT, OFF(timeout), 0, 1, 3600, "60",
     "seconds a connection may stay idle or make no progress", "SECONDS"},
    {"http", "max_header_size", 0, "max-header-size", K_UINT,
     OFF(max_header_size), 0, 1024, 1048576, "8192",
     "bytes of request line and headers accepted", "BYTES"},
    {"http", "max_ranges", 0, "max-ranges", K_UINT, OFF(max_ranges), 0, 1,
     RANGE_MAX, "16", "ranges honoured per request; more get the whole file",
     "N"},
    {"http", "cache_control", 0, "cache-control", K_STR, OFF(cache_control), 0,
     0, 0, "public, max-age=31536000, immutable",
     "Cache-Control of files (a file under its key never changes)", "VALUE"},
    {"http", "miss_max_age", 0, "miss-max-age", K_UINT, OFF(miss_max_age), 0, 0,
     31536000, "300", "seconds caches may keep a 404", "SECONDS"},
    {"http", "compress", 0, "compress", K_BOOL, OFF(compress), 0, 0, 0, "on",
     "send gzip or zstd copies, made once in store.cache_dir, to clients "
     "that accept them (on/off; off without cache_dir)",
     "on|off"},
    {"http", "compress_min_bytes", 0, "compress-min-bytes", K_UINT,
     OFF(compress_min), 0, 1, 4294967295u, "1024",
     "smallest file sent compressed, in bytes", "BYTES"},
    {"http", "compress_max_mib", 0, "compress-max-mib", K_UINT,
     OFF(compress_max_mib), 0, 1, 1048576, "1024",
     "largest file sent compressed, in MiB (each copy is one job of the "
     "pool)",
     "MIB"},
    {"auth", "htpasswd", 0, "htpasswd", K_STR, OFF(htpasswd), 0, 0, 0, NULL,
     "htpasswd file: HTTP Basic users (bcrypt, SHA-crypt, APR1)", "FILE"},
    {"auth", "realm", 0, "auth-realm", K_STR, OFF(auth_realm), 0, 0, 0,
     "symsrvd", "realm of the Basic challenge (WWW-Authenticate)", "TEXT"},
    {"auth", "tokens", 0, "tokens", K_STR, OFF(tokens), 0, 0, 0, NULL,
     "bearer token file: lines 'TOKEN [NAME]'", "FILE"},
    {"auth", "max_failures", 0, "auth-max-failures", K_UINT,
     OFF(auth_max_failures), 0, 0, 1000000, "10",
     "failed logins per window that lock a client out with 429 (0: never)",
     "N"},
    {"auth", "failure_window", 0, "auth-failure-window", K_UINT,
     OFF(auth_window), 0, 1, 86400, "60",
     "seconds over which failed logins are counted", "SECONDS"},
    {"auth", "lockout", 0, "auth-lockout", K_UINT, OFF(auth_lockout), 0, 1,
     86400, "300", "seconds a locked-out client gets 429", "SECONDS"},
    {"access", "allow", 0, "allow", K_ACL, OFF(acl), OFF(nacl), 0, 0, NULL,
     "client CIDRs let in, repeatable; first allow/deny match wins", "CIDR"},
    {"access", "deny", 0, "deny", K_ACL, OFF(acl), OFF(nacl), 0, 0, NULL,
     "client CIDRs refused with 403, repeatable ('all': every address)",
     "CIDR"},
    {"access", "trusted_proxies", 0, "trusted-proxy", K_CIDRS,
     OFF(trusted_proxies), OFF(ntrusted_proxies), 0, 0, NULL,
     "proxies whose X-Forwarded-For/Forwarded name the client, repeatable",
     "CIDR"},
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Checks of K_STR values beyond set_str()'s, by the field they fill. */
static const struct {
    size_t off;
    int (*check)(const char *v, char *why, size_t whylen);
} str_checks[] = {
    {OFF(root), check_root},
    {OFF(s3_endpoint), check_s3_endpoint},
    {OFF(s3_region), check_s3_region},
    {OFF(s3_addressing), check_s3_addressing},
};

static int
check_str(const struct directive *d, const char *v, char *why, size_t whylen)
{
    for (size_t i = 0; i < sizeof(str_checks) / sizeof(str_checks[0]); i++)
        if (str_checks[i].off == d->off && *v != '\0')
            return str_checks[i].check(v, why, whylen);
    return 0;
}

static char **
str_field(struct config *cfg, const struct directive *d)
{
    return (char **)(void *)((char *)cfg + d->off);
}

static unsigned *
uint_field(struct config *cfg, size_t off)
{
    return (unsigned *)(void *)((char *)cfg + off);
}

static int
set_str(struct config *cfg, const struct directive *d, const char *v, char *why,
        size_t whylen)
{
    char **f = str_field(cfg, d);
    char *copy;

    if (*v == '\0') {
        errbuf_set(why, whylen, "empty value");
        return -1;
    }
    /* Values end up in header fields (cache_control) and log lines: a CR
     * or LF there would write a header or a line of its own. */
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            errbuf_set(why, whylen, "control byte 0x%02x in the value",
                       (unsigned)(unsigned char)*p);
            return -1;
        }
    }
    copy = strdup(v);
    if (copy == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    free(*f);
    *f = copy;
    return 0;
}

static int
set_uint(struct config *cfg, const struct directive *d, const char *v,
         char *why, size_t whylen)
{
    uint64_t n;

    if (num_parse_u64(v, strlen(v), d->max, &n) == -1 || n < d->min)
        goto bad;
    *uint_field(cfg, d->off) = (unsigned)n;
    return 0;
bad:
    errbuf_set(why, whylen, "'%s' is not a number from %u to %u", v, d->min,
               d->max);
    return -1;
}

/*
 * Appends each value of a space- or comma-separated list (so a value
 * cannot hold either); K_ADDRS values must be listen addresses.
 */
static int
add_items(struct config *cfg, const struct directive *d, const char *v,
          char *why, size_t whylen)
{
    char **arr = str_field(cfg, d);
    unsigned *n = uint_field(cfg, d->count_off);
    const char *p = v;

    while (*p != '\0') {
        size_t len = strcspn(p, " \t,");
        char host[ADDR_HOST_MAX + 1];
        uint16_t port;
        char *one;

        if (len == 0) {
            p++;
            continue;
        }
        if (*n == CONFIG_MAX_ADDRS ||
            (d->kind == K_ADDRS && len >= ADDR_INPUT_LEN)) {
            errbuf_set(why, whylen, "too long or too many values");
            return -1;
        }
        one = strndup(p, len);
        if (one == NULL) {
            errbuf_set(why, whylen, "out of memory");
            return -1;
        }
        /* The syntax only: names are looked up when the server starts. */
        if (d->kind == K_ADDRS && addr_split(one, host, &port) == -1) {
            errbuf_set(why, whylen,
                       "'%s' is not PORT, *:PORT, HOST:PORT, IPv4:PORT or "
                       "[IPv6]:PORT",
                       one);
            free(one);
            return -1;
        }
        arr[(*n)++] = one;
        p += len;
    }
    return 0;
}

/*
 * Appends each CIDR of a space- or comma-separated list to arr (count n),
 * checked here so that a typo is named with its file and line; sign is
 * '+' or '-' for an allow/deny list, 0 for a plain one.
 */
static int
add_cidr_list(char **arr, unsigned *n, char sign, const char *v, char *why,
              size_t whylen)
{
    for (const char *p = v; *p != '\0';) {
        size_t len = strcspn(p, " \t,");
        struct acl_cidr c;
        char *one;

        if (len == 0) {
            p++;
            continue;
        }
        if (acl_cidr_parse(p, len, &c, why, whylen) == -1)
            return -1;
        if (*n == CONFIG_MAX_ACL) {
            errbuf_set(why, whylen, "more than %d rules", CONFIG_MAX_ACL);
            return -1;
        }
        one = malloc(len + 2);
        if (one == NULL) {
            errbuf_set(why, whylen, "out of memory");
            return -1;
        }
        one[0] = sign;
        memcpy(one + 1, p, len);
        one[len + 1] = '\0';
        arr[(*n)++] = sign != 0 ? one : memmove(one, one + 1, len + 1);
        p += len;
    }
    return 0;
}

static char
acl_sign(const char *key)
{
    return strcasecmp(key, "deny") == 0 ? '-' : '+';
}

static void
clear_addrs(struct config *cfg, const struct directive *d)
{
    char **arr = str_field(cfg, d);
    unsigned *n = uint_field(cfg, d->count_off);

    for (unsigned i = 0; i < *n; i++) {
        free(arr[i]);
        arr[i] = NULL;
    }
    *n = 0;
}

/* on, yes, true, 1 or off, no, false, 0, any case. 0 or -1. */
static int
parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"on", "yes", "true", "1"};
    static const char *const no[] = {"off", "no", "false", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return 0;
        }
    }
    return -1;
}

static int
set_bool(struct config *cfg, const struct directive *d, const char *v,
         char *why, size_t whylen)
{
    if (parse_bool(v, (bool *)(void *)((char *)cfg + d->off)) == 0)
        return 0;
    errbuf_set(why, whylen, "'%s' is not on or off", v);
    return -1;
}

static int
apply(struct config *cfg, const struct directive *d, const char *v, char *why,
      size_t whylen)
{
    switch (d->kind) {
    case K_BOOL:
        return set_bool(cfg, d, v, why, whylen);
    case K_STR:
        if (check_str(d, v, why, whylen) == -1)
            return -1;
        return set_str(cfg, d, v, why, whylen);
    case K_UINT:
        return set_uint(cfg, d, v, why, whylen);
    case K_ADDRS:
    case K_LIST:
        return add_items(cfg, d, v, why, whylen);
    case K_ACL:
    case K_CIDRS:
        return add_cidr_list(str_field(cfg, d), uint_field(cfg, d->count_off),
                             d->kind == K_ACL ? acl_sign(d->key) : 0, v, why,
                             whylen);
    }
    return -1;
}

static const struct directive *
find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < NDIRECTIVES; i++)
        if (strcasecmp(directives[i].section, section) == 0 &&
            strcasecmp(directives[i].key, key) == 0)
            return &directives[i];
    return NULL;
}

struct ini_ctx {
    struct config *cfg;
    FILE *fp;
    int lineno;    /* line the reader handed to inih last */
    int err_line;  /* first error, 0 if none */
    char err[256]; /* "section.key: reason" of the first error */
};

/* Did fgets() stop short of the end of the line? */
static bool
line_cut(const char *line, FILE *fp)
{
    int c;

    if (strchr(line, '\n') != NULL)
        return false;
    c = getc(fp);
    if (c == EOF)
        return false;
    ungetc(c, fp);
    return true;
}

/*
 * Cuts a "#" comment off a line: a '#' after a space or tab starts one, as
 * ';' does in inih (Debian's libinih is built with inih's default inline
 * prefixes, ";" only). A '#' with no blank before it ("a#b") stays in the
 * value; one at the start of a line is inih's own whole-line comment.
 */
static void
cut_hash_comment(char *line)
{
    for (char *p = line; *p != '\0'; p++) {
        if (p[0] == '#' && p > line && (p[-1] == ' ' || p[-1] == '\t')) {
            p[0] = '\n';
            p[1] = '\0';
            return;
        }
    }
}

/*
 * inih's reader: counts lines so that errors can name them. inih's line
 * buffer is fixed, and it would parse the rest of a longer line as lines of
 * their own (a cut "[v6]:port" list reads as a section header): stop there.
 */
static char *
read_ini_line(char *buf, int size, void *stream)
{
    struct ini_ctx *ctx = stream;
    char *line = fgets(buf, size, ctx->fp);

    if (line == NULL)
        return NULL;
    ctx->lineno++;
    if (line_cut(line, ctx->fp)) {
        if (ctx->err_line == 0) {
            ctx->err_line = ctx->lineno;
            snprintf(ctx->err, sizeof(ctx->err), "line longer than %d bytes",
                     size - 2);
        }
        return NULL;
    }
    cut_hash_comment(line);
    return line;
}

/*
 * The quoted argument of a section header 'KEYWORD "ARG"' (inih hands it
 * over as written, without the brackets; keyword in any letter case, then
 * blanks) into *arg, *len (without the quotes): 0, or -1 when the header
 * is not one, ARG is empty or holds a quote.
 */
static int
section_argument(const char *section, const char *keyword, const char **arg,
                 size_t *len)
{
    size_t k = strlen(keyword), n;

    if (strncasecmp(section, keyword, k) != 0 ||
        (section[k] != ' ' && section[k] != '\t'))
        return -1;
    section += k + strspn(section + k, " \t");
    n = strlen(section);
    if (n < 3 || section[0] != '"' || section[n - 1] != '"' ||
        memchr(section + 1, '"', n - 2) != NULL)
        return -1;
    *arg = section + 1;
    *len = n - 2;
    return 0;
}

/* The prefix of a section header 'path "/PREFIX"'; 0 or -1. */
static int
path_section_prefix(const char *section, const char **prefix, size_t *len)
{
    if (section_argument(section, "path", prefix, len) == -1)
        return -1;
    return (*prefix)[0] == '/' ? 0 : -1;
}

/* The config_path of prefix, made if new; NULL with why when full. */
static struct config_path *
path_entry(struct config *cfg, const char *prefix, size_t len, char *why,
           size_t whylen)
{
    struct config_path *p;

    for (unsigned i = 0; i < cfg->npaths; i++)
        if (strlen(cfg->paths[i].prefix) == len &&
            strncmp(cfg->paths[i].prefix, prefix, len) == 0)
            return &cfg->paths[i];
    if (cfg->npaths == CONFIG_MAX_PATHS) {
        errbuf_set(why, whylen, "more than %d path sections", CONFIG_MAX_PATHS);
        return NULL;
    }
    p = &cfg->paths[cfg->npaths];
    p->prefix = strndup(prefix, len);
    if (p->prefix == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return NULL;
    }
    p->auth = -1;
    cfg->npaths++;
    return p;
}

/* A key of a [path "PREFIX"] section: allow, deny, auth. 0 or -1. */
static int
set_path_key(struct config *cfg, const char *section, const char *name,
             const char *value, char *why, size_t whylen)
{
    const char *prefix;
    size_t len;
    struct config_path *p;

    if (path_section_prefix(section, &prefix, &len) == -1) {
        errbuf_set(why, whylen,
                   "unknown section (a path section is "
                   "[path \"/PREFIX\"])");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)prefix[i] < 0x21 || prefix[i] == 0x7f) {
            errbuf_set(why, whylen, "space or control byte in the prefix");
            return -1;
        }
    }
    p = path_entry(cfg, prefix, len, why, whylen);
    if (p == NULL)
        return -1;
    if (strcasecmp(name, "allow") == 0 || strcasecmp(name, "deny") == 0)
        return add_cidr_list(p->acl, &p->nacl, acl_sign(name), value, why,
                             whylen);
    if (strcasecmp(name, "auth") == 0) {
        bool on;

        if (parse_bool(value, &on) == -1) {
            errbuf_set(why, whylen, "'%s' is not on or off", value);
            return -1;
        }
        p->auth = on ? 1 : 0;
        return 0;
    }
    errbuf_set(why, whylen, "unknown key (allow, deny, auth)");
    return -1;
}

/*
 * The name of a section header 'upstream "NAME"' (as inih hands it over)
 * into *name, *len; 0 or -1. NAME: 1 to 64 letters, digits, '-', '_', '.'.
 */
static int
upstream_section_name(const char *section, const char **name, size_t *len)
{
    if (section_argument(section, "upstream", name, len) == -1 || *len > 64)
        return -1;
    for (size_t i = 0; i < *len; i++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-_.",
                   (*name)[i]) == NULL)
            return -1;
    return 0;
}

/* The upstream definition named name[0..len), made if new; NULL with why
 * when full. The timeouts start at their defaults. */
static struct config_upstream *
upstream_def(struct config *cfg, const char *name, size_t len, char *why,
             size_t whylen)
{
    struct config_upstream *u;

    for (unsigned i = 0; i < cfg->nupstream_defs; i++)
        if (strlen(cfg->upstream_defs[i].name) == len &&
            strncmp(cfg->upstream_defs[i].name, name, len) == 0)
            return &cfg->upstream_defs[i];
    if (cfg->nupstream_defs == CONFIG_MAX_UPSTREAMS) {
        errbuf_set(why, whylen, "more than %d upstreams", CONFIG_MAX_UPSTREAMS);
        return NULL;
    }
    u = &cfg->upstream_defs[cfg->nupstream_defs];
    u->name = strndup(name, len);
    if (u->name == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return NULL;
    }
    u->connect_timeout = 10;
    u->timeout = 600;
    u->low_speed_time = 30;
    cfg->nupstream_defs++;
    return u;
}

/* An upstream URL: http:// or https://, no space or control byte; the
 * final '/'s are dropped (paths are joined with one). */
static int
set_upstream_url(char **dst, const char *v, char *why, size_t whylen)
{
    size_t n = strlen(v);

    if (strncasecmp(v, "http://", 7) != 0 &&
        strncasecmp(v, "https://", 8) != 0) {
        errbuf_set(why, whylen, "'%s' is not an http:// or https:// URL", v);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f) {
            errbuf_set(why, whylen, "space or control byte in the URL");
            return -1;
        }
    }
    while (n > 0 && v[n - 1] == '/')
        n--;
    free(*dst);
    *dst = strndup(v, n);
    if (*dst == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

/* A text value of an upstream section: no control byte (it goes into
 * request headers). */
static int
set_upstream_text(char **dst, const char *v, char *why, size_t whylen)
{
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            errbuf_set(why, whylen, "control byte in the value");
            return -1;
        }
    }
    free(*dst);
    *dst = strdup(v);
    if (*dst == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

static int
set_upstream_patterns(struct config_upstream *u, const char *v, char *why,
                      size_t whylen)
{
    for (const char *p = v; *p != '\0';) {
        size_t len = strcspn(p, " \t,");
        char *one;

        if (len == 0) {
            p++;
            continue;
        }
        if (u->npatterns == CONFIG_MAX_PATTERNS) {
            errbuf_set(why, whylen, "more than %d patterns",
                       CONFIG_MAX_PATTERNS);
            return -1;
        }
        one = strndup(p, len);
        if (one == NULL || !upstate_pattern_ok(one)) {
            errbuf_set(why, whylen, "'%.*s' is not a file name pattern",
                       (int)len, p);
            free(one);
            return -1;
        }
        u->patterns[u->npatterns++] = one;
        p += len;
    }
    return 0;
}

static int
set_upstream_secs(unsigned *dst, const char *v, char *why, size_t whylen)
{
    uint64_t n;

    if (num_parse_u64(v, strlen(v), 86400, &n) == -1 || n < 1) {
        errbuf_set(why, whylen, "'%s' is not a number from 1 to 86400", v);
        return -1;
    }
    *dst = (unsigned)n;
    return 0;
}

/* A key of an [upstream "NAME"] section. 0 or -1. */
static int
set_upstream_key(struct config *cfg, const char *section, const char *key,
                 const char *v, char *why, size_t whylen)
{
    const char *name;
    size_t len;
    struct config_upstream *u;

    if (upstream_section_name(section, &name, &len) == -1) {
        errbuf_set(why, whylen,
                   "unknown section (an upstream section is "
                   "[upstream \"NAME\"], NAME of letters, digits, - _ .)");
        return -1;
    }
    u = upstream_def(cfg, name, len, why, whylen);
    if (u == NULL)
        return -1;
    if (strcasecmp(key, "url") == 0)
        return set_upstream_url(&u->url, v, why, whylen);
    if (strcasecmp(key, "proxy") == 0)
        return set_upstream_url(&u->proxy, v, why, whylen);
    if (strcasecmp(key, "user") == 0)
        return set_upstream_text(&u->user, v, why, whylen);
    if (strcasecmp(key, "password") == 0)
        return set_upstream_text(&u->password, v, why, whylen);
    if (strcasecmp(key, "token") == 0)
        return set_upstream_text(&u->token, v, why, whylen);
    if (strcasecmp(key, "paths") == 0)
        return set_upstream_patterns(u, v, why, whylen);
    if (strcasecmp(key, "connect_timeout") == 0)
        return set_upstream_secs(&u->connect_timeout, v, why, whylen);
    if (strcasecmp(key, "timeout") == 0)
        return set_upstream_secs(&u->timeout, v, why, whylen);
    if (strcasecmp(key, "low_speed_time") == 0)
        return set_upstream_secs(&u->low_speed_time, v, why, whylen);
    errbuf_set(why, whylen,
               "unknown key (url, user, password, token, proxy, paths, "
               "connect_timeout, timeout, low_speed_time)");
    return -1;
}

/*
 * [s3] access_key and secret_key: keys of the file only, with no flag
 * (a secret on a command line is seen by every user in ps and
 * /proc/PID/cmdline); the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY) or the credentials file are the other ways.
 */
static int
set_s3_secret(struct config *cfg, const char *key, const char *v, char *why,
              size_t whylen)
{
    char **dst = strcasecmp(key, "access_key") == 0   ? &cfg->s3_access_key
                 : strcasecmp(key, "secret_key") == 0 ? &cfg->s3_secret_key
                                                      : NULL;

    if (dst == NULL) {
        errbuf_set(why, whylen,
                   "unknown key (endpoint, region, addressing, "
                   "index_refresh, negative_ttl, access_key, secret_key)");
        return -1;
    }
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            errbuf_set(why, whylen, "space or control byte in the value");
            return -1;
        }
    }
    if (*v == '\0') {
        errbuf_set(why, whylen, "empty value");
        return -1;
    }
    free(*dst);
    *dst = strdup(v);
    if (*dst == NULL) {
        errbuf_set(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

static int
on_ini_entry(void *user, const char *section, const char *name,
             const char *value)
{
    struct ini_ctx *ctx = user;
    const struct directive *d = find_key(section, name);
    char why[200];

    if (ctx->err_line != 0)
        return 1; /* report the first error only */
    if (d == NULL && strncasecmp(section, "path", 4) == 0) {
        if (set_path_key(ctx->cfg, section, name, value, why, sizeof(why)) == 0)
            return 1;
    } else if (d == NULL && strncasecmp(section, "upstream", 8) == 0) {
        if (set_upstream_key(ctx->cfg, section, name, value, why,
                             sizeof(why)) == 0)
            return 1;
    } else if (d == NULL && strcasecmp(section, "s3") == 0) {
        if (set_s3_secret(ctx->cfg, name, value, why, sizeof(why)) == 0)
            return 1;
    } else if (d == NULL) {
        errbuf_set(why, sizeof(why), "unknown key");
    } else if (apply(ctx->cfg, d, value, why, sizeof(why)) == 0)
        return 1;
    ctx->err_line = ctx->lineno;
    snprintf(ctx->err, sizeof(ctx->err), "%s.%s: %s", section, name, why);
    return 0;
}

static int
load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct ini_ctx ctx = {.cfg = cfg};
    int rc;

    ctx.fp = fopen(path, "r");
    if (ctx.fp == NULL) {
        errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    rc = ini_parse_stream(read_ini_line, &ctx, on_ini_entry, &ctx);
    if (rc == 0 && ferror(ctx.fp)) /* EISDIR, EIO: not an empty file */
        rc = -1;
    fclose(ctx.fp);
    if (rc == 0 && ctx.err_line == 0)
        return 0;
    if (ctx.err_line != 0 && (rc == 0 || ctx.err_line <= rc))
        errbuf_set(err, errlen, "%s:%d: %s", path, ctx.err_line, ctx.err);
    else if (rc > 0)
        errbuf_set(err, errlen, "%s:%d: syntax error", path, rc);
    else
        errbuf_set(err, errlen, "%s: cannot be read", path);
    return -1;
}

/* The directive a flag names; *inline_value points after '=' if any. */
static const struct directive *
find_flag(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];
        size_t n = strlen(d->long_flag);

        if (arg[0] == '-' && arg[1] == '-' &&
            strncmp(arg + 2, d->long_flag, n) == 0 &&
            (arg[2 + n] == '\0' || arg[2 + n] == '=')) {
            if (arg[2 + n] == '=')
                *inline_value = arg + 3 + n;
            return d;
        }
        if (d->short_flag != 0 && arg[0] == '-' && arg[1] == d->short_flag) {
            if (arg[2] != '\0')
                *inline_value = arg + 2;
            return d;
        }
    }
    return NULL;
}

/* Is argv[i] the config flag? Then *value is its argument (or NULL). */
static int
is_config_flag(int argc, char *const argv[], int i, const char **value)
{
    const char *a = argv[i];

    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
        *value = i + 1 < argc ? argv[i + 1] : NULL;
        return 2;
    }
    if (strncmp(a, "--config=", 9) == 0) {
        *value = a + 9;
        return 1;
    }
    if (strncmp(a, "-c", 2) == 0) {
        *value = a + 2;
        return 1;
    }
    return 0;
}

static int
apply_flag(struct config *cfg, int argc, char *const argv[], int *i,
           uint64_t *replaced, char *err, size_t errlen)
{
    const char *arg = argv[*i], *value;
    const struct directive *d = find_flag(arg, &value);
    char why[200];
    uint64_t bit;

    if (d == NULL) {
        errbuf_set(err, errlen, "%s: unknown flag (see --help)", arg);
        return -1;
    }
    if (value == NULL) {
        if (*i + 1 >= argc) {
            errbuf_set(err, errlen, "%s: needs a value", arg);
            return -1;
        }
        value = argv[++*i];
    }
    /* A list flag replaces the file's list instead of adding to it; --allow
     * and --deny share one list, so the first of either replaces it. */
    if (d->kind == K_ACL)
        bit = (uint64_t)1 << (find_key("access", "allow") - directives);
    else
        bit = (uint64_t)1 << (d - directives);
    if ((d->kind == K_ADDRS || d->kind == K_LIST || d->kind == K_ACL ||
         d->kind == K_CIDRS) &&
        !(*replaced & bit)) {
        clear_addrs(cfg, d);
        *replaced |= bit;
    }
    if (apply(cfg, d, value, why, sizeof(why)) == -1) {
        errbuf_set(err, errlen, "--%s: %s", d->long_flag, why);
        return -1;
    }
    return 0;
}

static enum config_rc
apply_flags(struct config *cfg, int argc, char *const argv[], char *err,
            size_t errlen)
{
    uint64_t replaced = 0;

    _Static_assert(NDIRECTIVES <= 64, "the replaced mask has a bit each");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *cval;
        int skip = is_config_flag(argc, argv, i, &cval);

        if (skip > 0) {
            i += skip - 1;
        } else if (strcmp(a, "--check-config") == 0) {
            cfg->check_only = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            cfg->verbose = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            config_usage(stdout);
            return CONFIG_EXIT;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("symsrvd %s\n", SYMSRVD_VERSION);
            return CONFIG_EXIT;
        } else if (apply_flag(cfg, argc, argv, &i, &replaced, err, errlen) ==
                   -1) {
            return CONFIG_ERROR;
        }
    }
    return CONFIG_OK;
}

static int
apply_defaults(struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];

        if (d->def != NULL && apply(cfg, d, d->def, err, errlen) == -1)
            return -1;
    }
    return 0;
}

/* The definition whose url is url, or -1. */
static int
upstream_by_url(const struct config *cfg, const char *url)
{
    size_t n = strlen(url);

    while (n > 0 && url[n - 1] == '/')
        n--;
    for (unsigned i = 0; i < cfg->nupstream_defs; i++)
        if (cfg->upstream_defs[i].url != NULL &&
            strlen(cfg->upstream_defs[i].url) == n &&
            strncasecmp(cfg->upstream_defs[i].url, url, n) == 0)
            return (int)i;
    return -1;
}

/*
 * The upstreams asked, in order: with store.upstream (--upstream), those
 * URLs in the order given, each with the settings of the section that
 * has the same url (or the defaults); without, every section in the
 * file's order. Flags win over the file, as everywhere.
 */
static int
order_upstreams(struct config *cfg, char *err, size_t errlen)
{
    char why[200];

    for (unsigned i = 0; i < cfg->nupstream_defs; i++) {
        if (cfg->upstream_defs[i].url == NULL) {
            errbuf_set(err, errlen, "upstream \"%s\".url: required",
                       cfg->upstream_defs[i].name);
            return -1;
        }
    }
    cfg->nupstreams = 0;
    for (unsigned i = 0; i < cfg->nupstream_urls; i++) {
        const char *url = cfg->upstream_urls[i];
        int k = upstream_by_url(cfg, url);

        if (k == -1) {
            size_t n = strlen(url);
            struct config_upstream *u;

            while (n > 0 && url[n - 1] == '/')
                n--; /* named by its URL as it is asked */
            u = upstream_def(cfg, url, n, why, sizeof(why));

            if (u == NULL ||
                set_upstream_url(&u->url, url, why, sizeof(why)) == -1) {
                errbuf_set(err, errlen, "store.upstream: %s", why);
                return -1;
            }
            k = (int)(u - cfg->upstream_defs);
        }
        cfg->upstream_order[cfg->nupstreams++] = (unsigned)k;
    }
    for (unsigned i = 0; cfg->nupstream_urls == 0 && i < cfg->nupstream_defs;
         i++)
        cfg->upstream_order[cfg->nupstreams++] = i;
    if (cfg->nupstreams > 0 && cfg->cache_dir == NULL) {
        errbuf_set(err, errlen,
                   "store.upstream: needs store.cache_dir (--cache-dir), "
                   "where fetched files are kept");
        return -1;
    }
    return 0;
}

/*
 * A store.root of s3://BUCKET/PREFIX: checked here (so a typo is named at
 * --check-config), moved to cfg->bucket, and the root becomes the empty
 * local tree beneath cache_dir (CONFIG_BUCKET_ROOT): every file then comes
 * through the bucket's fetches and their cache, as an upstream's does.
 */
static int
bucket_store(struct config *cfg, char *err, size_t errlen)
{
    char *local;

    if (!s3url_is_store(cfg->root)) /* checked by check_root() */
        return 0;
    if (cfg->cache_dir == NULL) {
        errbuf_set(err, errlen,
                   "store.root %s: a bucket store needs store.cache_dir "
                   "(--cache-dir), where its files are kept",
                   cfg->root);
        return -1;
    }
    if (asprintf(&local, "%s/" CONFIG_BUCKET_ROOT, cfg->cache_dir) == -1) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    free(cfg->bucket);
    cfg->bucket = cfg->root;
    cfg->root = local;
    return 0;
}

/* Rules across settings, after every source has been applied. */
static int
validate(struct config *cfg, const char *demo_root, char *err, size_t errlen)
{
    char why[64];

    if (cfg->root == NULL && cfg->file != NULL) {
        errbuf_set(err, errlen, "%s: store.root: required", cfg->file);
        return -1;
    }
    if (cfg->root == NULL && demo_root == NULL) {
        errbuf_set(err, errlen,
                   "no store: give -r DIR (the store) or -c FILE (a config "
                   "file, e.g. /etc/symsrvd/symsrvd.conf)");
        return -1;
    }
    if (cfg->root == NULL && set_str(cfg, find_key("store", "root"), demo_root,
                                     why, sizeof(why)) == -1) {
        errbuf_set(err, errlen, "store.root: %s", why);
        return -1;
    }
    if (cfg->nlisten == 0 && cfg->ntls_listen == 0) {
        if (add_items(cfg, find_key("server", "listen"), "127.0.0.1:8080", why,
                      sizeof(why)) == -1) {
            errbuf_set(err, errlen, "server.listen: %s", why);
            return -1;
        }
        cfg->listen_default = true;
    }
    if (cfg->expand_compressed && cfg->cache_dir == NULL) {
        errbuf_set(err, errlen,
                   "store.expand_compressed: needs store.cache_dir");
        return -1;
    }
    if (cfg->ntls_listen > 0 &&
        (cfg->tls_cert == NULL || cfg->tls_key == NULL)) {
        errbuf_set(err, errlen,
                   "server.tls_listen: needs tls_cert and tls_key "
                   "(--tls-cert, --tls-key)");
        return -1;
    }
    if (order_upstreams(cfg, err, errlen) == -1 ||
        bucket_store(cfg, err, errlen) == -1)
        return -1;
    for (unsigned i = 0; i < cfg->npaths; i++) {
        if (cfg->paths[i].auth == 1 && cfg->htpasswd == NULL &&
            cfg->tokens == NULL) {
            errbuf_set(err, errlen,
                       "path \"%s\".auth: needs auth.htpasswd or auth.tokens",
                       cfg->paths[i].prefix);
            return -1;
        }
    }
    return 0;
}

/*
 * The file named by -c, found before any other flag is applied, since
 * flags win over it. Values of other flags are skipped, so "-a -cfoo"
 * logs to "-cfoo" and loads nothing.
 */
static int
find_config_file(struct config *cfg, int argc, char *const argv[], char *err,
                 size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *value;
        int skip = is_config_flag(argc, argv, i, &value);

        if (skip == 0) {
            if (find_flag(argv[i], &value) != NULL && value == NULL)
                i++; /* the flag's value */
            continue;
        }
        if (value == NULL || *value == '\0') {
            errbuf_set(err, errlen, "%s: needs a file", argv[i]);
            return -1;
        }
        if (cfg->file != NULL) {
            errbuf_set(err, errlen, "%s: only one config file", argv[i]);
            return -1;
        }
        cfg->file = strdup(value);
        if (cfg->file == NULL) {
            errbuf_set(err, errlen, "out of memory");
            return -1;
        }
        i += skip - 1;
    }
    return 0;
}

enum config_rc
config_load(struct config *cfg, int argc, char *const argv[],
            const char *demo_root, char *err, size_t errlen)
{
    enum config_rc rc;

    if (apply_defaults(cfg, err, errlen) == -1 ||
        find_config_file(cfg, argc, argv, err, errlen) == -1 ||
        (cfg->file != NULL && load_file(cfg, cfg->file, err, errlen) == -1))
        return CONFIG_ERROR;
    rc = apply_flags(cfg, argc, argv, err, errlen);
    if (rc != CONFIG_OK)
        return rc;
    return validate(cfg, demo_root, err, errlen) == 0 ? CONFIG_OK
                                                      : CONFIG_ERROR;
}

void
config_free(struct config *cfg)
{
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];

        if (d->kind == K_STR)
            free(*str_field(cfg, d));
        else if (d->kind != K_UINT && d->kind != K_BOOL)
            clear_addrs(cfg, d);
    }
    for (unsigned i = 0; i < cfg->nupstream_defs; i++) {
        struct config_upstream *u = &cfg->upstream_defs[i];

        free(u->name);
        free(u->url);
        free(u->user);
        free(u->password);
        free(u->token);
        free(u->proxy);
        for (unsigned j = 0; j < u->npatterns; j++)
            free(u->patterns[j]);
    }
    for (unsigned i = 0; i < cfg->npaths; i++) {
        free(cfg->paths[i].prefix);
        for (unsigned j = 0; j < cfg->paths[i].nacl; j++)
            free(cfg->paths[i].acl[j]);
    }
    free(cfg->bucket);
    free(cfg->s3_access_key);
    if (cfg->s3_secret_key != NULL) /* not left in freed memory */
        explicit_bzero(cfg->s3_secret_key, strlen(cfg->s3_secret_key));
    free(cfg->s3_secret_key);
    free(cfg->file);
    memset(cfg, 0, sizeof(*cfg));
}

void
config_usage(FILE *fp)
{
    fprintf(fp, "usage: symsrvd [-c FILE] [--check-config] [flags]\n"
                "  -c, --config FILE                INI file; flags win over "
                "it\n"
                "      --check-config               validate and exit 0 or 1\n"
                "  -v, --verbose                    debug lines on stderr\n"
                "  -h, --help                       this text\n"
                "  -V, --version                    the version\n");
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];
        char flag[48];

        if (d->short_flag != 0)
            snprintf(flag, sizeof(flag), "-%c, --%s %s", d->short_flag,
                     d->long_flag, d->metavar);
        else
            snprintf(flag, sizeof(flag), "    --%s %s", d->long_flag,
                     d->metavar);
        fprintf(fp, "  %-32s %s [%s] %s\n", flag, d->help, d->section, d->key);
    }
}
