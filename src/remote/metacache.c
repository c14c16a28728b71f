/*
 * The metadata cache of a bucket store (remote/metacache.h).
 *
 * A fixed array of max entries, a chained hash table of indices into it,
 * and a doubly linked list of the used entries in the order they were put
 * (oldest first: the eviction order), threaded through the same array
 * (free entries are chained on the same links). Every operation is O(1)
 * but for the hash chain walk.
 */
#include "remote/metacache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NIL ((size_t)-1)

struct entry {
    char *key; /* NULL: a free entry */
    uint64_t expires_ms, size;
    bool present;
    size_t chain;        /* hash chain */
    size_t older, newer; /* age list (or free list: newer only) */
};

struct metacache {
    struct entry *e;
    size_t max, count;
    size_t *buckets, nbuckets; /* a power of two, >= max */
    size_t oldest, newest, free_head;
    uint64_t present_ttl, absent_ttl;
};

static size_t
bucket_of(const struct metacache *mc, const char *key)
{
    uint32_t h = 2166136261u;

    for (; *key != '\0'; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h & (mc->nbuckets - 1);
}

struct metacache *
metacache_new(size_t max, uint64_t present_ttl_ms, uint64_t absent_ttl_ms)
{
    struct metacache *mc;

    if (max == 0 || max > ((size_t)1 << 28))
        return NULL;
    mc = calloc(1, sizeof(*mc));
    if (mc == NULL)
        return NULL;
    mc->max = max;
    mc->nbuckets = 16;
    while (mc->nbuckets < max)
        mc->nbuckets *= 2;
    mc->e = calloc(max, sizeof(*mc->e));
    mc->buckets = malloc(mc->nbuckets * sizeof(*mc->buckets));
    if (mc->e == NULL || mc->buckets == NULL) {
        metacache_free(mc);
        return NULL;
    }
    for (size_t i = 0; i < mc->nbuckets; i++)
        mc->buckets[i] = NIL;
    for (size_t i = 0; i < max; i++)
        mc->e[i].newer = i + 1 < max ? i + 1 : NIL;
    mc->free_head = 0;
    mc->oldest = mc->newest = NIL;
    mc->present_ttl = present_ttl_ms;
    mc->absent_ttl = absent_ttl_ms;
    return mc;
}

void
metacache_free(struct metacache *mc)
{
    if (mc == NULL)
        return;
    for (size_t i = 0; mc->e != NULL && i < mc->max; i++)
        free(mc->e[i].key);
    free(mc->e);
    free(mc->buckets);
    free(mc);
}

/* The index of key's entry, or NIL; *link: where it is chained from. */
static size_t
find(struct metacache *mc, const char *key, size_t **link)
{
    size_t *p = &mc->buckets[bucket_of(mc, key)];

    while (*p != NIL && strcmp(mc->e[*p].key, key) != 0)
        p = &mc->e[*p].chain;
    *link = p;
    return *p;
}

/* Unchains entry i, takes it off the age list, frees it. */
static void
drop(struct metacache *mc, size_t i)
{
    struct entry *x = &mc->e[i];
    size_t *link;

    find(mc, x->key, &link);
    *link = x->chain;
    if (x->older != NIL)
        mc->e[x->older].newer = x->newer;
    else
        mc->oldest = x->newer;
    if (x->newer != NIL)
        mc->e[x->newer].older = x->older;
    else
        mc->newest = x->older;
    free(x->key);
    x->key = NULL;
    x->newer = mc->free_head;
    mc->free_head = i;
    mc->count--;
}

enum metacache_rc
metacache_get(struct metacache *mc, const char *key, uint64_t now_ms,
              uint64_t *size)
{
    size_t *link, i = find(mc, key, &link);

    if (i == NIL)
        return METACACHE_UNKNOWN;
    if (now_ms >= mc->e[i].expires_ms) {
        drop(mc, i);
        return METACACHE_UNKNOWN;
    }
    if (!mc->e[i].present)
        return METACACHE_ABSENT;
    if (size != NULL)
        *size = mc->e[i].size;
    return METACACHE_PRESENT;
}

int
metacache_put(struct metacache *mc, const char *key, uint64_t now_ms,
              int present, uint64_t size)
{
    char *copy = strdup(key);
    uint64_t ttl = present ? mc->present_ttl : mc->absent_ttl;
    size_t *link, i;
    struct entry *x;

    if (copy == NULL)
        return -1;
    i = find(mc, key, &link);
    if (i != NIL)
        drop(mc, i);
    if (mc->count == mc->max)
        drop(mc, mc->oldest);
    i = mc->free_head;
    x = &mc->e[i];
    mc->free_head = x->newer;
    find(mc, key, &link);
    x->key = copy;
    x->present = present != 0;
    x->size = present ? size : 0;
    x->expires_ms = now_ms > UINT64_MAX - ttl ? UINT64_MAX : now_ms + ttl;
    x->chain = NIL;
    *link = i;
    x->older = mc->newest;
    x->newer = NIL;
    if (mc->newest != NIL)
        mc->e[mc->newest].newer = i;
    else
        mc->oldest = i;
    mc->newest = i;
    mc->count++;
    return 0;
}

void
metacache_forget(struct metacache *mc, const char *key)
{
    size_t *link, i = find(mc, key, &link);

    if (i != NIL)
        drop(mc, i);
}

size_t
metacache_count(const struct metacache *mc)
{
    return mc->count;
}
