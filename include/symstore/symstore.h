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
 *    rename, then pingme.txt touched): a crash before that leaves stored
 *    files and refs.ptr lines of an id that lastid.txt never reached;
 *    the next transaction takes that id again: its refs.ptr, server.txt
 *    and history.txt lines replace any of that id left behind, so later
 *    runs do not trip over it. A file only the dead run stored keeps its
 *    stale refs.ptr line (it is never removed by a delete; harmless).
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
 * appends this transaction's line to each refs.ptr and records the entry
 * for the transaction file ("file\KEY","src_path"). The type column of
 * refs.ptr is derived from the bytes: "pri" for a PDB (MSF 7.00, JG 2.00
 * or portable: symstore.exe says "pub" only for a stripped PDB, which
 * needs the PDB's streams to tell and which no client reads), "bin" for
 * anything else. src_path must not hold '"' or a line end. 0, or -1 with
 * err; on -1 this file's refs.ptr lines are taken back and it is not in
 * the transaction file (bytes already renamed stay, unreferenced).
 */
int symstore_add(struct symstore *s, const char *src_path,
                 const unsigned char *buf, size_t len,
                 const struct keys_entry *e, size_t n, char *err,
                 size_t errlen);

/* Publishes the transaction (see above) and releases the lock. Returns
 * the transaction id (> 0), or -1 with err. A transaction that added
 * nothing is not written (returns 0). */
long symstore_commit(struct symstore *s, char *err, size_t errlen);

/* Drops the transaction (files already renamed stay, unreferenced by any
 * published id, as after a crash) and releases the lock. */
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
