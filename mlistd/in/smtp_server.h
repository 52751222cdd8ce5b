/*
 * smtp_server: the listening sockets (one per `listen` entry, SMTP or
 * LMTP), accepting clients within the connection limits, and the
 * once-a-second tick that enforces each session's deadline.  Each
 * accepted client becomes an smtp_session.
 *
 * Under stress (more than 80% of limits.max_connections in use, as when
 * many idle clients hold connections open) the timeout in force drops
 * from limits.timeout to limits.stress_timeout, as Postfix's stress mode
 * does; and a client arriving when every place is taken gets the place
 * of a session between commands, idle the longest, of a client holding
 * more places than the newcomer (idle for at least a second, unless
 * that client holds two places more), so a fresh client is served
 * within seconds even while a crowd keeps reconnecting, and a client
 * with few places is never pushed out by one with many.  One address
 * never gets more than max_connections_per_client places.
 */
#ifndef MLIST_SMTP_SERVER_H
#define MLIST_SMTP_SERVER_H

#include "smtp_session.h"

struct smtp_server {
	struct session_host host; /* cfg, store, spool and loop, as every session sees them; first, so that
				     a session's host is its server */
	int *listen_fds;          /* one per cfg->listen entry */
	void **tls_creds;         /* per listen entry: GnuTLS certificate credentials, or NULL */
	int *lmtp;                /* per listen entry: 1 for LMTP (kept: a reload may change cfg->listen) */
	int n_listen;
	int timer_fd;             /* ticks once a second for timeouts */
	struct session **sessions; /* every connected client, in no order */
	int n_sessions, cap_sessions;
	int draining;             /* stopping: accept nobody new */
};

/*
 * Binds every listen entry and loads its TLS certificate and key.  Done
 * before privileges are dropped, so port 25 and a root-only key work.
 * Returns NULL after logging why (address in use, unreadable key, say).
 */
struct smtp_server *smtp_server_bind(const struct config *cfg);
/* Starts accepting on loop with the store and spool to use. */
int smtp_server_start(struct smtp_server *srv, struct evloop *loop, struct store *store, struct spool *spool);
/* Uses cfg (a reloaded config) from now on, for new and running sessions. */
void smtp_server_set_config(struct smtp_server *srv, const struct config *cfg);
/* Stops accepting and closes the listeners; sessions go on until they end. */
void smtp_server_drain(struct smtp_server *srv);
/* Closes everything; sessions are cut off (a transaction in progress is not acknowledged). */
void smtp_server_free(struct smtp_server *srv);

#endif
