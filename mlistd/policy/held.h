/*
 * held: the held-post lifecycle, one verb each, for every caller: the
 * sorter holds, moderators' mail replies and `mlistctl held` approve,
 * reject, discard and assign, and mlistd-deliver expires.  Each verb runs
 * in the caller's store transaction, and the mail it causes (the
 * moderators' notices, the author's notes) is queued in that same
 * transaction, so a decision and its mail happen together or not at all.
 *
 * A held post keeps its spool file in spool/queue and its message row;
 * the held row says why, its places where it goes once approved.
 * Approving records it like any post that passes (record.h); rejecting,
 * discarding and expiring drop it (mlistd-deliver then lets go of its
 * spool file) and, except for discard, tell the author.
 */
#ifndef MLIST_HELD_H
#define MLIST_HELD_H

#include <stddef.h>

#include "verdict.h"

struct config;
struct places;
struct sbuf;
struct spool;
struct store;

/* What every verb works with. */
struct held_ctx {
	const struct config *cfg;
	struct store *st;  /* in a transaction the caller began */
	struct spool *sp;  /* where notices are queued (spool/notices) */
};

/* The post being held, as the sorter read it. */
struct held_post {
	long long message;       /* its row in the store */
	const char *from_addr, *from_name, *subject;
	const char *body;        /* the message, for the first lines in the moderators' notice */
	size_t body_len;
	int automatic;           /* auto-generated: its author is never answered */
};

/*
 * Holds post for reason, to go to the places in where once approved (none:
 * unsorted, for the general groups' moderators), and notifies the
 * moderators and (at most once a day) the author.  note gets a line for
 * the log.  Returns the held id, or -1.
 */
long long held_hold(const struct held_ctx *c, const struct held_post *post, const struct places *where,
		    const char *reason, long long now, struct sbuf *note);
#define HELD_UNSORTED (-2) /* held_approve: the post has no group yet (held assign first) */

/*
 * Approves held post id: it is recorded and its copies queued.  With
 * trust, its author's first-post moderation ends in the post's groups.
 * Returns the number of copies, HELD_UNSORTED for a post that fits no
 * group yet, or -1 on a store failure.
 */
long long held_approve(const struct held_ctx *c, long long id, long long now, int trust);
/*
 * Appends how log lines name held post id: "held post N (SPOOL-ID
 * <MESSAGE-ID>)", so a post can be followed by either id; "held post N"
 * when it is not there.
 */
void held_describe(const struct held_ctx *c, long long id, struct sbuf *out);
/* Rejects held post id and tells its author, with reason ("" for none). */
int held_reject(const struct held_ctx *c, long long id, const char *reason);
/* Discards held post id without a word to anyone. */
int held_discard(const struct held_ctx *c, long long id);
/*
 * Discards every post held since before now - hold_lifetime, telling each
 * author; note gets a line for each, to log once the transaction has
 * committed.  Returns how many, or -1.
 */
int held_expire(const struct held_ctx *c, long long now, struct sbuf *note);

/*
 * Sorts held post id into group; then the group's verdict decides, as
 * for any post: PASS approves it (*copies set), HOLD keeps it held
 * there, REFUSE changes nothing.  *d gets the verdict.  Returns 0, or -1.
 */
int held_assign(const struct held_ctx *c, long long id, const char *group, long long now, struct decision *d,
		long long *copies);

#endif
