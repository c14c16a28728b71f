/*
 * The Prometheus text exposition format, version 0.0.4, written into a
 * caller's buffer: pure, no allocation, no I/O.
 *
 *   # HELP <name> <help, with \ and newline escaped>
 *   # TYPE <name> counter|gauge|histogram|summary|untyped
 *   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
 *
 * Every call appends; once something does not fit, or a name or type is
 * not one the format allows, the text is marked unusable and later calls
 * do nothing, so the caller checks once, at promtext_end().
 */
#ifndef SYMSRVD_DAEMON_PROMTEXT_H
#define SYMSRVD_DAEMON_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest value text promtext_u64() and promtext_seconds() write, NUL
 * included. */
#define PROMTEXT_NUM_MAX 32

struct promtext {
    char *p;
    size_t len, cap;
    bool bad; /* did not fit, or a bad name: the text is unusable */
};

struct promtext_label {
    const char *name, *value;
};

/* Starts an empty text in buf[cap]. */
void promtext_init(struct promtext *t, char *buf, size_t cap);

/* The HELP and TYPE lines of a metric family. */
void promtext_family(struct promtext *t, const char *name, const char *type,
                     const char *help);

/* One sample line: name, labels[0..n) (n may be 0), the value text. */
void promtext_sample(struct promtext *t, const char *name,
                     const struct promtext_label *labels, size_t n,
                     const char *value);

/* promtext_sample() with an integer value. */
void promtext_sample_u64(struct promtext *t, const char *name,
                         const struct promtext_label *labels, size_t n,
                         uint64_t v);

/*
 * NUL-terminates the text and returns its length, or 0 when it is
 * unusable (t->bad; a NUL is then at p[0] when cap > 0).
 */
size_t promtext_end(struct promtext *t);

/* v in decimal, into out[PROMTEXT_NUM_MAX]; returns out. */
const char *promtext_u64(uint64_t v, char *out);

/* ns nanoseconds as seconds ("1.500000000"), into out[PROMTEXT_NUM_MAX]. */
const char *promtext_seconds(uint64_t ns, char *out);

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool promtext_metric_name_ok(const char *name);

/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved). */
bool promtext_label_name_ok(const char *name);

#endif
