/*
 * Filling and refreshing the listing index of a bucket store
 * (remote/s3index.h).
 */
#include "remote/s3index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/layout.h"
#include "util/errbuf.h"
#include "util/num.h"

static int
add_one(void *arg, const char *rel, uint64_t size)
{
    (void)size;
    return listindex_add(arg, rel) == -1 ? 1 : 0;
}

/* lastid.txt: 0 when the store has none yet, -1 on error. */
static long
read_lastid(struct s3 *s, struct s3index_state *st, char *err, size_t errlen)
{
    struct file_buf b = {0};
    enum s3_rc rc = s3_get(s, "000Admin/lastid.txt", &b, err, errlen);
    uint64_t v = 0;

    st->requests++;
    if (rc == S3_NOT_FOUND) {
        file_buf_free(&b);
        return 0;
    }
    if (rc != S3_OK || b.len < 10 ||
        num_parse_u64(b.p, 10, 9999999999ULL, &v) == -1) {
        if (rc == S3_OK)
            errbuf_set(err, errlen, "000Admin/lastid.txt: not ten digits");
        file_buf_free(&b);
        return -1;
    }
    file_buf_free(&b);
    return (long)v;
}

int
s3index_full(struct s3 *s, struct listindex *li, struct s3index_state *st,
             char *err, size_t errlen)
{
    long last;

    st->requests = 0;
    last = read_lastid(s, st, err, errlen);
    if (last == -1)
        return -1;
    /* Listed after lastid.txt was read: the index holds at least what
     * that transaction published. */
    if (s3_list(s, "", add_one, li, err, errlen) != S3_OK)
        return -1;
    st->requests++; /* at least one page; s3_list() does not count */
    st->two_tier = listindex_find(li, LAYOUT_INDEX2, 10) != NULL;
    st->last_id = last;
    return 0;
}

struct dir_walk {
    struct s3 *s;
    struct listindex *li;
    struct s3index_state *st;
    char *err;
    size_t errlen;
    bool failed;
};

/* Lists one key directory "[pp/]file/KEY/" into the index. */
static void
list_dir(void *arg, const char *file, size_t filelen, const char *key,
         size_t keylen)
{
    struct dir_walk *w = arg;
    char name[TXNFILE_PART_MAX + 1], pp[LAYOUT_TIER_MAX] = "", under[1024];

    if (w->failed)
        return;
    memcpy(name, file, filelen);
    name[filelen] = '\0';
    if (w->st->two_tier)
        layout_tier_prefix(name, pp);
    snprintf(under, sizeof(under), "%s%s%s/%.*s/", pp, pp[0] ? "/" : "", name,
             (int)keylen, key);
    w->st->requests++;
    if (s3_list(w->s, under, add_one, w->li, w->err, w->errlen) != S3_OK)
        w->failed = true;
}

/* Adds what transaction id stored; 1 when its file is missing. */
static int
add_txn(struct dir_walk *w, long id)
{
    char rel[32];
    struct file_buf b = {0};
    enum s3_rc rc;

    snprintf(rel, sizeof(rel), "000Admin/%010ld", id);
    rc = s3_get(w->s, rel, &b, w->err, w->errlen);
    w->st->requests++;
    if (rc == S3_OK)
        txnfile_dirs(b.p ? b.p : "", b.len, list_dir, w);
    file_buf_free(&b);
    if (rc == S3_NOT_FOUND)
        return 1;
    return rc == S3_OK && !w->failed ? 0 : -1;
}

/* A new index of the whole store, in place of *li. */
static enum s3index_rc
rebuild(struct s3 *s, struct listindex **li, struct s3index_state *st,
        char *err, size_t errlen)
{
    struct listindex *fresh = listindex_new();
    unsigned before = st->requests;

    if (fresh == NULL || s3index_full(s, fresh, st, err, errlen) == -1) {
        listindex_free(fresh);
        return S3INDEX_ERROR;
    }
    st->requests += before;
    listindex_free(*li);
    *li = fresh;
    return S3INDEX_UPDATED;
}

enum s3index_rc
s3index_refresh(struct s3 *s, struct listindex **li, struct s3index_state *st,
                char *err, size_t errlen)
{
    struct dir_walk w = {s, *li, st, err, errlen, false};
    long last;

    st->requests = 0;
    last = read_lastid(s, st, err, errlen);
    if (last == -1)
        return S3INDEX_ERROR;
    if (last == st->last_id)
        return S3INDEX_SAME;
    if (last < st->last_id)
        return rebuild(s, li, st, err, errlen); /* a store made anew */
    for (long id = st->last_id + 1; id <= last; id++) {
        int rc = add_txn(&w, id);

        if (rc == 1)
            return rebuild(s, li, st, err, errlen);
        if (rc == -1)
            return S3INDEX_ERROR;
        st->last_id = id;
    }
    return S3INDEX_UPDATED;
}
