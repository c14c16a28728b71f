/* Pure proxy state: patterns, negative cache, back-off; see upstate.h. */
#include <stdlib.h>
#include <string.h>

#include "daemon/upstate.h"

static unsigned char
fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * Glob of '*' and '?' over name[0..len), case blind. Greedy with one
 * backtrack point (the last '*'), so time is O(len * pattern length) at
 * worst: "*a*a*a*b" against a long run of a's cannot explode.
 */
static bool
glob_match(const char *pat, const char *name, size_t len)
{
    const char *star = NULL;
    size_t i = 0, mark = 0;

    while (i < len) {
        if (*pat == '*') {
            star = ++pat;
            mark = i;
        } else if (*pat != '\0' &&
                   (*pat == '?' || fold((unsigned char)*pat) ==
                                       fold((unsigned char)name[i]))) {
            pat++;
            i++;
        } else if (star != NULL) {
            pat = star;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

bool
upstate_pattern_ok(const char *pat)
{
    size_t n = strlen(pat);

    if (n == 0 || n > UPSTATE_PATTERN_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pat[i] < 0x20 || pat[i] == 0x7f || pat[i] == '/')
            return false;
    return true;
}

bool
upstate_path_matches(char *const *pats, unsigned n, const char *rel)
{
    size_t len = strcspn(rel, "/");

    if (len == 0)
        return false;
    if (n == 0)
        return true;
    for (unsigned i = 0; i < n; i++)
        if (glob_match(pats[i], rel, len))
            return true;
    return false;
}

/* --- negative cache ------------------------------------------------------ */

#define WAYS 4

struct neg_slot {
    uint64_t hash; /* 0: empty */
    int64_t until_ms;
};

struct upstate_neg {
    unsigned nsets;
    struct neg_slot slots[];
};

/* FNV-1a over the upstream index and the case-folded path; never 0. */
static uint64_t
pair_hash(unsigned up, const char *rel)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (unsigned i = 0; i < 4; i++) {
        h ^= (up >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    for (const char *p = rel; *p != '\0'; p++) {
        h ^= fold((unsigned char)*p);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29; /* spread the low bits that pick the set */
    return h != 0 ? h : 1;
}

struct upstate_neg *
upstate_neg_new(unsigned slots)
{
    unsigned nsets = slots < WAYS ? 1 : (slots + WAYS - 1) / WAYS;
    struct upstate_neg *n =
        calloc(1, sizeof(*n) + (size_t)nsets * WAYS * sizeof(struct neg_slot));

    if (n != NULL)
        n->nsets = nsets;
    return n;
}

void
upstate_neg_free(struct upstate_neg *n)
{
    free(n);
}

static size_t
set_of(const struct upstate_neg *n, uint64_t h)
{
    return (size_t)(h % n->nsets) * WAYS;
}

void
upstate_neg_put(struct upstate_neg *n, unsigned up, const char *rel,
                int64_t now_ms, uint64_t ttl_ms)
{
    uint64_t h = pair_hash(up, rel);
    struct neg_slot *set = &n->slots[set_of(n, h)], *victim = &set[0];

    if (ttl_ms == 0)
        return;
    for (unsigned i = 0; i < WAYS; i++) {
        if (set[i].hash == h) {
            victim = &set[i];
            break;
        }
        if (set[i].until_ms < victim->until_ms)
            victim = &set[i]; /* empty (0) or expiring first */
    }
    victim->hash = h;
    victim->until_ms =
        now_ms + (int64_t)(ttl_ms > INT32_MAX ? INT32_MAX : ttl_ms);
}

bool
upstate_neg_has(const struct upstate_neg *n, unsigned up, const char *rel,
                int64_t now_ms)
{
    uint64_t h = pair_hash(up, rel);
    const struct neg_slot *set = &n->slots[set_of(n, h)];

    for (unsigned i = 0; i < WAYS; i++)
        if (set[i].hash == h)
            return now_ms < set[i].until_ms;
    return false;
}

unsigned
upstate_neg_count(const struct upstate_neg *n, int64_t now_ms)
{
    unsigned count = 0;

    for (unsigned i = 0; i < n->nsets * WAYS; i++)
        count += n->slots[i].hash != 0 && now_ms < n->slots[i].until_ms;
    return count;
}

/* --- back-off --------------------------------------------------------------
 */

bool
upstate_backoff_skip(const struct upstate_backoff *b, int64_t now_ms)
{
    return now_ms < b->until_ms;
}

void
upstate_backoff_failed(struct upstate_backoff *b, int64_t now_ms,
                       unsigned threshold, uint64_t period_ms)
{
    unsigned over;

    if (b->failures < UINT32_MAX)
        b->failures++;
    if (threshold == 0 || b->failures < threshold || period_ms == 0)
        return;
    over = b->failures - threshold; /* 0 for the first skip */
    if (over > 4)
        over = 4; /* at most 16 periods */
    if (period_ms > INT32_MAX)
        period_ms = INT32_MAX;
    b->until_ms = now_ms + (int64_t)(period_ms << over);
}

void
upstate_backoff_ok(struct upstate_backoff *b)
{
    b->failures = 0;
    b->until_ms = 0;
}
