/* Every client's name for a stored file; see ids.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/ids.h"
#include "util/hex.h"

/* Pure conversions. */

void
ids_elf_guid(const unsigned char *in, size_t n, unsigned char *out)
{
    /* Where each GUID byte comes from: Data1 (u32), Data2 and Data3 (u16)
     * little-endian, Data4 as it is. The map is its own inverse. */
    static const unsigned char from[IDS_GUID_LEN] = {
        3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

    for (size_t i = 0; i < IDS_GUID_LEN; i++)
        out[i] = from[i] < n ? in[from[i]] : 0;
}

void
ids_debug_text(const struct ids_debug *d, char *out)
{
    hex_encode(d->guid, IDS_GUID_LEN, true, out);
    snprintf(out + 2 * IDS_GUID_LEN, IDS_DEBUG_TEXT_MAX + 1 - 2 * IDS_GUID_LEN,
             "%X", (unsigned)d->age);
}

/* s[0..n) as hex digits into out[n / 2]; n even. */
static bool
decode_hex(const char *s, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value((unsigned char)s[i]);
        int lo = hex_value((unsigned char)s[i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

bool
ids_parse_debug(const char *s, size_t n, struct ids_debug *out)
{
    uint32_t age = 0;

    if (n < 2 * IDS_GUID_LEN + 1 || n > IDS_DEBUG_TEXT_MAX ||
        !decode_hex(s, 2 * IDS_GUID_LEN, out->guid))
        return false;
    for (size_t i = 2 * IDS_GUID_LEN; i < n; i++) {
        int v = hex_value((unsigned char)s[i]);

        if (v < 0)
            return false;
        age = age << 4 | (uint32_t)v; /* at most 8 digits: no overflow */
    }
    out->age = age;
    return true;
}

bool
ids_parse_hex(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
    if (n < 2 || n > 2 * IDS_ID_MAX || n % 2 != 0 || !decode_hex(s, n, out))
        return false;
    *outlen = n / 2;
    return true;
}

/* Key directory names. */

enum ids_key
ids_key_parse(const char *name, unsigned char *id, size_t *idlen,
              struct ids_debug *dbg)
{
    static const char elf[] = "elf-buildid-", mach[] = "mach-uuid-";
    size_t n = strlen(name);

    if (strncasecmp(name, elf, sizeof(elf) - 1) == 0)
        return ids_parse_hex(name + sizeof(elf) - 1, n - (sizeof(elf) - 1), id,
                             idlen)
                   ? IDS_KEY_ELF
                   : IDS_KEY_NONE;
    if (strncasecmp(name, mach, sizeof(mach) - 1) == 0)
        return n - (sizeof(mach) - 1) == 2 * IDS_GUID_LEN &&
                       ids_parse_hex(name + sizeof(mach) - 1, 2 * IDS_GUID_LEN,
                                     id, idlen)
                   ? IDS_KEY_MACHO
                   : IDS_KEY_NONE;
    return ids_parse_debug(name, n, dbg) ? IDS_KEY_DEBUG : IDS_KEY_NONE;
}

/* Request paths. */

struct seg {
    const char *p;
    size_t len;
};

/* Splits canon into exactly three segments; false otherwise. */
static bool
three_segments(const char *canon, struct seg s[3])
{
    const char *p = canon;

    for (int i = 0; i < 3; i++) {
        const char *slash = strchr(p, '/');

        s[i].p = p;
        s[i].len = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (s[i].len == 0 || (i < 2) != (slash != NULL))
            return false;
        p = slash != NULL ? slash + 1 : p + s[i].len;
    }
    return true;
}

static bool
seg_ieq(const struct seg *s, const char *p, size_t n)
{
    return s->len == n && strncasecmp(s->p, p, n) == 0;
}

static const char *
last_dot(const struct seg *s)
{
    for (size_t i = s->len; i > 0; i--) {
        if (s->p[i - 1] == '.')
            return s->p + i - 1;
    }
    return NULL;
}

/* file is name + ".sym", or name with its last extension replaced: both
 * spellings of "<n with .sym replacing or appended>" that Backtrace may
 * send. */
static bool
is_sym_of(const struct seg *name, const struct seg *file)
{
    const char *dot = last_dot(name);
    size_t stem;

    if (file->len < 5 || strncasecmp(file->p + file->len - 4, ".sym", 4) != 0)
        return false;
    stem = file->len - 4;
    if (strncasecmp(file->p, name->p, stem < name->len ? stem : name->len) != 0)
        return false;
    return stem == name->len ||
           (dot != NULL && dot != name->p && (size_t)(dot - name->p) == stem);
}

/* Reads id[0..n) both ways; false when it is neither. */
static bool
read_id(const char *id, size_t n, struct ids_req *out)
{
    out->has_debug = ids_parse_debug(id, n, &out->debug);
    if (!ids_parse_hex(id, n, out->code, &out->codelen))
        out->codelen = 0;
    return out->has_debug || out->codelen > 0;
}

static enum ids_form
classify_unified(const struct seg s[3], struct ids_req *out)
{
    static const char *const whats[] = {"executable", "debuginfo", "breakpad"};
    char id[2 * IDS_ID_MAX + 1];

    if (s[0].len != 2 || s[1].len > sizeof(id) - 3)
        return IDS_FORM_NONE;
    for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++) {
        if (!seg_ieq(&s[2], whats[i], strlen(whats[i])))
            continue;
        memcpy(id, s[0].p, 2);
        memcpy(id + 2, s[1].p, s[1].len);
        out->what = (enum ids_what)i;
        return read_id(id, 2 + s[1].len, out) ? IDS_FORM_UNIFIED
                                              : IDS_FORM_NONE;
    }
    return IDS_FORM_NONE;
}

enum ids_form
ids_classify(const char *canon, struct ids_req *out)
{
    struct seg s[3];
    enum ids_form form;

    if (!three_segments(canon, s))
        return IDS_FORM_NONE;
    if (classify_unified(s, out) == IDS_FORM_UNIFIED)
        return IDS_FORM_UNIFIED;
    if (seg_ieq(&s[2], s[0].p, s[0].len))
        form = IDS_FORM_FILE;
    else if (is_sym_of(&s[0], &s[2]))
        form = IDS_FORM_SYM;
    else
        return IDS_FORM_NONE;
    if (s[0].len >= sizeof(out->name) || !read_id(s[1].p, s[1].len, out))
        return IDS_FORM_NONE;
    memcpy(out->name, s[0].p, s[0].len);
    out->name[s[0].len] = '\0';
    return form;
}
