/*
 * store_held: the rows of posts held for a moderator (held.h owns what
 * happens to them).  A held post keeps its spool file in spool/queue and
 * its row in messages; the held row says why, and held_places where it
 * goes once approved (the groups, and for a reply the thread it joins).
 */
#ifndef MLIST_STORE_HELD_H
#define MLIST_STORE_HELD_H

struct store;

/* Holds message (row id) for reason; returns the held id or -1. */
long long store_held_add(struct store *st, long long message, const char *reason, long long now);
/* Where a held post goes when approved (thread 0: a new thread). */
int store_held_place(struct store *st, long long held, long long group_id, long long thread, const char *sorted_by);

/* One held post; strings valid during a callback only. */
struct held_row {
	long long id, message, created, size; /* size: the post's octets */
	const char *reason, *groups; /* groups: names joined with ", ", "" for an unsorted post */
	const char *first_group;     /* the first of them, "" for an unsorted post */
	const char *message_id, *spool_id, *from_addr, *from_name, *subject;
};
/* Calls fn for every held post (of one group, unless group is NULL), oldest first. */
int store_held_each(struct store *st, const char *group, int (*fn)(const struct held_row *h, void *ctx), void *ctx);
/* Calls fn for every post held since before `before` (to expire them). */
int store_held_expired(struct store *st, long long before, int (*fn)(const struct held_row *h, void *ctx), void *ctx);
/* How many other posts of addr are held for group_id with reason, held after since (except held post except). */
long long store_held_like(struct store *st, long long group_id, const char *addr, const char *reason, long long since,
			  long long except);
/* Calls fn for held post id; refuses an unknown id. */
int store_held_get(struct store *st, long long id, int (*fn)(const struct held_row *h, void *ctx), void *ctx);

/* Calls fn for every place held post id goes to once approved, in the order they were found. */
int store_held_places(struct store *st, long long id,
		      int (*fn)(long long group, long long thread, const char *name, const char *how, void *ctx), void *ctx);
/*
 * Ends held post id with decision ("approved", "rejected", "discarded"):
 * the held row goes and the message is handed back to mlistd-deliver,
 * which archives and sends what was recorded for it (nothing, unless
 * approved) and then lets go of its spool file.
 */
int store_held_end(struct store *st, long long id, const char *decision);
/* Sorts held post id into group group_id (its places are replaced; a new thread there). */
int store_held_assign(struct store *st, long long id, long long group_id);

#endif
