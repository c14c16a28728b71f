/*
 * The S3 test server of the bucket tests (test_s3.c: symsrv add into a
 * bucket; test_s3serve.c: symsrvd serving one): @20minutes/s3rver 5.0.0,
 * which checks AWS Signature V4, started by tests/s3/s3rver.js on
 * 127.0.0.1 (a kernel-chosen port) with a bucket "bkt", its log in
 * dir/s3rver.log. S3RVER_DIR (tests/s3) is compiled in by the caller.
 */
#ifndef SYMSRVD_TEST_S3RVER_H
#define SYMSRVD_TEST_S3RVER_H

#include <sys/types.h>

struct s3rver {
    char dir[256]; /* scratch: data/, port, s3rver.log */
    int port;
    pid_t pid;
};

/* Why the server cannot run here (no node, no package), or NULL. */
const char *s3rver_missing(const char *s3rver_dir);

/*
 * Makes a scratch directory /tmp/<tag>.XXXXXX, starts the server there
 * and waits (up to 15 s) for its port; sets AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY to its credentials (S3RVER). 0, or -1 after
 * printing why.
 */
int s3rver_run(struct s3rver *s, const char *s3rver_dir, const char *tag);

/* Stops it (SIGTERM, wait) and removes the scratch directory unless
 * ITEST_S3_KEEP is set. */
void s3rver_end(struct s3rver *s);

/* How many times its log holds what (-1: the log is unreadable). */
int s3rver_logged(const struct s3rver *s, const char *what);

/* Writes the Breakpad symbol file path for module mod with key id,
 * padded with pad FUNC lines (symsrv add's input). 0 or -1. */
int s3rver_make_sym(const char *path, const char *mod, const char *id, int pad);

#endif
