#include <string.h>
#include <strings.h>

#include "store/layout.h"

int
layout_twin_name(const char *name, char *out, size_t outsz)
{
    size_t n = strlen(name);

    if (n == 0 || n >= outsz || name[n - 1] == '_')
        return -1;
    memcpy(out, name, n + 1);
    out[n - 1] = '_';
    return 0;
}

size_t
layout_tier_prefix(const char *name, char *out)
{
    size_t n = 0;

    if (name[0] != '\0' && name[0] != '/') {
        out[n++] = name[0];
        if (name[1] != '\0' && name[1] != '.' && name[1] != '/')
            out[n++] = name[1];
    }
    out[n] = '\0';
    return n;
}

static bool
segment_is(const char *seg, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(seg, name, n) == 0;
}

bool
layout_is_hidden(const char *rel, bool serve_admin)
{
    const char *p = rel;
    bool first = true;

    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

        if (n > 0 && p[0] == '.')
            return true;
        if (segment_is(p, n, LAYOUT_REFS_PTR) ||
            segment_is(p, n, LAYOUT_FILE_PTR))
            return true;
        if (first && !serve_admin && segment_is(p, n, LAYOUT_ADMIN))
            return true;
        first = false;
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

bool
layout_is_reserved(const char *segment)
{
    static const char *const names[] = {LAYOUT_ADMIN, LAYOUT_INDEX2,
                                        LAYOUT_PINGME, LAYOUT_REFS_PTR,
                                        LAYOUT_FILE_PTR};
    size_t n = strlen(segment);

    if (segment[0] == '.')
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (segment_is(segment, n, names[i]))
            return true;
    return false;
}

bool
layout_is_admin(const char *rel)
{
    size_t first = strcspn(rel, "/");

    return segment_is(rel, first, LAYOUT_ADMIN) ||
           (rel[first] == '\0' && (segment_is(rel, first, LAYOUT_INDEX2) ||
                                   segment_is(rel, first, LAYOUT_PINGME)));
}
