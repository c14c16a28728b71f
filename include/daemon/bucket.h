/*
 * A bucket store (store.root s3://BUCKET/PREFIX, docs/remote.md "A
 * bucket-backed cluster") as the first source of the hub of fetches
 * (fetch.h): its files come through the same fetch, stream and cache as
 * an upstream's, signed by remote/s3.c's s3_prepare().
 *
 * What the bucket holds is known from its case-folded listing index
 * (remote/listindex.h), built and then refreshed (remote/s3index.h) by a
 * thread of the bucket's own every s3.index_refresh seconds: blocking
 * requests, never on a worker's loop. The refresher changes its own
 * index in place and, when something changed, publishes a copy of it
 * (listindex_clone()) swapped in whole under the lock; lookups take the
 * lock for one hash probe. Memory: twice the index (docs/remote.md).
 *
 * Until the first listing succeeded (a bucket down, or credentials
 * refused, at start), nothing is known: a path is asked of the bucket
 * by the spelling the client sent, and its 404 is remembered by the
 * hub's negative cache for s3.negative_ttl.
 *
 * Thread-safe once bucket_open() returned; ownership: the hub's.
 */
#ifndef SYMSRVD_DAEMON_BUCKET_H
#define SYMSRVD_DAEMON_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "daemon/config.h"

struct bucket;

/*
 * Opens cfg->bucket (credentials resolved: none found is an error) and
 * starts its refresher, whose first listing runs at once. On the main
 * thread, after curl_global_init(). NULL with the reason in err.
 */
struct bucket *bucket_open(const struct config *cfg, char *err, size_t errlen);

/* Stops the refresher (a request it runs ends within its timeouts) and
 * frees. NULL is a no-op. */
void bucket_free(struct bucket *b);

/* The store URL, "s3://BUCKET/PREFIX", for log lines. */
const char *bucket_name(const struct bucket *b);

enum bucket_look {
    BUCKET_HAS,     /* indexed: out holds the stored spelling */
    BUCKET_LACKS,   /* the index holds no spelling of it */
    BUCKET_UNKNOWN, /* no index yet: out holds rel as asked */
};

/* What the index says of the store path rel; out[outlen] gets the name
 * to ask the bucket for (cut: BUCKET_LACKS). Any thread. */
enum bucket_look bucket_lookup(struct bucket *b, const char *rel, char *out,
                               size_t outlen);

/*
 * Prepares e for a signed GET of the stored name; the header list made
 * goes to *hdrs (the caller frees it after the transfer). 0, or -1 with
 * err. Any thread.
 */
int bucket_prepare(const struct bucket *b, CURL *e, const char *stored,
                   struct curl_slist **hdrs, char *err, size_t errlen);

/* For /metrics: listings (full or by transactions) that worked, that
 * failed; the entries of the published index and its bytes. */
struct bucket_counts {
    uint64_t refreshes, failures;
    size_t entries, bytes;
};
void bucket_counts(struct bucket *b, struct bucket_counts *c);

#endif
