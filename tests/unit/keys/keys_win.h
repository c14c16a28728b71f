/*
 * Helpers shared by test_keys_pe.c and test_keys_pdb.c: reading fixture
 * files, copying a buffer into an allocation of exactly its length (so
 * ASan catches a read one byte past the end), and building a PE and PDB
 * with the real toolchain (clang -gcodeview, lld-link /debug) for the
 * independent cross-checks with llvm-readobj and llvm-pdbutil.
 *
 * All static inline: each test uses a subset.
 */
#ifndef SYMSRVD_TEST_KEYS_WIN_H
#define SYMSRVD_TEST_KEYS_WIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file, malloc'd to its exact size; NULL if unreadable. */
static inline unsigned char *
kw_slurp(const char *path, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    FILE *f;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    *len = (size_t)st.st_size;
    buf = malloc(*len > 0 ? *len : 1);
    f = fopen(path, "rb");
    if (buf == NULL || f == NULL || fread(buf, 1, *len, f) != *len) {
        free(buf);
        buf = NULL;
    }
    if (f != NULL)
        fclose(f);
    return buf;
}

/* The first len bytes of src in an allocation of exactly len bytes. */
static inline unsigned char *
kw_exact(const unsigned char *src, size_t len)
{
    unsigned char *p = malloc(len > 0 ? len : 1);

    if (p != NULL && len > 0)
        memcpy(p, src, len);
    return p;
}

/* The fixture directory, or NULL when it is not on this machine. */
static inline const char *
kw_fixtures(void)
{
#ifdef SYMSRVD_FIXTURES
    struct stat st;

    if (stat(SYMSRVD_FIXTURES "/binaries", &st) == 0 && S_ISDIR(st.st_mode))
        return SYMSRVD_FIXTURES "/binaries";
#endif
    return NULL;
}

/* Runs cmd and keeps the first line of its output containing tag. */
static inline int
kw_grep(const char *cmd, const char *tag, char *line, size_t linelen)
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

/* True when every tool the toolchain cases need is on PATH. */
static inline int
kw_have_tools(void)
{
    return system("{ command -v clang && command -v lld-link && "
                  "command -v llvm-readobj && command -v llvm-pdbutil; } "
                  ">/dev/null 2>&1") == 0;
}

/*
 * Compiles a tiny C file for target (x86_64-pc-windows-msvc or
 * i686-pc-windows-msvc) and links dir/x.exe and dir/x.pdb. 0 on success.
 */
static inline int
kw_build(const char *dir, const char *target)
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

/* Removes what kw_build made, then the directory. */
static inline void
kw_cleanup(const char *dir)
{
    static const char *const names[] = {"t.c", "t.obj", "x.exe", "x.pdb",
                                        "x.lib"};
    char path[512];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

#endif
