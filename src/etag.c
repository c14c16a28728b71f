/* Entity tags; see etag.h. */
#include <stdio.h>
#include <sys/stat.h>

#include "etag.h"

void
etag_format(const struct stat *st, char *buf)
{
    snprintf(buf, ETAG_LEN, "\"%llx-%llx-%llx.%lx\"",
             (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec,
             (unsigned long)st->st_mtim.tv_nsec);
}
