/*
 * dsn: what a bounce says.  A delivery status notification (RFC 3464:
 * a multipart/report whose message/delivery-status part has a block of
 * fields for the report and one for each recipient) is read with
 * libetpan's MIME parser, each block with header.h's reader; the status
 * codes are RFC 3463's.  An SMTP reply ("550 5.7.1 ...") says the same in
 * one line and is read into the same terms, so a copy refused at once and
 * one bounced later by the MTA behind mlist are counted alike.
 */
#ifndef MLIST_DSN_H
#define MLIST_DSN_H

#include <stddef.h>

/* What a failure means for the member's bounce score. */
enum bounce_kind {
	BOUNCE_NONE,      /* no failure: delivered, relayed, expanded */
	BOUNCE_TRANSIENT, /* 4.x.x or "delayed": it may yet arrive; never counted */
	BOUNCE_PERMANENT, /* 5.x.x but 5.7.x: the address does not take mail; counted */
	BOUNCE_POLICY,    /* 5.7.x: refused for policy (DMARC, spam, blocked); never counted, told to the owner */
};

/* One recipient's block of a report. */
struct dsn_recipient {
	char *final_recipient;    /* Final-Recipient's address, "" if none */
	char *original_recipient; /* Original-Recipient's address, "" if none */
	char *action;             /* lower-case: failed, delayed, delivered, relayed, expanded; "" if none */
	char status[16];          /* "5.1.1"; for a failure that gives none, "5.0.0" (or "4.0.0" when delayed) */
	char *diagnostic;         /* Diagnostic-Code, unfolded; "" if none */
	enum bounce_kind kind;
};

struct dsn {
	struct dsn_recipient *rcpt;
	int n;
};

/*
 * Reads msg[0..len) as a delivery status notification.  Returns 0 with
 * *d filled when it has a message/delivery-status part (RFC 3464, or
 * message/global-delivery-status of RFC 6533) with at least one recipient
 * block, else -1 (*d empty): mail that is no DSN, a person's "I am away"
 * or a mailer's plain-text "undeliverable".
 */
int dsn_read(const char *msg, size_t len, struct dsn *d);
void dsn_release(struct dsn *d);

/* The kind of failure an action ("" for none) and status code ("5.1.1") say. */
enum bounce_kind dsn_kind(const char *action, const char *status);
/* The name of a kind for logs and listings: "permanent", "transient", "policy", "none". */
const char *dsn_kind_name(enum bounce_kind kind);
/*
 * The status code of an SMTP reply: its enhanced code (RFC 2034) when it
 * has one whose class agrees with the reply code, else the reply code's
 * class as "5.0.0" or "4.0.0".  code is the three-digit reply code.
 */
void dsn_status_of_reply(int code, const char *text, char status[16]);

#endif
