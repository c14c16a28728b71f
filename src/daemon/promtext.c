/* Prometheus text exposition format 0.0.4; see promtext.h. */
#include <string.h>

#include "daemon/promtext.h"

void
promtext_init(struct promtext *t, char *buf, size_t cap)
{
    t->p = buf;
    t->len = 0;
    t->cap = cap;
    t->bad = cap == 0;
}

static void
put(struct promtext *t, const char *s, size_t n)
{
    /* One byte stays free for promtext_end()'s NUL. */
    if (t->bad || n >= t->cap - t->len) {
        t->bad = true;
        return;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

static void
put_str(struct promtext *t, const char *s)
{
    put(t, s, strlen(s));
}

/*
 * s with '\\' and newline escaped, and '"' too when quote (label values;
 * HELP text leaves quotes as they are). The format defines no other
 * escapes: every other byte, UTF-8 included, goes through as it is.
 */
static void
put_escaped(struct promtext *t, const char *s, bool quote)
{
    for (; *s != '\0'; s++) {
        size_t run = 0;

        while (s[run] != '\0' && s[run] != '\\' && s[run] != '\n' &&
               !(quote && s[run] == '"'))
            run++;
        put(t, s, run);
        s += run;
        if (*s == '\0')
            break;
        put(t, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"", 2);
    }
}

static bool
is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool
promtext_metric_name_ok(const char *name)
{
    if (!is_alpha_(name[0]) && name[0] != ':')
        return false;
    for (const char *p = name + 1; *p != '\0'; p++)
        if (!is_alpha_(*p) && !is_digit(*p) && *p != ':')
            return false;
    return true;
}

bool
promtext_label_name_ok(const char *name)
{
    if (!is_alpha_(name[0]) || strncmp(name, "__", 2) == 0)
        return false;
    for (const char *p = name + 1; *p != '\0'; p++)
        if (!is_alpha_(*p) && !is_digit(*p))
            return false;
    return true;
}

static bool
type_ok(const char *type)
{
    static const char *const types[] = {"counter", "gauge", "histogram",
                                        "summary", "untyped"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

void
promtext_family(struct promtext *t, const char *name, const char *type,
                const char *help)
{
    if (!promtext_metric_name_ok(name) || !type_ok(type)) {
        t->bad = true;
        return;
    }
    put_str(t, "# HELP ");
    put_str(t, name);
    put_str(t, " ");
    put_escaped(t, help, false);
    put_str(t, "\n# TYPE ");
    put_str(t, name);
    put_str(t, " ");
    put_str(t, type);
    put_str(t, "\n");
}

void
promtext_sample(struct promtext *t, const char *name,
                const struct promtext_label *labels, size_t n,
                const char *value)
{
    if (!promtext_metric_name_ok(name)) {
        t->bad = true;
        return;
    }
    put_str(t, name);
    for (size_t i = 0; i < n; i++) {
        if (!promtext_label_name_ok(labels[i].name)) {
            t->bad = true;
            return;
        }
        put_str(t, i == 0 ? "{" : ",");
        put_str(t, labels[i].name);
        put_str(t, "=\"");
        put_escaped(t, labels[i].value, true);
        put_str(t, "\"");
    }
    put_str(t, n > 0 ? "} " : " ");
    put_str(t, value);
    put_str(t, "\n");
}

void
promtext_sample_u64(struct promtext *t, const char *name,
                    const struct promtext_label *labels, size_t n, uint64_t v)
{
    char num[PROMTEXT_NUM_MAX];

    promtext_sample(t, name, labels, n, promtext_u64(v, num));
}

size_t
promtext_end(struct promtext *t)
{
    if (t->bad) {
        if (t->cap > 0)
            t->p[0] = '\0';
        return 0;
    }
    t->p[t->len] = '\0';
    return t->len;
}

const char *
promtext_u64(uint64_t v, char *out)
{
    char tmp[20];
    size_t i = sizeof(tmp), n;

    do
        tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    n = sizeof(tmp) - i;
    memcpy(out, tmp + i, n);
    out[n] = '\0';
    return out;
}

const char *
promtext_seconds(uint64_t ns, char *out)
{
    uint64_t frac = ns % 1000000000u;
    size_t n;

    promtext_u64(ns / 1000000000u, out);
    n = strlen(out);
    out[n++] = '.';
    for (int i = 8; i >= 0; i--) {
        out[n + (size_t)i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    out[n + 9] = '\0';
    return out;
}
