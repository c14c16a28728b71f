/*
 * Runs a libFuzzer target without libFuzzer: feeds each file named on the
 * command line, and each file in each directory named, to
 * LLVMFuzzerTestOneInput() in an exact-size buffer, except the files of
 * a directory named by an --exclude=NAME argument (a crashing input kept
 * in the corpus until its fix lands). Fails when it finds no input at all,
 * so a lost corpus does not pass quietly.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one file; returns 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *data;
    size_t size;

    if (f == NULL || fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    size = (size_t)st.st_size;
    data = malloc(size > 0 ? size : 1);
    if (data == NULL || fread(data, 1, size, f) != size) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int
excluded(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--exclude=", 10) == 0 &&
            strcmp(argv[i] + 10, name) == 0)
            return 1;
    return 0;
}

int
main(int argc, char **argv)
{
    size_t inputs = 0;
    int bad = 0;

    for (int i = 1; i < argc; i++) {
        DIR *d;
        struct dirent *de;

        if (strncmp(argv[i], "--exclude=", 10) == 0)
            continue;
        d = opendir(argv[i]);
        if (d == NULL) {
            if (replay_file(argv[i]) != 0)
                bad = 1;
            else
                inputs++;
            continue;
        }
        while ((de = readdir(d)) != NULL) {
            char path[4096];
            struct stat st;

            if (de->d_name[0] == '.' || excluded(argc, argv, de->d_name)) {
                if (de->d_name[0] != '.')
                    printf("%s: excluded\n", de->d_name);
                continue;
            }
            if (snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name) >=
                    (int)sizeof(path) ||
                stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (replay_file(path) != 0)
                bad = 1;
            else
                inputs++;
        }
        closedir(d);
    }
    printf("%zu inputs replayed\n", inputs);
    return bad || inputs == 0 ? 1 : 0;
}
