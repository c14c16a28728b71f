/*
 * debuginfod clients (debuginfod-find, gdb, llvm-debuginfod-find) served
 * from the SSQP keys of the store (../docs/debuginfod.md):
 *
 *   /buildid/<hex>/debuginfo   _.debug/elf-buildid-sym-<hex>/_.debug
 *   /buildid/<hex>/executable  <name>/elf-buildid-<hex>/<name>, any name
 *   /buildid/<hex>/section/<s> section <s> of the first of those two that
 *                              has it with bytes (elfsect.h)
 *
 * and the store's one identifier index, which answers those executables
 * and every other client's name for a stored file (ids.h, docs/store.md):
 * Breakpad debug ids and code ids (Backtrace), symbolicator's unified
 * layout. It maps ids to stored paths, built from the key directory names
 * alone (no file is parsed): ELF executables (elf-buildid-), Mach-O
 * binaries (mach-uuid-), PDBs and Breakpad files (GUID + age keys). Debug
 * files (_.debug, _.dwarf) are not read: their paths follow from the id.
 * It is built at start-up, then rebuilt in a background thread when the
 * store changes, and swapped in whole: requests never scan the tree and
 * never wait for a rebuild. Every other /buildid/ path (source, malformed
 * ids, unusable section names) is a miss.
 */
#ifndef SYMSRVD_DEBUGINFOD_H
#define SYMSRVD_DEBUGINFOD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/elfsect.h"
#include "store/ids.h"

/* Longest build-id, in hex digits (64 bytes). */
#define DEBUGINFOD_HEX_MAX 128
/* SSQP pads a build-id shorter than 20 bytes with zero bytes to 20. */
#define DEBUGINFOD_SSQP_HEX 40

enum debuginfod_kind {
    DEBUGINFOD_NONE,       /* not a debuginfod path: the store's to serve */
    DEBUGINFOD_OTHER,      /* a debuginfod path symsrvd does not serve: 404 */
    DEBUGINFOD_DEBUGINFO,  /* /buildid/<hex>/debuginfo */
    DEBUGINFOD_EXECUTABLE, /* /buildid/<hex>/executable */
    DEBUGINFOD_SECTION,    /* /buildid/<hex>/section/<name> */
};

struct debuginfod_req {
    char id[DEBUGINFOD_HEX_MAX + 1]; /* as asked: lower-case hex */
    /* id followed by '0's up to DEBUGINFOD_SSQP_HEX digits, the key SSQP
     * writes for a short build-id; "" when id has 40 digits or more. */
    char padded[DEBUGINFOD_SSQP_HEX + 1];
    /* DEBUGINFOD_SECTION: the section name, 1 to ELFSECT_NAME_MAX bytes of
     * 0x21-0x7e except '/'; "" otherwise. */
    char section[ELFSECT_NAME_MAX + 1];
};

/*
 * Pure. Classifies a canonical path (path_canonicalize()): DEBUGINFOD_NONE
 * unless its first segment is exactly "buildid" (lower case, as
 * debuginfod clients send it; "BUILDID/..." stays a store path). Then
 * DEBUGINFOD_DEBUGINFO or DEBUGINFOD_EXECUTABLE, with *out filled, for
 * exactly "buildid/<hex>/debuginfo" or ".../executable" where <hex> is
 * lower-case hex of even length from 2 to DEBUGINFOD_HEX_MAX;
 * DEBUGINFOD_SECTION for "buildid/<hex>/section/<name>" with a name as
 * out->section allows (section names are printable ASCII in practice; a
 * name with spaces, control bytes or non-ASCII bytes cannot be asked
 * for); anything else is DEBUGINFOD_OTHER (*out unspecified).
 */
enum debuginfod_kind debuginfod_parse(const char *canon,
                                      struct debuginfod_req *out);

/*
 * Pure. The X-DEBUGINFOD-FILE value for a store-relative path: the URL
 * path that serves the same file from this server, "/" + rel, with '%'
 * and every byte outside 0x21-0x7e percent-encoded (a header value must
 * not carry control bytes, and stored names may). Writes it NUL-terminated
 * into out[outsz] and returns its length; 0 when it does not fit.
 * 3 * strlen(rel) + 2 bytes always suffice.
 */
size_t debuginfod_file_value(const char *rel, char *out, size_t outsz);

struct debuginfod;

/*
 * A start (or a reload with a new store) waits this long for the first
 * index; a larger store (a million files takes minutes from a cold disk)
 * is indexed on in the background, or systemd's start timeout would kill
 * the daemon before it serves anything.
 */
#define DEBUGINFOD_START_BUDGET_MS 10000

/*
 * Opens the store root and builds the first index for up to budget_ms
 * (0: not at all), then starts the thread that rebuilds it. A first index
 * not built within the budget is built by that thread at once; until it
 * is done the index is empty (identifier and executable lookups miss) and
 * debuginfod_ready() is false. Returns NULL with the reason in err (the
 * root cannot be opened, the first scan failed). Caller frees with
 * debuginfod_free(). Thread-safe from then on.
 */
struct debuginfod *debuginfod_new(const char *root, unsigned budget_ms,
                                  char *err, size_t errlen);

/* Whether a whole index of the store has been built once. */
bool debuginfod_ready(struct debuginfod *d);

/* Stops the rebuild thread (an unfinished rebuild is abandoned), frees. */
void debuginfod_free(struct debuginfod *d);

/*
 * The stored path of the executable with build-id req->id, else of
 * req->padded, into out[outsz]: 0, or -1 with errno ENOENT (not in the
 * index) or ENAMETOOLONG. Checks first whether the store changed since the
 * index was built (two stat calls) and, if so, wakes the rebuild thread;
 * this answer still comes from the current index.
 */
int debuginfod_executable(struct debuginfod *d,
                          const struct debuginfod_req *req, char *out,
                          size_t outsz);

/* What an index record is (the key directory it came from). */
enum debuginfod_ent {
    DEBUGINFOD_ENT_ELF = 1,  /* <name>/elf-buildid-<id>/<name> */
    DEBUGINFOD_ENT_MACHO,    /* <name>/mach-uuid-<uuid>/<name> */
    DEBUGINFOD_ENT_PDB,      /* <name>.pdb/<GUID><age>/<name>.pdb */
    DEBUGINFOD_ENT_BREAKPAD, /* <name>/<GUID><age>/<symname_breakpad(name)> */
};

/* Paths a request may be answered with, best first. */
#define DEBUGINFOD_CANDS 8
struct debuginfod_cands {
    size_t n;
    char path[DEBUGINFOD_CANDS][PATH_MAX];
};

/*
 * The stored paths that may answer a request path of form (ids_classify();
 * IDS_FORM_NONE gives none), best first, into *c. The caller opens them
 * in order through the store and answers with the first that opens; a
 * path may name a file that is not there (a debug file is tried, not
 * indexed). Costs index probes only, under the index's mutex; wakes the
 * rebuild thread when the store changed, as debuginfod_executable().
 *  - IDS_FORM_FILE: for an ELF (build-id or debug id) or Mach-O module
 *    stored under that name (any case): its debug file
 *    (_.debug/elf-buildid-sym-, _.dwarf/mach-uuid-sym-), then the module;
 *  - IDS_FORM_SYM: the Breakpad file stored for that name and debug id,
 *    or for the debug id a code id stands for;
 *  - IDS_FORM_UNIFIED: executable: the ELF or Mach-O binary of that code
 *    id (any name); debuginfo: its debug file, or the PDB of that debug
 *    id; breakpad: the Breakpad file of that debug or code id.
 */
void debuginfod_ids(struct debuginfod *d, enum ids_form form,
                    const struct ids_req *q, struct debuginfod_cands *c);

/* Records in the current index; *bytes: the memory they take. */
size_t debuginfod_index_size(struct debuginfod *d, size_t *bytes);

#endif
