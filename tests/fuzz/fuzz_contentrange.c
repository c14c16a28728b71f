/*
 * libFuzzer target for range_content_parse() (include/http/range.h): the
 * input is a Content-Range value as a bucket or upstream sends it (exact
 * size, not NUL-terminated). Invariants: a range has first <= last < size
 * and, written back in the canonical form, parses to the same; the
 * unsatisfied form sets only the size; a rejected value writes nothing; a
 * value holding a NUL is rejected.
 */
#include <inttypes.h>
#include <stdbool.h>

#include "fuzz.h"
#include "http/range.h"

#define CANARY 0xA5A5A5A5A5A5A5A5ULL

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size > 0 ? size : 1), again[96];
    struct range_spec r = {CANARY, CANARY}, r2;
    uint64_t total = CANARY, total2;
    enum range_content_rc rc;
    int n;

    CHECK(v != NULL);
    memcpy(v, data, size);
    rc = range_content_parse(v, size, &r, &total);
    switch (rc) {
    case RANGE_CONTENT_BAD:
        CHECK(r.first == CANARY && r.last == CANARY && total == CANARY);
        break;
    case RANGE_CONTENT_UNSAT:
        CHECK(r.first == CANARY && r.last == CANARY);
        CHECK(memchr(v, '\0', size) == NULL);
        break;
    case RANGE_CONTENT_RANGE:
        CHECK(r.first <= r.last && r.last < total);
        CHECK(memchr(v, '\0', size) == NULL);
        n = snprintf(again, sizeof(again),
                     "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r.first, r.last,
                     total);
        CHECK(n > 0 && (size_t)n < sizeof(again));
        CHECK(range_content_parse(again, (size_t)n, &r2, &total2) ==
              RANGE_CONTENT_RANGE);
        CHECK(r2.first == r.first && r2.last == r.last && total2 == total);
        break;
    }
    free(v);
    return 0;
}
