/*
 * smtp_session: one SMTP (RFC 5321) or LMTP (RFC 2033) client, as a state
 * machine driven by the event loop.
 *
 * Input is read into a buffer and taken a line at a time; replies are
 * collected and written when the buffer holds no further complete command,
 * which is what PIPELINING asks for.  Message data streams into the spool
 * as it arrives.  After the final dot the session waits for the spool's
 * group commit and only then answers 250 (LMTP: one answer per
 * recipient); input that came after the dot waits with it.
 *
 * STARTTLS (RFC 3207) is offered when the listener has a certificate.
 * Whatever the client sent after the STARTTLS command in plain text is
 * thrown away, and the dialogue starts afresh inside TLS, so nothing
 * injected before the handshake is ever acted on.
 *
 * Line ends (SMTP smuggling, CVE-2023-51764): only CRLF ends a line and
 * only CRLF.CRLF ends DATA.  A bare LF or a bare CR, in a command or in
 * the message, is answered 500/550 5.5.2 and the connection is closed at
 * once: after a line end the two sides may read differently, nothing the
 * client sends afterwards can be trusted to be what it seems (it could be
 * a second, forged transaction), so none of it is read as SMTP.  The
 * 5xx makes the sending MTA bounce the message with that reason instead
 * of retrying the same bytes for days.  Clients in limits.bare_lf_networks
 * (trusted local scripts, say) have a bare LF taken as CRLF instead; a
 * bare CR is refused from everyone.  A NUL octet in the message (not
 * allowed in mail, and a smuggling trick against servers that drop it)
 * refuses the message at its end; the session goes on.
 *
 * Time: each command must arrive whole within limits.timeout seconds of
 * the previous reply, whatever trickles in meanwhile; DATA gets timeout
 * plus one second per limits.min_data_rate octets received (Postfix's
 * per-request deadline and minimum data rate), so a client sending a
 * byte a second is cut off with 421 4.4.2.  The server shortens timeout
 * under stress (see smtp_server.h).
 */
#ifndef MLIST_SMTP_SESSION_H
#define MLIST_SMTP_SESSION_H

struct config;
struct evloop;
struct session;
struct spool;
struct store;

/* What a session needs of the listener that accepted it (smtp_server owns one). */
struct session_host {
	const struct config *cfg; /* read-only settings; replaced on reload */
	struct store *store;      /* for RCPT checks: which groups exist */
	struct spool *spool;      /* where accepted mail goes */
	struct evloop *loop;
	/* Called as a session ends, before it is freed, so the host can forget it. */
	void (*ended)(struct session_host *host, struct session *s);
};

/*
 * Takes over the connected socket fd (non-blocking), greets the client
 * and returns the session.  tls_creds (GnuTLS certificate credentials)
 * makes STARTTLS available.
 */
struct session *session_start(struct session_host *host, int fd, const char *peer, int lmtp, void *tls_creds);
/*
 * Closes a session whose client missed its deadline, timeout_s being the
 * timeout in force now; ends a closing session that lingered too long.
 */
void session_tick(struct session *s, long long now_ms, int timeout_s);
/*
 * Milliseconds since the client last sent anything, if it is between
 * commands (the server closes the longest idle first when full); -1 if it
 * is in the middle of something (DATA, a commit, TLS, closing).
 */
long long session_idle_ms(const struct session *s, long long now_ms);
/* Closes an idle session at once to make room, telling the client why. */
void session_evict(struct session *s);
/* Ends a session at once (shutdown). */
void session_close(struct session *s);
/* The peer address, for per-client connection counting. */
const char *session_peer(const struct session *s);

#endif
