/*
 * The case-folded listing index of a bucket store (remote/listindex.h).
 *
 * Open addressing with linear probing over slots of {arena offset + 1,
 * folded hash}: 0 is an empty slot, TOMB a removed one (probing goes on
 * past it). The table doubles at half full, and is rebuilt in place of
 * its tombstones when they reach a quarter. A replaced or removed path's
 * bytes stay in the arena as waste until the arena is compacted, which
 * happens when the waste exceeds what is live.
 */
#include "remote/listindex.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOMB UINT32_MAX
#define MIN_SLOTS 1024
#define REL_MAX 1024

struct slot {
    uint32_t off1; /* arena offset + 1; 0 empty, TOMB removed */
    uint32_t hash;
};

struct listindex {
    char *arena;
    size_t used, cap, waste;
    struct slot *slots;
    size_t nslots, count, tombs;
};

static unsigned char
fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* FNV-1a of the folded bytes. */
static uint32_t
fold_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ fold((unsigned char)s[i])) * 16777619u;
    return h;
}

static bool
fold_equal(const char *stored, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (stored[i] == '\0' ||
            fold((unsigned char)stored[i]) != fold((unsigned char)s[i]))
            return false;
    return stored[n] == '\0';
}

/* Whether a[0..n) folds to b[0..n) (b is lower-case). */
static bool
fold_equal_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold((unsigned char)a[i]) != (unsigned char)b[i])
            return false;
    return true;
}

struct listindex *
listindex_new(void)
{
    struct listindex *li = calloc(1, sizeof(*li));

    if (li == NULL)
        return NULL;
    li->slots = calloc(MIN_SLOTS, sizeof(*li->slots));
    if (li->slots == NULL) {
        free(li);
        return NULL;
    }
    li->nslots = MIN_SLOTS;
    return li;
}

void
listindex_free(struct listindex *li)
{
    if (li == NULL)
        return;
    free(li->arena);
    free(li->slots);
    free(li);
}

struct listindex *
listindex_clone(const struct listindex *li)
{
    struct listindex *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    *c = *li;
    c->arena = li->cap > 0 ? malloc(li->cap) : NULL;
    c->slots = malloc(li->nslots * sizeof(*li->slots));
    if ((li->cap > 0 && c->arena == NULL) || c->slots == NULL) {
        free(c->arena);
        free(c->slots);
        free(c);
        return NULL;
    }
    if (li->used > 0)
        memcpy(c->arena, li->arena, li->used);
    memcpy(c->slots, li->slots, li->nslots * sizeof(*li->slots));
    return c;
}

bool
listindex_wanted(const char *rel)
{
    size_t n = strlen(rel);
    const char *last = strrchr(rel, '/');

    if (n == 0 || n > REL_MAX || rel[0] == '/' || rel[n - 1] == '/' ||
        strstr(rel, "//") != NULL)
        return false;
    if (n >= 9 && fold_equal_n(rel, "000admin/", 9))
        return false;
    return strcmp(last != NULL ? last + 1 : rel, "refs.ptr") != 0;
}

/* The slot holding rel[0..n) (h its hash), or the first free one it may
 * go into (*found false). */
static struct slot *
probe(const struct listindex *li, const char *rel, size_t n, uint32_t h,
      bool *found)
{
    size_t mask = li->nslots - 1, i = h & mask;
    struct slot *free_slot = NULL;

    for (;; i = (i + 1) & mask) {
        struct slot *sl = &li->slots[i];

        if (sl->off1 == 0) {
            *found = false;
            return free_slot != NULL ? free_slot : sl;
        }
        if (sl->off1 == TOMB) {
            if (free_slot == NULL)
                free_slot = sl;
        } else if (sl->hash == h &&
                   fold_equal(li->arena + sl->off1 - 1, rel, n)) {
            *found = true;
            return sl;
        }
    }
}

/* Puts the live entries of old[0..n) into li->slots (empty). */
static void
reinsert(struct listindex *li, const struct slot *old, size_t n)
{
    size_t mask = li->nslots - 1;

    for (size_t i = 0; i < n; i++) {
        size_t j = old[i].hash & mask;

        if (old[i].off1 == 0 || old[i].off1 == TOMB)
            continue;
        while (li->slots[j].off1 != 0)
            j = (j + 1) & mask;
        li->slots[j] = old[i];
    }
    li->tombs = 0;
}

/* Doubles the table when half full, or rebuilds it without its
 * tombstones when they, not live entries, fill it. */
static int
make_room(struct listindex *li)
{
    size_t oldn = li->nslots, want = oldn;
    struct slot *old = li->slots, *fresh;

    if ((li->count + li->tombs + 1) * 2 <= oldn)
        return 0;
    if ((li->count + 1) * 4 > oldn)
        want = oldn * 2;
    fresh = calloc(want, sizeof(*fresh));
    if (fresh == NULL)
        return -1;
    li->slots = fresh;
    li->nslots = want;
    reinsert(li, old, oldn);
    free(old);
    return 0;
}

/* Copies the live paths into a new arena when the waste outgrows them. */
static void
compact(struct listindex *li)
{
    size_t live = li->used - li->waste, o = 0;
    char *fresh;

    if (li->waste < (1u << 20) || li->waste < live)
        return;
    fresh = malloc(live ? live : 1);
    if (fresh == NULL)
        return; /* the waste stays: correct, only larger */
    for (size_t i = 0; i < li->nslots; i++) {
        struct slot *sl = &li->slots[i];
        size_t n;

        if (sl->off1 == 0 || sl->off1 == TOMB)
            continue;
        n = strlen(li->arena + sl->off1 - 1) + 1;
        memcpy(fresh + o, li->arena + sl->off1 - 1, n);
        sl->off1 = (uint32_t)(o + 1);
        o += n;
    }
    free(li->arena);
    li->arena = fresh;
    li->used = li->cap = o;
    li->waste = 0;
}

/* Appends rel to the arena; its offset + 1, or 0. */
static uint32_t
arena_add(struct listindex *li, const char *rel, size_t n)
{
    size_t off = li->used;

    if (li->used + n + 1 >= TOMB - 1) {
        errno = E2BIG;
        return 0;
    }
    if (li->used + n + 1 > li->cap) {
        size_t cap = li->cap ? li->cap * 2 : 65536;
        char *p;

        while (cap < li->used + n + 1)
            cap *= 2;
        p = realloc(li->arena, cap);
        if (p == NULL)
            return 0;
        li->arena = p;
        li->cap = cap;
    }
    memcpy(li->arena + off, rel, n);
    li->arena[off + n] = '\0';
    li->used += n + 1;
    return (uint32_t)(off + 1);
}

int
listindex_add(struct listindex *li, const char *rel)
{
    size_t n = strlen(rel);
    uint32_t h = fold_hash(rel, n), off1;
    struct slot *sl;
    bool found;

    if (!listindex_wanted(rel))
        return 0;
    if (make_room(li) == -1)
        return -1;
    sl = probe(li, rel, n, h, &found);
    if (found && strcmp(li->arena + sl->off1 - 1, rel) == 0)
        return 0; /* the same spelling again: a refresh */
    off1 = arena_add(li, rel, n);
    if (off1 == 0)
        return -1;
    if (found) {
        li->waste += strlen(li->arena + sl->off1 - 1) + 1;
    } else {
        if (sl->off1 == TOMB)
            li->tombs--;
        li->count++;
    }
    sl->off1 = off1;
    sl->hash = h;
    compact(li);
    return 0;
}

bool
listindex_remove(struct listindex *li, const char *rel)
{
    size_t n = strlen(rel);
    bool found;
    struct slot *sl = probe(li, rel, n, fold_hash(rel, n), &found);

    if (!found)
        return false;
    li->waste += strlen(li->arena + sl->off1 - 1) + 1;
    sl->off1 = TOMB;
    li->count--;
    li->tombs++;
    compact(li);
    return true;
}

const char *
listindex_find(const struct listindex *li, const char *rel, size_t len)
{
    bool found;
    const struct slot *sl;

    if (len == 0 || len > REL_MAX || memchr(rel, '\0', len) != NULL)
        return NULL;
    sl = probe(li, rel, len, fold_hash(rel, len), &found);
    return found ? li->arena + sl->off1 - 1 : NULL;
}

size_t
listindex_count(const struct listindex *li)
{
    return li->count;
}

size_t
listindex_bytes(const struct listindex *li)
{
    return li->cap + li->nslots * sizeof(struct slot) + sizeof(*li);
}
