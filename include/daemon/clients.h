/*
 * Open connections per client address, for server.max_connections_per_client.
 * SO_REUSEPORT spreads one client's connections over every worker, so the
 * count is shared: a mutex-guarded open-addressing table, touched only on
 * accept and close (never per request). IPv4 addresses count as their
 * IPv4-mapped IPv6 form, so a client is one client on both stacks.
 */
#ifndef SYMSRVD_DAEMON_CLIENTS_H
#define SYMSRVD_DAEMON_CLIENTS_H

#include <stdbool.h>
#include <sys/socket.h>

struct clients;

/*
 * A table for at most capacity connections at once (the server's total:
 * workers x max_connections), each address allowed max_per_client of them.
 * NULL when out of memory. Free with clients_free().
 */
struct clients *clients_new(unsigned max_per_client, unsigned capacity);

void clients_free(struct clients *t);

/*
 * Counts one more connection from sa; false (and nothing counted) when sa
 * already has max_per_client, or the table is full. Thread-safe.
 */
bool clients_take(struct clients *t, const struct sockaddr *sa);

/* Counts one connection from sa fewer (one that clients_take() counted). */
void clients_give(struct clients *t, const struct sockaddr *sa);

/* Connections counted for sa now (for tests and diagnostics). */
unsigned clients_count(struct clients *t, const struct sockaddr *sa);

#endif
