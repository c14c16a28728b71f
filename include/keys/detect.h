/*
 * Which format a file is, and its keys: every parser of keys/keys.h tried
 * in one fixed order until one recognises the bytes. Pure over the buffer.
 */
#ifndef SYMSRVD_KEYS_DETECT_H
#define SYMSRVD_KEYS_DETECT_H

#include <stddef.h>

#include "keys/keys.h"

enum keys_format {
    KEYS_FORMAT_NONE, /* no parser recognised the bytes, or they are empty */
    KEYS_FORMAT_PE,
    KEYS_FORMAT_PDB,
    KEYS_FORMAT_ELF,
    KEYS_FORMAT_MACHO,
    KEYS_FORMAT_BREAKPAD,
};

/*
 * The keys of the file at path (only its last segment is used) with bytes
 * buf[0..len). Tries PE, PDB, ELF, Mach-O, then Breakpad: the binary
 * formats by their magic numbers first, Breakpad's text last, so a binary
 * never reaches the text parser. The first parser that does not answer
 * KEYS_UNRECOGNISED decides: its answer is returned and *fmt names it.
 * An empty file is KEYS_BAD ("empty file"); bytes no parser takes are
 * KEYS_UNRECOGNISED with *fmt KEYS_FORMAT_NONE and a reason in why. fmt
 * may be NULL.
 */
enum keys_rc keys_detect(const char *path, const unsigned char *buf, size_t len,
                         struct keys_entry *out, size_t max, size_t *n,
                         enum keys_format *fmt, char *why, size_t whylen);

/* "PE", "PDB", "ELF", "Mach-O", "Breakpad", or "none". */
const char *keys_format_name(enum keys_format fmt);

#endif
