/*
 * Breakpad .sym keys from the first line, "MODULE <os> <arch> <id> <name>".
 *
 * The name is the rest of the line, spaces included, as Breakpad's own
 * processor reads it (it splits the line into at most five fields). The
 * stored name follows Mozilla's symbol stores (Tecken, symbolstore.py):
 * a trailing ".pdb" is replaced by ".sym", any other name gets ".sym"
 * appended: xul.pdb -> xul.sym, libxul.so -> libxul.so.sym,
 * ssltunnel -> ssltunnel.sym. The id is kept as written (Breakpad writes
 * upper-case hex).
 *
 * The MODULE line must end in a line feed (CRLF accepted): every real .sym
 * has more lines after it, so a file that ends inside the first line was
 * cut short and its last field cannot be trusted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/hex.h"
#include "util/errbuf.h"
#include "util/symname.h"
#include "keys/keys.h"

#define BP_MAGIC "MODULE "
#define BP_MAGIC_LEN (sizeof(BP_MAGIC) - 1)
#define BP_LINE_MAX 4096
#define BP_ID_MAX 64

struct bp_field {
    const char *p;
    size_t len;
};

/* Splits off the next space-terminated field of [*p, end). */
static bool
next_field(const char **p, const char *end, struct bp_field *f)
{
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));

    if (sp == NULL || sp == *p)
        return false;
    f->p = *p;
    f->len = (size_t)(sp - *p);
    *p = sp + 1;
    return true;
}

static bool
is_hex(const struct bp_field *f)
{
    for (size_t i = 0; i < f->len; i++) {
        if (hex_value((unsigned char)f->p[i]) == -1)
            return false;
    }
    return true;
}

/* The name becomes a path segment: no separators, no dot names. */
static bool
name_ok(const struct bp_field *f)
{
    if (f->len == 0 || f->p[0] == ' ' || f->p[f->len - 1] == ' ')
        return false;
    if ((f->len == 1 && f->p[0] == '.') ||
        (f->len == 2 && f->p[0] == '.' && f->p[1] == '.'))
        return false;
    return memchr(f->p, '/', f->len) == NULL &&
           memchr(f->p, '\\', f->len) == NULL;
}

/* Finds the MODULE line's end (CR stripped) and rejects control bytes. */
static enum keys_rc
line_end(const unsigned char *buf, size_t len, size_t *linelen, char *why,
         size_t whylen)
{
    size_t scan = len < BP_LINE_MAX ? len : BP_LINE_MAX;
    const unsigned char *nl = memchr(buf, '\n', scan);

    if (nl == NULL) {
        errbuf_set(why, whylen,
                   "truncated: Breakpad MODULE line has no line "
                   "end within %zu bytes",
                   scan);
        return KEYS_BAD;
    }
    *linelen = (size_t)(nl - buf);
    if (*linelen > 0 && buf[*linelen - 1] == '\r')
        (*linelen)--;
    for (size_t i = 0; i < *linelen; i++) {
        if (buf[i] < 0x20 || buf[i] == 0x7f) {
            errbuf_set(why, whylen,
                       "Breakpad MODULE line: control byte 0x%02x at %zu",
                       buf[i], i);
            return KEYS_BAD;
        }
    }
    return KEYS_OK;
}

static enum keys_rc
set_entry(const struct bp_field *id, const struct bp_field *name,
          struct keys_entry *out, char *why, size_t whylen)
{
    if (name->len >= sizeof(out->file) ||
        symname_breakpad(name->p, name->len, out->name, sizeof(out->name)) ==
            0) {
        errbuf_set(why, whylen, "Breakpad module name of %zu bytes is too long",
                   name->len);
        return KEYS_BAD;
    }
    snprintf(out->file, sizeof(out->file), "%.*s", (int)name->len, name->p);
    snprintf(out->key, sizeof(out->key), "%.*s", (int)id->len, id->p);
    return KEYS_OK;
}

enum keys_rc
keys_breakpad(const char *basename, const unsigned char *buf, size_t len,
              struct keys_entry *out, size_t max, size_t *n, char *why,
              size_t whylen)
{
    struct bp_field os, arch, id, name;
    size_t linelen;
    const char *p, *end;

    (void)basename; /* the MODULE line names the module, not the path */
    (void)max;      /* one entry, and max >= 1 */
    if (len < BP_MAGIC_LEN || memcmp(buf, BP_MAGIC, BP_MAGIC_LEN) != 0) {
        errbuf_set(why, whylen, "not Breakpad: no MODULE line first");
        return KEYS_UNRECOGNISED;
    }
    if (line_end(buf, len, &linelen, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    p = (const char *)buf + BP_MAGIC_LEN;
    end = (const char *)buf + linelen;
    if (!next_field(&p, end, &os) || !next_field(&p, end, &arch) ||
        !next_field(&p, end, &id)) {
        errbuf_set(why, whylen, "Breakpad MODULE line needs os arch id name");
        return KEYS_BAD;
    }
    name.p = p;
    name.len = (size_t)(end - p);
    if (id.len > BP_ID_MAX || !is_hex(&id)) {
        errbuf_set(why, whylen, "Breakpad module id is not 1 to %d hex digits",
                   BP_ID_MAX);
        return KEYS_BAD;
    }
    if (!name_ok(&name)) {
        errbuf_set(why, whylen,
                   "Breakpad module name \"%.*s\" unusable as a "
                   "file name",
                   (int)(name.len > 64 ? 64 : name.len), name.p);
        return KEYS_BAD;
    }
    if (set_entry(&id, &name, out, why, whylen) != KEYS_OK)
        return KEYS_BAD;
    *n = 1;
    return KEYS_OK;
}
