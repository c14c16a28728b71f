/*
 * The daemon as a whole: the site (site.h: the config, the store, the TLS
 * context), the listening sockets, the access log, the worker threads
 * (worker.h), the signals and systemd.
 *
 * Each worker thread runs its own event_base and accepts on its own
 * SO_REUSEPORT socket per configured address, so the kernel spreads
 * connections over the workers, and on the sockets systemd passed
 * (socket activation, shared by all workers); connections are served by
 * conn.c. The main thread only takes signals:
 *   SIGTERM, SIGINT: stop accepting, give running answers
 *     shutdown_timeout seconds.
 *   SIGHUP: reload. The config is loaded again (same -c and flags), a new
 *     site built (certificate, key, store settings), the listen addresses
 *     compared: any failure is logged and the running config serves on.
 *     Otherwise each worker takes the new site between two requests and
 *     its new listeners; sockets of addresses that stay are never closed.
 *     The access log is reopened too.
 *   SIGUSR1: every worker writes its buffered access-log lines, then the
 *     log is reopened (logrotate).
 * With systemd (Type=notify, NOTIFY_SOCKET): READY=1 once listening,
 * RELOADING=1 and READY=1 around a reload, STOPPING=1, STATUS= lines, and
 * WATCHDOG=1 while every worker's loop turns (WatchdogSec=).
 */
#ifndef SYMSRVD_SERVER_H
#define SYMSRVD_SERVER_H

#include <stddef.h>

#include "daemon/config.h"

struct server;

/*
 * Validates what the config names on disk without binding or writing
 * anything: the store root and the TLS certificate and key. Takes over
 * cfg's strings (cfg is zeroed). Returns 0, or -1 with one line in err.
 */
int server_check(struct config *cfg, char *err, size_t errlen);

/*
 * Opens the store and the access log, loads TLS and binds every listener
 * (a busy port fails here). Takes over cfg's strings (cfg is zeroed).
 * argc, argv and demo_root are what cfg was loaded from (config_load()):
 * a reload loads them again, so they must outlive the server. Returns
 * NULL with one line in err. Caller frees with server_free().
 */
struct server *server_new(struct config *cfg, int argc, char *const argv[],
                          const char *demo_root, char *err, size_t errlen);

/* Serves until SIGTERM or SIGINT and the graceful stop. Returns 0 or -1. */
int server_run(struct server *srv);

void server_free(struct server *srv);

#endif
