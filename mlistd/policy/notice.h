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

#include "texts.h"

#include <stddef.h>

struct config;
struct sbuf;
struct store;
struct spool;
struct template_var;

/*
 * Queues a notice from FROM (header and envelope sender) to TO.  reply_to
 * may be NULL.  The store row is written in the caller's transaction.
 * Returns 0 or -1 (reason in the store's error or errno).
 */
int notice_queue(struct store *st, struct spool *sp, const char *domain, const char *from, const char *reply_to,
		 const char *to, const char *subject, const char *body);

/*
 * Renders text id (texts.h) about group in the group's language (the
 * config's when it has chosen none, or when group is no group, such as
 * "postmaster"), with vars and the placeholders every text has filled
 * from the group.  subject and body get UTF-8.  Returns 0, or -1 on a
 * store failure.
 */
int notice_render(const struct config *cfg, struct store *st, const char *group, enum text_id id,
		  const struct template_var *vars, size_t n, struct sbuf *subject, struct sbuf *body);

/* Appends text (a group's footer) with the placeholders every text has filled for group (title may be ""). */
void notice_fill(const struct config *cfg, const char *group, const char *title, const char *text, struct sbuf *out);

/* notice_render, then notice_queue from GROUP-owner@ (or from, when not NULL) to to. */
int notice_text(const struct config *cfg, struct store *st, struct spool *sp, const char *group, const char *from,
		const char *reply_to, const char *to, enum text_id id, const struct template_var *vars, size_t n);

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
