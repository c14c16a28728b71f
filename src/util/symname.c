/* The stored name of a Breakpad symbol file; see symname.h. */
#include <string.h>
#include <strings.h>

#include "util/symname.h"

size_t
symname_breakpad(const char *name, size_t n, char *out, size_t outsz)
{
    size_t stem = n;

    if (n >= 4 && strncasecmp(name + n - 4, ".pdb", 4) == 0)
        stem -= 4;
    if (n == 0 || stem + 5 > outsz)
        return 0;
    memcpy(out, name, stem);
    memcpy(out + stem, ".sym", 5);
    return stem + 4;
}
