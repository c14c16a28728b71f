/* The server's TLS context; see tls.h. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

#include "util/errbuf.h"
#include "daemon/tls.h"

static SSL_CTX *
fail(SSL_CTX *ctx, const char *what, const char *file, char *err, size_t errlen)
{
    char reason[256];

    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    errbuf_set(err, errlen, "%s %s: %s", what, file, reason);
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *
tls_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL)
        return fail(ctx, "TLS", "context", err, errlen);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        return fail(ctx, "TLS", "version", err, errlen);
    /*
     * Kernel TLS where the kernel and the cipher allow it: bodies then
     * leave by SSL_sendfile() without passing through user space.
     */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_KTLS);
    /*
     * Idle TLS connections should not hold 2 x 16 KiB of buffers each; a
     * write may take part of a buffer and be retried from a moved pointer
     * (the connection's output buffer is compacted between calls).
     */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
                              SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return fail(ctx, "tls_cert", cert, err, errlen);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        return fail(ctx, "tls_key", key, err, errlen);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail(ctx, "tls_key", key, err, errlen);
    return ctx;
}
