/*
 * moderator_reply: a reply to GROUP-confirm+TOKEN@ about a held post.  It
 * is acted on only when its token is valid (single-use, unexpired, its
 * post still held) and it comes from one of that post's moderators: the
 * first word of the reply or of its subject, "approve", "reject [reason]"
 * or "discard", is done with the verb of held.h.  Everything else
 * (automatic replies, strangers, a used token, no verb) is logged and
 * ignored.  Runs inside the sorter's transaction.
 */
#ifndef MLIST_MODERATOR_REPLY_H
#define MLIST_MODERATOR_REPLY_H

#include <stddef.h>

struct config;
struct sbuf;
struct spool;
struct store;

/*
 * Acts on a reply with token from sender (text: the message).  Writes
 * what was done (or why nothing) to note.  Returns -1 only on a store
 * failure.
 */
int moderator_reply(const struct config *cfg, struct store *st, struct spool *sp, const char *token,
		    const char *sender, const char *text, size_t len, int automatic, struct sbuf *note);

#endif
