/*
 * Writing a symbol store into an S3-compatible bucket (s3://BUCKET/PREFIX)
 * as symstore/symstore.h writes one on disk: the same objects under the
 * same keys, the same 000Admin bookkeeping, byte for byte. It is the disk
 * writer itself that decides every byte: a transaction is staged in a
 * private temporary directory holding what it needs of the bucket store
 * (000Admin's lastid.txt, server.txt and history.txt, index2.txt, and the
 * refs.ptr of each key directory it writes to), symstore.h writes there,
 * and what it wrote is uploaded. The order makes a transaction visible
 * only when complete, as on disk:
 *  1. the writers' lock: 000Admin/.lock, PUT with If-None-Match: * (the
 *     write happens only if no such object exists; AWS S3, MinIO, Ceph and
 *     R2 honour it). A writer that finds it waits (s3store_open()'s
 *     lock_wait) and then fails naming the holder the object records. It
 *     is deleted at commit or abort; a writer that died leaves it, and the
 *     next one fails until someone deletes it (no automatic take-over: S3
 *     cannot delete "only if still the stale one", so two writers taking
 *     over could both believe they hold it);
 *  2. per file added: the stored file (multipart above the part size),
 *     then its key directory's refs.ptr;
 *  3. at commit: 000Admin/NNNNNNNNNN, server.txt, history.txt, then
 *     lastid.txt (the point of publication), then pingme.txt.
 * An object PUT is atomic in S3 (a reader sees the old object or the new
 * one), so no temporary names are needed. A run that fails or dies after
 * step 2 leaves its files and refs.ptr lines in the bucket unpublished
 * (no transaction names them); unlike the disk writer, nothing rolls them
 * back (docs/filling-a-store.md says so).
 */
#ifndef SYMSRVD_SYMSTORE_S3STORE_H
#define SYMSRVD_SYMSTORE_S3STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "keys/keys.h"
#include "remote/s3.h"
#include "symstore/symstore.h"

#define S3STORE_LOCK "000Admin/.lock"

struct s3store;

/*
 * A writer of the bucket store url with conf (remote/s3.h). two_tier: a
 * new store is made two-tier. lock_wait: seconds to wait for another
 * writer's lock. Checks the bucket answers (credentials, bucket). NULL
 * with the reason in err.
 */
struct s3store *s3store_open(const struct s3_conf *conf, const char *url,
                             bool two_tier, unsigned lock_wait, char *err,
                             size_t errlen);

/* Takes the lock, stages the store's admin files, begins a transaction
 * (symstore_begin()). 0, or -1 with err (the lock is not held then). */
int s3store_begin(struct s3store *b, const struct symstore_txn *t, char *err,
                  size_t errlen);

/* As symstore_add(), then uploads the stored files and refs.ptr. After a
 * failed upload the transaction can no longer be committed. */
int s3store_add(struct s3store *b, const char *src_path,
                const unsigned char *buf, size_t len,
                const struct keys_entry *e, size_t n, char *err, size_t errlen);

/* Publishes (step 3 above) and releases the lock. As symstore_commit():
 * the id, 0 for an empty transaction, -1 with err. */
long s3store_commit(struct s3store *b, char *err, size_t errlen);

/* Drops the transaction and releases the lock. */
void s3store_abort(struct s3store *b);

/*
 * Deletes transaction id as symstore_delete() does on disk, under the
 * lock: the key directories its transaction file names are staged (their
 * refs.ptr, and an empty stand-in for each other object, which is all the
 * disk writer looks at), symstore_delete() runs there, and the difference
 * is applied to the bucket: objects it removed are deleted, refs.ptr
 * rewritten; then 000Admin/NNNNNNNNNN.deleted, the transaction file
 * deleted, server.txt, history.txt, lastid.txt, pingme.txt. 0, or -1
 * with err.
 */
int s3store_delete(struct s3store *b, long id, char *err, size_t errlen);

/* Removes the staging directory; frees b. */
void s3store_close(struct s3store *b);

#endif
