/* ELF section locator; see elfsect.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/elfsect.h"
#include "util/errbuf.h"

/* The ELF constants this reader needs (System V gABI, "Object Files"). */
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define EV_CURRENT 1
#define SHN_LORESERVE 0xff00u
#define SHN_XINDEX 0xffffu
#define SHT_STRTAB 3u
#define SHT_NOBITS 8u
#define SHF_COMPRESSED 0x800u

/* Section headers read at once, and the name table window: 4 KiB each. */
#define TABLE_CHUNK 64u
#define NAMES_WINDOW 4096u

/* What the ELF header says, in host terms. */
struct ehdr {
    bool is64, big;
    uint64_t shoff;
    uint32_t shentsize, shnum, shstrndx;
};

/* One section header, in host terms. */
struct shdr {
    uint32_t name, type, link;
    uint64_t flags, offset, size;
};

/* A search in progress: the source, the header, and the two buffers. */
struct scan {
    const struct elfsect_src *src;
    struct ehdr eh;
    uint32_t count;                        /* sections in the table */
    uint64_t names_off, names_size;        /* the name table in the file */
    unsigned char table[TABLE_CHUNK * 64]; /* entries first..first+n */
    uint32_t table_first, table_n;
    unsigned char names[NAMES_WINDOW]; /* name table bytes at names_at */
    uint64_t names_at;
    size_t names_len;
    unsigned name_reads; /* windows read so far */
    char *why;
    size_t whylen;
};

/*
 * Unsigned numbers of 2, 4 or 8 bytes in the file's byte order. keys/'s
 * bytes.h reads little-endian only, and store/ may not include it.
 */
static uint64_t
get(const struct ehdr *eh, const unsigned char *p, unsigned width)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < width; i++)
        v = v << 8 | p[eh->big ? i : width - 1 - i];
    return v;
}

/* [off, off + len) inside a file of size bytes, without overflow. */
static bool
fits(uint64_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

static int
read_at(struct scan *s, uint64_t off, void *buf, size_t len)
{
    return s->src->read(s->src->ctx, off, buf, len);
}

/* The identification bytes and the fields of the header this reader uses. */
static enum elfsect_rc
parse_ehdr(const unsigned char *b, uint64_t len, struct ehdr *eh, char *why,
           size_t whylen)
{
    if (len < EI_NIDENT || memcmp(b, "\177ELF", 4) != 0) {
        errbuf_set(why, whylen, "not an ELF file");
        return ELFSECT_BAD;
    }
    if ((b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64) ||
        (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB) ||
        b[EI_VERSION] != EV_CURRENT) {
        errbuf_set(why, whylen, "unknown ELF class, byte order or version");
        return ELFSECT_BAD;
    }
    eh->is64 = b[EI_CLASS] == ELFCLASS64;
    eh->big = b[EI_DATA] == ELFDATA2MSB;
    if (len < (eh->is64 ? 64u : 52u)) {
        errbuf_set(why, whylen, "truncated ELF header");
        return ELFSECT_BAD;
    }
    eh->shoff = get(eh, b + (eh->is64 ? 40 : 32), eh->is64 ? 8 : 4);
    b += eh->is64 ? 58 : 46; /* e_shentsize, e_shnum, e_shstrndx */
    eh->shentsize = (uint32_t)get(eh, b, 2);
    eh->shnum = (uint32_t)get(eh, b + 2, 2);
    eh->shstrndx = (uint32_t)get(eh, b + 4, 2);
    return ELFSECT_FOUND;
}

static void
parse_shdr(const struct ehdr *eh, const unsigned char *p, struct shdr *sh)
{
    sh->name = (uint32_t)get(eh, p, 4);
    sh->type = (uint32_t)get(eh, p + 4, 4);
    if (eh->is64) {
        sh->flags = get(eh, p + 8, 8);
        sh->offset = get(eh, p + 24, 8);
        sh->size = get(eh, p + 32, 8);
        sh->link = (uint32_t)get(eh, p + 40, 4);
    } else {
        sh->flags = get(eh, p + 8, 4);
        sh->offset = get(eh, p + 16, 4);
        sh->size = get(eh, p + 20, 4);
        sh->link = (uint32_t)get(eh, p + 24, 4);
    }
}

/* Section header i, through the 4 KiB piece of the table that holds it. */
static enum elfsect_rc
section(struct scan *s, uint32_t i, struct shdr *sh)
{
    uint32_t ent = s->eh.shentsize;

    if (i < s->table_first || i >= s->table_first + s->table_n) {
        uint32_t n = s->count - i < TABLE_CHUNK ? s->count - i : TABLE_CHUNK;

        if (read_at(s, s->eh.shoff + (uint64_t)i * ent, s->table,
                    (size_t)n * ent) != 0)
            return ELFSECT_IO;
        s->table_first = i;
        s->table_n = n;
    }
    parse_shdr(&s->eh, s->table + (size_t)(i - s->table_first) * ent, sh);
    return ELFSECT_FOUND;
}

/*
 * The table's place and size: e_shnum, or for 64 K sections and more the
 * sh_size of section 0 (extended numbering), likewise e_shstrndx and
 * section 0's sh_link.
 */
static enum elfsect_rc
locate_table(struct scan *s, uint32_t *strndx)
{
    uint32_t want = s->eh.is64 ? 64 : 40;
    uint64_t count = s->eh.shnum;
    struct shdr zero;
    enum elfsect_rc rc;

    if (s->eh.shentsize != want) {
        errbuf_set(s->why, s->whylen, "section header size %u, not %u",
                   s->eh.shentsize, want);
        return ELFSECT_BAD;
    }
    if (!fits(s->src->size, s->eh.shoff, want)) {
        errbuf_set(s->why, s->whylen, "section header table past the end");
        return ELFSECT_BAD;
    }
    s->count = 1;
    rc = section(s, 0, &zero);
    if (rc != ELFSECT_FOUND)
        return rc;
    if (count == 0)
        count = zero.size;
    *strndx = s->eh.shstrndx == SHN_XINDEX ? zero.link : s->eh.shstrndx;
    if (count > ELFSECT_SECTIONS_MAX) {
        errbuf_set(s->why, s->whylen, "%llu sections, over the limit of %u",
                   (unsigned long long)count, ELFSECT_SECTIONS_MAX);
        return ELFSECT_BAD;
    }
    if (!fits(s->src->size, s->eh.shoff, count * want)) {
        errbuf_set(s->why, s->whylen, "section header table past the end");
        return ELFSECT_BAD;
    }
    s->count = (uint32_t)count;
    s->table_n = 0; /* section 0 was read as a table of one */
    return ELFSECT_FOUND;
}

/* The section name table: a SHT_STRTAB with its bytes in the file. */
static enum elfsect_rc
locate_names(struct scan *s, uint32_t strndx)
{
    struct shdr sh;
    enum elfsect_rc rc;

    if (strndx == 0 ||
        (s->eh.shstrndx >= SHN_LORESERVE && s->eh.shstrndx != SHN_XINDEX) ||
        strndx >= s->count) {
        errbuf_set(s->why, s->whylen, "no section name table (index %u)",
                   strndx);
        return ELFSECT_BAD;
    }
    rc = section(s, strndx, &sh);
    if (rc != ELFSECT_FOUND)
        return rc;
    if (sh.type != SHT_STRTAB || !fits(s->src->size, sh.offset, sh.size)) {
        errbuf_set(s->why, s->whylen,
                   "section name table %u is not a string table in the file",
                   strndx);
        return ELFSECT_BAD;
    }
    s->names_off = sh.offset;
    s->names_size = sh.size;
    s->names_len = 0;
    return ELFSECT_FOUND;
}

/*
 * Is the name at offset at of the name table exactly name (len bytes and
 * a NUL)? The name table is read in windows of 4 KiB, refilled from at
 * when the bytes are not in the current one.
 */
static enum elfsect_rc
name_is(struct scan *s, uint32_t at, const char *name, size_t len, bool *is)
{
    *is = false;
    if (at >= s->names_size) {
        errbuf_set(s->why, s->whylen,
                   "section name offset %u past the name table", at);
        return ELFSECT_BAD;
    }
    if (len + 1 > s->names_size - at)
        return ELFSECT_FOUND; /* too close to the end to hold name\0 */
    if (at < s->names_at || at + len + 1 > s->names_at + s->names_len) {
        uint64_t left = s->names_size - at;
        size_t n = left < NAMES_WINDOW ? (size_t)left : NAMES_WINDOW;

        if (++s->name_reads > ELFSECT_NAME_READS_MAX) {
            errbuf_set(s->why, s->whylen,
                       "section names scattered over more than %u reads",
                       ELFSECT_NAME_READS_MAX);
            return ELFSECT_BAD;
        }
        if (read_at(s, s->names_off + at, s->names, n) != 0)
            return ELFSECT_IO;
        s->names_at = at;
        s->names_len = n;
    }
    *is = memcmp(s->names + (at - s->names_at), name, len + 1) == 0;
    return ELFSECT_FOUND;
}

/* The first section named name: found, absent, or without bytes. */
static enum elfsect_rc
search(struct scan *s, const char *name, size_t len, struct elfsect_loc *out)
{
    for (uint32_t i = 1; i < s->count; i++) {
        struct shdr sh;
        enum elfsect_rc rc = section(s, i, &sh);
        bool is;

        if (rc == ELFSECT_FOUND)
            rc = name_is(s, sh.name, name, len, &is);
        if (rc != ELFSECT_FOUND)
            return rc;
        if (!is)
            continue;
        if (sh.type == SHT_NOBITS || sh.size == 0)
            return ELFSECT_NOBITS;
        if (!fits(s->src->size, sh.offset, sh.size)) {
            char shown[64];

            errbuf_set(s->why, s->whylen, "section %s runs past the end",
                       errbuf_printable(name, shown, sizeof(shown)));
            return ELFSECT_BAD;
        }
        out->off = sh.offset;
        out->size = sh.size;
        out->index = i;
        out->compressed = (sh.flags & SHF_COMPRESSED) != 0;
        return ELFSECT_FOUND;
    }
    return ELFSECT_ABSENT;
}

enum elfsect_rc
elfsect_find(const struct elfsect_src *src, const char *name,
             struct elfsect_loc *out, char *why, size_t whylen)
{
    struct scan s;
    unsigned char head[64];
    size_t len = strnlen(name, ELFSECT_NAME_MAX + 1), n;
    uint32_t strndx = 0;
    enum elfsect_rc rc;

    if (len == 0 || len > ELFSECT_NAME_MAX)
        return ELFSECT_ABSENT;
    memset(&s, 0, sizeof(s));
    s.src = src;
    s.why = why;
    s.whylen = whylen;
    n = src->size < sizeof(head) ? (size_t)src->size : sizeof(head);
    if (n > 0 && src->read(src->ctx, 0, head, n) != 0)
        return ELFSECT_IO;
    rc = parse_ehdr(head, n, &s.eh, why, whylen);
    if (rc != ELFSECT_FOUND)
        return rc;
    if (s.eh.shoff == 0) /* no section header table: no sections */
        return ELFSECT_ABSENT;
    rc = locate_table(&s, &strndx);
    if (rc == ELFSECT_FOUND && s.count <= 1)
        return ELFSECT_ABSENT;
    if (rc == ELFSECT_FOUND)
        rc = locate_names(&s, strndx);
    if (rc == ELFSECT_FOUND)
        rc = search(&s, name, len, out);
    return rc;
}

/* elfsect_src.read for a file descriptor. */
static int
pread_all(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(const int *)ctx;
    size_t done = 0;

    while (done < len) {
        ssize_t r =
            pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

        if (r == -1 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* the file shrank since its fstat() */
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

enum elfsect_rc
elfsect_find_fd(int fd, uint64_t size, const char *name,
                struct elfsect_loc *out, char *why, size_t whylen)
{
    struct elfsect_src src = {pread_all, &fd, size};

    return elfsect_find(&src, name, out, why, whylen);
}
