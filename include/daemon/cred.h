/*
 * Credentials, pure: the Authorization value (RFC 9110 11.6.2, Basic of
 * RFC 7617, Bearer of RFC 6750), htpasswd lines, token-file lines, and
 * password checks against the hashes htpasswd and openssl passwd write.
 * No I/O and no clock; cred_verify() is as slow as the hash makes it.
 */
#ifndef SYMSRVD_DAEMON_CRED_H
#define SYMSRVD_DAEMON_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRED_USER_MAX 255  /* bytes of a user name */
#define CRED_PASS_MAX 511  /* bytes of a password */
#define CRED_HASH_MAX 160  /* bytes of a stored hash */
#define CRED_TOKEN_MIN 16  /* shortest bearer token a file may hold */
#define CRED_TOKEN_MAX 512 /* longest bearer token */
#define CRED_NAME_MAX 64   /* bytes of a token's name */
#define CRED_LINE_MAX 1024 /* longest line of an htpasswd or token file */

enum cred_kind {
    CRED_NONE,   /* no Authorization, or a scheme we do not take */
    CRED_BASIC,  /* user and pass are set */
    CRED_BEARER, /* token points into the value */
    CRED_BAD,    /* Basic or Bearer, malformed: a failed attempt */
};

struct cred {
    char user[CRED_USER_MAX + 1];
    char pass[CRED_PASS_MAX + 1];
    const char *token; /* CRED_BEARER: into the value, not NUL-ended */
    size_t token_len;
};

/*
 * Reads v[0..len), an Authorization value. Basic: strict base64 (RFC 4648,
 * padded) of "user:password", user not empty, no control byte in either,
 * the password may hold ':'. Bearer: a token68 of at most CRED_TOKEN_MAX.
 */
enum cred_kind cred_parse_authorization(const char *v, size_t len,
                                        struct cred *out);

struct cred_user {
    char name[CRED_USER_MAX + 1];
    char hash[CRED_HASH_MAX + 1];
};

struct cred_token {
    uint8_t sha256[32]; /* of the token: the token itself is not kept */
    char name[CRED_NAME_MAX + 1];
};

enum cred_line_rc {
    CRED_LINE_ENTRY, /* *out is filled */
    CRED_LINE_SKIP,  /* blank or a comment */
    CRED_LINE_BAD,   /* why says what is wrong */
};

/*
 * One htpasswd line (without its line end): "user:hash", where hash is
 * bcrypt ($2y$, $2b$, $2a$), SHA-256-crypt ($5$), SHA-512-crypt ($6$) or
 * APR1 MD5 ($apr1$). Blank lines and lines starting with '#' are skipped.
 */
enum cred_line_rc cred_htpasswd_line(const char *line, size_t len,
                                     struct cred_user *out, char *why,
                                     size_t whylen);

/*
 * One token-file line: "TOKEN [NAME] [# comment]". TOKEN is a token68
 * (RFC 6750 2.1) of CRED_TOKEN_MIN to CRED_TOKEN_MAX bytes; NAME (letters,
 * digits, '.', '_', '-', '@', up to CRED_NAME_MAX) defaults to "token".
 */
enum cred_line_rc cred_token_line(const char *line, size_t len,
                                  struct cred_token *out, char *why,
                                  size_t whylen);

/* Length of an APR1 hash: "$apr1$" salt (up to 8) "$" 22 characters. */
#define CRED_APR1_MAX (6 + 8 + 1 + 22 + 1)

/*
 * The APR1 MD5 hash of pass with salt[0..saltlen) (at most 8 bytes are
 * used), as "$apr1$salt$digest" into out[CRED_APR1_MAX]. 0 or -1.
 */
int cred_apr1(const char *pass, const char *salt, size_t saltlen,
              char out[CRED_APR1_MAX]);

/* Does pass match hash (a hash cred_htpasswd_line() took)? The final
 * comparison takes the same time wherever the two differ. */
bool cred_verify(const char *hash, const char *pass);

#endif
