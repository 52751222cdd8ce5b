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
 */
#ifndef MLIST_SMTP_SESSION_H
#define MLIST_SMTP_SESSION_H

struct smtp_server;
struct session;

/*
 * Takes over the connected socket fd (non-blocking) and greets the client.
 * tls_creds (GnuTLS certificate credentials) makes STARTTLS available.
 */
void session_start(struct smtp_server *srv, int fd, const char *peer, int lmtp, void *tls_creds);
/* Closes a session whose client has been silent longer than the timeout. */
void session_tick(struct session *s, long long now_ms);
/* Ends a session at once (shutdown). */
void session_close(struct session *s);
/* The peer address, for per-client connection counting. */
const char *session_peer(const struct session *s);
/* The next session in the server's list. */
struct session *session_next(const struct session *s);

#endif
