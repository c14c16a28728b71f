/* Key-parser test helpers; see keys_test.h. */
#include "keys_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum keys_rc
kt_parse(kt_parser parse, const char *name, const void *buf, size_t len,
         struct keys_entry *out, size_t max, size_t *n, char *why,
         size_t whylen)
{
    unsigned char *copy = unit_exact(buf, len);
    enum keys_rc rc;

    assert_non_null(copy);
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    rc = parse(name, copy, len, out, max, n, why, whylen);
    if (len > 0 && memcmp(copy, buf, len) != 0)
        fail_msg("%s (%zu bytes): the parser wrote into its input", name, len);
    free(copy);
    if (rc != KEYS_OK && why != NULL && whylen > 1 && why[0] == '\0')
        fail_msg("%s (%zu bytes): rc %d without a reason", name, len, (int)rc);
    return rc;
}

enum keys_rc
kt_parse_file(kt_parser parse, const char *path, const char *name,
              struct keys_entry *out, size_t max, size_t *n, char *why,
              size_t whylen)
{
    size_t len = 0;
    unsigned char *buf = unit_slurp(path, &len);
    enum keys_rc rc;

    if (buf == NULL)
        fail_msg("cannot read %s", path);
    rc = kt_parse(parse, name, buf, len, out, max, n, why, whylen);
    free(buf);
    return rc;
}

static void
check_one(const char *label, enum keys_rc got, const struct keys_entry *out,
          size_t n, const char *why, enum keys_rc rc, const char *stored,
          const char *key)
{
    if (got != rc)
        fail_msg("%s: rc %d, want %d (%s)", label, (int)got, (int)rc, why);
    if (rc != KEYS_OK)
        return;
    assert_int_equal(n, 1);
    assert_string_equal(out[0].file, stored);
    assert_string_equal(out[0].name, stored);
    assert_string_equal(out[0].key, key);
}

void
kt_check_one(kt_parser parse, const char *name, const void *buf, size_t len,
             enum keys_rc rc, const char *stored, const char *key)
{
    struct keys_entry out[2];
    char why[256] = "", label[300];
    size_t n = 0;
    enum keys_rc got =
        kt_parse(parse, name, buf, len, out, 2, &n, why, sizeof(why));

    snprintf(label, sizeof(label), "%s (%zu bytes)", name, len);
    check_one(label, got, out, n, why, rc, stored, key);
}

void
kt_check_one_file(kt_parser parse, const char *path, const char *name,
                  enum keys_rc rc, const char *stored, const char *key)
{
    struct keys_entry out[2];
    char why[256] = "";
    size_t n = 0;
    enum keys_rc got =
        kt_parse_file(parse, path, name, out, 2, &n, why, sizeof(why));

    check_one(path, got, out, n, why, rc, stored, key);
}

void
kt_check_one_binary(kt_parser parse, const char *file, enum keys_rc rc,
                    const char *stored, const char *key)
{
    char rel[256], path[1024];

    snprintf(rel, sizeof(rel), "binaries/%s", file);
    unit_fixture_path(path, sizeof(path), rel);
    kt_check_one_file(parse, path, file, rc, stored, key);
}

void
kt_check_path(const char *label, enum keys_rc got, enum keys_rc want,
              const struct keys_entry *out, size_t n, const char *why,
              const char *path)
{
    char joined[1024];

    if (got != want)
        fail_msg("%s: rc %d, want %d (%s)", label, (int)got, (int)want, why);
    if (got != KEYS_OK)
        return;
    assert_int_equal(n, 1);
    kt_join(&out[0], joined, sizeof(joined));
    assert_string_equal(joined, path);
}

void
kt_join(const struct keys_entry *e, char *out, size_t outlen)
{
    snprintf(out, outlen, "%.255s/%.159s/%.255s", e->file, e->key, e->name);
}

void
kt_put_le(unsigned char *p, size_t off, unsigned width, uint32_t v)
{
    for (unsigned i = 0; i < width; i++)
        p[off + i] = (unsigned char)(v >> (8 * i));
}

int
kt_grep(const char *cmd, const char *tag, char *line, size_t linelen)
{
    FILE *p = popen(cmd, "r");
    int found = 0;
    char buf[512];

    if (p == NULL)
        return -1;
    while (fgets(buf, sizeof(buf), p) != NULL)
        if (!found && strstr(buf, tag) != NULL) {
            snprintf(line, linelen, "%s", buf);
            found = 1;
        }
    return pclose(p) == 0 && found ? 0 : -1;
}

bool
kt_have_win_tools(void)
{
    return system("{ command -v clang && command -v lld-link && "
                  "command -v llvm-readobj && command -v llvm-pdbutil; } "
                  ">/dev/null 2>&1") == 0;
}

int
kt_build_win(const char *dir, const char *target)
{
    char cmd[1024];
    FILE *f;

    snprintf(cmd, sizeof(cmd), "%s/t.c", dir);
    f = fopen(cmd, "w");
    if (f == NULL)
        return -1;
    fputs("int main(void) { return 42; }\n", f);
    if (fclose(f) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && clang --target=%s -gcodeview -c t.c -o t.obj && "
             "lld-link /debug /out:x.exe /pdb:x.pdb /entry:main "
             "/subsystem:console /nodefaultlib t.obj",
             dir, target);
    return system(cmd) == 0 ? 0 : -1;
}

void
kt_cleanup_win(const char *dir)
{
    static const char *const names[] = {"t.c", "t.obj", "x.exe", "x.pdb",
                                        "x.lib"};
    char path[512];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}
