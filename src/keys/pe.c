/*
 * PE/PE32+ key: the COFF header's TimeDateStamp and the optional header's
 * SizeOfImage (Microsoft "Symbol Storage Format"; PE format: "MS-DOS Stub",
 * "COFF File Header", "Optional Header Standard Fields").
 *
 * Every read goes through pe_u16/pe_u32, which check the offset against
 * len before touching buf; offsets are size_t and compared by subtraction,
 * so a hostile e_lfanew cannot wrap.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"

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

static void pe_say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pe_say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* True when [off, off + n) lies inside a buffer of len bytes. */
static int
pe_fits(size_t len, size_t off, size_t n)
{
    return off <= len && n <= len - off;
}

static uint16_t
pe_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t
pe_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

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
        pe_say(why, whylen, "empty file");
        return KEYS_BAD;
    }
    if (buf[0] != 'M' || (len >= 2 && buf[1] != 'Z')) {
        pe_say(why, whylen, "not a PE image: no MZ signature");
        return KEYS_UNRECOGNISED;
    }
    if (len < PE_DOS_HDR) {
        pe_say(why, whylen,
               "truncated: DOS header ends at 0x%x, file has 0x%zx bytes",
               PE_DOS_HDR, len);
        return KEYS_BAD;
    }
    lfanew = pe_u32(buf + PE_LFANEW_OFF);
    if (!pe_fits(len, lfanew, 4 + PE_COFF_HDR)) {
        pe_say(why, whylen,
               "truncated: e_lfanew 0x%" PRIx32
               " puts the COFF header past the end (0x%zx bytes)",
               lfanew, len);
        return KEYS_BAD;
    }
    if (memcmp(buf + lfanew, "PE\0\0", 4) != 0) {
        pe_say(why, whylen, "no PE signature at e_lfanew 0x%" PRIx32, lfanew);
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

    h->nsect = pe_u16(buf + h->coff + 2);
    h->stamp = pe_u32(buf + h->coff + 4);
    h->optsize = pe_u16(buf + h->coff + 16);
    if (!pe_fits(len, opt, 2)) {
        pe_say(why, whylen,
               "truncated: optional header magic at 0x%zx, file has 0x%zx "
               "bytes",
               opt, len);
        return KEYS_BAD;
    }
    magic = pe_u16(buf + opt);
    if (magic != PE_OPT_PE32 && magic != PE_OPT_PE32P) {
        pe_say(why, whylen, "optional header magic 0x%x is not PE32/PE32+",
               (unsigned)magic);
        return KEYS_BAD;
    }
    fixed = magic == PE_OPT_PE32 ? PE_OPT_FIXED32 : PE_OPT_FIXED64;
    if (h->optsize < fixed) {
        pe_say(why, whylen,
               "SizeOfOptionalHeader %u is below the %zu bytes its fields "
               "need",
               (unsigned)h->optsize, fixed);
        return KEYS_BAD;
    }
    sect = opt + h->optsize;
    if (!pe_fits(len, sect, (size_t)h->nsect * PE_SECTION_HDR)) {
        pe_say(why, whylen,
               "truncated: PE headers end at 0x%zx, file has 0x%zx bytes",
               sect + (size_t)h->nsect * PE_SECTION_HDR, len);
        return KEYS_BAD;
    }
    h->imgsize = pe_u32(buf + opt + PE_SIZEOFIMAGE_OFF);
    if (h->imgsize == 0) {
        pe_say(why, whylen, "SizeOfImage is 0");
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
        pe_say(why, whylen, "name is empty or too long, or no room");
        return KEYS_BAD;
    }
    memcpy(out->file, basename, blen + 1);
    memcpy(out->name, basename, blen + 1);
    snprintf(out->key, sizeof(out->key), "%08" PRIX32 "%" PRIx32, h.stamp,
             h.imgsize);
    *n = 1;
    return KEYS_OK;
}
