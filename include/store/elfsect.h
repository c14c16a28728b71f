/*
 * Where a named section's bytes lie in an ELF file: its (offset, size),
 * found from the ELF header, the section header table and the section
 * name table only, so that a debuginfod /section/ answer can be sent
 * straight from the stored file (../docs/debuginfod.md).
 *
 * A parser of outside bytes (the stored files), written here rather than
 * with libelf because store/ may not use keys/ and the daemon must not
 * map or read a whole debug file to answer: it reads at most the 64-byte
 * header, the section header table (ELFSECT_SECTIONS_MAX entries at most)
 * in 4 KiB pieces and the name table in 4 KiB windows (at most
 * ELFSECT_NAME_READS_MAX of them), with every offset checked against the
 * file size before it is read. ELF32 and ELF64, both byte orders,
 * extended section numbering (e_shnum 0, e_shstrndx SHN_XINDEX).
 */
#ifndef SYMSRVD_ELFSECT_H
#define SYMSRVD_ELFSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest section name looked for (debuginfod's own names are < 32). */
#define ELFSECT_NAME_MAX 255
/* Most section headers read from one file: 64 K entries, 4 MiB. */
#define ELFSECT_SECTIONS_MAX 65536u
/*
 * Most 4 KiB windows of the section name table read for one search. Real
 * files keep their names in one window (or in order, a window refilled
 * once per 4 KiB of names); names scattered to defeat the window would
 * otherwise cost one read per section (93 ms for 64 K sections here).
 */
#define ELFSECT_NAME_READS_MAX 1024u

enum elfsect_rc {
    ELFSECT_FOUND,  /* *out is set */
    ELFSECT_ABSENT, /* no section of that name (or no sections at all) */
    ELFSECT_NOBITS, /* the first section of that name has no bytes in the
                     * file: SHT_NOBITS, or size 0 */
    ELFSECT_BAD,    /* not ELF, or headers that cannot be right: why says */
    ELFSECT_IO,     /* a read failed (errno); a short read is EIO */
};

struct elfsect_loc {
    uint64_t off, size; /* the bytes [off, off + size) of the file */
    uint32_t index;     /* the section's index in the header table */
    bool compressed;    /* SHF_COMPRESSED: the bytes are as stored (an
                         * Elf_Chdr, then the compressed data) */
};

/*
 * The file being read: read() must fill buf with exactly len bytes at off
 * and return 0, or return -1 with errno. It is only asked for ranges
 * inside [0, size).
 */
struct elfsect_src {
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    void *ctx;
    uint64_t size; /* the file's size in bytes */
};

/*
 * Finds the first section (index 1 up, in table order) named name, a
 * NUL-terminated string of 1 to ELFSECT_NAME_MAX bytes (longer or empty:
 * ELFSECT_ABSENT). ELFSECT_BAD comes with a one-line reason in
 * why[whylen] (bytes taken from the file are quoted printable); *out is
 * set only for ELFSECT_FOUND, and then off + size <= src->size and
 * size > 0. Reads nothing outside the headers and the name table.
 */
enum elfsect_rc elfsect_find(const struct elfsect_src *src, const char *name,
                             struct elfsect_loc *out, char *why, size_t whylen);

/*
 * elfsect_find() on an open file of size bytes, read with pread(2)
 * (retried on EINTR; a short read is EIO).
 */
enum elfsect_rc elfsect_find_fd(int fd, uint64_t size, const char *name,
                                struct elfsect_loc *out, char *why,
                                size_t whylen);

#endif
