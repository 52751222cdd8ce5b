/*
 * transport: handing copies over.  A job is one copy for one or more
 * recipients (one SMTP transaction); the transport runs a set of jobs and
 * reports, per recipient, the reply that decides its fate: 2xx delivered,
 * 4xx try again later, 5xx give up.
 *
 * Jobs are reported as they end, so that the caller can record them at
 * once: a crash can then send again only what was sent and not yet
 * recorded.  The smtp transport keeps at most `connections` jobs open
 * (started, or ended and not yet reported back), and starts the next one
 * only when the report of an ended one has returned; so at any moment at
 * most `connections` transactions are sent but unrecorded.  It reports
 * from a thread of its own, so that the other connections go on while a
 * report is recorded.
 *
 * Two transports: "smtp" sends through the smarthost with libcurl
 * (connections kept open and reused, TCP_NODELAY), reading each RCPT's
 * own reply so one refused address does not fail the others; "maildir"
 * writes each copy into the recipient's own maildir, where the rename
 * into new/ is the confirmation, and reports the whole set at once (a
 * copy written again after a crash replaces itself: see spool.h).
 */
#ifndef MLIST_TRANSPORT_H
#define MLIST_TRANSPORT_H

#include <stddef.h>

struct config;

struct transport_result {
	int code;        /* SMTP reply code for this recipient; 0 until known */
	char text[200];  /* the reply's text, for the queue and the logs */
};

struct transport_job {
	const char *from;        /* envelope sender */
	char **rcpt;             /* recipients */
	int n_rcpt;
	const char *prefix;      /* header fields of this recipient's own, sent before data; NULL for none */
	size_t prefix_len;
	const char *data;        /* the copy, CRLF line ends */
	size_t len;
	const char *name;        /* maildir: the file name (the same when written again) */
	struct transport_result *results; /* one per recipient, filled in */
	void *owner;             /* the caller's: what the job stands for, handed back with it */
};

struct transport;

struct transport *transport_new(const struct config *cfg);
void transport_free(struct transport *t);
/*
 * Told about jobs whose results are final: done[0..n) ended since the
 * last report (maildir: all of them, once the batch is durable).  smtp
 * calls it from its reporting thread, one call at a time, all before
 * transport_run returns; meanwhile the caller's thread is inside
 * transport_run, so what done() uses (the store) has one user at a time.
 */
typedef void (*transport_done_fn)(struct transport_job *const *done, int n, void *ctx);

/* Runs every job to its end, calling done(..., ctx) as they end; every job is reported once. */
void transport_run(struct transport *t, struct transport_job *jobs, int n_jobs, transport_done_fn done, void *ctx);

#endif
