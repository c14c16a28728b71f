/*
 * libFuzzer target for store_parse_ptr() (include/store/store.h): the
 * contents of a file.ptr. Invariants: PATH and MSG answers point inside
 * the buffer, just after their case-blind prefix, hold at least one byte,
 * no NUL or control byte, and do not end in white space or a line end;
 * the answer is the one a reference reading of the header's text gives.
 */
#include <stdbool.h>
#include <strings.h>

#include "fuzz.h"
#include "store/store.h"

static bool
trailing(char c)
{
    return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

static enum store_ptr
ref_parse(const char *buf, size_t len, size_t *skip, size_t *vlen)
{
    enum store_ptr kind;

    while (len > 0 && trailing(buf[len - 1]))
        len--;
    if (len >= 5 && strncasecmp(buf, "PATH:", 5) == 0) {
        kind = STORE_PTR_PATH;
        *skip = 5;
    } else if (len >= 4 && strncasecmp(buf, "MSG:", 4) == 0) {
        kind = STORE_PTR_MSG;
        *skip = 4;
    } else {
        return STORE_PTR_BAD;
    }
    if (len == *skip) /* nothing after the prefix */
        return STORE_PTR_BAD;
    for (size_t i = *skip; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            return STORE_PTR_BAD;
    *vlen = len - *skip;
    return kind;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data, *v = NULL;
    size_t vlen = 0, skip = 0, rlen = 0;
    enum store_ptr rc = store_parse_ptr(buf, size, &v, &vlen);
    enum store_ptr ref = ref_parse(buf, size, &skip, &rlen);

    CHECK(rc == STORE_PTR_PATH || rc == STORE_PTR_MSG || rc == STORE_PTR_BAD);
    CHECK(rc == ref);
    if (rc == STORE_PTR_BAD)
        return 0;
    CHECK(v == buf + skip && vlen == rlen);
    CHECK(vlen > 0 && vlen <= size - skip);
    CHECK(!trailing(v[vlen - 1]));
    CHECK(memchr(v, '\0', vlen) == NULL && memchr(v, '\n', vlen) == NULL);
    for (size_t i = 0; i < vlen; i++)
        CHECK((unsigned char)v[i] >= 0x20 && v[i] != 0x7f);
    return 0;
}
