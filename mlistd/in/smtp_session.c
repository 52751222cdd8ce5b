/*
 * smtp_session: the SMTP/LMTP state machine; see smtp_session.h.
 *
 * States follow the dialogue: GREETED (before HELO/EHLO/LHLO), READY (no
 * transaction), MAIL (sender given), RCPT (recipients given), DATA
 * (message arriving), COMMIT (waiting for the spool's group commit),
 * HANDSHAKE (TLS being set up after STARTTLS), CLOSING (last reply being
 * flushed), DRAIN (reply sent and our side shut: what the client still
 * sends is read and thrown away for a moment, so that closing does not
 * reset the connection before the client has read the reply).
 */
#include "smtp_session.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "evloop.h"
#include "header.h"
#include "list_address.h"
#include "log.h"
#include "network.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"

#define MAX_COMMAND_LINE 512  /* RFC 5321 4.5.3.1.4, CRLF included */
#define MAX_TEXT_LINE 1000    /* RFC 5321 4.5.3.1.6, CRLF included */
#define MAX_OUTPUT 65536      /* stop reading while this much waits to be written */
#define MAX_ERRORS 10         /* bad commands before the client is shown the door */
#define CLOSING_MS 10000      /* a last reply the client will not read is given up after this */
#define DRAIN_MS 2000         /* how long a closed session still swallows input */

enum state { GREETED, READY, MAIL, RCPT, DATA, COMMIT, HANDSHAKE, CLOSING, DRAIN };

struct session {
	struct session_host *host;  /* the listener that accepted it */
	int fd;
	int lmtp;                   /* LMTP: LHLO, and one reply per recipient after DATA */
	enum state state;
	struct sbuf in;             /* bytes read, not yet taken */
	size_t in_off;              /* how much of in is taken */
	struct sbuf out;            /* replies not yet written */
	int discarding;             /* skipping the rest of an over-long command line */
	struct envelope env;        /* this transaction's sender and recipients */
	struct spool_entry *entry;  /* the message being received */
	unsigned long long size;    /* message bytes so far */
	int at_line_start;          /* DATA: the next byte begins a line */
	int oversize, long_line, nul; /* DATA: reasons to refuse at the dot */
	int write_errno;            /* DATA: why writing to the spool failed, or 0 */
	int lf_ok;                  /* the client is in limits.bare_lf_networks: a bare LF counts as CRLF */
	int errors;                 /* bad commands so far */
	long long last_active;      /* monotonic ms of the last input */
	long long phase_start;      /* monotonic ms the current deadline counts from (last reply, DATA, closing) */
	char peer[64];
	void *tls_creds;            /* certificate credentials when STARTTLS is offered */
	gnutls_session_t tls;       /* the TLS session once STARTTLS was given, else NULL */
	int tls_active;             /* the handshake is done: all I/O goes through tls */
};

static void session_io(struct evloop *loop, int fd, unsigned events, void *ctx);
static void process_input(struct session *s);

const char *session_peer(const struct session *s)
{
	return s->peer;
}

static void reply(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queues one reply line; CRLF is added. */
static void reply(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&s->out, fmt, ap);
	va_end(ap);
	sbuf_addstr(&s->out, "\r\n");
}

void session_close(struct session *s)
{
	struct session_host *host = s->host;

	host->ended(host, s);
	evloop_unwatch(host->loop, s->fd);
	if (s->tls)
		gnutls_deinit(s->tls);
	close(s->fd);
	if (s->entry)
		spool_abort(s->entry);
	if (s->state == COMMIT)
		spool_forget_waiter(host->spool, s);
	envelope_release(&s->env);
	sbuf_release(&s->in);
	sbuf_release(&s->out);
	free(s);
}

/*
 * Writes what it can of the queued replies and sets what to wait for:
 * writability while replies are left, readability unless too much output
 * is waiting (a client that pipelines without reading is slowed down,
 * not given unbounded memory).  Returns -1 if the session was closed.
 */
static int flush(struct session *s)
{
	while (s->out.len) {
		ssize_t n;
		if (s->tls_active) {
			n = gnutls_record_send(s->tls, s->out.buf, s->out.len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				break;
		} else {
			n = write(s->fd, s->out.buf, s->out.len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
		}
		if (n <= 0) {
			session_close(s);
			return -1;
		}
		memmove(s->out.buf, s->out.buf + n, s->out.len - (size_t)n);
		s->out.len -= (size_t)n;
		s->out.buf[s->out.len] = '\0';
	}
	if (s->state == CLOSING && s->out.len == 0) {
		/* Our side is done; the client's rest is swallowed until it closes too (or DRAIN_MS). */
		if (shutdown(s->fd, SHUT_WR) < 0) {
			session_close(s);
			return -1;
		}
		s->state = DRAIN;
		s->phase_start = clock_monotonic_ms();
	}
	unsigned want = 0;
	if (s->out.len)
		want |= EV_WRITE;
	if (s->out.len < MAX_OUTPUT && s->state != CLOSING && s->state != COMMIT)
		want |= EV_READ;
	if (s->state == HANDSHAKE && s->out.len == 0)
		want = gnutls_record_get_direction(s->tls) ? EV_WRITE : EV_READ;
	if (evloop_watch(s->host->loop, s->fd, want, session_io, s) < 0) {
		session_close(s);
		return -1;
	}
	return 0;
}

struct session *session_start(struct session_host *host, int fd, const char *peer, int lmtp, void *tls_creds)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->host = host;
	s->fd = fd;
	s->lmtp = lmtp;
	s->tls_creds = tls_creds;
	s->state = GREETED;
	sbuf_init(&s->in);
	sbuf_init(&s->out);
	envelope_init(&s->env);
	s->env.proto = lmtp ? "lmtp" : "smtp";
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	snprintf(s->env.client, sizeof(s->env.client), "%s", peer);
	s->lf_ok = network_contains(host->cfg->limits.bare_lf_networks, host->cfg->limits.n_bare_lf_networks, peer);
	s->last_active = s->phase_start = clock_monotonic_ms();
	reply(s, "220 %s %s mlist", host->cfg->domain, lmtp ? "LMTP" : "ESMTP");
	/* A write error closes the session at once; the caller must not keep it then. */
	return flush(s) < 0 ? NULL : s;
}

/* The last reply is queued: the connection ends once it is written; nothing more is read as SMTP. */
static void start_closing(struct session *s)
{
	if (s->entry) {
		spool_abort(s->entry);
		s->entry = NULL;
	}
	s->state = CLOSING;
	s->phase_start = clock_monotonic_ms();
}

/* Milliseconds the client has for what it is doing now, with timeout_s in force. */
static long long allowed_ms(const struct session *s, int timeout_s)
{
	long long ms = (long long)timeout_s * 1000;

	/* DATA: each octet received buys 1/min_data_rate s, so a steady sender is never cut, a trickle is. */
	if (s->state == DATA)
		ms += (long long)(s->size * 1000 / (unsigned long long)s->host->cfg->limits.min_data_rate);
	return ms;
}

void session_tick(struct session *s, long long now_ms, int timeout_s)
{
	long long waited = now_ms - s->phase_start;

	/* A session waiting for the spool is mlist's delay, not the client's. */
	if (s->state == COMMIT)
		return;
	if (s->state == CLOSING || s->state == DRAIN) {
		if (waited >= (s->state == CLOSING ? CLOSING_MS : DRAIN_MS))
			session_close(s);
		return;
	}
	if (waited < allowed_ms(s, timeout_s))
		return;
	log_msg(LOG_INFO, "smtp: %s timed out %s", s->peer, s->state == DATA ? "in DATA" : "waiting for a command");
	reply(s, "421 4.4.2 %s Timeout, closing connection", s->host->cfg->domain);
	start_closing(s);
	flush(s);
}

long long session_idle_ms(const struct session *s, long long now_ms)
{
	if (s->state != GREETED && s->state != READY && s->state != MAIL && s->state != RCPT)
		return -1;
	return now_ms - s->last_active;
}

void session_evict(struct session *s)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "421 4.7.0 %s Server busy, closing idle connection\r\n",
			 s->host->cfg->domain);

	/* Best effort and at once: the point is to free the place for a client that is waiting. */
	if (!s->tls_active && write(s->fd, line, (size_t)n) < 0)
		log_msg(LOG_DEBUG, "smtp: %s: %s", s->peer, strerror(errno));
	log_msg(LOG_INFO, "smtp: %s closed to make room (idle)", s->peer);
	session_close(s);
}

/* Counts a bad command; after too many the client is disconnected. */
static void bad_command(struct session *s)
{
	if (++s->errors >= MAX_ERRORS) {
		reply(s, "421 4.7.0 %s Too many errors, closing connection", s->host->cfg->domain);
		start_closing(s);
	}
}

/*
 * A bare LF or CR: the reply (one per recipient after LMTP DATA), and the
 * end of the connection; see smtp_session.h for why.
 */
static void refuse_line_end(struct session *s, const char *what)
{
	int data = s->state == DATA;

	log_msg(LOG_WARNING, "smtp: %s sent a bare %s %s; refused and disconnected", s->peer, what,
		data ? "in DATA" : "in a command");
	for (int i = 0; i < (data && s->lmtp ? s->env.n_rcpt : 1); i++)
		reply(s, "%s 5.5.2 Bare %s received: lines must end with CRLF (RFC 5321 2.3.8); closing connection",
		      data ? "550" : "500", what);
	envelope_reset(&s->env);
	start_closing(s);
}

/*
 * Checks the line end of p[0..n) (n > 0, ending in LF unless partial) and
 * gives the length of its text without the line end.  A bare LF (from a
 * client not excused) or a CR anywhere but before the final LF refuses
 * the session; returns -1 then.
 */
static int line_text(struct session *s, const char *p, size_t n, int partial, size_t *text)
{
	size_t t = partial ? n : n - 1;

	if (!partial && t && p[t - 1] == '\r')
		t--;
	else if (!partial && !s->lf_ok) {
		refuse_line_end(s, "LF");
		return -1;
	}
	if (memchr(p, '\r', t)) {
		refuse_line_end(s, "CR");
		return -1;
	}
	*text = t;
	return 0;
}

static void reset_transaction(struct session *s)
{
	envelope_reset(&s->env);
	if (s->entry) {
		spool_abort(s->entry);
		s->entry = NULL;
	}
	if (s->state != GREETED)
		s->state = READY;
}

/*
 * Takes "<path>" (with optional spaces before it) from *p.  Copies the
 * address without brackets to out; returns 0, or -1 if malformed.  Source
 * routes (RFC 5321 C) are dropped; control characters are refused.
 */
static int parse_path(const char **p, char *out, size_t out_size)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (*s != '<')
		return -1;
	s++;
	if (*s == '@') { /* source route: "@a,@b:user@host" */
		const char *colon = strchr(s, ':');
		if (!colon)
			return -1;
		s = colon + 1;
	}
	const char *end = strchr(s, '>');
	if (!end || (size_t)(end - s) >= out_size)
		return -1;
	for (const char *q = s; q < end; q++) {
		if ((unsigned char)*q <= ' ' && !(q > s && *q == ' ' && s[0] == '"'))
			return -1;
	}
	memcpy(out, s, (size_t)(end - s));
	out[end - s] = '\0';
	*p = end + 1;
	return 0;
}

static void cmd_helo(struct session *s, const char *verb, const char *arg)
{
	const struct config *cfg = s->host->cfg;
	int lhlo = strcasecmp(verb, "LHLO") == 0;

	if (lhlo != s->lmtp) {
		reply(s, "500 5.5.1 %s", s->lmtp ? "This is LMTP: say LHLO" : "Unknown command: LHLO is for LMTP");
		bad_command(s);
		return;
	}
	if (!*arg) {
		reply(s, "501 5.5.4 %s needs a domain or address literal", verb);
		bad_command(s);
		return;
	}
	snprintf(s->env.helo, sizeof(s->env.helo), "%s", arg);
	reset_transaction(s);
	s->state = READY;
	if (strcasecmp(verb, "HELO") == 0) {
		reply(s, "250 %s", cfg->domain);
		return;
	}
	reply(s, "250-%s", cfg->domain);
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %lld", cfg->limits.max_message_size);
	reply(s, "250-8BITMIME");
	if (s->tls_creds && !s->tls_active)
		reply(s, "250-STARTTLS");
	reply(s, "250 ENHANCEDSTATUSCODES");
}

/* Moves the handshake on; once done, the dialogue starts again inside TLS. */
static void handshake(struct session *s)
{
	int r = gnutls_handshake(s->tls);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		flush(s);
		return;
	}
	if (r < 0) {
		log_msg(LOG_INFO, "smtp: %s: TLS handshake failed: %s", s->peer, gnutls_strerror(r));
		session_close(s);
		return;
	}
	s->tls_active = 1;
	s->phase_start = clock_monotonic_ms();
	s->state = GREETED; /* RFC 3207 4.2: forget everything said before, HELO included */
	s->env.helo[0] = '\0';
	log_msg(LOG_INFO, "smtp: %s: TLS started", s->peer);
	flush(s);
}

static void cmd_starttls(struct session *s, const char *arg)
{
	if (!s->tls_creds || s->tls_active) {
		reply(s, s->tls_active ? "503 5.5.1 TLS is already active" : "502 5.5.2 Command not recognized");
		bad_command(s);
		return;
	}
	if (*arg) {
		reply(s, "501 5.5.4 STARTTLS takes no argument");
		bad_command(s);
		return;
	}
	if (gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_set_default_priority(s->tls) < 0 ||
	    gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->tls_creds) < 0) {
		reply(s, "454 4.7.0 TLS not available now");
		return;
	}
	gnutls_transport_set_int(s->tls, s->fd);
	reset_transaction(s);
	reply(s, "220 2.0.0 Ready to start TLS");
	/* Anything pipelined after STARTTLS came in plain text: it is dropped, never run. */
	s->in_off = s->in.len;
	s->state = HANDSHAKE;
}

static void cmd_mail(struct session *s, const char *arg)
{
	char path[512];
	const char *p = arg;

	if (s->state == GREETED) {
		reply(s, "503 5.5.1 Say %s first", s->lmtp ? "LHLO" : "HELO or EHLO");
		bad_command(s);
		return;
	}
	if (s->state != READY) {
		reply(s, "503 5.5.1 A transaction is already in progress");
		bad_command(s);
		return;
	}
	if (strncasecmp(p, "FROM:", 5) != 0 || (p += 5, parse_path(&p, path, sizeof(path)) < 0) ||
	    (*p && *p != ' ')) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]");
		bad_command(s);
		return;
	}
	/*
	 * ESMTP parameters: SIZE= is checked now; BODY= is accepted; anything
	 * not advertised in EHLO (SMTPUTF8, RET=, ENVID=, ...) is refused.
	 */
	unsigned long long declared = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ");
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			char *stop;
			unsigned long long size = strtoull(p + 5, &stop, 10);
			if (stop != p + n || stop == p + 5) {
				reply(s, "501 5.5.4 Bad SIZE parameter");
				bad_command(s);
				return;
			}
			if (size > (unsigned long long)s->host->cfg->limits.max_message_size) {
				reply(s, "552 5.3.4 Message size exceeds the limit of %lld octets",
				      s->host->cfg->limits.max_message_size);
				return;
			}
			declared = size;
		} else if (!(n == 13 && strncasecmp(p, "BODY=8BITMIME", 13) == 0) &&
			   !(n == 9 && strncasecmp(p, "BODY=7BIT", 9) == 0)) {
			reply(s, "555 5.5.4 Unsupported parameter %.*s", (int)(n > 64 ? 64 : n), p);
			return;
		}
		p += n;
	}
	/* A spool short of room says so now, before the client sends anything big (Postfix's queue_minfree). */
	long long room = spool_free_space(s->host->spool);
	if (room >= 0 && (unsigned long long)room < (unsigned long long)s->host->cfg->limits.spool_reserve + declared) {
		log_msg(LOG_WARNING, "spool: only %lld octets free, below the reserve of %lld: mail is deferred",
			room, s->host->cfg->limits.spool_reserve);
		reply(s, "452 4.3.1 Insufficient system storage, try again later");
		return;
	}
	sbuf_reset(&s->env.mail_from);
	sbuf_addstr(&s->env.mail_from, path);
	s->state = MAIL;
	reply(s, "250 2.1.0 Ok");
}

/*
 * Whether addr is an address of a group mlist has, or postmaster@ or
 * abuse@ (the only mail it takes): 1, 0, or -1 if the store cannot tell now.
 */
static int serves(struct session *s, const char *addr)
{
	struct list_address la;

	if (list_address_parse(addr, s->host->cfg->domain, &la) < 0)
		return 0;
	return la.role == ROLE_ADMIN ? 1 : store_group_exists(s->host->store, la.group);
}

static void cmd_rcpt(struct session *s, const char *arg)
{
	char path[512];
	const char *p = arg;

	if (s->state != MAIL && s->state != RCPT) {
		reply(s, "503 5.5.1 Need MAIL before RCPT");
		bad_command(s);
		return;
	}
	if (strncasecmp(p, "TO:", 3) != 0 || (p += 3, parse_path(&p, path, sizeof(path)) < 0) ||
	    (*p && *p != ' ')) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		bad_command(s);
		return;
	}
	while (*p == ' ')
		p++;
	if (*p) {
		/* No RCPT parameter is advertised (no DSN: NOTIFY=, ORCPT=), so none is taken. */
		reply(s, "555 5.5.4 Unsupported parameter %.*s", (int)strcspn(p, " ") > 64 ? 64 : (int)strcspn(p, " "), p);
		return;
	}
	if (s->env.n_rcpt >= s->host->cfg->limits.max_recipients) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (strcasecmp(path, "postmaster") == 0) {
		/* RFC 5321 4.5.1: "Postmaster" without a domain is taken, as this domain's. */
		if (snprintf(path, sizeof(path), "postmaster@%s", s->host->cfg->domain) >= (int)sizeof(path)) {
			reply(s, "550 5.1.1 <postmaster>: no such mailbox here");
			return;
		}
	}
	int ours = serves(s, path);
	if (ours < 0) {
		log_msg(LOG_ERR, "smtp: cannot look up <%s>: %s", path, store_error(s->host->store));
		reply(s, "451 4.3.0 Cannot check the recipient now, try again later");
		return;
	}
	if (!ours) {
		/* Never a relay: only the addresses of our own groups are taken. */
		reply(s, "550 5.1.1 <%s>: no such list here", path);
		return;
	}
	envelope_add_rcpt(&s->env, path);
	s->state = RCPT;
	reply(s, "250 2.1.5 Ok");
}

/* The temporary refusal for a spool that could not take a message: full (452) or failing (451). */
static const char *no_room(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return "452 4.3.1 Insufficient system storage, try again later";
	return "451 4.3.0 Cannot queue the message now, try again later";
}

static void cmd_data(struct session *s)
{
	if (s->state != RCPT) {
		reply(s, s->state == MAIL ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL and RCPT before DATA");
		bad_command(s);
		return;
	}
	s->entry = spool_begin(s->host->spool, &s->env);
	if (!s->entry) {
		log_msg(LOG_ERR, "spool: cannot start a message: %s", strerror(errno));
		reply(s, "%s", no_room(errno));
		return;
	}
	s->size = 0;
	s->at_line_start = 1;
	s->oversize = s->long_line = s->nul = s->write_errno = 0;
	s->phase_start = clock_monotonic_ms();
	s->state = DATA;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* The spool's answer for a finished message: now the sender may be told. */
static void committed(void *ctx, int ok, const char *id)
{
	struct session *s = ctx;

	for (int i = 0; i < (s->lmtp ? s->env.n_rcpt : 1); i++) {
		if (ok)
			reply(s, "250 2.0.0 Ok: queued as %s", id);
		else
			reply(s, "451 4.3.0 Cannot queue the message now, try again later");
	}
	if (ok)
		log_msg(LOG_INFO, "smtp: %s: accepted %s from <%s> for %d recipient(s)", s->peer, id,
			s->env.mail_from.buf, s->env.n_rcpt);
	envelope_reset(&s->env);
	s->state = READY;
	s->phase_start = clock_monotonic_ms();
	/* Commands that came after the dot have waited for this answer. */
	process_input(s);
}

/* The final dot: refuse what broke a limit, otherwise hand the message to the spool. */
static void end_of_data(struct session *s)
{
	struct spool_entry *e = s->entry;

	s->entry = NULL;
	if (s->oversize || s->long_line || s->nul || s->write_errno) {
		spool_abort(e);
		for (int i = 0; i < (s->lmtp ? s->env.n_rcpt : 1); i++) {
			if (s->oversize)
				reply(s, "552 5.3.4 Message size exceeds the limit of %lld octets",
				      s->host->cfg->limits.max_message_size);
			else if (s->long_line)
				reply(s, "500 5.5.2 Line too long (the limit is %d octets)", MAX_TEXT_LINE);
			else if (s->nul)
				reply(s, "550 5.6.0 NUL octet in the message: not allowed in mail (RFC 5322, RFC 6152)");
			else
				reply(s, "%s", no_room(s->write_errno));
		}
		envelope_reset(&s->env);
		s->state = READY;
		s->phase_start = clock_monotonic_ms();
		return;
	}
	s->state = COMMIT;
	spool_finish(e, committed, s);
}

/* Stores one piece of message text, counting it against the limits. */
static void data_bytes(struct session *s, const char *p, size_t n)
{
	s->size += n;
	if (s->size > (unsigned long long)s->host->cfg->limits.max_message_size)
		s->oversize = 1; /* keep reading to the dot, but store no more */
	if (!s->oversize && !s->long_line && !s->nul && !s->write_errno && spool_write(s->entry, p, n) < 0)
		s->write_errno = errno ? errno : EIO;
}

/*
 * Takes message data from the input.  Lines are stored with CRLF ends, a
 * leading dot is unstuffed, and "." alone on a CRLF line ends the
 * message (a bare LF or CR ends the session instead, see line_text).  A
 * line without its end yet is taken in part only when it is already too
 * long, so memory stays bounded.  Returns 1 when the message ended or
 * the session was refused.
 */
static int take_data(struct session *s)
{
	while (s->in_off < s->in.len) {
		const char *p = s->in.buf + s->in_off;
		size_t avail = s->in.len - s->in_off;
		const char *lf = memchr(p, '\n', avail);
		size_t n = lf ? (size_t)(lf - p) + 1 : avail, text;
		if (!lf) {
			if (avail <= MAX_TEXT_LINE)
				return 0;
			/* A CR at the end of this part may be half of a CRLF: it waits for the next read. */
			if (p[n - 1] == '\r')
				n--;
			if (line_text(s, p, n, 1, &text) < 0)
				return 1;
			s->long_line = 1;
			s->nul |= memchr(p, '\0', text) != NULL;
			data_bytes(s, p, text);
			s->in_off += n;
			s->at_line_start = 0;
			continue;
		}
		if (line_text(s, p, n, 0, &text) < 0)
			return 1;
		s->nul |= memchr(p, '\0', text) != NULL;
		if (s->at_line_start && text == 1 && p[0] == '.') {
			s->in_off += n;
			end_of_data(s);
			return 1;
		}
		const char *start = p;
		if (s->at_line_start && p[0] == '.') {
			start++;
			text--;
		}
		if (n > MAX_TEXT_LINE)
			s->long_line = 1;
		if (s->size == 0 && header_mbox_from(start, text) == text) {
			/*
			 * A leading mbox "From " line (mail sent on from an mbox
			 * archive) is another system's envelope, no header field:
			 * counted, not stored.
			 */
			s->size += n;
		} else {
			data_bytes(s, start, text);
			data_bytes(s, "\r\n", 2);
		}
		s->in_off += n;
		s->at_line_start = 1;
	}
	return 0;
}

/* Runs one command line (without its line end). */
static void command(struct session *s, char *line)
{
	char verb[16];
	size_t n = strcspn(line, " ");
	const char *arg = line + n;

	while (*arg == ' ')
		arg++;
	snprintf(verb, sizeof(verb), "%.*s", (int)(n < sizeof(verb) ? n : sizeof(verb) - 1), line);
	if (n >= sizeof(verb))
		verb[0] = '\0';

	if (!strcasecmp(verb, "HELO") || !strcasecmp(verb, "EHLO") || !strcasecmp(verb, "LHLO"))
		cmd_helo(s, verb, arg);
	else if (!strcasecmp(verb, "MAIL"))
		cmd_mail(s, arg);
	else if (!strcasecmp(verb, "RCPT"))
		cmd_rcpt(s, arg);
	else if (!strcasecmp(verb, "DATA") && !*arg)
		cmd_data(s);
	else if (!strcasecmp(verb, "RSET")) {
		reset_transaction(s);
		reply(s, "250 2.0.0 Ok");
	} else if (!strcasecmp(verb, "NOOP"))
		reply(s, "250 2.0.0 Ok");
	else if (!strcasecmp(verb, "QUIT")) {
		reply(s, "221 2.0.0 %s Bye", s->host->cfg->domain);
		reset_transaction(s);
		start_closing(s);
	} else if (!strcasecmp(verb, "VRFY"))
		/* Rosters are private: never say who is on a list. */
		reply(s, "252 2.5.2 Cannot VRFY; send mail and it will be delivered if the address is ours");
	else if (!strcasecmp(verb, "STARTTLS"))
		cmd_starttls(s, arg);
	else if (!strcasecmp(verb, "HELP"))
		reply(s, "214 2.0.0 Commands: %s MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
		      s->lmtp ? "LHLO" : "HELO EHLO");
	else {
		reply(s, "502 5.5.2 Command not recognized");
		bad_command(s);
	}
}

/* Takes every complete command or data line in the input, in order. */
static void process_input(struct session *s)
{
	while (s->state != COMMIT && s->state != CLOSING && s->state != DRAIN && s->state != HANDSHAKE) {
		if (s->state == DATA) {
			if (!take_data(s))
				break;
			continue;
		}
		const char *p = s->in.buf + s->in_off;
		size_t avail = s->in.len - s->in_off;
		const char *lf = memchr(p, '\n', avail);
		if (!lf) {
			if (avail >= MAX_COMMAND_LINE && !s->discarding) {
				reply(s, "500 5.5.2 Line too long (the limit is %d octets)", MAX_COMMAND_LINE);
				bad_command(s);
				s->discarding = 1;
			}
			if (s->discarding)
				s->in_off = s->in.len; /* drop it as it comes */
			break;
		}
		size_t n = (size_t)(lf - p) + 1;
		s->in_off += n;
		if (s->discarding) {
			s->discarding = 0; /* the end of the over-long line */
			continue;
		}
		if (n > MAX_COMMAND_LINE) {
			reply(s, "500 5.5.2 Line too long (the limit is %d octets)", MAX_COMMAND_LINE);
			bad_command(s);
			continue;
		}
		char line[MAX_COMMAND_LINE + 1];
		size_t text;
		if (line_text(s, p, n, 0, &text) < 0)
			break;
		memcpy(line, p, text);
		line[text] = '\0';
		if (strlen(line) != text) {
			reply(s, "500 5.5.2 NUL byte in command");
			bad_command(s);
			continue;
		}
		command(s, line);
		/* The next command's deadline counts from this reply. */
		s->phase_start = clock_monotonic_ms();
	}
	/* Drop what was taken; keep a partial line. */
	if (s->in_off) {
		memmove(s->in.buf, s->in.buf + s->in_off, s->in.len - s->in_off);
		s->in.len -= s->in_off;
		s->in.buf[s->in.len] = '\0';
		s->in_off = 0;
	}
	flush(s);
}

/* Reads what the client sent, through TLS once it is on.  Returns bytes, 0 for nothing now, -1 at the end. */
static ssize_t receive(struct session *s, char *buf, size_t size)
{
	if (s->tls_active) {
		ssize_t n = gnutls_record_recv(s->tls, buf, size);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		return n > 0 ? n : -1;
	}
	ssize_t n = read(s->fd, buf, size);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return n > 0 ? n : -1;
}

/* DRAIN: whatever still comes is thrown away unread; the client's end (or an error) closes the session. */
static void drain(struct session *s)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(s->fd, buf, sizeof(buf))) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		session_close(s);
}

static void session_io(struct evloop *loop, int fd, unsigned events, void *ctx)
{
	struct session *s = ctx;

	(void)loop;
	(void)fd;
	if (events & EV_WRITE) {
		if (flush(s) < 0)
			return;
	}
	if (s->state == HANDSHAKE) {
		/* The 220 for STARTTLS goes out in plain text before the handshake starts. */
		if (s->out.len == 0)
			handshake(s);
		return;
	}
	if (s->state == DRAIN) {
		if (events & EV_READ)
			drain(s);
		return;
	}
	if (!(events & EV_READ) || s->state == COMMIT || s->state == CLOSING)
		return;
	char buf[65536];
	ssize_t n;
	do {
		n = receive(s, buf, sizeof(buf));
		if (n < 0) {
			/* The client went away; an unfinished message is dropped (it was never acknowledged). */
			session_close(s);
			return;
		}
		if (n == 0)
			return;
		s->last_active = clock_monotonic_ms();
		sbuf_add(&s->in, buf, (size_t)n);
		/* TLS may hold more decrypted data than one read takes; epoll would not say so. */
	} while (s->tls_active && gnutls_record_check_pending(s->tls) > 0 && s->in.len < MAX_OUTPUT);
	process_input(s);
}
