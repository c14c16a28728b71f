/* Format detection; see detect.h. */
#include <string.h>

#include "keys/detect.h"
#include "util/errbuf.h"

typedef enum keys_rc (*keys_parser)(const char *, const unsigned char *, size_t,
                                    struct keys_entry *, size_t, size_t *,
                                    char *, size_t);

/* The order of detect.h: magic numbers first, Breakpad's text last. */
static const struct {
    enum keys_format fmt;
    keys_parser parse;
} parsers[] = {
    {KEYS_FORMAT_PE, keys_pe},
    {KEYS_FORMAT_PDB, keys_pdb},
    {KEYS_FORMAT_ELF, keys_elf},
    {KEYS_FORMAT_MACHO, keys_macho},
    {KEYS_FORMAT_BREAKPAD, keys_breakpad},
};

enum keys_rc
keys_detect(const char *path, const unsigned char *buf, size_t len,
            struct keys_entry *out, size_t max, size_t *n,
            enum keys_format *fmt, char *why, size_t whylen)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    enum keys_format ignored;

    if (fmt == NULL)
        fmt = &ignored;
    *fmt = KEYS_FORMAT_NONE;
    if (len == 0) {
        errbuf_set(why, whylen, "empty file");
        return KEYS_BAD;
    }
    for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
        enum keys_rc rc =
            parsers[i].parse(base, buf, len, out, max, n, why, whylen);

        if (rc != KEYS_UNRECOGNISED) {
            *fmt = parsers[i].fmt;
            return rc;
        }
    }
    errbuf_set(why, whylen,
               "not a symbol file (PE, PDB, ELF, Mach-O or Breakpad)");
    return KEYS_UNRECOGNISED;
}

const char *
keys_format_name(enum keys_format fmt)
{
    switch (fmt) {
    case KEYS_FORMAT_PE:
        return "PE";
    case KEYS_FORMAT_PDB:
        return "PDB";
    case KEYS_FORMAT_ELF:
        return "ELF";
    case KEYS_FORMAT_MACHO:
        return "Mach-O";
    case KEYS_FORMAT_BREAKPAD:
        return "Breakpad";
    case KEYS_FORMAT_NONE:
        break;
    }
    return "none";
}
