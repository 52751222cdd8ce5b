/*
 * store_imap: what the IMAP pollers have taken.  Per mailbox its
 * UIDVALIDITY, the highest UID taken, when it was last polled and its
 * last error; per message (mailbox, UIDVALIDITY, UID), recorded after the
 * message is durably in the spool and before it is flagged or moved.
 */
#ifndef MLIST_STORE_IMAP_H
#define MLIST_STORE_IMAP_H

struct store;

/* The mailbox's UIDVALIDITY and highest UID taken (both 0 for a new mailbox); 0 or -1. */
int store_imap_position(struct store *st, const char *mailbox, long long *uidvalidity, long long *last_uid);
/* Starts over at UIDVALIDITY v (a new mailbox, or the server renumbered it). */
int store_imap_reset(struct store *st, const char *mailbox, long long uidvalidity, long long now);
/* 1 if this UID was taken, 0 if not, -1 on error. */
int store_imap_taken(struct store *st, const char *mailbox, long long uidvalidity, long long uid);
/* Records a UID as taken, as spool file spool_id. */
int store_imap_take(struct store *st, const char *mailbox, long long uidvalidity, long long uid,
		    const char *spool_id, long long now);
/* Notes a finished poll, or an error (NULL: none). */
int store_imap_polled(struct store *st, const char *mailbox, const char *error, long long now);

struct imap_status_row {
	const char *mailbox, *last_error;
	long long uidvalidity, last_uid, last_poll, taken, last_error_at;
};
/* Calls fn for the status of mailbox; with no row yet, fn gets zeros. */
int store_imap_status(struct store *st, const char *mailbox,
		      int (*fn)(const struct imap_status_row *r, void *ctx), void *ctx);

#endif
