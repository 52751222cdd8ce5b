/*
 * transport: handing copies over.  A job is one copy for one or more
 * recipients (one SMTP transaction); the transport runs a whole set of
 * jobs and reports, per recipient, the reply that decides its fate:
 * 2xx delivered, 4xx try again later, 5xx give up.
 *
 * Two transports: "smtp" sends through the smarthost with libcurl (up to
 * `connections` transactions at once, connections kept open and reused,
 * TCP_NODELAY), reading each RCPT's own reply so one refused address does
 * not fail the others; "maildir" writes each copy into the recipient's
 * own maildir, where the rename into new/ is the confirmation.
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
	const char *data;        /* the copy, CRLF line ends */
	size_t len;
	const char *name;        /* maildir: the file name (the same when written again) */
	struct transport_result *results; /* one per recipient, filled in */
};

struct transport;

struct transport *transport_new(const struct config *cfg);
void transport_free(struct transport *t);
/* Runs every job to its end and fills in every result. */
void transport_run(struct transport *t, struct transport_job *jobs, int n_jobs);

#endif
