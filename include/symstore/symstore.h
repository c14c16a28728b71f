/*
 * Writing a symbol store the way symstore.exe does (docs/protocols.md,
 * "Store layout"; stores written by symstore.exe are the model: same
 * files, field order and line ends), so that symsrvd, Microsoft's
 * symsrv clients and symstore.exe itself accept it.
 *
 * A store is <root>/pingme.txt, <root>/000Admin/{lastid.txt, server.txt,
 * history.txt, NNNNNNNNNN} and <root>/[<pp>/]<file>/<key>/<name> with a
 * refs.ptr beside each stored file (index2.txt: two-tier, <pp> as
 * layout_tier_prefix(), store/layout.h). Safe under concurrency and crashes:
 *  - one writer at a time: an exclusive flock on 000Admin/.lock (made
 *    at open, never removed; symsrvd hides dot-files and 000Admin/, and
 *    symstore.exe opens only the names it knows), held from
 *    symstore_begin() to symstore_commit() or symstore_abort(), and by
 *    symstore_delete(), so transaction ids never repeat; the kernel drops
 *    it when a writer dies;
 *  - every file is written as .<name>.tmp.<pid> in its target directory
 *    (hidden by symsrvd), fsync'd and renamed, and the directory fsync'd,
 *    so symsrvd never serves a partial file;
 *  - the transaction becomes visible last (transaction file, then
 *    server.txt and history.txt appended, then lastid.txt replaced by
 *    rename, then pingme.txt touched); lastid.txt is the point of
 *    publication;
 *  - an unpublished transaction is rolled back, never adopted: before any
 *    byte of an entry is written, its transaction-file line is appended
 *    to 000Admin/.pending (after the id, on the journal's first line) and
 *    synced. The next writer (symstore_begin() or symstore_delete(), under
 *    the lock) finds the journal of a writer that died: an id lastid.txt
 *    never reached is undone as a delete would undo it (its refs.ptr
 *    lines dropped, key directories left without a line removed with
 *    their files, its transaction file and any server.txt / history.txt
 *    line of it removed, pingme.txt touched), without a history line; an
 *    id lastid.txt reached is kept. symstore_abort() rolls back the same
 *    way at once, and a failed symstore_add() its own entries. So the id
 *    the next run takes again names only that run's files. Until the next
 *    writer comes, the dead run's files are on disk (and served);
 *  - stale temporaries: .<name>.tmp.<pid> whose pid is not a live process
 *    (file_sweep_tmp()) are removed under the lock from the root and
 *    000Admin/ at every begin and delete, from each key directory a
 *    rollback or a delete touches, and from each key directory an add
 *    writes to. Not from the rest of the tree: walking a large store on
 *    every run costs too much, and a temporary elsewhere is a hidden,
 *    harmless file that goes the next time its directory is written.
 *
 * Line ends as in the fixtures: server.txt and history.txt lines each end
 * in CRLF (a last line symstore.exe left unterminated gets its CRLF when
 * a line is appended); refs.ptr lines are joined by CRLF, the last one
 * unterminated; the transaction file's lines end in CRLF; lastid.txt has
 * no line end. Dates are local time, MM/DD/YYYY,HH:MM:SS.
 */
#ifndef SYMSRVD_SYMSTORE_H
#define SYMSRVD_SYMSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "keys/keys.h"

/* Transaction ids are ten decimal digits. */
#define SYMSTORE_ID_MAX 9999999999L

struct symstore;

struct symstore_txn {
    const char *product; /* /t, required, no '"' */
    const char *version; /* /v, or NULL */
    const char *comment; /* /c, or NULL */
    bool compress;       /* /compress: store <name with last char _> as a
                          * CAB (libgcab, MSZIP) instead of <name> */
};

/*
 * Opens root for writing. create: make root (one level) and its 000Admin
 * when missing; two_tier: write index2.txt when the store is new (an
 * existing store keeps its layout). An existing directory that is not a
 * store (not empty and without 000Admin/), or that cannot be written, is
 * refused here, before anything is written. NULL with the reason in err.
 */
struct symstore *symstore_open(const char *root, bool create, bool two_tier,
                               char *err, size_t errlen);

/*
 * Takes the store lock (waits for another writer) and starts transaction
 * lastid + 1. 0, or -1 with err.
 */
int symstore_begin(struct symstore *s, const struct symstore_txn *t, char *err,
                   size_t errlen);

/*
 * Stores the file at src_path (its bytes: buf[0..len), already read by
 * the caller, who computed the entries with keys.h) under each entry,
 * after checking every segment (no name layout_is_reserved() says the
 * store owns: nothing is written for a file that has one),
 * appends this transaction's line to each refs.ptr and records the entry
 * for the transaction file ("file\KEY","src_path"). The type column of
 * refs.ptr is derived from the bytes: "pri" for a PDB (MSF 7.00, JG 2.00
 * or portable: symstore.exe says "pub" only for a stripped PDB, which
 * needs the PDB's streams to tell and which no client reads), "bin" for
 * anything else. src_path must not hold '"' or a line end. 0, or -1 with
 * err; on -1 this file's entries are rolled back (see above) and it is
 * not in the transaction file.
 */
int symstore_add(struct symstore *s, const char *src_path,
                 const unsigned char *buf, size_t len,
                 const struct keys_entry *e, size_t n, char *err,
                 size_t errlen);

/* Publishes the transaction (see above) and releases the lock. Returns
 * the transaction id (> 0), or -1 with err. A transaction that added
 * nothing is not written (returns 0). */
long symstore_commit(struct symstore *s, char *err, size_t errlen);

/* Drops the transaction, rolling back what it stored (see above), and
 * releases the lock. */
void symstore_abort(struct symstore *s);

void symstore_close(struct symstore *s);

/*
 * Deletes transaction id as symstore.exe does: renames 000Admin/NNNNNNNNNN
 * to NNNNNNNNNN.deleted, appends "NNNNNNNNNN,del,<id>" to history.txt (a
 * new id from lastid.txt), drops the id's line from server.txt and from
 * every refs.ptr it added to, and removes stored files no other
 * transaction refers to (and directories left empty). 0, or -1 with err.
 */
int symstore_delete(struct symstore *s, long id, char *err, size_t errlen);

#endif
