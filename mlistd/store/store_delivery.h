/*
 * store_delivery: the delivery queue, one row per (message, person) with
 * its state: pending (with the time of the next attempt), sent, or
 * bounced.  A restart resumes from these rows: what is sent is never sent
 * again.
 */
#ifndef MLIST_STORE_DELIVERY_H
#define MLIST_STORE_DELIVERY_H

struct store;

/*
 * Queues a copy of the message (row id) for everyone who gets it: the
 * subscribers in mode "each" of each group it was sorted into, and for a
 * project also the follow-line subscribers of its change lines; not
 * disabled addresses, and not the author if they asked for no own copy.
 * Each person is queued once, with the first of the message's groups that
 * reaches them.  Returns the number of copies queued, or -1.
 */
long long store_delivery_expand(struct store *st, long long message, const char *author, long long now);

/* A due copy, with what composing it needs; strings valid during a callback only. */
struct delivery_row {
	long long id, message, group_id, member_id;
	const char *address;
	long long attempts, created;
	const char *spool_id, *message_id;
	const char *group, *group_title;
	int digest;         /* the message is a digest (store_digest.h) */
	const char *prefix, *footer, *reply_to; /* the group's look: NULL prefix or footer is the config's */
};
typedef int (*delivery_fn)(const struct delivery_row *d, void *ctx);

/* Calls fn for up to limit pending copies due by now, grouped by message and group. */
int store_delivery_due(struct store *st, long long now, int limit, delivery_fn fn, void *ctx);
/* When the next pending copy is due (unix time), 0 if none. */
long long store_delivery_next(struct store *st);

/* Records the pending copies with ids first..last (a run of consecutive ids) as sent. */
int store_delivery_sent(struct store *st, long long first, long long last, long long now);
/* A temporary failure: tries again at next, keeping the reason. */
int store_delivery_defer(struct store *st, long long id, long long next, const char *reason);
struct bounce_record;
/*
 * A failure that ends copy id: it is given up with reason, and b's
 * member, group and message are set to the copy's, for the caller to
 * record as a bounce (bounce.h).  Returns 0 or -1.
 */
int store_delivery_give_up(struct store *st, long long id, const char *reason, long long now, struct bounce_record *b);

/* Messages sorted into groups but not archived yet: fn gets (message row id, spool id). */
int store_delivery_unarchived(struct store *st, int (*fn)(long long message, const char *spool_id, void *ctx),
			      void *ctx);
int store_delivery_set_archived(struct store *st, long long message);
/* Calls fn (with the group name) for every group a message is in. */
int store_message_groups(struct store *st, long long message, int (*fn)(const char *group, void *ctx), void *ctx);
/* 1 if the message is archived and has no pending copies (its spool file can go), 0 if not, -1 on error. */
int store_delivery_finished(struct store *st, long long message);
/* The message whose spool file is spool_id: 1 with *message set, 0 if the store has none, -1 on error. */
int store_message_by_spool(struct store *st, const char *spool_id, long long *message);

/* One line of `mlistctl queue list`; strings valid during a callback only. */
struct queue_row {
	const char *message_id, *group, *last_error;
	long long pending, next_attempt, oldest;
};
int store_queue_each(struct store *st, int (*fn)(const struct queue_row *q, void *ctx), void *ctx);
/* Makes every pending copy due now; returns how many, or -1. */
long long store_queue_retry(struct store *st, long long now);

#endif
