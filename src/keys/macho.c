/*
 * Mach-O keys: the LC_UUID of each thin image, plain or inside a universal
 * ("fat") file. Layouts from Apple's <mach-o/loader.h> and <mach-o/fat.h>:
 * a thin header is 7 (32-bit) or 8 (64-bit) 32-bit words in the image's
 * byte order; fat headers and fat_arch tables are always big-endian.
 * Every offset and size read from the file is checked against the bytes
 * that hold it before use.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/hex.h"
#include "util/errbuf.h"
#include "keys/keys.h"

#define MACHO_MAGIC 0xfeedfaceU
#define MACHO_MAGIC_64 0xfeedfacfU
#define MACHO_CIGAM 0xcefaedfeU
#define MACHO_CIGAM_64 0xcffaedfeU
#define MACHO_FAT_MAGIC 0xcafebabeU
#define MACHO_FAT_MAGIC_64 0xcafebabfU
#define MACHO_LC_UUID 0x1bU
#define MACHO_MH_DSYM 0xaU
#define MACHO_UUID_CMD_SIZE 24
/*
 * 0xcafebabe also starts Java class files, where the next word is the class
 * version (major >= 45). file(1) draws the line at 30 architectures too.
 */
#define MACHO_FAT_MAX 30

struct macho_image {
    unsigned char uuid[16];
    uint32_t filetype;
};

static uint32_t
rd32(const unsigned char *p, bool be)
{
    if (be)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

static uint64_t
rd64be(const unsigned char *p)
{
    return (uint64_t)rd32(p, true) << 32 | rd32(p + 4, true);
}

/* Walks ncmds load commands in cmds[0..size); keeps the first LC_UUID. */
static enum keys_rc
find_uuid(const unsigned char *cmds, uint32_t size, uint32_t ncmds, bool be,
          struct macho_image *img, char *why, size_t whylen)
{
    uint32_t off = 0;
    bool found = false;

    for (uint32_t i = 0; i < ncmds; i++) {
        if (size - off < 8) {
            errbuf_set(why, whylen,
                       "truncated: Mach-O load command %u past "
                       "sizeofcmds %u",
                       i, size);
            return KEYS_BAD;
        }
        uint32_t cmd = rd32(cmds + off, be);
        uint32_t cmdsize = rd32(cmds + off + 4, be);
        if (cmdsize < 8 || cmdsize % 4 != 0 || cmdsize > size - off) {
            errbuf_set(why, whylen,
                       "Mach-O load command %u: bad cmdsize %u "
                       "(at 0x%x of 0x%x)",
                       i, cmdsize, off, size);
            return KEYS_BAD;
        }
        if (cmd == MACHO_LC_UUID && cmdsize < MACHO_UUID_CMD_SIZE) {
            errbuf_set(why, whylen, "Mach-O LC_UUID with cmdsize %u", cmdsize);
            return KEYS_BAD;
        }
        if (cmd == MACHO_LC_UUID && !found) {
            memcpy(img->uuid, cmds + off + 8, sizeof(img->uuid));
            found = true;
        }
        off += cmdsize;
    }
    if (!found) {
        errbuf_set(why, whylen, "Mach-O without LC_UUID");
        return KEYS_BAD;
    }
    return KEYS_OK;
}

/* Header size for a thin magic, 0 if p does not start a thin image. */
static size_t
thin_header_size(uint32_t le_magic, bool *be)
{
    *be = le_magic == MACHO_CIGAM || le_magic == MACHO_CIGAM_64;
    if (le_magic == MACHO_MAGIC || le_magic == MACHO_CIGAM)
        return 28;
    if (le_magic == MACHO_MAGIC_64 || le_magic == MACHO_CIGAM_64)
        return 32;
    return 0;
}

static enum keys_rc
read_thin(const unsigned char *p, size_t len, struct macho_image *img,
          char *why, size_t whylen)
{
    bool be;
    size_t hs = len >= 4 ? thin_header_size(rd32(p, false), &be) : 0;

    if (hs == 0) {
        errbuf_set(why, whylen, "Mach-O slice without a Mach-O magic");
        return KEYS_BAD;
    }
    if (len < hs) {
        errbuf_set(why, whylen,
                   "truncated: Mach-O header needs %zu bytes, "
                   "has %zu",
                   hs, len);
        return KEYS_BAD;
    }
    img->filetype = rd32(p + 12, be);
    uint32_t ncmds = rd32(p + 16, be);
    uint32_t sizeofcmds = rd32(p + 20, be);
    if (sizeofcmds > len - hs) {
        errbuf_set(why, whylen,
                   "truncated: Mach-O load commands end at 0x%llx,"
                   " image has 0x%zx bytes",
                   (unsigned long long)hs + sizeofcmds, len);
        return KEYS_BAD;
    }
    if (ncmds > sizeofcmds / 8) {
        errbuf_set(why, whylen, "Mach-O ncmds %u cannot fit in sizeofcmds %u",
                   ncmds, sizeofcmds);
        return KEYS_BAD;
    }
    return find_uuid(p + hs, sizeofcmds, ncmds, be, img, why, whylen);
}

/* Appends the entry for img unless an identical one is already there. */
static enum keys_rc
add_entry(const char *basename, const struct macho_image *img,
          struct keys_entry *out, size_t max, size_t *k, char *why,
          size_t whylen)
{
    bool dsym = img->filetype == MACHO_MH_DSYM;
    const char *file = dsym ? "_.dwarf" : basename;
    struct keys_entry e;
    char hex[33];

    hex_encode(img->uuid, sizeof(img->uuid), false, hex);
    /* Zeroed so that whole entries compare equal with memcmp. */
    memset(&e, 0, sizeof(e));
    int a = snprintf(e.file, sizeof(e.file), "%s", file);
    snprintf(e.key, sizeof(e.key), "mach-uuid-%s%s", dsym ? "sym-" : "", hex);
    snprintf(e.name, sizeof(e.name), "%s", file);
    if (a < 0 || (size_t)a >= sizeof(e.file)) {
        char shown[65];

        errbuf_set(why, whylen, "name too long: %s...",
                   errbuf_printable(file, shown, sizeof(shown)));
        return KEYS_BAD;
    }
    for (size_t i = 0; i < *k; i++)
        if (memcmp(&out[i], &e, sizeof(e)) == 0)
            return KEYS_OK;
    if (*k == max) {
        errbuf_set(why, whylen, "Mach-O has more than %zu distinct slices",
                   max);
        return KEYS_BAD;
    }
    out[(*k)++] = e;
    return KEYS_OK;
}

/* One fat_arch entry: where its slice lies, checked against the file. */
static enum keys_rc
fat_slice(const unsigned char *buf, size_t len, size_t ent, bool wide,
          size_t table_end, size_t *off, size_t *size, char *why, size_t whylen)
{
    uint64_t o = wide ? rd64be(buf + ent + 8) : rd32(buf + ent + 8, true);
    uint64_t s = wide ? rd64be(buf + ent + 16) : rd32(buf + ent + 12, true);

    if (o < table_end) {
        errbuf_set(why, whylen,
                   "universal Mach-O slice at 0x%llx overlaps its "
                   "header (0x%zx bytes)",
                   (unsigned long long)o, table_end);
        return KEYS_BAD;
    }
    if (o > len || s > len - o) {
        errbuf_set(why, whylen,
                   "truncated: universal Mach-O slice 0x%llx+0x%llx"
                   " past the end (0x%zx bytes)",
                   (unsigned long long)o, (unsigned long long)s, len);
        return KEYS_BAD;
    }
    *off = (size_t)o;
    *size = (size_t)s;
    return KEYS_OK;
}

static enum keys_rc
read_fat(const char *basename, const unsigned char *buf, size_t len,
         struct keys_entry *out, size_t max, size_t *n, char *why,
         size_t whylen)
{
    bool wide = rd32(buf, true) == MACHO_FAT_MAGIC_64;
    size_t entsize = wide ? 32 : 20, k = 0;
    uint32_t nfat = len >= 8 ? rd32(buf + 4, true) : 0;

    if (nfat > MACHO_FAT_MAX) {
        errbuf_set(why, whylen,
                   "0xcafebabe with %u architectures: not a "
                   "universal Mach-O (a Java class?)",
                   nfat);
        return KEYS_UNRECOGNISED;
    }
    if (nfat == 0 || len < 8 + nfat * entsize) {
        errbuf_set(why, whylen,
                   "universal Mach-O header truncated or with no "
                   "slices (%u)",
                   nfat);
        return KEYS_BAD;
    }
    for (uint32_t i = 0; i < nfat; i++) {
        struct macho_image img;
        size_t off, size;
        if (fat_slice(buf, len, 8 + i * entsize, wide, 8 + nfat * entsize, &off,
                      &size, why, whylen) != KEYS_OK ||
            read_thin(buf + off, size, &img, why, whylen) != KEYS_OK ||
            add_entry(basename, &img, out, max, &k, why, whylen) != KEYS_OK)
            return KEYS_BAD;
    }
    *n = k;
    return KEYS_OK;
}

enum keys_rc
keys_macho(const char *basename, const unsigned char *buf, size_t len,
           struct keys_entry *out, size_t max, size_t *n, char *why,
           size_t whylen)
{
    struct macho_image img;
    size_t k = 0;
    bool be;

    if (len >= 4 && (rd32(buf, true) == MACHO_FAT_MAGIC ||
                     rd32(buf, true) == MACHO_FAT_MAGIC_64))
        return read_fat(basename, buf, len, out, max, n, why, whylen);
    if (len < 4 || thin_header_size(rd32(buf, false), &be) == 0) {
        errbuf_set(why, whylen, "not Mach-O: no Mach-O magic");
        return KEYS_UNRECOGNISED;
    }
    if (read_thin(buf, len, &img, why, whylen) != KEYS_OK ||
        add_entry(basename, &img, out, max, &k, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    *n = k;
    return KEYS_OK;
}
