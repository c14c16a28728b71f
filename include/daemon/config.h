/*
 * Settings from the INI file (-c) and the command line, through one
 * directive table: each setting has one name, one parser, one doc line.
 * Flags win over the file; a list flag given once replaces the file's list.
 */
#ifndef SYMSRVD_CONFIG_H
#define SYMSRVD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_MAX_ADDRS 16
#define CONFIG_MAX_ACL 64   /* CIDR rules of one list */
#define CONFIG_MAX_PATHS 32 /* [path "..."] sections */
/* Upstream symbol servers, and name patterns of one. */
#define CONFIG_MAX_UPSTREAMS 16
#define CONFIG_MAX_PATTERNS 32

/* One [path "PREFIX"] section: access rules for paths under PREFIX. */
struct config_path {
    char *prefix;              /* as written, starting with '/' */
    char *acl[CONFIG_MAX_ACL]; /* "+CIDR" (allow) or "-CIDR" (deny), in order */
    unsigned nacl;
    int auth; /* -1: as the server; 0: off; 1: on */
};

/*
 * One upstream symbol server (docs/remote.md): an [upstream "NAME"]
 * section, or a --upstream URL that names no section (then its defaults).
 */
struct config_upstream {
    char *name;                          /* the section's, or the URL */
    char *url;                           /* http(s)://..., no final '/' */
    char *user, *password;               /* HTTP Basic, or NULL */
    char *token;                         /* bearer token, or NULL */
    char *proxy;                         /* HTTP proxy URL, or NULL */
    char *patterns[CONFIG_MAX_PATTERNS]; /* file names it may be asked */
    unsigned npatterns;                  /* 0: any */
    unsigned connect_timeout;            /* seconds */
    unsigned timeout;                    /* seconds for a whole fetch */
    unsigned low_speed_time;             /* seconds under 1 byte/s */
};

struct config {
    char *file;          /* -c FILE, or NULL */
    char *root;          /* store.root: the local tree
                            (for a bucket store, the empty
                            one in cache_dir: site.c) */
    char *bucket;        /* store.root as s3://BUCKET/PREFIX, or NULL (disk) */
    char *s3_endpoint;   /* s3.endpoint, or NULL (AWS's of the region) */
    char *s3_region;     /* s3.region, or NULL (AWS_REGION, us-east-1) */
    char *s3_addressing; /* s3.addressing: auto, path, virtual */
    char *s3_access_key; /* s3.access_key: the file only, or NULL */
    char *s3_secret_key; /* s3.secret_key: the file only, or NULL */
    unsigned s3_index_refresh; /* seconds between index refreshes */
    unsigned s3_negative_ttl;  /* seconds a 404 of the bucket is kept */
    bool serve_admin;          /* store.serve_admin */
    char *pointer_roots[CONFIG_MAX_ADDRS]; /* file.ptr may point here */
    unsigned npointer_roots;
    bool expand_compressed;    /* app.pdb from app.pd_ */
    char *cache_dir;           /* expanded files */
    unsigned max_expanded_mib; /* largest expansion, MiB */
    unsigned cache_max_mib;    /* bound of cache_dir, MiB; 0: none */
    char *listen[CONFIG_MAX_ADDRS];
    unsigned nlisten;
    bool listen_default; /* listen is the default, no address was given */
    char *tls_listen[CONFIG_MAX_ADDRS];
    unsigned ntls_listen;
    char *tls_cert;
    char *tls_key;
    char *metrics_listen[CONFIG_MAX_ADDRS]; /* /metrics, /healthz, /readyz */
    unsigned nmetrics_listen;
    char *access_log;         /* "-" stdout, "off" none */
    char *addr_file;          /* bound addresses written here, or NULL */
    unsigned workers;         /* 0: one per online CPU */
    unsigned max_connections; /* per worker */
    unsigned max_connections_per_client; /* per client address; 0: none */
    unsigned timeout;           /* seconds a connection may make no progress */
    unsigned shutdown_timeout;  /* seconds running downloads get on SIGTERM */
    unsigned job_threads;       /* the job pool's threads */
    unsigned job_queue;         /* jobs waiting for a thread, at most */
    unsigned job_timeout;       /* seconds a request waits for its job */
    unsigned max_header_size;   /* bytes of request line plus headers */
    unsigned max_ranges;        /* ranges honoured per request */
    char *cache_control;        /* Cache-Control of hits */
    unsigned miss_max_age;      /* max-age of 404s, seconds */
    bool compress;              /* http.compress: gzip/zstd copies */
    unsigned compress_min;      /* http.compress_min_bytes */
    unsigned compress_max_mib;  /* larger files are sent as stored */
    char *htpasswd;             /* auth.htpasswd */
    char *auth_realm;           /* auth.realm */
    char *tokens;               /* auth.tokens: bearer tokens */
    unsigned auth_max_failures; /* failures per window that lock out; 0 off */
    unsigned auth_window;       /* seconds failures are counted over */
    unsigned auth_lockout;      /* seconds a lock-out lasts */
    char *acl[CONFIG_MAX_ACL];  /* access.allow/deny: "+CIDR" or "-CIDR" */
    unsigned nacl;
    char *trusted_proxies[CONFIG_MAX_ACL]; /* CIDR text */
    unsigned ntrusted_proxies;
    struct config_path paths[CONFIG_MAX_PATHS];
    unsigned npaths;
    char *upstream_urls[CONFIG_MAX_ADDRS]; /* store.upstream, --upstream */
    unsigned nupstream_urls;
    unsigned upstream_negative_ttl; /* seconds a 404 of an upstream is kept */
    unsigned upstream_backoff;      /* seconds a failing upstream is skipped */
    unsigned upstream_failures;     /* failures in a row before that */
    unsigned upstream_max_mib;      /* largest file fetched, MiB */
    /* Every [upstream "NAME"] section, then the --upstream URLs no
     * section names; upstream_order[] lists the ones asked, in order. */
    struct config_upstream upstream_defs[CONFIG_MAX_UPSTREAMS];
    unsigned nupstream_defs;
    unsigned upstream_order[CONFIG_MAX_UPSTREAMS];
    unsigned nupstreams;
    bool check_only; /* --check-config */
    bool verbose;    /* -v: debug lines on stderr */
};

/* Whether files may be fetched (upstreams or a bucket store): the hub of
 * fetches (fetch.h) is made, and cache_dir is needed. */
static inline bool
config_fetches(const struct config *cfg)
{
    return cfg->nupstreams > 0 || cfg->bucket != NULL;
}

/* What is served, for log lines: the bucket's URL or the root. */
static inline const char *
config_store_name(const struct config *cfg)
{
    return cfg->bucket != NULL ? cfg->bucket : cfg->root;
}

/* The cache directory's subdirectory that is a bucket store's local
 * tree: empty, so every file comes through the bucket's fetches. */
#define CONFIG_BUCKET_ROOT "bucket-root"

enum config_rc {
    CONFIG_OK,
    CONFIG_EXIT, /* --help or --version printed: exit 0 */
    CONFIG_ERROR /* err holds "file:line: key: reason" or "flag: reason" */
};

/*
 * Fills cfg (which the caller zeroed) from defaults, then the file named by
 * -c, then the flags. demo_root is store.root when neither -c nor -r is
 * given; NULL (what symsrvd passes) makes that an error asking for -r or
 * -c. On CONFIG_ERROR, err holds one line naming the problem. The caller
 * owns cfg's strings either way: config_free().
 */
enum config_rc config_load(struct config *cfg, int argc, char *const argv[],
                           const char *demo_root, char *err, size_t errlen);

void config_free(struct config *cfg);

/* The flag summary for --help. */
void config_usage(FILE *fp);

#endif
