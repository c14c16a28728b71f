/*
 * What the key-parser tests share. Every parse goes through kt_parse():
 * the parser gets a heap copy of exactly len bytes, so ASan flags a read
 * one byte past the input (a len + 1 buffer, a stack or a static array
 * would hide it), and the copy is compared afterwards, so a parser that
 * writes into its const input fails too.
 */
#ifndef SYMSRVD_TEST_KEYS_TEST_H
#define SYMSRVD_TEST_KEYS_TEST_H

#include "../common/unit.h"

#include "keys/keys.h"

typedef enum keys_rc (*kt_parser)(const char *basename,
                                  const unsigned char *buf, size_t len,
                                  struct keys_entry *out, size_t max, size_t *n,
                                  char *why, size_t whylen);

/*
 * parse(name, copy of buf[0..len), ...). When why has room for a reason
 * (whylen > 1), a result other than KEYS_OK must come with one.
 */
enum keys_rc kt_parse(kt_parser parse, const char *name, const void *buf,
                      size_t len, struct keys_entry *out, size_t max, size_t *n,
                      char *why, size_t whylen);

/* kt_parse() of the file at path, read to an exact-size buffer. */
enum keys_rc kt_parse_file(kt_parser parse, const char *path, const char *name,
                           struct keys_entry *out, size_t max, size_t *n,
                           char *why, size_t whylen);

/*
 * kt_parse() with room for two entries, then checks: the rc; on KEYS_OK,
 * one entry whose file and name are stored and whose key is key. The
 * _file form reads path to an exact-size buffer first.
 */
void kt_check_one(kt_parser parse, const char *name, const void *buf,
                  size_t len, enum keys_rc rc, const char *stored,
                  const char *key);
void kt_check_one_file(kt_parser parse, const char *path, const char *name,
                       enum keys_rc rc, const char *stored, const char *key);

/* kt_check_one_file() of the fixture binaries/<file>, parsed as file. */
void kt_check_one_binary(kt_parser parse, const char *file, enum keys_rc rc,
                         const char *stored, const char *key);

/*
 * After a parse: got is want, and on KEYS_OK out holds one entry whose
 * "file/key/name" is path. label names the case in a failure.
 */
void kt_check_path(const char *label, enum keys_rc got, enum keys_rc want,
                   const struct keys_entry *out, size_t n, const char *why,
                   const char *path);

/* "file/key/name" of e. */
void kt_join(const struct keys_entry *e, char *out, size_t outlen);

/* v, little-endian, in width bytes at p + off. */
void kt_put_le(unsigned char *p, size_t off, unsigned width, uint32_t v);

/*
 * The Windows toolchain of the PE and PDB cross-checks: clang -gcodeview
 * and lld-link build a PE and PDB; llvm-readobj and llvm-pdbutil read them.
 */

/* True when clang, lld-link, llvm-readobj and llvm-pdbutil are on PATH. */
bool kt_have_win_tools(void);

/* Builds dir/x.exe and dir/x.pdb for target (x86_64-pc-windows-msvc). */
int kt_build_win(const char *dir, const char *target);

/* Removes what kt_build_win() made, then dir. */
void kt_cleanup_win(const char *dir);

/* Runs cmd and keeps the first line of its output containing tag. */
int kt_grep(const char *cmd, const char *tag, char *line, size_t linelen);

#endif
