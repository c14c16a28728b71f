/*
 * libFuzzer target for include/keys/keys.h and include/keys/detect.h.
 * Built as fuzz_keys (keys_detect(): every parser in turn) and, with
 * KEYS_FUZZ_ONE naming one parser, as fuzz_keys_<format>. The input is 1
 * byte of max (1..KEYS_MAX), then the file's bytes (exact size, ASan).
 * Invariants: out (exactly max entries) is never overrun; KEYS_OK gives
 * 1..max entries, each segment a non-empty NUL-terminated string inside
 * its array with no '/', '\\', NUL or control byte and not "." or "..";
 * otherwise why is one non-empty NUL-terminated line inside its buffer;
 * the answer does not depend on max, but for KEYS_BAD when it is too
 * few; detect
 * answers what the parser it names answers.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "keys/detect.h"
#include "keys/keys.h"

#define WHY_LEN 200

static void
check_segment(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);

    CHECK(n > 0 && n < cap);
    CHECK(strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        CHECK(c >= 0x20 && c != 0x7f && c != '/' && c != '\\');
    }
}

static void
check_answer(enum keys_rc rc, const struct keys_entry *out, size_t max,
             size_t n, const char *why)
{
    CHECK(rc == KEYS_OK || rc == KEYS_UNRECOGNISED || rc == KEYS_BAD);
    if (rc == KEYS_OK) {
        CHECK(n >= 1 && n <= max);
        for (size_t i = 0; i < n; i++) {
            check_segment(out[i].file, sizeof(out[i].file));
            check_segment(out[i].key, sizeof(out[i].key));
            check_segment(out[i].name, sizeof(out[i].name));
        }
    } else {
        size_t wl = strnlen(why, WHY_LEN);

        CHECK(wl > 0 && wl < WHY_LEN && memchr(why, '\n', wl) == NULL);
    }
}

#ifdef KEYS_FUZZ_ONE
static enum keys_rc
run(const unsigned char *buf, size_t len, struct keys_entry *out, size_t max,
    size_t *n, char *why)
{
    return KEYS_FUZZ_ONE("app.bin", buf, len, out, max, n, why, WHY_LEN);
}
#else
typedef enum keys_rc (*parser)(const char *, const unsigned char *, size_t,
                               struct keys_entry *, size_t, size_t *, char *,
                               size_t);

static enum keys_rc
run(const unsigned char *buf, size_t len, struct keys_entry *out, size_t max,
    size_t *n, char *why)
{
    static const parser by_fmt[] = {NULL,     keys_pe,    keys_pdb,
                                    keys_elf, keys_macho, keys_breakpad};
    enum keys_format fmt = (enum keys_format) - 1;
    struct keys_entry *out2;
    char why2[WHY_LEN];
    enum keys_rc rc, rc2;
    size_t n2 = 0;

    rc = keys_detect("dir/app.bin", buf, len, out, max, n, &fmt, why, WHY_LEN);
    CHECK(fmt >= KEYS_FORMAT_NONE && fmt <= KEYS_FORMAT_BREAKPAD);
    CHECK(keys_format_name(fmt) != NULL);
    if (len == 0)
        CHECK(rc == KEYS_BAD);
    if (fmt == KEYS_FORMAT_NONE) {
        CHECK(len == 0 || rc == KEYS_UNRECOGNISED);
        return rc;
    }
    CHECK(rc != KEYS_UNRECOGNISED);
    /* The parser detect names, on its own, answers the same. */
    out2 = malloc(max * sizeof(*out2));
    CHECK(out2 != NULL);
    memset(why2, 0, sizeof(why2));
    rc2 = by_fmt[fmt]("app.bin", buf, len, out2, max, &n2, why2, WHY_LEN);
    CHECK(rc2 == rc);
    if (rc == KEYS_OK) {
        CHECK(n2 == *n);
        for (size_t i = 0; i < n2; i++)
            CHECK(strcmp(out2[i].key, out[i].key) == 0);
    }
    free(out2);
    return rc;
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t max, n = 0, n2 = 0;
    const unsigned char *buf;
    struct keys_entry *out;
    char why[WHY_LEN];
    enum keys_rc rc;
    size_t len;

    if (size < 1)
        return 0;
    max = 1 + data[0] % KEYS_MAX;
    buf = data + 1;
    len = size - 1;
    out = malloc(max * sizeof(*out));
    CHECK(out != NULL);
    memset(why, 0, sizeof(why));
    rc = run(buf, len, out, max, &n, why);
    check_answer(rc, out, max, n, why);
    /* Room for every entry: the same answer, or KEYS_BAD when max was
     * too few. */
    if (max < KEYS_MAX) {
        struct keys_entry *all = malloc(KEYS_MAX * sizeof(*all));
        enum keys_rc rc2;

        CHECK(all != NULL);
        memset(why, 0, sizeof(why));
        rc2 = run(buf, len, all, KEYS_MAX, &n2, why);
        check_answer(rc2, all, KEYS_MAX, n2, why);
        if (rc2 == KEYS_OK && n2 > max) {
            CHECK(rc == KEYS_BAD);
        } else {
            CHECK(rc2 == rc);
            if (rc == KEYS_OK) {
                CHECK(n2 == n);
                for (size_t i = 0; i < n; i++)
                    CHECK(strcmp(all[i].file, out[i].file) == 0 &&
                          strcmp(all[i].key, out[i].key) == 0 &&
                          strcmp(all[i].name, out[i].name) == 0);
            }
        }
        free(all);
    }
    free(out);
    return 0;
}
