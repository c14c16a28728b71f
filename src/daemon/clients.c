/* Connections per client address; see clients.h. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/clients.h"

struct slot {
    unsigned char addr[16];
    unsigned count; /* 0: empty */
};

struct clients {
    pthread_mutex_t lock;
    unsigned max_per_client;
    size_t used; /* slots with a count */
    size_t mask; /* slots - 1; slots is a power of two */
    struct slot *slots;
};

struct clients *
clients_new(unsigned max_per_client, unsigned capacity)
{
    struct clients *t = calloc(1, sizeof(*t));
    size_t n = 16;

    if (t == NULL)
        return NULL;
    /* At most capacity addresses are present: twice that keeps probes
     * short (load factor <= 1/2). */
    while (n < 2 * (size_t)capacity)
        n *= 2;
    t->slots = calloc(n, sizeof(*t->slots));
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->max_per_client = max_per_client;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void
clients_free(struct clients *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}

/* The 16-byte key of sa: IPv6 as it is, IPv4 mapped (::ffff:a.b.c.d). */
static void
key_of(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return;
    }
    key[10] = key[11] = 0xff;
    if (sa->sa_family == AF_INET)
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

/* FNV-1a over the key: cheap, and the table is never exposed. */
static size_t
hash_of(const unsigned char key[16])
{
    uint64_t h = 1469598103934665603ULL;

    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *
find(struct clients *t, const unsigned char key[16])
{
    size_t i = hash_of(key) & t->mask;

    while (t->slots[i].count != 0 && memcmp(t->slots[i].addr, key, 16) != 0)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

/*
 * Empties s and moves later entries of its probe run back, so that every
 * entry stays reachable from its home slot without tombstones.
 */
static void
remove_slot(struct clients *t, struct slot *s)
{
    size_t hole = (size_t)(s - t->slots), i = hole;

    for (;;) {
        size_t home;

        i = (i + 1) & t->mask;
        if (t->slots[i].count == 0)
            break;
        home = hash_of(t->slots[i].addr) & t->mask;
        /* Move i into the hole unless its home lies cyclically in
         * (hole, i]: then it is already as close to home as it can be. */
        if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
            t->slots[hole] = t->slots[i];
            hole = i;
        }
    }
    t->slots[hole].count = 0;
}

bool
clients_take(struct clients *t, const struct sockaddr *sa)
{
    unsigned char key[16];
    struct slot *s;
    bool ok;

    key_of(sa, key);
    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    /* A new address needs a slot: never fill more than half of them, so
     * that every probe ends at an empty one. */
    ok = s->count < t->max_per_client &&
         (s->count > 0 || t->used < (t->mask + 1) / 2);
    if (ok) {
        if (s->count == 0)
            t->used++;
        memcpy(s->addr, key, 16);
        s->count++;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

void
clients_give(struct clients *t, const struct sockaddr *sa)
{
    unsigned char key[16];
    struct slot *s;

    key_of(sa, key);
    pthread_mutex_lock(&t->lock);
    s = find(t, key);
    if (s->count > 0 && --s->count == 0) {
        remove_slot(t, s);
        t->used--;
    }
    pthread_mutex_unlock(&t->lock);
}

unsigned
clients_count(struct clients *t, const struct sockaddr *sa)
{
    unsigned char key[16];
    unsigned n;

    key_of(sa, key);
    pthread_mutex_lock(&t->lock);
    n = find(t, key)->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}
