/*
 * Unit tests for include/store/elfsect.h: ELF images built here (ELF32 and
 * ELF64, both byte orders) with one field made hostile at a time, every
 * truncation, random mutations, failing reads, tables larger than the
 * reader's 4 KiB pieces; and (group "toolchain") real objects from gcc and
 * clang for four targets, compared byte for byte with llvm-objcopy
 * --dump-section.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/elfsect.h"
#include "../common/unit.h"

#define SHT_PROGBITS 1u
#define SHT_STRTAB 3u
#define SHT_NOBITS 8u
#define SHF_COMPRESSED 0x800u
#define NAMES_AT 0x800u /* where the builder puts the name table */

struct sec {
    const char *name;
    uint32_t type;
    uint64_t flags, off, size;
};

/* An image: sections 1..n as given, then .shstrtab (index n + 1). */
struct img {
    unsigned char *b;
    size_t len;
    bool is64, big;
    size_t shoff, ent, strsize;
    uint32_t strndx;
};

static void
put(const struct img *m, size_t off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++) {
        unsigned shift = 8 * (m->big ? width - 1 - i : i);

        m->b[off + i] = (unsigned char)(v >> shift);
    }
}

enum field {
    EH_SHOFF,
    EH_SHENTSIZE,
    EH_SHNUM,
    EH_SHSTRNDX,
    SH_NAME,
    SH_TYPE,
    SH_FLAGS,
    SH_OFFSET,
    SH_SIZE,
    SH_LINK,
};

/* Writes field f (of section idx for SH_*) in the image's layout. */
static void
set(const struct img *m, enum field f, uint32_t idx, uint64_t v)
{
    static const unsigned at64[] = {40, 58, 60, 62, 0, 4, 8, 24, 32, 40};
    static const unsigned at32[] = {32, 46, 48, 50, 0, 4, 8, 16, 20, 24};
    static const unsigned w64[] = {8, 2, 2, 2, 4, 4, 8, 8, 8, 4};
    static const unsigned w32[] = {4, 2, 2, 2, 4, 4, 4, 4, 4, 4};
    size_t base = f >= SH_NAME ? m->shoff + idx * m->ent : 0;

    put(m, base + (m->is64 ? at64[f] : at32[f]), m->is64 ? w64[f] : w32[f], v);
}

static void
build(struct img *m, bool is64, bool big, const struct sec *s, size_t n)
{
    size_t name_at[512], strsize = 1;

    assert_true(n + 2 <= 512);
    m->is64 = is64;
    m->big = big;
    m->ent = is64 ? 64 : 40;
    for (size_t i = 0; i < n; i++) {
        name_at[i] = strsize;
        strsize += strlen(s[i].name) + 1;
    }
    name_at[n] = strsize;
    strsize += sizeof(".shstrtab");
    m->strsize = strsize;
    m->strndx = (uint32_t)n + 1;
    m->shoff = (NAMES_AT + strsize + 7) & ~(size_t)7;
    m->len = m->shoff + (n + 2) * m->ent;
    m->b = calloc(1, m->len);
    assert_non_null(m->b);
    memcpy(m->b, "\177ELF", 4);
    m->b[4] = is64 ? 2 : 1;
    m->b[5] = big ? 2 : 1;
    m->b[6] = 1;
    set(m, EH_SHOFF, 0, m->shoff);
    set(m, EH_SHENTSIZE, 0, m->ent);
    set(m, EH_SHNUM, 0, n + 2);
    set(m, EH_SHSTRNDX, 0, m->strndx);
    for (size_t i = 0; i <= n; i++) {
        const char *name = i < n ? s[i].name : ".shstrtab";

        memcpy(m->b + NAMES_AT + name_at[i], name, strlen(name));
        set(m, SH_NAME, (uint32_t)i + 1, name_at[i]);
    }
    set(m, SH_TYPE, m->strndx, SHT_STRTAB);
    set(m, SH_OFFSET, m->strndx, NAMES_AT);
    set(m, SH_SIZE, m->strndx, strsize);
    for (size_t i = 0; i < n; i++) {
        uint32_t idx = (uint32_t)i + 1;

        set(m, SH_TYPE, idx, s[i].type);
        set(m, SH_FLAGS, idx, s[i].flags);
        set(m, SH_OFFSET, idx, s[i].off);
        set(m, SH_SIZE, idx, s[i].size);
        if (s[i].type != SHT_NOBITS && s[i].off + s[i].size <= NAMES_AT)
            memset(m->b + s[i].off, (int)idx, (size_t)s[i].size);
    }
}

/* A source over an exact-size copy: reads outside it fail the test. */
struct memsrc {
    const unsigned char *b;
    size_t len;
    int fail_at; /* the read that fails with EIO (-1: none) */
    int reads;
};

static int
mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memsrc *m = ctx;

    if (off > m->len || len > m->len - off)
        fail_msg("read of %zu bytes at %llu outside %zu", len,
                 (unsigned long long)off, m->len);
    if (m->reads++ == m->fail_at) {
        errno = EIO;
        return -1;
    }
    memcpy(buf, m->b + off, len);
    return 0;
}

/* elfsect_find() on b[0..len), with the invariants of every answer. */
static enum elfsect_rc
find(const unsigned char *b, size_t len, const char *name,
     struct elfsect_loc *loc, int fail_at)
{
    unsigned char *copy = unit_exact(b, len);
    struct memsrc m = {copy, len, fail_at, 0};
    struct elfsect_src src = {mem_read, &m, len};
    char why[160] = "";
    enum elfsect_rc rc;

    memset(loc, 0xA5, sizeof(*loc));
    rc = elfsect_find(&src, name, loc, why, sizeof(why));
    if (rc == ELFSECT_FOUND &&
        (loc->size == 0 || loc->off > len || loc->size > len - loc->off))
        fail_msg("'%s' found outside the file", name);
    if (rc == ELFSECT_BAD && (why[0] == '\0' || strchr(why, '\n') != NULL))
        fail_msg("'%s': no one-line reason: '%s'", name, why);
    free(copy);
    return rc;
}

static const struct sec base[] = {
    {".text", SHT_PROGBITS, 0, 0x100, 0x40},
    {".data", SHT_PROGBITS, 0, 0x140, 0x10},
    {".bss", SHT_NOBITS, 0, 0x150, 0x100},
    {".empty", SHT_PROGBITS, 0, 0x150, 0},
    {".dup", SHT_NOBITS, 0, 0x150, 8},
    {".dup", SHT_PROGBITS, 0, 0x160, 8},
    {".zdebug", SHT_PROGBITS, SHF_COMPRESSED, 0x170, 0x18},
};
#define NBASE (sizeof(base) / sizeof(base[0]))
#define STRNDX (NBASE + 1)

enum how { NONE, FIELD, BYTE, CUT, STRCUT };

struct edit {
    enum how how;
    enum field f;
    uint32_t idx;
    uint64_t v; /* FIELD: the value; BYTE: at idx; CUT: the new length;
                 * STRCUT: bytes taken off the name table's size */
};

struct hostile {
    const char *what;
    struct edit e[2];
    const char *name;
    enum elfsect_rc rc;
    uint64_t off, size; /* FOUND */
};

#define F(f, i, v)                                                             \
    {                                                                          \
        FIELD, f, i, v                                                         \
    }
#define NAME255                                                                \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"

static const struct hostile cases[] = {
    /* Hostile first: the header. */
    {"not ELF", {{BYTE, 0, 0, 'x'}}, ".text", ELFSECT_BAD, 0, 0},
    {"class 0", {{BYTE, 0, 4, 0}}, ".text", ELFSECT_BAD, 0, 0},
    {"class 3", {{BYTE, 0, 4, 3}}, ".text", ELFSECT_BAD, 0, 0},
    {"byte order 3", {{BYTE, 0, 5, 3}}, ".text", ELFSECT_BAD, 0, 0},
    {"version 2", {{BYTE, 0, 6, 2}}, ".text", ELFSECT_BAD, 0, 0},
    {"empty file", {{CUT, 0, 0, 0}}, ".text", ELFSECT_BAD, 0, 0},
    {"3 bytes", {{CUT, 0, 0, 3}}, ".text", ELFSECT_BAD, 0, 0},
    {"ident only", {{CUT, 0, 0, 16}}, ".text", ELFSECT_BAD, 0, 0},
    {"header cut", {{CUT, 0, 0, 51}}, ".text", ELFSECT_BAD, 0, 0},
    /* The section header table. */
    {"no table", {F(EH_SHOFF, 0, 0)}, ".text", ELFSECT_ABSENT, 0, 0},
    {"table at the end", {F(EH_SHOFF, 0, 0x2000)}, ".text", ELFSECT_BAD, 0, 0},
    {"table offset wraps",
     {F(EH_SHOFF, 0, UINT64_MAX - 7)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"entry size 0", {F(EH_SHENTSIZE, 0, 0)}, ".text", ELFSECT_BAD, 0, 0},
    {"entry size 63", {F(EH_SHENTSIZE, 0, 63)}, ".text", ELFSECT_BAD, 0, 0},
    {"entry size 65535",
     {F(EH_SHENTSIZE, 0, 0xffff)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"table cut", {{CUT, 0, 0, 0x900}}, ".text", ELFSECT_BAD, 0, 0},
    {"huge count", {F(EH_SHNUM, 0, 0xfeff)}, ".text", ELFSECT_BAD, 0, 0},
    {"only section 0", {F(EH_SHNUM, 0, 1)}, ".text", ELFSECT_ABSENT, 0, 0},
    {"count below the name table",
     {F(EH_SHNUM, 0, 3)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    /* Extended numbering: e_shnum 0, the count in section 0's sh_size. */
    {"extended count",
     {F(EH_SHNUM, 0, 0), F(SH_SIZE, 0, STRNDX + 1)},
     ".text",
     ELFSECT_FOUND,
     0x100,
     0x40},
    {"extended count 0", {F(EH_SHNUM, 0, 0)}, ".text", ELFSECT_ABSENT, 0, 0},
    {"extended count over the limit",
     {F(EH_SHNUM, 0, 0), F(SH_SIZE, 0, ELFSECT_SECTIONS_MAX + 1)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"extended count 2^32 - 1",
     {F(EH_SHNUM, 0, 0), F(SH_SIZE, 0, 0xffffffff)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"extended count past the end",
     {F(EH_SHNUM, 0, 0), F(SH_SIZE, 0, 5000)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    /* The name table. */
    {"no name table", {F(EH_SHSTRNDX, 0, 0)}, ".text", ELFSECT_BAD, 0, 0},
    {"name table index past the table",
     {F(EH_SHSTRNDX, 0, STRNDX + 1)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table index reserved",
     {F(EH_SHSTRNDX, 0, 0xff00)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table through section 0",
     {F(EH_SHSTRNDX, 0, 0xffff), F(SH_LINK, 0, STRNDX)},
     ".text",
     ELFSECT_FOUND,
     0x100,
     0x40},
    {"name table through section 0, 0",
     {F(EH_SHSTRNDX, 0, 0xffff)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table through section 0, past",
     {F(EH_SHSTRNDX, 0, 0xffff), F(SH_LINK, 0, 4000)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table not a string table",
     {F(SH_TYPE, STRNDX, SHT_PROGBITS)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table nobits",
     {F(SH_TYPE, STRNDX, SHT_NOBITS)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table past the end",
     {F(SH_OFFSET, STRNDX, 0x10000)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name table size wraps",
     {F(SH_SIZE, STRNDX, UINT64_MAX)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"name offset past the name table",
     {F(SH_NAME, 1, 0xffffff)},
     ".data",
     ELFSECT_BAD,
     0,
     0},
    {"name offset past the name table, later",
     {F(SH_NAME, 2, 200)},
     ".data",
     ELFSECT_BAD,
     0,
     0},
    /* ".shstrtab" is last: without its NUL it is no longer that name. */
    {"last name without its NUL",
     {{STRCUT, 0, 0, 1}},
     ".shstrtab",
     ELFSECT_ABSENT,
     0,
     0},
    {"name table of 0 bytes",
     {F(SH_SIZE, STRNDX, 0)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    /* The section itself. */
    {"section past the end",
     {F(SH_SIZE, 1, 0x10000)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"section offset wraps",
     {F(SH_OFFSET, 1, UINT64_MAX - 0x10)},
     ".text",
     ELFSECT_BAD,
     0,
     0},
    {"section over the ELF header",
     {F(SH_OFFSET, 1, 0)},
     ".text",
     ELFSECT_FOUND,
     0,
     0x40},
    {"section over the name table",
     {F(SH_OFFSET, 1, NAMES_AT)},
     ".text",
     ELFSECT_FOUND,
     NAMES_AT,
     0x40},
    {"section made nobits",
     {F(SH_TYPE, 1, SHT_NOBITS)},
     ".text",
     ELFSECT_NOBITS,
     0,
     0},
    /* Names: matched whole, by the offset in the table; the first wins. */
    {"renamed", {F(SH_NAME, 1, 7)}, ".data", ELFSECT_FOUND, 0x100, 0x40},
    {"tail of a name", {{NONE, 0, 0, 0}}, "text", ELFSECT_ABSENT, 0, 0},
    {"prefix of a name", {{NONE, 0, 0, 0}}, ".tex", ELFSECT_ABSENT, 0, 0},
    {"longer than a name", {{NONE, 0, 0, 0}}, ".text.", ELFSECT_ABSENT, 0, 0},
    {"empty name", {{NONE, 0, 0, 0}}, "", ELFSECT_ABSENT, 0, 0},
    {"name over the limit",
     {{NONE, 0, 0, 0}},
     NAME255 "f",
     ELFSECT_ABSENT,
     0,
     0},
    /* Good ones. */
    {"text", {{NONE, 0, 0, 0}}, ".text", ELFSECT_FOUND, 0x100, 0x40},
    {"data", {{NONE, 0, 0, 0}}, ".data", ELFSECT_FOUND, 0x140, 0x10},
    {"compressed", {{NONE, 0, 0, 0}}, ".zdebug", ELFSECT_FOUND, 0x170, 0x18},
    {"nobits", {{NONE, 0, 0, 0}}, ".bss", ELFSECT_NOBITS, 0, 0},
    {"size 0", {{NONE, 0, 0, 0}}, ".empty", ELFSECT_NOBITS, 0, 0},
    {"first of two, nobits", {{NONE, 0, 0, 0}}, ".dup", ELFSECT_NOBITS, 0, 0},
    {"absent", {{NONE, 0, 0, 0}}, ".debug_info", ELFSECT_ABSENT, 0, 0},
    {"name table", {{NONE, 0, 0, 0}}, ".shstrtab", ELFSECT_FOUND, NAMES_AT, 0},
};

static void
apply(struct img *m, const struct edit *e)
{
    switch (e->how) {
    case NONE:
        break;
    case FIELD:
        set(m, e->f, e->idx, e->v);
        break;
    case BYTE:
        m->b[e->idx] = (unsigned char)e->v;
        break;
    case CUT:
        m->len = (size_t)e->v;
        break;
    case STRCUT:
        set(m, SH_SIZE, m->strndx, m->strsize - e->v);
        break;
    }
}

static void
run_case(const struct hostile *c, bool is64, bool big)
{
    struct img m;
    struct elfsect_loc loc;
    enum elfsect_rc rc;

    build(&m, is64, big, base, NBASE);
    apply(&m, &c->e[0]);
    apply(&m, &c->e[1]);
    rc = find(m.b, m.len, c->name, &loc, -1);
    if (rc != c->rc)
        fail_msg("%s (ELF%d %s): rc %d, want %d", c->what, is64 ? 64 : 32,
                 big ? "BE" : "LE", (int)rc, (int)c->rc);
    if (rc == ELFSECT_FOUND &&
        (loc.off != c->off || (c->size != 0 && loc.size != c->size)))
        fail_msg("%s (ELF%d %s): at %llu size %llu", c->what, is64 ? 64 : 32,
                 big ? "BE" : "LE", (unsigned long long)loc.off,
                 (unsigned long long)loc.size);
    if (rc == ELFSECT_FOUND &&
        loc.compressed != (strcmp(c->name, ".zdebug") == 0))
        fail_msg("%s: compressed %d", c->what, (int)loc.compressed);
    free(m.b);
}

/* Every case in every class and byte order. */
static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (int k = 0; k < 4; k++)
            run_case(&cases[i], k & 1, k & 2);
}

/* The table is at the end: every shorter file is refused, none read past. */
static void
test_truncated(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        struct img m;
        struct elfsect_loc loc;

        build(&m, k & 1, k & 2, base, NBASE);
        for (size_t cut = 0; cut < m.len; cut++)
            if (find(m.b, cut, ".text", &loc, -1) != ELFSECT_BAD)
                fail_msg("cut at %zu: not refused", cut);
        assert_int_equal(find(m.b, m.len, ".text", &loc, -1), ELFSECT_FOUND);
        free(m.b);
    }
}

/* A read that fails is ELFSECT_IO with its errno, whichever read it is. */
static void
test_read_errors(void **state)
{
    struct img m;
    struct elfsect_loc loc;
    int ios = 0;

    (void)state;
    build(&m, true, false, base, NBASE);
    for (int at = 0; at < 8; at++) {
        enum elfsect_rc rc;

        errno = 0;
        rc = find(m.b, m.len, ".zdebug", &loc, at);
        if (rc == ELFSECT_IO) {
            assert_int_equal(errno, EIO);
            ios++;
        } else {
            assert_int_equal(rc, ELFSECT_FOUND); /* it needed fewer reads */
        }
    }
    assert_true(ios >= 4); /* header, section 0, table, names */
    free(m.b);
}

/*
 * 300 sections with long names: the table takes five 4 KiB pieces and the
 * names two windows and more, with names across a window's edge.
 */
static void
test_large_tables(void **state)
{
    static char names[300][40];
    static struct sec many[300];
    struct img m;

    (void)state;
    for (size_t i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), ".section.number.%03zu.padding",
                 i);
        many[i] = (struct sec){names[i], SHT_PROGBITS, 0, 0x100 + i, 1};
    }
    for (int k = 0; k < 4; k++) {
        build(&m, k & 1, k & 2, many, 300);
        assert_true(m.strsize > 2 * 4096);
        for (size_t i = 0; i < 300; i++) {
            struct elfsect_loc loc;

            if (find(m.b, m.len, names[i], &loc, -1) != ELFSECT_FOUND ||
                loc.off != 0x100 + i || loc.index != i + 1)
                fail_msg("%s not found where it is", names[i]);
        }
        free(m.b);
    }
}

/*
 * ELFSECT_SECTIONS_MAX sections are read, one more is refused: the base
 * image grown by empty (SHT_NULL, unnamed) entries, counted through
 * section 0 (extended numbering).
 */
static void
test_section_limit(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        for (uint32_t count = ELFSECT_SECTIONS_MAX;
             count <= ELFSECT_SECTIONS_MAX + 1; count++) {
            struct img m;
            struct elfsect_loc loc;
            size_t len;
            unsigned char *big;
            bool over = count > ELFSECT_SECTIONS_MAX;

            build(&m, k & 1, k & 2, base, NBASE);
            len = m.shoff + (size_t)count * m.ent;
            big = calloc(1, len);
            assert_non_null(big);
            memcpy(big, m.b, m.len);
            free(m.b);
            m.b = big;
            m.len = len;
            set(&m, EH_SHNUM, 0, 0);
            set(&m, SH_SIZE, 0, count);
            assert_int_equal(find(m.b, m.len, ".nothere", &loc, -1),
                             over ? ELFSECT_BAD : ELFSECT_ABSENT);
            assert_int_equal(find(m.b, m.len, ".data", &loc, -1),
                             over ? ELFSECT_BAD : ELFSECT_FOUND);
            free(m.b);
        }
    }
}

/*
 * Names scattered over a 64 KiB name table, every other one 32 KiB from
 * the last, so that each needs a window of its own: refused past
 * ELFSECT_NAME_READS_MAX windows; the same table with the names together
 * is read.
 */
static void
test_scattered_names(void **state)
{
    const size_t names = 65536, count = 2 * ELFSECT_NAME_READS_MAX + 100;

    (void)state;
    for (int scattered = 0; scattered < 2; scattered++) {
        struct img m, g;
        struct elfsect_loc loc;

        build(&m, true, false, base, NBASE);
        g = m;
        g.shoff = NAMES_AT + names;
        g.len = g.shoff + count * g.ent;
        g.b = calloc(1, g.len);
        assert_non_null(g.b);
        memcpy(g.b, m.b, m.shoff);
        memcpy(g.b + g.shoff, m.b + m.shoff, (NBASE + 2) * m.ent);
        free(m.b);
        set(&g, EH_SHOFF, 0, g.shoff);
        set(&g, EH_SHNUM, 0, count);
        set(&g, SH_SIZE, g.strndx, names);
        for (uint32_t k = NBASE + 2; k < count; k++)
            set(&g, SH_NAME, k, scattered && k % 2 ? names / 2 : 1);
        assert_int_equal(find(g.b, g.len, ".nothere", &loc, -1),
                         scattered ? ELFSECT_BAD : ELFSECT_ABSENT);
        free(g.b);
    }
}

/* Random bytes changed in good images: answers keep their invariants. */
static void
test_random(void **state)
{
    static const char *const names[] = {".text",   ".data",     ".bss",
                                        ".zdebug", ".shstrtab", ".nothere"};
    unsigned seed = 12345;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        struct img m;
        struct elfsect_loc loc;

        build(&m, round & 1, round & 2, base, NBASE);
        for (int j = 0; j < 1 + round % 4; j++) {
            seed = seed * 1103515245u + 12345u;
            m.b[(seed >> 8) % m.len] = (unsigned char)(seed >> 24);
        }
        (void)find(m.b, m.len, names[round % 6], &loc, -1);
        free(m.b);
    }
}

/* --- toolchain: real objects, against llvm-objcopy --dump-section --- */

static int sh(const char *dir, const char *fmt, ...) UNIT_FORMAT(2, 3);

static int
sh(const char *dir, const char *fmt, ...)
{
    char cmd[1024];
    size_t n = 0;
    va_list ap;

    unit_appendf(cmd, sizeof(cmd), &n, "cd '%s' && (", dir);
    va_start(ap, fmt);
    n += (size_t)vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
    va_end(ap);
    assert_true(n < sizeof(cmd) - 20);
    unit_appendf(cmd, sizeof(cmd), &n, ") >/dev/null 2>&1");
    return system(cmd);
}

/* elfsect_find_fd() on dir/file for name, against llvm-objcopy. */
static void
check_real(const char *dir, const char *file, const char *name)
{
    char path[512], dump[512], why[160] = "";
    struct elfsect_loc loc;
    enum elfsect_rc rc;
    struct stat st;
    int fd;
    bool dumped;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    snprintf(dump, sizeof(dump), "%s/dump.bin", dir);
    unlink(dump);
    dumped = sh(dir, "llvm-objcopy --dump-section '%s'=dump.bin '%s' x.out",
                name, file) == 0;
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && fstat(fd, &st) == 0);
    rc =
        elfsect_find_fd(fd, (uint64_t)st.st_size, name, &loc, why, sizeof(why));
    if (!dumped) {
        if (rc != ELFSECT_ABSENT && rc != ELFSECT_NOBITS)
            fail_msg("%s %s: rc %d (%s), llvm-objcopy has no bytes", file, name,
                     (int)rc, why);
    } else {
        size_t len;
        unsigned char *want = unit_slurp(dump, &len), *got;

        if (rc != ELFSECT_FOUND)
            fail_msg("%s %s: rc %d (%s), llvm-objcopy dumped it", file, name,
                     (int)rc, why);
        assert_non_null(want);
        assert_int_equal(loc.size, len);
        got = malloc(len);
        assert_non_null(got);
        assert_int_equal(pread(fd, got, len, (off_t)loc.off), (ssize_t)len);
        if (memcmp(got, want, len) != 0)
            fail_msg("%s %s: bytes differ from llvm-objcopy's", file, name);
        free(got);
        free(want);
    }
    close(fd);
}

static void
test_toolchain(void **state)
{
    static const char *const targets[] = {"x86_64-linux-gnu", "i386-linux-gnu",
                                          "powerpc64-linux-gnu",
                                          "powerpc-linux-gnu"};
    static const char *const names[] = {
        ".text",   ".data",   ".bss",      ".debug_info", ".debug_abbrev",
        ".symtab", ".strtab", ".shstrtab", ".comment",    ".nothere"};
    char dir[] = "/tmp/test_elfsect.XXXXXX", file[64];

    (void)state;
    assert_non_null(mkdtemp(dir));
    if (sh(dir, "clang --version && gcc --version && objcopy --version && "
                "llvm-objcopy --version") != 0) {
        sh("/", "rm -rf '%s'", dir);
        unit_skip("clang, gcc, objcopy or llvm-objcopy missing");
    }
    assert_int_equal(sh(dir, "printf 'int v = 42; int z[64];\\n"
                             "int f(int x) { return x * v + z[x]; }\\n"
                             "int main(void) { return f(1); }\\n' >p.c"),
                     0);
    for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
        snprintf(file, sizeof(file), "%s.o", targets[t]);
        assert_int_equal(
            sh(dir, "clang --target=%s -g -c p.c -o %s", targets[t], file), 0);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            check_real(dir, file, names[i]);
    }
    /* A linked program, its debug file, and compressed debug sections. */
    assert_int_equal(sh(dir, "gcc -g -o prog p.c && objcopy "
                             "--only-keep-debug prog prog.debug && "
                             "objcopy --compress-debug-sections=zlib "
                             "prog.debug prog.zdebug"),
                     0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        check_real(dir, "prog", names[i]);
        check_real(dir, "prog.debug", names[i]);
        check_real(dir, "prog.zdebug", names[i]);
    }
    sh("/", "rm -rf '%s'", dir);
}

int
main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_large_tables),
        cmocka_unit_test(test_section_limit),
        cmocka_unit_test(test_scattered_names),
        cmocka_unit_test(test_random),
    };
    static const struct CMUnitTest toolchain_tests[] = {
        cmocka_unit_test(test_toolchain),
    };
    static const struct unit_group groups[] = {
        UNIT_GROUP(NULL, tests, false),
        UNIT_GROUP("toolchain", toolchain_tests, false),
    };

    return unit_main(argc, argv, groups, sizeof(groups) / sizeof(groups[0]));
}
