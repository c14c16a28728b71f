/* The server's TLS context (OpenSSL): TLS 1.2 and 1.3 only. */
#ifndef SYMSRVD_TLS_H
#define SYMSRVD_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/*
 * Loads the PEM certificate chain and private key. Returns a context the
 * caller frees with SSL_CTX_free(), or NULL with the reason in err.
 */
SSL_CTX *tls_ctx_new(const char *cert, const char *key, char *err,
                     size_t errlen);

#endif
