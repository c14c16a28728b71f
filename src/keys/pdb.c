/*
 * PDB keys: MSF 7.00 and JG 2.00 multi-stream files (GUID or signature
 * from the PDB info stream, stream 1; age from the DBI stream, stream 3),
 * and portable PDBs (ECMA-335 metadata with a #Pdb stream; SSQP key).
 *
 * Both MSF layouts are blocks of one size; a directory lists each stream's
 * size and block numbers, and the directory's own blocks are listed
 * elsewhere (MSF 7.00: in the block-map block; JG: in the header). The
 * reader below walks them without allocating: every block number is checked
 * against the block count, and the block count against the file length,
 * once, so a checked block number is always inside buf.
 *
 * Layouts: LLVM's "The MSF File Format" and "The PDB Info Stream" docs
 * (MSF 7.00); Wine's include/wine/mscvpdb.h (JG 2.00 header and table of
 * contents); ECMA-335 II.24.2.1-2 and the Portable PDB v1.0 spec ("#Pdb
 * stream": the first 20 bytes are the PDB id, GUID then stamp).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "util/hex.h"
#include "util/errbuf.h"
#include "keys/keys.h"

static const char msf7_magic[] = "Microsoft C/C++ MSF 7.00\r\n\x1a"
                                 "DS\0\0\0";
#define MSF7_MAGIC_LEN 32
#define MSF7_SUPER 56 /* magic + six u32 */
static const char jg_magic[] = "Microsoft C/C++ program database 2.00\r\n"
                               "\x1aJG\0\0";
#define JG_MAGIC_LEN 44
#define JG_DIR_LIST 60 /* the directory's u16 block numbers start here */
#define PDB_INFO_STREAM 1
#define PDB_INFO_LEN 28 /* version, signature, age, GUID */
#define PDB_DBI_STREAM 3
#define PDB_DBI_LEN 64 /* DBI header; age at offset 8 */
#define PDB_NIL 0xffffffffu

struct msf {
    const unsigned char *buf;
    size_t len;
    uint32_t bs;      /* block size */
    uint32_t nblocks; /* nblocks * bs <= len, checked */
    uint32_t dirlen;  /* directory bytes */
    size_t dirlist;   /* file offset of the directory's block numbers */
    unsigned width;   /* bytes per block number: 4, or 2 for JG */
    unsigned entry;   /* bytes per stream-size entry: 4, or 8 for JG */
    uint32_t nstreams;
};

/* A stream: its size and where its block numbers are. */
struct msf_stream {
    uint32_t size;
    int in_dir;    /* block numbers: 1 in the directory, 0 in the file */
    uint64_t list; /* offset of the first block number */
};

static uint32_t
pdb_u32(const unsigned char *p)
{
    return bytes_le(p, 4);
}

static int msf_read(const struct msf *m, const struct msf_stream *s,
                    uint64_t off, unsigned char *dst, size_t n);

/* Block number i of stream s; -1 when it is unreadable or out of range. */
static int
msf_block(const struct msf *m, const struct msf_stream *s, uint64_t i,
          uint32_t *blk)
{
    unsigned char b[4];
    uint64_t off = s->list + i * m->width;

    if (s->in_dir) {
        struct msf_stream dir = {m->dirlen, 0, m->dirlist};

        if (msf_read(m, &dir, off, b, m->width) != 0)
            return -1;
    } else {
        if (!bytes_fit(m->len, off, m->width))
            return -1;
        memcpy(b, m->buf + off, m->width);
    }
    *blk = bytes_le(b, m->width);
    return *blk < m->nblocks ? 0 : -1;
}

/* Copies [off, off + n) of stream s into dst; -1 if any of it is bad. */
static int
msf_read(const struct msf *m, const struct msf_stream *s, uint64_t off,
         unsigned char *dst, size_t n)
{
    uint32_t blk;

    if (off > s->size || n > s->size - off)
        return -1;
    while (n > 0) {
        uint64_t within = off % m->bs;
        size_t chunk = (size_t)(m->bs - within);

        if (chunk > n)
            chunk = n;
        if (msf_block(m, s, off / m->bs, &blk) != 0)
            return -1;
        memcpy(dst, m->buf + (size_t)blk * m->bs + within, chunk);
        dst += chunk;
        off += chunk;
        n -= chunk;
    }
    return 0;
}

static uint64_t
msf_nblocks(const struct msf *m, uint32_t size)
{
    if (size == PDB_NIL)
        return 0;
    return ((uint64_t)size + m->bs - 1) / m->bs;
}

/* Stream k's size and block list, from the directory. */
static int
msf_stream(const struct msf *m, uint32_t k, struct msf_stream *s)
{
    struct msf_stream dir = {m->dirlen, 0, m->dirlist};
    unsigned char b[4];
    uint64_t list = 4 + (uint64_t)m->nstreams * m->entry;
    uint32_t j, size = 0;

    for (j = 0; j <= k; j++) {
        if (msf_read(m, &dir, 4 + (uint64_t)j * m->entry, b, 4) != 0)
            return -1;
        size = pdb_u32(b);
        if (j < k)
            list += msf_nblocks(m, size) * m->width;
    }
    if (list + msf_nblocks(m, size) * m->width > m->dirlen)
        return -1;
    s->size = size == PDB_NIL ? 0 : size;
    s->in_dir = 1;
    s->list = list;
    return 0;
}

static int
msf_bs_ok(uint32_t bs)
{
    return bs >= 512 && bs <= 32768 && (bs & (bs - 1)) == 0;
}

/* Checks the block size, count and directory size common to both. */
static enum keys_rc
msf_geometry(struct msf *m, char *why, size_t whylen)
{
    unsigned char b[4];
    struct msf_stream dir = {m->dirlen, 0, m->dirlist};

    if (!msf_bs_ok(m->bs)) {
        errbuf_set(why, whylen,
                   "block size %" PRIu32 " is not 512..32768 "
                   "and a power of two",
                   m->bs);
        return KEYS_BAD;
    }
    if (m->nblocks == 0 || m->nblocks > m->len / m->bs) {
        errbuf_set(why, whylen,
                   "truncated: %" PRIu32 " blocks of %" PRIu32
                   " bytes, file has 0x%zx bytes",
                   m->nblocks, m->bs, m->len);
        return KEYS_BAD;
    }
    if (m->dirlen < 4 || m->dirlen == PDB_NIL) {
        errbuf_set(why, whylen, "stream directory of %" PRIu32 " bytes",
                   m->dirlen);
        return KEYS_BAD;
    }
    if (msf_read(m, &dir, 0, b, 4) != 0) {
        errbuf_set(why, whylen, "stream directory block out of range");
        return KEYS_BAD;
    }
    m->nstreams = pdb_u32(b);
    if (m->nstreams > (m->dirlen - 4) / m->entry) {
        errbuf_set(why, whylen,
                   "%" PRIu32 " streams do not fit a %" PRIu32
                   "-byte directory",
                   m->nstreams, m->dirlen);
        return KEYS_BAD;
    }
    return KEYS_OK;
}

/* The MSF 7.00 superblock: block size, count, directory size, block map. */
static enum keys_rc
msf7_open(struct msf *m, char *why, size_t whylen)
{
    const unsigned char *p = m->buf;
    uint32_t bm;
    uint64_t ndir;

    if (m->len < MSF7_SUPER) {
        errbuf_set(why, whylen,
                   "truncated: MSF superblock ends at 0x%x, file "
                   "has 0x%zx bytes",
                   MSF7_SUPER, m->len);
        return KEYS_BAD;
    }
    m->bs = pdb_u32(p + 32);
    m->nblocks = pdb_u32(p + 40);
    m->dirlen = pdb_u32(p + 44);
    bm = pdb_u32(p + 52);
    m->width = 4;
    m->entry = 4;
    if (!msf_bs_ok(m->bs) || m->nblocks == 0 || m->nblocks > m->len / m->bs)
        return msf_geometry(m, why, whylen);
    ndir = ((uint64_t)m->dirlen + m->bs - 1) / m->bs;
    if (ndir * 4 > m->bs) {
        errbuf_set(why, whylen,
                   "stream directory of %" PRIu32 " bytes needs "
                   "more block numbers than a %" PRIu32 "-byte block map holds",
                   m->dirlen, m->bs);
        return KEYS_BAD;
    }
    if (bm == 0 || bm >= m->nblocks) {
        errbuf_set(why, whylen, "block map at block %" PRIu32 " of %" PRIu32,
                   bm, m->nblocks);
        return KEYS_BAD;
    }
    m->dirlist = (size_t)bm * m->bs;
    return msf_geometry(m, why, whylen);
}

/* The JG 2.00 header: block size, count, directory size; u16 numbers. */
static enum keys_rc
jg_open(struct msf *m, char *why, size_t whylen)
{
    const unsigned char *p = m->buf;
    uint64_t ndir;

    if (m->len < JG_DIR_LIST) {
        errbuf_set(why, whylen,
                   "truncated: JG header ends at 0x%x, file has "
                   "0x%zx bytes",
                   JG_DIR_LIST, m->len);
        return KEYS_BAD;
    }
    m->bs = pdb_u32(p + 44);
    m->nblocks = bytes_le(p + 50, 2);
    m->dirlen = pdb_u32(p + 52);
    m->width = 2;
    m->entry = 8;
    m->dirlist = JG_DIR_LIST;
    if (msf_bs_ok(m->bs)) {
        ndir = ((uint64_t)m->dirlen + m->bs - 1) / m->bs;
        if (!bytes_fit(m->len, JG_DIR_LIST, ndir * 2)) {
            errbuf_set(why, whylen,
                       "truncated: directory block list ends past "
                       "0x%zx bytes",
                       m->len);
            return KEYS_BAD;
        }
    }
    return msf_geometry(m, why, whylen);
}

/* Stream k, or why it is unreadable. absent: k is past the last stream. */
static enum keys_rc
msf_get(const struct msf *m, uint32_t k, struct msf_stream *s, char *why,
        size_t whylen)
{
    if (k >= m->nstreams) {
        s->size = 0;
        return KEYS_OK;
    }
    if (msf_stream(m, k, s) != 0) {
        errbuf_set(why, whylen, "stream %" PRIu32 ": block list out of range",
                   k);
        return KEYS_BAD;
    }
    return KEYS_OK;
}

/* GUID in its textual order: Data1..Data3 little-endian, then Data4. */
static void
pdb_guid(const unsigned char *g, int upper, char *dst, size_t dstlen)
{
    size_t at;

    snprintf(dst, dstlen,
             upper ? "%08" PRIX32 "%04" PRIX32 "%04" PRIX32
                   : "%08" PRIx32 "%04" PRIx32 "%04" PRIx32,
             pdb_u32(g), bytes_le(g + 4, 2), bytes_le(g + 6, 2));
    at = strlen(dst);
    if (at + 17 <= dstlen)
        hex_encode(g + 8, 8, upper != 0, dst + at);
}

/* MSF 7.00: GUID from the PDB info stream, age from the DBI header. */
static enum keys_rc
msf7_key(const struct msf *m, char *key, size_t keylen, char *why,
         size_t whylen)
{
    struct msf_stream s;
    unsigned char info[PDB_INFO_LEN], dbi[PDB_DBI_LEN];
    size_t at;

    if (msf_get(m, PDB_INFO_STREAM, &s, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    if (s.size < PDB_INFO_LEN || msf_read(m, &s, 0, info, sizeof(info))) {
        errbuf_set(why, whylen,
                   "PDB info stream of %" PRIu32 " bytes is "
                   "short or unreadable (needs %d)",
                   s.size, PDB_INFO_LEN);
        return KEYS_BAD;
    }
    pdb_guid(info + 12, 1, key, keylen);
    if (msf_get(m, PDB_DBI_STREAM, &s, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    if (s.size == 0)
        return KEYS_OK; /* no DBI stream: the key has no age */
    if (s.size < PDB_DBI_LEN || msf_read(m, &s, 0, dbi, sizeof(dbi))) {
        errbuf_set(why, whylen,
                   "DBI stream of %" PRIu32 " bytes is short or "
                   "unreadable (header needs %d)",
                   s.size, PDB_DBI_LEN);
        return KEYS_BAD;
    }
    at = strlen(key);
    snprintf(key + at, keylen - at, "%" PRIx32, pdb_u32(dbi + 8));
    return KEYS_OK;
}

/* JG 2.00: signature and age from the PDB info stream. */
static enum keys_rc
jg_key(const struct msf *m, char *key, size_t keylen, char *why, size_t whylen)
{
    struct msf_stream s;
    unsigned char info[12];

    if (msf_get(m, PDB_INFO_STREAM, &s, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    if (s.size < sizeof(info) || msf_read(m, &s, 0, info, sizeof(info))) {
        errbuf_set(why, whylen,
                   "PDB info stream of %" PRIu32 " bytes is "
                   "short or unreadable (needs 12)",
                   s.size);
        return KEYS_BAD;
    }
    snprintf(key, keylen, "%08" PRIX32 "%" PRIx32, pdb_u32(info + 4),
             pdb_u32(info + 8));
    return KEYS_OK;
}

#define PP_STREAM_NAME 32 /* ECMA-335 II.24.2.2: at most 32 bytes */
#define PP_PDB_ID 20      /* #Pdb: 16-byte GUID + 4-byte stamp */

/*
 * One stream header at *off: offset, size, NUL-terminated name padded to
 * 4 bytes (ECMA-335 II.24.2.2). Advances *off; -1 if it runs off the end.
 */
static int
pp_header(const unsigned char *buf, size_t len, size_t *off, uint32_t *soff,
          uint32_t *ssize, const unsigned char **name)
{
    size_t i, at = *off;

    if (!bytes_fit(len, at, 8))
        return -1;
    *soff = pdb_u32(buf + at);
    *ssize = pdb_u32(buf + at + 4);
    at += 8;
    for (i = 0; i < PP_STREAM_NAME && at + i < len; i++)
        if (buf[at + i] == '\0')
            break;
    if (i == PP_STREAM_NAME || at + i >= len)
        return -1;
    *name = buf + at;
    *off = at + ((i + 4) & ~(size_t)3);
    return 0;
}

/* Finds #Pdb in the metadata root and formats its GUID, SSQP style. */
static enum keys_rc
pp_key(const unsigned char *buf, size_t len, char *key, size_t keylen,
       char *why, size_t whylen)
{
    uint32_t vlen, soff, ssize, k, count;
    size_t off;
    const unsigned char *name;

    vlen = len >= 16 ? pdb_u32(buf + 12) : 0;
    if (len < 16 || vlen > 256 || vlen % 4 != 0 || len - 16 < vlen + 4) {
        errbuf_set(why, whylen,
                   "portable PDB: metadata root truncated or "
                   "version length %" PRIu32 " bad",
                   vlen);
        return KEYS_BAD;
    }
    count = bytes_le(buf + 16 + vlen + 2, 2);
    off = 16 + (size_t)vlen + 4;
    for (k = 0; k < count; k++) {
        if (pp_header(buf, len, &off, &soff, &ssize, &name) != 0) {
            errbuf_set(
                why, whylen,
                "portable PDB: stream header %" PRIu32 " runs past the end", k);
            return KEYS_BAD;
        }
        if (strcmp((const char *)name, "#Pdb") != 0)
            continue;
        if (ssize < PP_PDB_ID || !bytes_fit(len, soff, ssize)) {
            errbuf_set(why, whylen,
                       "portable PDB: #Pdb stream at 0x%" PRIx32
                       " size %" PRIu32 " is outside the file or short",
                       soff, ssize);
            return KEYS_BAD;
        }
        pdb_guid(buf + soff, 0, key, keylen);
        strncat(key, "FFFFFFFF", keylen - strlen(key) - 1);
        return KEYS_OK;
    }
    errbuf_set(why, whylen, "portable PDB: no #Pdb stream");
    return KEYS_BAD;
}

enum pdb_kind { PDB_NONE, PDB_MSF7, PDB_JG, PDB_PORTABLE, PDB_SHORT };

/* Which magic buf starts with; PDB_SHORT: a prefix of one, cut short. */
static enum pdb_kind
pdb_kind(const unsigned char *buf, size_t len)
{
    static const struct {
        const char *magic;
        size_t len;
        enum pdb_kind kind;
    } kinds[] = {
        {msf7_magic, MSF7_MAGIC_LEN, PDB_MSF7},
        {jg_magic, JG_MAGIC_LEN, PDB_JG},
        {"BSJB", 4, PDB_PORTABLE},
    };
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (len >= kinds[i].len &&
            memcmp(buf, kinds[i].magic, kinds[i].len) == 0)
            return kinds[i].kind;
        if (len > 0 && len < kinds[i].len &&
            memcmp(buf, kinds[i].magic, len) == 0)
            return PDB_SHORT;
    }
    return PDB_NONE;
}

static enum keys_rc
pdb_dispatch(enum pdb_kind kind, const unsigned char *buf, size_t len,
             char *key, size_t keylen, char *why, size_t whylen)
{
    struct msf m;
    enum keys_rc rc;

    memset(&m, 0, sizeof(m));
    m.buf = buf;
    m.len = len;
    switch (kind) {
    case PDB_MSF7:
        rc = msf7_open(&m, why, whylen);
        return rc != KEYS_OK ? rc : msf7_key(&m, key, keylen, why, whylen);
    case PDB_JG:
        rc = jg_open(&m, why, whylen);
        return rc != KEYS_OK ? rc : jg_key(&m, key, keylen, why, whylen);
    case PDB_PORTABLE:
        return pp_key(buf, len, key, keylen, why, whylen);
    case PDB_SHORT:
        errbuf_set(why, whylen, "truncated: PDB magic cut at 0x%zx bytes", len);
        return KEYS_BAD;
    case PDB_NONE:
        break;
    }
    if (len == 0) {
        errbuf_set(why, whylen, "empty file");
        return KEYS_BAD;
    }
    errbuf_set(why, whylen, "not a PDB: no MSF 7.00, JG 2.00 or BSJB magic");
    return KEYS_UNRECOGNISED;
}

enum keys_rc
keys_pdb(const char *basename, const unsigned char *buf, size_t len,
         struct keys_entry *out, size_t max, size_t *n, char *why,
         size_t whylen)
{
    enum pdb_kind kind = pdb_kind(buf, len);
    size_t i, blen = strlen(basename);
    enum keys_rc rc;

    if (max < 1 || blen == 0 || blen >= KEYS_NAME_MAX) {
        errbuf_set(why, whylen, "name is empty or too long, or no room");
        return KEYS_BAD;
    }
    rc = pdb_dispatch(kind, buf, len, out->key, sizeof(out->key), why, whylen);
    if (rc != KEYS_OK)
        return rc;
    /* SSQP: portable PDBs are stored under the lower-case name. */
    for (i = 0; i <= blen; i++) {
        unsigned char c = (unsigned char)basename[i];

        if (kind == PDB_PORTABLE && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        out->file[i] = (char)c;
        out->name[i] = (char)c;
    }
    *n = 1;
    return KEYS_OK;
}
