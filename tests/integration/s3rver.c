/* The S3 test server of the bucket tests; see s3rver.h. */
#include "s3rver.h"

#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
s3rver_missing(const char *s3rver_dir)
{
    char path[512];
    struct stat st;

    if (system("command -v node >/dev/null 2>&1") != 0)
        return "no node (scripts/deps.sh test installs nodejs)";
    snprintf(path, sizeof(path), "%s/node_modules/@20minutes/s3rver/lib/cli.js",
             s3rver_dir);
    if (stat(path, &st) != 0)
        return "no @20minutes/s3rver in tests/s3/node_modules "
               "(scripts/deps.sh test installs it)";
    return NULL;
}

int
s3rver_run(struct s3rver *s, const char *s3rver_dir, const char *tag)
{
    char portfile[300], data[300], log[300], js[512], *p = NULL;

    snprintf(s->dir, sizeof(s->dir), "/tmp/%s.XXXXXX", tag);
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
    snprintf(data, sizeof(data), "%s/data", s->dir);
    snprintf(log, sizeof(log), "%s/s3rver.log", s->dir);
    snprintf(js, sizeof(js), "%s/s3rver.js", s3rver_dir);
    s->pid = fork();
    if (s->pid == 0) {
        if (freopen(log, "w", stdout) == NULL || dup2(fileno(stdout), 2) == -1)
            _exit(127);
        execlp("node", "node", js, portfile, "-d", data, "-a", "127.0.0.1",
               "-p", "0", "--configure-bucket", "bkt", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300 && p == NULL; i++) {
        p = slurp(portfile, NULL);
        if (p == NULL)
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    if (p == NULL) {
        fprintf(stderr, "s3rver did not start (see %s)\n", log);
        return -1;
    }
    s->port = atoi(p);
    free(p);
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    return 0;
}

void
s3rver_end(struct s3rver *s)
{
    char cmd[300];
    int st;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, &st, 0);
        s->pid = 0;
    }
    if (getenv("ITEST_S3_KEEP") == NULL && s->dir[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s->dir);
    }
}

int
s3rver_logged(const struct s3rver *s, const char *what)
{
    char path[300], *log, *p;
    int n = 0;

    snprintf(path, sizeof(path), "%s/s3rver.log", s->dir);
    log = slurp(path, NULL);
    if (log == NULL)
        return -1;
    for (p = log; (p = strstr(p, what)) != NULL; p++)
        n++;
    free(log);
    return n;
}

int
s3rver_make_sym(const char *path, const char *mod, const char *id, int pad)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fprintf(f, "MODULE windows x86_64 %s %s\nFILE 0 c:\\src\\%s.c\n", id, mod,
            mod);
    for (int i = 0; i < pad; i++)
        fprintf(f, "FUNC %x 10 0 function_number_%d\n", i * 16, i);
    return fclose(f) == 0 ? 0 : -1;
}
