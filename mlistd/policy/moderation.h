/*
 * moderation: what happens by mail around a held post.  When a post is
 * held, every moderator who may decide on it gets a notice with a
 * GROUP-confirm+TOKEN@ reply address (128 random bits, single-use, bound
 * to that post, expiring), and the author is told, at most once a day and
 * never in answer to automatic mail (moderator_reply.h reads the
 * moderators' answers).  Runs inside the caller's transaction.
 */
#ifndef MLIST_MODERATION_H
#define MLIST_MODERATION_H

#include <stddef.h>

#include "texts.h"

struct config;
struct store;
struct spool;
struct sbuf;
struct template_var;

struct held_notice {
	long long held;         /* the held post's id */
	const char *group;      /* the group whose moderators decide, or NULL for an unsorted post */
	const char *reason;
	const char *from_addr, *from_name, *subject;
	const char *body;       /* the post, for its first lines */
	size_t body_len;
	int automatic;          /* the post is auto-generated: do not answer its author */
	int told_already;       /* the moderators were told of an earlier post held the same way: not again */
};

/* Sends the moderators' notices and the author's note for a post just held. */
int moderation_held(const struct config *cfg, struct store *st, struct spool *sp, const struct held_notice *h,
		    struct sbuf *note);

/* Tells the author what became of their post (TEXT_POST_REFUSED, TEXT_POST_EXPIRED), with a reason or "". */
int moderation_tell_author(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			   const char *author, const char *subject, enum text_id what, const char *reason);

/* Sends text id from GROUP-owner@ to each moderator of group (a bounce report, say). */
int moderation_tell_moderators(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			       enum text_id id, const struct template_var *vars, size_t n);
/* Whether a message is automatic (Auto-Submitted, Precedence bulk/junk/list, a null sender). */
int moderation_is_automatic(const char *text, size_t len, const char *envelope_from);

#endif
