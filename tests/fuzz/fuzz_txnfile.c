/*
 * libFuzzer target for include/remote/txnfile.h: a transaction file read
 * from a bucket (exact size). Invariants: every directory given lies
 * inside the input, has a file and a key of 1 to TXNFILE_PART_MAX bytes
 * without '/', '\\', '"' or a control byte, neither "." nor ".."; no more
 * lines are given than the input has lines.
 */
#include "fuzz.h"
#include "remote/txnfile.h"

struct span {
    const char *p;
    size_t n;
};

static void
check_part(const char *p, size_t n, const struct span *in)
{
    CHECK(n >= 1 && n <= TXNFILE_PART_MAX);
    CHECK(p >= in->p && p + n <= in->p + in->n);
    CHECK(!(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.'));
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)p[i] >= 0x20 && p[i] != 0x7f && p[i] != '/' &&
              p[i] != '\\' && p[i] != '"');
}

static void
on_dir(void *arg, const char *file, size_t filelen, const char *key,
       size_t keylen)
{
    check_part(file, filelen, arg);
    check_part(key, keylen, arg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    struct span in = {p, size};
    size_t lines = 1;

    if (p == NULL)
        return 0;
    memcpy(p, data, size);
    for (size_t i = 0; i < size; i++)
        lines += p[i] == '\n';
    CHECK(txnfile_dirs(p, size, on_dir, &in) <= lines);
    free(p);
    return 0;
}
