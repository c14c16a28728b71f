/*
 * Filling and refreshing the case-folded listing index (remote/
 * listindex.h) of a bucket store from the bucket (remote/s3.h). Blocking
 * requests: run it off the event loop (a job of the daemon's pool).
 *
 * Cost, per refresh (docs/remote.md, "A bucket-backed cluster"):
 *  - s3index_full(): one ListObjectsV2 per 1000 objects of the store
 *    (1000 requests per million objects);
 *  - s3index_refresh(): one GET of 000Admin/lastid.txt when nothing
 *    changed; after new transactions, per transaction one GET of its
 *    transaction file 000Admin/NNNNNNNNNN and one listing per key
 *    directory it names. A transaction without its file (a delete, or a
 *    writer that is not symstore-like) makes it list the whole store
 *    again into a new index.
 */
#ifndef SYMSRVD_REMOTE_S3INDEX_H
#define SYMSRVD_REMOTE_S3INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "remote/listindex.h"
#include "remote/txnfile.h"
#include "remote/s3.h"

/* Where an index stands: the last transaction it holds. */
struct s3index_state {
    long last_id;      /* 0: none yet */
    bool two_tier;     /* the store has index2.txt */
    unsigned requests; /* requests the last call made */
};

/*
 * Lists the whole store into li (emptied by the caller: a new index), and
 * records its lastid.txt and layout in st. 0, or -1 with err.
 */
int s3index_full(struct s3 *s, struct listindex *li, struct s3index_state *st,
                 char *err, size_t errlen);

enum s3index_rc { S3INDEX_SAME, S3INDEX_UPDATED, S3INDEX_ERROR };

/*
 * Brings *li up to the store's lastid.txt (see above); *li may be
 * replaced by a new index (the old one freed). S3INDEX_ERROR with err
 * leaves *li as it was, possibly with part of the new entries.
 */
enum s3index_rc s3index_refresh(struct s3 *s, struct listindex **li,
                                struct s3index_state *st, char *err,
                                size_t errlen);

#endif
