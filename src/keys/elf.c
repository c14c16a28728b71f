/*
 * ELF keys from the GNU build-id, read with libelf and libdw
 * (dwelf_elf_gnu_build_id finds the NT_GNU_BUILD_ID note whatever its
 * section is called, and falls back to PT_NOTE segments).
 *
 * elf_memory() takes a non-const char *: it opens the image as
 * ELF_C_READ_MMAP_PRIVATE, where libelf reads headers in place and converts
 * (byte order, alignment) into its own allocations; it writes into the
 * image only for update calls (gelf_update_*, elf_flag*, elf_update), which
 * this file never makes. So the caller's buffer is passed as is, not
 * copied: a debug file can be hundreds of megabytes. test_keys_elf checks
 * this by running every case on a read-only mapping.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gelf.h>
#include <elfutils/libdwelf.h>

#include "util/hex.h"
#include "util/errbuf.h"
#include "keys/keys.h"

/* SSQP: build-ids shorter than 20 bytes are right-padded with zeros. */
#define ELF_SSQP_ID_MIN 20
/* Longest id whose "elf-buildid-sym-" key fits KEYS_KEY_MAX. */
#define ELF_ID_MAX 64

struct elf_info {
    unsigned char id[ELF_ID_MAX];
    size_t idlen;
    bool debug; /* a .debug_info with bytes in the file */
    bool code;  /* a section of instructions with bytes in the file */
};

static bool
is_debug_info(const char *name)
{
    return name != NULL && (strcmp(name, ".debug_info") == 0 ||
                            strcmp(name, ".zdebug_info") == 0);
}

static bool
fits(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

/* One section: does it hold code or debug info? Are its bytes all there? */
static enum keys_rc
scan_section(const GElf_Shdr *sh, const char *name, size_t len,
             struct elf_info *info, char *why, size_t whylen)
{
    if (sh->sh_type == SHT_NOBITS || sh->sh_size == 0)
        return KEYS_OK;
    if (!fits(sh->sh_offset, sh->sh_size, len)) {
        char shown[65];

        errbuf_set(
            why, whylen,
            "truncated: section %s ends at 0x%llx, file has 0x%zx bytes",
            name != NULL ? errbuf_printable(name, shown, sizeof(shown)) : "?",
            (unsigned long long)sh->sh_offset + (unsigned long long)sh->sh_size,
            len);
        return KEYS_BAD;
    }
    if ((sh->sh_flags & SHF_EXECINSTR) != 0)
        info->code = true;
    if (is_debug_info(name))
        info->debug = true;
    return KEYS_OK;
}

static enum keys_rc
scan_sections(Elf *e, size_t len, struct elf_info *info, char *why,
              size_t whylen)
{
    size_t shstrndx;
    Elf_Scn *scn = NULL;

    if (elf_getshdrstrndx(e, &shstrndx) != 0) {
        errbuf_set(why, whylen, "ELF section names unreadable: %s",
                   elf_errmsg(-1));
        return KEYS_BAD;
    }
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr mem;
        GElf_Shdr *sh = gelf_getshdr(scn, &mem);

        if (sh == NULL) {
            errbuf_set(why, whylen, "ELF section header %zu unreadable: %s",
                       elf_ndxscn(scn), elf_errmsg(-1));
            return KEYS_BAD;
        }
        /* A name libelf cannot resolve is simply not ".debug_info". */
        const char *name = elf_strptr(e, shstrndx, sh->sh_name);
        if (scan_section(sh, name, len, info, why, whylen) != KEYS_OK)
            return KEYS_BAD;
    }
    return KEYS_OK;
}

/*
 * A file cut short still parses: libelf ignores a section table that does
 * not fit and dwelf then finds the note through PT_NOTE. So the tables and
 * every segment's bytes must lie within len; sections are checked in
 * scan_section.
 */
static enum keys_rc
check_extent(Elf *e, const GElf_Ehdr *eh, size_t len, char *why, size_t whylen)
{
    size_t shnum, phnum;
    GElf_Phdr ph;

    if (elf_getshdrnum(e, &shnum) != 0 || elf_getphdrnum(e, &phnum) != 0) {
        errbuf_set(why, whylen, "ELF header counts unreadable: %s",
                   elf_errmsg(-1));
        return KEYS_BAD;
    }
    if (!fits(eh->e_shoff, (uint64_t)eh->e_shnum * eh->e_shentsize, len) ||
        !fits(eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize, len)) {
        errbuf_set(why, whylen,
                   "truncated: ELF header tables past the end "
                   "(file has 0x%zx bytes)",
                   len);
        return KEYS_BAD;
    }
    for (size_t i = 0; i < phnum; i++) {
        if (gelf_getphdr(e, (int)i, &ph) == NULL ||
            !fits(ph.p_offset, ph.p_filesz, len)) {
            errbuf_set(why, whylen,
                       "truncated: ELF segment %zu past the end "
                       "(file has 0x%zx bytes)",
                       i, len);
            return KEYS_BAD;
        }
    }
    return KEYS_OK;
}

static enum keys_rc
read_build_id(Elf *e, struct elf_info *info, char *why, size_t whylen)
{
    const void *id = NULL;
    ssize_t n = dwelf_elf_gnu_build_id(e, &id);

    if (n < 0) {
        errbuf_set(why, whylen, "ELF notes unreadable: %s", elf_errmsg(-1));
        return KEYS_BAD;
    }
    if (n == 0 || id == NULL) {
        errbuf_set(why, whylen, "ELF without a GNU build-id");
        return KEYS_BAD;
    }
    if ((size_t)n > ELF_ID_MAX) {
        errbuf_set(why, whylen, "ELF build-id of %zd bytes (at most %d)", n,
                   ELF_ID_MAX);
        return KEYS_BAD;
    }
    memset(info->id, 0, sizeof(info->id));
    memcpy(info->id, id, (size_t)n);
    info->idlen = (size_t)n < ELF_SSQP_ID_MIN ? ELF_SSQP_ID_MIN : (size_t)n;
    return KEYS_OK;
}

/* The ELF header must be whole before libelf is asked about the file. */
static enum keys_rc
check_header(const unsigned char *buf, size_t len, char *why, size_t whylen)
{
    size_t need;

    if (len <= EI_CLASS) {
        errbuf_set(why, whylen,
                   "truncated: ELF identification needs %d bytes, "
                   "file has %zu",
                   EI_NIDENT, len);
        return KEYS_BAD;
    }
    if (buf[EI_CLASS] == ELFCLASS32)
        need = sizeof(Elf32_Ehdr);
    else if (buf[EI_CLASS] == ELFCLASS64)
        need = sizeof(Elf64_Ehdr);
    else {
        errbuf_set(why, whylen, "ELF class %u unknown", buf[EI_CLASS]);
        return KEYS_BAD;
    }
    if (len < need) {
        errbuf_set(why, whylen,
                   "truncated: ELF header needs %zu bytes, file has %zu", need,
                   len);
        return KEYS_BAD;
    }
    return KEYS_OK;
}

static enum keys_rc
read_info(const unsigned char *buf, size_t len, struct elf_info *info,
          char *why, size_t whylen)
{
    enum keys_rc rc = KEYS_BAD;
    GElf_Ehdr ehdr;
    /* Read only: see the comment at the top of this file. */
    Elf *e = elf_memory((char *)(uintptr_t)buf, len);

    if (e == NULL || elf_kind(e) != ELF_K_ELF ||
        gelf_getehdr(e, &ehdr) == NULL) {
        errbuf_set(why, whylen, "ELF header invalid: %s", elf_errmsg(-1));
        goto done;
    }
    rc = check_extent(e, &ehdr, len, why, whylen);
    if (rc == KEYS_OK)
        rc = read_build_id(e, info, why, whylen);
    if (rc == KEYS_OK)
        rc = scan_sections(e, len, info, why, whylen);
done:
    if (e != NULL)
        elf_end(e);
    return rc;
}

static enum keys_rc
set_entry(struct keys_entry *ent, const char *file, const char *prefix,
          const char *id, char *why, size_t whylen)
{
    int a = snprintf(ent->file, sizeof(ent->file), "%s", file);
    int b = snprintf(ent->key, sizeof(ent->key), "%s%s", prefix, id);
    int c = snprintf(ent->name, sizeof(ent->name), "%s", file);

    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(ent->file) ||
        (size_t)b >= sizeof(ent->key) || (size_t)c >= sizeof(ent->name)) {
        char shown[65];

        errbuf_set(why, whylen, "name too long: %s...",
                   errbuf_printable(file, shown, sizeof(shown)));
        return KEYS_BAD;
    }
    return KEYS_OK;
}

/*
 * A file with debug info and no code (objcopy --only-keep-debug, a
 * separate .debug) is not an executable: it is stored under _.debug only.
 * Everything else with a build-id is stored under its name, and also under
 * _.debug when it carries debug info.
 */
enum keys_rc
keys_elf(const char *basename, const unsigned char *buf, size_t len,
         struct keys_entry *out, size_t max, size_t *n, char *why,
         size_t whylen)
{
    struct elf_info info = {.idlen = 0};
    char id[2 * ELF_ID_MAX + 1];
    size_t k = 0;
    bool exe, dbg;

    if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0) {
        errbuf_set(why, whylen, "not ELF: no \\x7fELF magic");
        return KEYS_UNRECOGNISED;
    }
    /* elfutils returns EV_CURRENT here; a failure shows in elf_memory. */
    (void)elf_version(EV_CURRENT);
    if (check_header(buf, len, why, whylen) != KEYS_OK ||
        read_info(buf, len, &info, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    hex_encode(info.id, info.idlen, false, id);
    dbg = info.debug;
    exe = !info.debug || info.code;
    if ((size_t)exe + (size_t)dbg > max) {
        errbuf_set(why, whylen, "ELF needs %d store entries, room for %zu",
                   (int)exe + (int)dbg, max);
        return KEYS_BAD;
    }
    if (exe && set_entry(&out[k++], basename, "elf-buildid-", id, why,
                         whylen) != KEYS_OK)
        return KEYS_BAD;
    if (dbg && set_entry(&out[k++], "_.debug", "elf-buildid-sym-", id, why,
                         whylen) != KEYS_OK)
        return KEYS_BAD;
    *n = k;
    return KEYS_OK;
}
