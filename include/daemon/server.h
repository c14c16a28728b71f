/*
 * The daemon as a whole: the store, the TLS context, the access log, the
 * worker threads (worker.h) and the signals.
 *
 * Each worker thread runs its own event_base and accepts on its own
 * SO_REUSEPORT socket per configured address, so the kernel spreads
 * connections over the workers; connections are served by conn.c. The
 * main thread only takes signals: SIGTERM and SIGINT stop accepting and
 * give running answers shutdown_timeout seconds; SIGUSR1 and SIGHUP have
 * every worker write its buffered access-log lines, then reopen the log.
 */
#ifndef SYMSRVD_SERVER_H
#define SYMSRVD_SERVER_H

#include <stddef.h>

#include "daemon/config.h"

struct server;

/*
 * Validates what the config names on disk without binding or writing
 * anything: the store root and the TLS certificate and key. Returns 0, or
 * -1 with one line in err.
 */
int server_check(const struct config *cfg, char *err, size_t errlen);

/*
 * Opens the store and the access log, loads TLS and binds every listener
 * (a busy port fails here). cfg must outlive the server. Returns NULL with
 * one line in err. Caller frees with server_free().
 */
struct server *server_new(const struct config *cfg, char *err, size_t errlen);

/* Serves until SIGTERM or SIGINT and the graceful stop. Returns 0 or -1. */
int server_run(struct server *srv);

void server_free(struct server *srv);

#endif
