/*
 * libFuzzer target for include/store/elfsect.h. The input is 1 byte
 * choosing the section name looked for (one of names[], by its value
 * modulo their count), then the file's bytes (exact size, ASan).
 * Invariants: every read the locator asks for lies inside the file, and
 * there are not more of them than the table and name windows can need;
 * ELFSECT_FOUND gives a non-empty window inside the file and a section
 * index past 0; ELFSECT_BAD gives one non-empty line in why; the answer
 * is the same when asked twice.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "store/elfsect.h"

#define WHY_LEN 160
/* Header, section 0, the name table's header, table pieces, name windows. */
#define READS_MAX (3 + ELFSECT_SECTIONS_MAX / 64 + 1 + ELFSECT_NAME_READS_MAX)

static const char *const names[] = {
    ".text",       ".data",
    ".bss",        ".debug_info",
    ".shstrtab",   ".gnu_debugdata",
    ".symtab",     ".note.gnu.build-id",
    ".debug_line", "x",
};

struct src {
    const uint8_t *b;
    size_t len;
    unsigned long reads;
};

static int
src_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct src *s = ctx;

    CHECK(off <= s->len && len <= s->len - off);
    s->reads++;
    memcpy(buf, s->b + off, len);
    return 0;
}

static enum elfsect_rc
run(const uint8_t *b, size_t len, const char *name, struct elfsect_loc *loc,
    char *why)
{
    struct src s = {b, len, 0};
    struct elfsect_src src = {src_read, &s, len};
    enum elfsect_rc rc;

    why[0] = '\0';
    rc = elfsect_find(&src, name, loc, why, WHY_LEN);
    CHECK(s.reads <= READS_MAX);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elfsect_loc loc, again;
    char why[WHY_LEN], why2[WHY_LEN];
    const char *name;
    uint8_t *file;
    size_t len;
    enum elfsect_rc rc;

    if (size < 1)
        return 0;
    name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
    len = size - 1;
    file = (uint8_t *)fuzz_dup(data + 1, len);
    rc = run(file, len, name, &loc, why);
    CHECK(rc == ELFSECT_FOUND || rc == ELFSECT_ABSENT || rc == ELFSECT_NOBITS ||
          rc == ELFSECT_BAD);
    if (rc == ELFSECT_FOUND) {
        CHECK(loc.size > 0 && loc.off <= len && loc.size <= len - loc.off);
        CHECK(loc.index > 0 && loc.index < ELFSECT_SECTIONS_MAX);
    }
    if (rc == ELFSECT_BAD) {
        size_t wl = strnlen(why, WHY_LEN);

        CHECK(wl > 0 && wl < WHY_LEN && memchr(why, '\n', wl) == NULL);
    }
    CHECK(run(file, len, name, &again, why2) == rc);
    if (rc == ELFSECT_FOUND)
        CHECK(again.off == loc.off && again.size == loc.size &&
              again.index == loc.index);
    free(file);
    return 0;
}
