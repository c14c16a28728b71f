/*
 * debuginfod clients (debuginfod-find, gdb, llvm-debuginfod-find) served
 * from the SSQP keys of the store (../docs/debuginfod.md):
 *
 *   /buildid/<hex>/debuginfo   _.debug/elf-buildid-sym-<hex>/_.debug
 *   /buildid/<hex>/executable  <name>/elf-buildid-<hex>/<name>, any name
 *   /buildid/<hex>/section/<s> section <s> of the first of those two that
 *                              has it with bytes (elfsect.h)
 *
 * The executable's name is not in the request, so an index maps build-ids
 * to stored paths. It is built at start-up, then rebuilt in a background
 * thread when the store changes, and swapped in whole: requests never scan
 * the tree and never wait for a rebuild. Every other /buildid/ path
 * (source, malformed ids, unusable section names) is a miss.
 */
#ifndef SYMSRVD_DEBUGINFOD_H
#define SYMSRVD_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>

#include "store/elfsect.h"

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
 * Pure. True when a directory name is an executable's SSQP key,
 * "elf-buildid-<hex>" (letters in any case, even length, 2 to
 * DEBUGINFOD_HEX_MAX digits); writes the hex in lower case into
 * id[DEBUGINFOD_HEX_MAX + 1]. "elf-buildid-sym-..." is not one.
 */
bool debuginfod_key_id(const char *name, char *id);

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
 * Opens the store root and builds the first index, then starts the
 * thread that rebuilds it. Returns NULL with the reason in err. Caller
 * frees with debuginfod_free(). Thread-safe from then on.
 */
struct debuginfod *debuginfod_new(const char *root, char *err, size_t errlen);

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

#endif
