/*
 * PE/PE32+ key: the COFF header's TimeDateStamp and the optional header's
 * SizeOfImage (Microsoft "Symbol Storage Format"; PE format: "MS-DOS Stub",
 * "COFF File Header", "Optional Header Standard Fields").
 *
 * Every read is preceded by a bytes_fit() check of its whole range;
 * offsets are compared by subtraction, so a hostile e_lfanew cannot wrap.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "util/errbuf.h"
#include "keys/keys.h"

#define PE_DOS_HDR 0x40 /* IMAGE_DOS_HEADER */
#define PE_LFANEW_OFF 0x3c
#define PE_COFF_HDR 20    /* IMAGE_FILE_HEADER */
#define PE_SECTION_HDR 40 /* IMAGE_SECTION_HEADER */
#define PE_OPT_PE32 0x10b
#define PE_OPT_PE32P 0x20b
/* Fixed fields before the data directories: PE32 96, PE32+ 112 bytes. */
#define PE_OPT_FIXED32 96
#define PE_OPT_FIXED64 112
#define PE_SIZEOFIMAGE_OFF 56 /* same offset in PE32 and PE32+ */

struct pe_hdr {
    size_t coff;      /* offset of the COFF header */
    uint32_t stamp;   /* TimeDateStamp */
    uint16_t nsect;   /* NumberOfSections */
    uint16_t optsize; /* SizeOfOptionalHeader */
    uint32_t imgsize; /* SizeOfImage */
};

/* The DOS header, e_lfanew and the "PE\0\0" signature. */
static enum keys_rc
pe_dos(const unsigned char *buf, size_t len, struct pe_hdr *h, char *why,
       size_t whylen)
{
    uint32_t lfanew;

    if (len == 0) {
        errbuf_set(why, whylen, "empty file");
        return KEYS_BAD;
    }
    if (buf[0] != 'M' || (len >= 2 && buf[1] != 'Z')) {
        errbuf_set(why, whylen, "not a PE image: no MZ signature");
        return KEYS_UNRECOGNISED;
    }
    if (len < PE_DOS_HDR) {
        errbuf_set(why, whylen,
                   "truncated: DOS header ends at 0x%x, file has 0x%zx bytes",
                   PE_DOS_HDR, len);
        return KEYS_BAD;
    }
    lfanew = bytes_le(buf + PE_LFANEW_OFF, 4);
    if (!bytes_fit(len, lfanew, 4 + PE_COFF_HDR)) {
        errbuf_set(why, whylen,
                   "truncated: e_lfanew 0x%" PRIx32
                   " puts the COFF header past the end (0x%zx bytes)",
                   lfanew, len);
        return KEYS_BAD;
    }
    if (memcmp(buf + lfanew, "PE\0\0", 4) != 0) {
        errbuf_set(why, whylen, "no PE signature at e_lfanew 0x%" PRIx32,
                   lfanew);
        return KEYS_BAD;
    }
    h->coff = (size_t)lfanew + 4;
    return KEYS_OK;
}

/* The COFF header, the optional header and the section table. */
static enum keys_rc
pe_nt(const unsigned char *buf, size_t len, struct pe_hdr *h, char *why,
      size_t whylen)
{
    size_t opt = h->coff + PE_COFF_HDR, fixed, sect;
    uint16_t magic;

    h->nsect = (uint16_t)bytes_le(buf + h->coff + 2, 2);
    h->stamp = bytes_le(buf + h->coff + 4, 4);
    h->optsize = (uint16_t)bytes_le(buf + h->coff + 16, 2);
    if (!bytes_fit(len, opt, 2)) {
        errbuf_set(why, whylen,
                   "truncated: optional header magic at 0x%zx, file has 0x%zx "
                   "bytes",
                   opt, len);
        return KEYS_BAD;
    }
    magic = (uint16_t)bytes_le(buf + opt, 2);
    if (magic != PE_OPT_PE32 && magic != PE_OPT_PE32P) {
        errbuf_set(why, whylen, "optional header magic 0x%x is not PE32/PE32+",
                   (unsigned)magic);
        return KEYS_BAD;
    }
    fixed = magic == PE_OPT_PE32 ? PE_OPT_FIXED32 : PE_OPT_FIXED64;
    if (h->optsize < fixed) {
        errbuf_set(why, whylen,
                   "SizeOfOptionalHeader %u is below the %zu bytes its fields "
                   "need",
                   (unsigned)h->optsize, fixed);
        return KEYS_BAD;
    }
    sect = opt + h->optsize;
    if (!bytes_fit(len, sect, (size_t)h->nsect * PE_SECTION_HDR)) {
        errbuf_set(why, whylen,
                   "truncated: PE headers end at 0x%zx, file has 0x%zx bytes",
                   sect + (size_t)h->nsect * PE_SECTION_HDR, len);
        return KEYS_BAD;
    }
    h->imgsize = bytes_le(buf + opt + PE_SIZEOFIMAGE_OFF, 4);
    if (h->imgsize == 0) {
        errbuf_set(why, whylen, "SizeOfImage is 0");
        return KEYS_BAD;
    }
    return KEYS_OK;
}

enum keys_rc
keys_pe(const char *basename, const unsigned char *buf, size_t len,
        struct keys_entry *out, size_t max, size_t *n, char *why, size_t whylen)
{
    struct pe_hdr h;
    enum keys_rc rc;
    size_t blen = strlen(basename);

    rc = pe_dos(buf, len, &h, why, whylen);
    if (rc != KEYS_OK)
        return rc;
    rc = pe_nt(buf, len, &h, why, whylen);
    if (rc != KEYS_OK)
        return rc;
    if (max < 1 || blen == 0 || blen >= KEYS_NAME_MAX) {
        errbuf_set(why, whylen, "name is empty or too long, or no room");
        return KEYS_BAD;
    }
    memcpy(out->file, basename, blen + 1);
    memcpy(out->name, basename, blen + 1);
    snprintf(out->key, sizeof(out->key), "%08" PRIX32 "%" PRIx32, h.stamp,
             h.imgsize);
    *n = 1;
    return KEYS_OK;
}
