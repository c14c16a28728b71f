/*
 * libFuzzer target for include/http/acceptenc.h. The input is 1 byte of
 * offered codings (its low 3 bits), then Accept-Encoding field lines
 * separated by '\n' (each an exact-size copy, not NUL-terminated).
 * Invariants: each q-value is UNSET or 0..1000; a BAD line leaves the
 * state as it was; a NUL in a line makes it BAD; acceptenc_choose()
 * returns identity or an offered coding whose q is above 0 and not below
 * any other offered coding's; parsing is pure (the same lines again give
 * the same state).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "http/acceptenc.h"

static void
check_state(const struct acceptenc *ae)
{
    for (int i = 0; i < ACCEPTENC_CODINGS; i++)
        CHECK(ae->q[i] == ACCEPTENC_UNSET ||
              (ae->q[i] >= 0 && ae->q[i] <= 1000));
    CHECK(ae->star == ACCEPTENC_UNSET || (ae->star >= 0 && ae->star <= 1000));
}

static void
check_choice(const struct acceptenc *ae, unsigned offered)
{
    enum acceptenc_coding c = acceptenc_choose(ae, offered);
    int q = acceptenc_q(ae, c);

    CHECK(c < ACCEPTENC_CODINGS);
    CHECK(c == ACCEPTENC_IDENTITY || ((offered >> c) & 1) != 0);
    CHECK(c == ACCEPTENC_IDENTITY || q > 0);
    for (int i = 0; i < ACCEPTENC_CODINGS; i++)
        if (i == ACCEPTENC_IDENTITY || ((offered >> i) & 1) != 0)
            CHECK(acceptenc_q(ae, (enum acceptenc_coding)i) <= q || q == 0 ||
                  c == ACCEPTENC_IDENTITY);
}

/* Feeds every line of data[0..size) to ae. */
static void
parse_lines(const uint8_t *data, size_t size, struct acceptenc *ae)
{
    size_t start = 0;

    while (start <= size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        char *line = fuzz_dup(data + start, end - start);
        struct acceptenc before = *ae;
        enum acceptenc_rc rc = acceptenc_parse(line, end - start, ae);

        CHECK(rc == ACCEPTENC_OK || rc == ACCEPTENC_BAD);
        if (rc == ACCEPTENC_BAD)
            CHECK(memcmp(&before, ae, sizeof(before)) == 0);
        if (memchr(line, '\0', end - start) != NULL)
            CHECK(rc == ACCEPTENC_BAD);
        check_state(ae);
        free(line);
        start = end + 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acceptenc a, b;
    unsigned offered;

    if (size < 1)
        return 0;
    offered = data[0] & 7u;
    acceptenc_init(&a);
    parse_lines(data + 1, size - 1, &a);
    check_choice(&a, offered);
    acceptenc_init(&b);
    parse_lines(data + 1, size - 1, &b);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    CHECK(acceptenc_choose(&a, offered) == acceptenc_choose(&b, offered));
    return 0;
}
