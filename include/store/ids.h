/*
 * Every client's name for a stored file (docs/store.md, "Identifiers"):
 * Breakpad debug ids and code ids (Backtrace, Breakpad's own tools) and
 * symbolicator's "unified" layout, mapped onto the SSQP keys that symsrv
 * add and symstore.exe write. Pure: no I/O, no allocation; every input is
 * outside bytes (a request path, a directory name) and is bounds-checked.
 *
 * Breakpad's identifiers (PROTOCOL.md):
 *   ELF     debug id: the first 16 bytes of the GNU build-id (zero-padded
 *           when shorter) read as a GUID, so its first three fields
 *           (u32, u16, u16) are byte-swapped, upper-case hex, then the
 *           age "0". Code id: the whole build-id, lower-case hex.
 *   Mach-O  debug id: the LC_UUID as it is, upper case, then "0". Code
 *           id: the UUID, lower case.
 *   PE/PDB  the symstore keys themselves (nothing to convert).
 */
#ifndef SYMSRVD_STORE_IDS_H
#define SYMSRVD_STORE_IDS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDS_GUID_LEN 16
/* Longest build-id (64 bytes), as debuginfod.h. */
#define IDS_ID_MAX 64
/* SSQP pads a build-id shorter than 20 bytes with zero bytes to 20. */
#define IDS_SSQP_LEN 20
/* A debug id in text: 32 hex digits of GUID, 1 to 8 of age. */
#define IDS_DEBUG_TEXT_MAX 40

/* A Breakpad/PDB debug id: a GUID (bytes in text order) and an age. */
struct ids_debug {
    unsigned char guid[IDS_GUID_LEN];
    uint32_t age;
};

/*
 * The GUID bytes an ELF build-id stands for, and back (the same swap of
 * the first three fields both ways): out[16] from in[0..n), zero-padded
 * when n < 16.
 */
void ids_elf_guid(const unsigned char *in, size_t n, unsigned char *out);

/* The text of a debug id, "<32 upper hex><age, upper hex>", into
 * out[IDS_DEBUG_TEXT_MAX + 1]. */
void ids_debug_text(const struct ids_debug *d, char *out);

/*
 * Parses a debug id: 32 hex digits then 1 to 8 hex digits of age, letters
 * in any case, nothing else, exactly s[0..n). True on success.
 */
bool ids_parse_debug(const char *s, size_t n, struct ids_debug *out);

/*
 * Parses an even number (2 to 2 * IDS_ID_MAX) of hex digits, any case,
 * exactly s[0..n), into out[IDS_ID_MAX]; *outlen = n / 2. True on success.
 */
bool ids_parse_hex(const char *s, size_t n, unsigned char *out, size_t *outlen);

/* What a key directory's name says, for the index. */
enum ids_key {
    IDS_KEY_NONE,  /* anything else (elf-buildid-sym-, PE keys, junk) */
    IDS_KEY_ELF,   /* elf-buildid-<even hex>: id = the build-id */
    IDS_KEY_MACHO, /* mach-uuid-<32 hex>: id = the UUID */
    IDS_KEY_DEBUG, /* <32 hex><age hex>: a PDB's or Breakpad file's key */
};

/*
 * Classifies a key directory name (letters in any case). For IDS_KEY_ELF
 * and IDS_KEY_MACHO, id[IDS_ID_MAX] and *idlen hold the id's bytes; for
 * IDS_KEY_DEBUG, *dbg is filled. A name can be both a debug id and
 * nothing else: elf- and mach- prefixes are not hex.
 */
enum ids_key ids_key_parse(const char *name, unsigned char *id, size_t *idlen,
                           struct ids_debug *dbg);

/* What a request path (after the ordinary lookup missed) asks for. */
enum ids_form {
    IDS_FORM_NONE,    /* none of these: the miss stands */
    IDS_FORM_FILE,    /* <name>/<id>/<name>: the module itself */
    IDS_FORM_SYM,     /* <name>/<id>/<name or stem>.sym: Breakpad */
    IDS_FORM_UNIFIED, /* <id[0:2]>/<id[2:]>/<what>: symbolicator */
};

/* symbolicator's unified suffixes that the store can answer. */
enum ids_what {
    IDS_WHAT_EXECUTABLE,
    IDS_WHAT_DEBUGINFO,
    IDS_WHAT_BREAKPAD,
};

struct ids_req {
    enum ids_what what;      /* IDS_FORM_UNIFIED */
    char name[NAME_MAX + 1]; /* FILE, SYM: the first segment */
    bool has_debug;          /* id read as a debug id */
    struct ids_debug debug;  /* when has_debug */
    size_t codelen;          /* id read as hex bytes (a code id); 0: not */
    unsigned char code[IDS_ID_MAX];
};

/*
 * Pure. Classifies a canonical store path (path_canonicalize(): no empty,
 * "." or ".." segments) that has exactly three segments:
 *  - "<name>/<id>/<file>" with file equal to name (ASCII case-blind):
 *    IDS_FORM_FILE;
 *  - file equal to name + ".sym" or to name with its last extension
 *    replaced by ".sym" (case-blind): IDS_FORM_SYM;
 *  - "<2 hex>/<hex>/executable|debuginfo|breakpad" (any case, as
 *    symbolicator's casing option may upper-case the path):
 *    IDS_FORM_UNIFIED.
 * The id is read both ways it can be (a debug id, an even-length code
 * id); a form whose id is neither is IDS_FORM_NONE. *out is filled for a
 * form, unspecified for IDS_FORM_NONE.
 */
enum ids_form ids_classify(const char *canon, struct ids_req *out);

#endif
