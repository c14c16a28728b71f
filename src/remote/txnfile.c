/* A transaction file's key directories (remote/txnfile.h). */
#include "remote/txnfile.h"

#include <stdbool.h>
#include <string.h>

static bool
part_ok(const char *p, size_t n)
{
    if (n == 0 || n > TXNFILE_PART_MAX || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == '/' || p[i] == '\\' ||
            p[i] == '"' || p[i] == 0x7f)
            return false;
    return true;
}

size_t
txnfile_dirs(const char *buf, size_t len, txnfile_dir_fn fn, void *arg)
{
    size_t given = 0, i = 0;

    while (i < len) {
        const char *line = buf + i, *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        const char *bs, *q;

        i += n + (nl != NULL);
        if (n < 5 || line[0] != '"')
            continue;
        bs = memchr(line + 1, '\\', n - 1);
        q = memchr(line + 1, '"', n - 1);
        if (bs == NULL || q == NULL || q < bs)
            continue;
        if (!part_ok(line + 1, (size_t)(bs - line - 1)) ||
            !part_ok(bs + 1, (size_t)(q - bs - 1)))
            continue;
        fn(arg, line + 1, (size_t)(bs - line - 1), bs + 1,
           (size_t)(q - bs - 1));
        given++;
    }
    return given;
}
