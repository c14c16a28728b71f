/*
 * A file's symbol key: where symstore (and symsrv add) stores it, computed
 * from the file's bytes alone. Pure: no I/O, no allocation beyond what a
 * parser library does on the caller's buffer; every read is bounds-checked
 * against len (hostile sizes and offsets never read outside buf).
 *
 * One file may be stored under several paths (an ELF executable with debug
 * info: under its name and under _.debug; a universal Mach-O: once per
 * slice), so a parser fills an array of entries.
 *
 * Key formats (docs/protocols.md):
 *   PE/PE32+     TimeDateStamp (8 hex, upper) + SizeOfImage (hex, lower,
 *                unpadded)
 *   PDB 7.0      GUID (32 hex, upper) + age (hex, lower, unpadded); no DBI
 *                stream: GUID only; PDB 2.0: signature (8 hex) + age
 *   portable PDB <guid, 32 lower hex>FFFFFFFF under the lower-case name
 *   ELF          <name>/elf-buildid-<id>/<name>; with debug info also
 *                _.debug/elf-buildid-sym-<id>/_.debug; ids shorter than
 *                20 bytes are right-padded with zero bytes to 20 (SSQP);
 *                a debug-only file (debug info, no code: objcopy
 *                --only-keep-debug) only under _.debug
 *   Mach-O       <name>/mach-uuid-<uuid, 32 lower hex>/<name> per slice;
 *                dSYM DWARF: _.dwarf/mach-uuid-sym-<uuid>/_.dwarf
 *   Breakpad     MODULE os arch id name -> <name>/<id>/<name>.sym with a
 *                trailing .pdb dropped first, as Mozilla's stores do
 *                (xul.pdb -> xul.sym, libxul.so -> libxul.so.sym)
 */
#ifndef SYMSRVD_KEYS_H
#define SYMSRVD_KEYS_H

#include <stddef.h>

#define KEYS_NAME_MAX 256
#define KEYS_KEY_MAX 160
/* The most entries one file yields (universal Mach-O slices). */
#define KEYS_MAX 16

/* One store path: <file>/<key>/<name>. */
struct keys_entry {
    char file[KEYS_NAME_MAX]; /* first segment */
    char key[KEYS_KEY_MAX];   /* second segment */
    char name[KEYS_NAME_MAX]; /* third segment: the name stored */
};

enum keys_rc {
    KEYS_OK,           /* *n entries in out */
    KEYS_UNRECOGNISED, /* not this format (keys_compute: no format) */
    KEYS_BAD,          /* this format, but empty, truncated or malformed */
};

/*
 * Each parser: basename is the file's name as given (no '/'); buf[0..len)
 * its bytes; out has room for max entries (max >= 1). On KEYS_OK, *n is
 * set; otherwise why holds one line naming the problem, such as
 * "truncated: PE optional header ends at 0x118, file has 0x80 bytes".
 */
enum keys_rc keys_pe(const char *basename, const unsigned char *buf, size_t len,
                     struct keys_entry *out, size_t max, size_t *n, char *why,
                     size_t whylen);
enum keys_rc keys_pdb(const char *basename, const unsigned char *buf,
                      size_t len, struct keys_entry *out, size_t max, size_t *n,
                      char *why, size_t whylen);
enum keys_rc keys_elf(const char *basename, const unsigned char *buf,
                      size_t len, struct keys_entry *out, size_t max, size_t *n,
                      char *why, size_t whylen);
enum keys_rc keys_macho(const char *basename, const unsigned char *buf,
                        size_t len, struct keys_entry *out, size_t max,
                        size_t *n, char *why, size_t whylen);
enum keys_rc keys_breakpad(const char *basename, const unsigned char *buf,
                           size_t len, struct keys_entry *out, size_t max,
                           size_t *n, char *why, size_t whylen);

#endif
