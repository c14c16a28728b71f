/* Brute-force counters and the check cache; see guard.h. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/guard.h"

/* Slots probed from an address's home slot before one is evicted. */
#define PROBE 8

struct client_slot {
    struct acl_addr key; /* the address, an IPv6 one cut to its /64 */
    bool used;
    time_t window_start; /* first failure of the current window */
    unsigned failures;   /* within the window */
    time_t locked_until; /* 0: not locked */
};

struct cache_slot {
    uint8_t digest[32];
    bool used;
    char user[GUARD_USER_MAX + 1];
};

struct guard {
    pthread_mutex_t mu;
    struct guard_limits limits;
    uint64_t seed; /* hashes addresses: a client cannot aim at a slot */
    struct client_slot clients[GUARD_CLIENTS];
    struct cache_slot cache[GUARD_CACHE];
};

struct guard *
guard_new(const struct guard_limits *limits)
{
    struct guard *g = calloc(1, sizeof(*g));

    if (g == NULL)
        return NULL;
    if (pthread_mutex_init(&g->mu, NULL) != 0 ||
        RAND_bytes((unsigned char *)&g->seed, sizeof(g->seed)) != 1) {
        free(g);
        return NULL;
    }
    g->limits = *limits;
    return g;
}

void
guard_free(struct guard *g)
{
    if (g == NULL)
        return;
    pthread_mutex_destroy(&g->mu);
    OPENSSL_cleanse(g->cache, sizeof(g->cache));
    free(g);
}

static struct acl_addr
client_key(const struct acl_addr *a)
{
    struct acl_addr k = *a;

    if (!acl_addr_is_v4(a))
        memset(k.b + 8, 0, 8);
    return k;
}

static size_t
home_slot(const struct guard *g, const struct acl_addr *k)
{
    uint64_t h = g->seed;

    for (size_t i = 0; i < 16; i++) {
        h ^= k->b[i];
        h *= 0x100000001b3u; /* FNV-1a over a secret start */
    }
    h ^= h >> 29;
    return (size_t)(h % GUARD_CLIENTS);
}

static bool
slot_idle(const struct client_slot *s, const struct guard_limits *l, time_t now)
{
    return !s->used ||
           (s->locked_until <= now && now - s->window_start >= l->window);
}

/*
 * The slot of k, or with make, a new one: an idle slot near its home, else
 * the one of the probe whose window started longest ago. NULL if absent.
 */
static struct client_slot *
find_client(struct guard *g, const struct acl_addr *k, time_t now, bool make)
{
    size_t home = home_slot(g, k);
    struct client_slot *free_slot = NULL, *oldest = NULL;

    for (size_t i = 0; i < PROBE; i++) {
        struct client_slot *s = &g->clients[(home + i) % GUARD_CLIENTS];

        if (s->used && memcmp(&s->key, k, sizeof(*k)) == 0)
            return s;
        if (free_slot == NULL && slot_idle(s, &g->limits, now))
            free_slot = s;
        if (oldest == NULL || s->window_start < oldest->window_start)
            oldest = s;
    }
    if (!make)
        return NULL;
    if (free_slot == NULL)
        free_slot = oldest;
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = true;
    free_slot->key = *k;
    free_slot->window_start = now;
    return free_slot;
}

bool
guard_locked(struct guard *g, const struct acl_addr *a, time_t now,
             unsigned *retry_after)
{
    struct acl_addr k = client_key(a);
    struct client_slot *s;
    bool locked = false;

    if (g->limits.max_failures == 0)
        return false;
    pthread_mutex_lock(&g->mu);
    s = find_client(g, &k, now, false);
    if (s != NULL && s->locked_until > now) {
        locked = true;
        *retry_after = (unsigned)(s->locked_until - now);
    }
    pthread_mutex_unlock(&g->mu);
    return locked;
}

bool
guard_fail(struct guard *g, const struct acl_addr *a, time_t now)
{
    struct acl_addr k = client_key(a);
    struct client_slot *s;
    bool locks = false;

    if (g->limits.max_failures == 0)
        return false;
    pthread_mutex_lock(&g->mu);
    s = find_client(g, &k, now, true);
    if (now - s->window_start >= g->limits.window) {
        s->window_start = now;
        s->failures = 0;
    }
    if (++s->failures >= g->limits.max_failures && s->locked_until <= now) {
        s->locked_until = now + g->limits.lockout;
        s->failures = 0;
        s->window_start = now;
        locks = true;
    }
    pthread_mutex_unlock(&g->mu);
    return locks;
}

static struct cache_slot *
cache_slot_of(struct guard *g, const uint8_t digest[32])
{
    uint32_t i;

    memcpy(&i, digest, sizeof(i)); /* a keyed digest: uniform already */
    return &g->cache[i % GUARD_CACHE];
}

bool
guard_cache_find(struct guard *g, const uint8_t digest[32], char *user)
{
    struct cache_slot *s;
    bool hit;

    pthread_mutex_lock(&g->mu);
    s = cache_slot_of(g, digest);
    hit = s->used && CRYPTO_memcmp(s->digest, digest, 32) == 0;
    if (hit)
        memcpy(user, s->user, sizeof(s->user));
    pthread_mutex_unlock(&g->mu);
    return hit;
}

void
guard_cache_put(struct guard *g, const uint8_t digest[32], const char *user)
{
    struct cache_slot *s;
    size_t n = strlen(user);

    if (n > GUARD_USER_MAX)
        return;
    pthread_mutex_lock(&g->mu);
    s = cache_slot_of(g, digest);
    memcpy(s->digest, digest, 32);
    memcpy(s->user, user, n + 1);
    s->used = true;
    pthread_mutex_unlock(&g->mu);
}
