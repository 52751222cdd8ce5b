/*
 * smtp_server: listeners, accepting within limits, timeouts.
 */
#define _GNU_SOURCE
#include "smtp_server.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "sbuf.h"
#include "smtp_session.h"

/* Opens a listening socket on a numeric IPv4 or IPv6 address. */
static int listen_on(const struct config_listen *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, l->address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)l->port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, l->address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)l->port);
		len = sizeof(*in6);
	} else {
		log_msg(LOG_ERR, "listen: '%s' is not a numeric IP address", l->address);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		log_msg(LOG_ERR, "listen: cannot listen on %s port %d: %s", l->address, l->port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Loads a listener's certificate and key; NULL (after logging why) on failure. */
static gnutls_certificate_credentials_t load_credentials(const struct config_listen *l)
{
	gnutls_certificate_credentials_t creds;
	int r = gnutls_certificate_allocate_credentials(&creds);

	if (r == GNUTLS_E_SUCCESS)
		r = gnutls_certificate_set_x509_key_file(creds, l->tls_certificate, l->tls_key, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		log_msg(LOG_ERR, "listen %s port %d: cannot load %s / %s: %s", l->address, l->port,
			l->tls_certificate, l->tls_key, gnutls_strerror(r));
		gnutls_certificate_free_credentials(creds);
		return NULL;
	}
	return creds;
}

/* session_host.ended: forgets a session that is closing. */
static void session_ended(struct session_host *host, struct session *s)
{
	struct smtp_server *srv = (struct smtp_server *)host;

	for (int i = 0; i < srv->n_sessions; i++) {
		if (srv->sessions[i] == s) {
			srv->sessions[i] = srv->sessions[--srv->n_sessions];
			return;
		}
	}
}

struct smtp_server *smtp_server_bind(const struct config *cfg)
{
	struct smtp_server *srv = xcalloc(1, sizeof(*srv));

	srv->host.cfg = cfg;
	srv->host.ended = session_ended;
	srv->timer_fd = -1;
	srv->listen_fds = xcalloc(cfg->n_listen, sizeof(int));
	srv->tls_creds = xcalloc(cfg->n_listen, sizeof(void *));
	srv->lmtp = xcalloc(cfg->n_listen, sizeof(int));
	for (size_t i = 0; i < cfg->n_listen; i++)
		srv->listen_fds[i] = -1;
	srv->n_listen = (int)cfg->n_listen;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		srv->lmtp[i] = cfg->listen[i].protocol == LISTEN_LMTP;
		if ((srv->listen_fds[i] = listen_on(&cfg->listen[i])) < 0 ||
		    (cfg->listen[i].tls_certificate && !(srv->tls_creds[i] = load_credentials(&cfg->listen[i])))) {
			smtp_server_free(srv);
			return NULL;
		}
	}
	return srv;
}

/* The peer's address as text, for logs and per-client limits. */
static void peer_name(const struct sockaddr_storage *ss, char *out, size_t size)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)size);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, out, (socklen_t)size);
	else
		snprintf(out, size, "unknown");
}

#define STRESS_PERCENT 80   /* connections in use, in % of the cap, from which timeouts shrink */
#define EVICT_IDLE_MS 1000  /* a session idle this long may be closed to make room */

/* The timeout in force: shorter while the server is under stress. */
static int current_timeout(const struct smtp_server *srv)
{
	const struct config_limits *lim = &srv->host.cfg->limits;

	if ((long long)srv->n_sessions * 100 > (long long)lim->max_connections * STRESS_PERCENT &&
	    lim->stress_timeout < lim->timeout)
		return lim->stress_timeout;
	return lim->timeout;
}

/* How many sessions the client at peer has. */
static int places_of(const struct smtp_server *srv, const char *peer)
{
	int n = 0;

	for (int i = 0; i < srv->n_sessions; i++)
		n += strcmp(session_peer(srv->sessions[i]), peer) == 0;
	return n;
}

/* A session as make_room sees it. */
struct place {
	const char *peer;  /* its client's address */
	struct session *s;
	long long idle;    /* session_idle_ms, -1 when busy */
};

static int by_peer(const void *a, const void *b)
{
	return strcmp(((const struct place *)a)->peer, ((const struct place *)b)->peer);
}

/*
 * Closes a session between commands to make room for a newcomer whose
 * client has `mine` places already: the one idle the longest among the
 * clients that hold more places than the newcomer.  It must have been
 * idle EVICT_IDLE_MS, unless its client holds at least two places more:
 * then fairness alone decides, so a crowd reconnecting as fast as it is
 * pushed out can neither keep a client with no place outside nor push
 * out one that holds fewer places than itself.
 * Returns 0 if a session was closed, -1 if none may be.
 */
static int make_room(struct smtp_server *srv, int mine)
{
	struct place *all = xcalloc((size_t)srv->n_sessions + 1, sizeof(*all));
	long long now = clock_monotonic_ms(), longest = -1;
	struct session *victim = NULL;
	int n = 0;

	for (int i = 0; i < srv->n_sessions; i++) {
		struct session *s = srv->sessions[i];
		all[n++] = (struct place){ session_peer(s), s, session_idle_ms(s, now) };
	}
	/* Sorted by client, each run's length is how many places that client holds. */
	qsort(all, (size_t)n, sizeof(*all), by_peer);
	for (int start = 0, end; start < n; start = end) {
		for (end = start; end < n && strcmp(all[end].peer, all[start].peer) == 0; end++)
			;
		int held = end - start;
		for (int i = start; held > mine && i < end; i++) {
			if (all[i].idle > longest && (held > mine + 1 || all[i].idle >= EVICT_IDLE_MS)) {
				longest = all[i].idle;
				victim = all[i].s;
			}
		}
	}
	free(all);
	if (!victim)
		return -1;
	session_evict(victim);
	return 0;
}

/* Turns a client away before a session exists (best effort: the socket is new and empty). */
static void refuse(int fd, const char *domain, const char *why)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "421 4.7.0 %s %s, try again later\r\n", domain, why);

	if (write(fd, line, (size_t)n) < 0) {
		/* nothing more to do for a client we are turning away */
	}
	close(fd);
}

static void accept_clients(struct evloop *loop, int fd, unsigned events, void *ctx)
{
	struct smtp_server *srv = ctx;
	const struct config_limits *lim = &srv->host.cfg->limits;
	int lmtp = 0;
	void *creds = NULL;

	(void)loop;
	(void)events;
	for (int i = 0; i < srv->n_listen; i++) {
		if (srv->listen_fds[i] == fd) {
			lmtp = srv->lmtp[i];
			creds = srv->tls_creds[i];
		}
	}
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_msg(LOG_WARNING, "accept: %s", strerror(errno));
			return;
		}
		char peer[64];
		peer_name(&ss, peer, sizeof(peer));
		int same = places_of(srv, peer);
		if (same >= lim->max_connections_per_client) {
			log_msg(LOG_WARNING, "smtp: %s turned away: %d connections from it already", peer, same);
			refuse(c, srv->host.cfg->domain, "Too many connections from your address");
			continue;
		}
		if (srv->n_sessions >= lim->max_connections && make_room(srv, same) < 0) {
			log_msg(LOG_WARNING, "smtp: %s turned away: %d connections already, none idle", peer,
				srv->n_sessions);
			refuse(c, srv->host.cfg->domain, "Too many connections");
			continue;
		}
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct session *s = session_start(&srv->host, c, peer, lmtp, creds);
		if (s) {
			if (srv->n_sessions == srv->cap_sessions) {
				srv->cap_sessions = srv->cap_sessions ? 2 * srv->cap_sessions : 16;
				srv->sessions = xrealloc(srv->sessions, (size_t)srv->cap_sessions * sizeof(*srv->sessions));
			}
			srv->sessions[srv->n_sessions++] = s;
		}
	}
}

static void tick(struct evloop *loop, int fd, unsigned events, void *ctx)
{
	struct smtp_server *srv = ctx;
	unsigned long long expirations;
	long long now = clock_monotonic_ms();

	(void)loop;
	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "timer: %s", strerror(errno));
	int timeout = current_timeout(srv);
	/* From the end: a session the tick closes is replaced by the last one, which was ticked already. */
	for (int i = srv->n_sessions - 1; i >= 0; i--) {
		if (i < srv->n_sessions)
			session_tick(srv->sessions[i], now, timeout);
	}
}

int smtp_server_start(struct smtp_server *srv, struct evloop *loop, struct store *store, struct spool *spool)
{
	struct itimerspec every_second = { { 1, 0 }, { 1, 0 } };

	srv->host.loop = loop;
	srv->host.store = store;
	srv->host.spool = spool;
	for (int i = 0; i < srv->n_listen; i++) {
		if (evloop_watch(loop, srv->listen_fds[i], EV_READ, accept_clients, srv) < 0)
			return -1;
	}
	srv->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->timer_fd < 0 || timerfd_settime(srv->timer_fd, 0, &every_second, NULL) < 0 ||
	    evloop_watch(loop, srv->timer_fd, EV_READ, tick, srv) < 0)
		return -1;
	return 0;
}

void smtp_server_set_config(struct smtp_server *srv, const struct config *cfg)
{
	srv->host.cfg = cfg;
}

void smtp_server_drain(struct smtp_server *srv)
{
	for (int i = 0; i < srv->n_listen; i++) {
		if (srv->listen_fds[i] >= 0) {
			if (srv->host.loop)
				evloop_unwatch(srv->host.loop, srv->listen_fds[i]);
			close(srv->listen_fds[i]);
			srv->listen_fds[i] = -1;
		}
	}
	srv->draining = 1;
}

void smtp_server_free(struct smtp_server *srv)
{
	if (!srv)
		return;
	smtp_server_drain(srv);
	while (srv->n_sessions)
		session_close(srv->sessions[srv->n_sessions - 1]);
	free(srv->sessions);
	if (srv->timer_fd >= 0) {
		if (srv->host.loop)
			evloop_unwatch(srv->host.loop, srv->timer_fd);
		close(srv->timer_fd);
	}
	for (int i = 0; i < srv->n_listen; i++) {
		if (srv->tls_creds[i])
			gnutls_certificate_free_credentials(srv->tls_creds[i]);
	}
	free(srv->tls_creds);
	free(srv->lmtp);
	free(srv->listen_fds);
	free(srv);
}
