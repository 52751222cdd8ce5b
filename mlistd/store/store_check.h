/*
 * store_check: what `mlistctl check` asks the store.  sqlite's own
 * checks (integrity_check, foreign_key_check), and the records that need
 * a spool file: a post still held, not archived yet or with copies to
 * send (its file in queue/, or incoming/ until the sorter has moved it),
 * a digest with copies to send and a notice not sent yet (notices/).
 * The other way round, whether a file in the spool has a record, is
 * asked with store_message_by_spool and store_notice_pending, and
 * whether a record still needs its file with store_delivery_finished and
 * store_notice_pending: the questions mlistd-deliver's start-up sweep
 * asks before it removes a file (store_delivery.h, store_notice.h).
 */
#ifndef MLIST_STORE_CHECK_H
#define MLIST_STORE_CHECK_H

struct store;

/*
 * Calls fn with each fault sqlite finds in the store, one line each:
 * integrity_check's own words, and each row that names a row of another
 * table which is not there ("deliveries row 7: member_id names no row of
 * members").  Returns 0 (whether or not there were faults), or -1.
 */
int store_check_integrity(struct store *st, int (*fn)(const char *fault, void *ctx), void *ctx);

/* A record that needs its spool file; strings valid during a callback only. */
struct spool_need {
	const char *kind;     /* "post", "digest" or "notice" */
	const char *folder;   /* where its file is: "queue" (a post) or "notices" */
	const char *spool_id; /* the file's name */
	const char *name;     /* a post's or digest's Message-ID (without <>), a notice's recipient */
	long long message;    /* messages.id of a post or digest; 0 for a notice */
	long long notice;     /* notices.id of a notice; 0 otherwise */
	int held;             /* a post waiting for a moderator */
	long long pending;    /* copies still to send (a notice: 1) */
};

/* Calls fn for every record that needs its spool file, posts and digests first, oldest first. */
int store_check_spool_needs(struct store *st, int (*fn)(const struct spool_need *n, void *ctx), void *ctx);

#endif
