/*
 * store_held: posts held for a moderator.  A held post keeps its spool
 * file in spool/queue and its row in messages; the held row says why, and
 * held_places where it goes once approved (the groups, and for a reply
 * the thread it joins).  Approving places it and queues its copies exactly
 * as the sorter does for a post that needs no approval.
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
	long long id, message, created;
	const char *reason, *groups; /* groups: names joined with ", ", "" for an unsorted post */
	const char *first_group;     /* the first of them, "" for an unsorted post */
	const char *message_id, *spool_id, *from_addr, *from_name, *subject;
};
/* Calls fn for every held post (of one group, unless group is NULL), oldest first. */
int store_held_each(struct store *st, const char *group, int (*fn)(const struct held_row *h, void *ctx), void *ctx);
/* Calls fn for every post held since before `before` (to expire them). */
int store_held_expired(struct store *st, long long before, int (*fn)(const struct held_row *h, void *ctx), void *ctx);
/* Calls fn for held post id; refuses an unknown id. */
int store_held_get(struct store *st, long long id, int (*fn)(const struct held_row *h, void *ctx), void *ctx);

/*
 * Approves held post id: it joins its groups' threads, its copies are
 * queued, and the delivery process takes it from there.  Returns the
 * number of copies queued, or -1.
 */
long long store_held_approve(struct store *st, long long id, long long now);
/*
 * Ends held post id without sending it: decision "rejected" or
 * "discarded".  Its spool file goes once mlistd-deliver sees nothing is
 * left to do with it.
 */
int store_held_drop(struct store *st, long long id, const char *decision);
/* Sorts an unsorted held post into group (its places are replaced). */
int store_held_assign(struct store *st, long long id, const char *group);

#endif
