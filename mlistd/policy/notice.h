/*
 * notice: mail mlist writes itself -- a moderator's notification, a note
 * to an author.  Each is a complete message (marked Auto-Submitted, so
 * auto-responders leave it alone, and with mlist's X-Loop), written to
 * spool/notices and queued in the store for mlistd-deliver, which sends
 * it as it is, with the same retries as a post's copies.
 *
 * Notices belong to the store transaction that causes them (a held post,
 * a decision): they are staged while it runs and made durable together,
 * with one flush, just before it commits (notice_commit), so a row never
 * names a file that a crash could lose.  A rolled-back transaction's
 * files are dropped (notice_rollback); a crash between the flush and the
 * commit leaves a file no row names, which is never sent and which
 * mlistd-deliver reports at start-up.
 */
#ifndef MLIST_NOTICE_H
#define MLIST_NOTICE_H

#include <stddef.h>

struct store;
struct spool;

/*
 * Queues a notice from FROM (header and envelope sender) to TO.  reply_to
 * may be NULL.  The store row is written in the caller's transaction.
 * Returns 0 or -1 (reason in the store's error or errno).
 */
int notice_queue(struct store *st, struct spool *sp, const char *domain, const char *from, const char *reply_to,
		 const char *to, const char *subject, const char *body);

/* Queues a message as it is (a -owner@ forward), with mlist's X-Loop added on top. */
int notice_forward(struct store *st, struct spool *sp, const char *domain, const char *envelope_from, const char *to,
		   const char *text, size_t len);

/* Commits the caller's store transaction after making the notices staged in it durable.  Returns 0, or -1 (rolled back). */
int notice_commit(struct store *st, struct spool *sp);
/* Rolls the caller's store transaction back and drops the notices staged in it. */
void notice_rollback(struct store *st, struct spool *sp);

/* Fills out with 32 hex digits of fresh randomness (a token); returns 0 or -1. */
int notice_token(char out[33]);

#endif
