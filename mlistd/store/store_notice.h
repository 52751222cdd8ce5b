/*
 * store_notice: the queue of mlist's own mail (see notice.h), the
 * confirmation tokens moderators reply with, and when an author was last
 * told a post awaits approval.
 */
#ifndef MLIST_STORE_NOTICE_H
#define MLIST_STORE_NOTICE_H

struct store;

int store_notice_add(struct store *st, const char *spool_id, const char *from, const char *to, long long now);

/* A due notice; strings valid during a callback only. */
struct notice_row {
	long long id, attempts, created;
	const char *spool_id, *from, *to;
};
int store_notice_due(struct store *st, long long now, int (*fn)(const struct notice_row *n, void *ctx), void *ctx);
int store_notice_done(struct store *st, long long id, const char *state, long long next, const char *error);
/*
 * Whether the notice in notices/spool_id is still to be sent: 1 if the
 * store has it (*pending 1 if it waits, 0 if sent or given up), 0 if the
 * store has no such notice, -1 on error.
 */
int store_notice_pending(struct store *st, const char *spool_id, int *pending);

/* Creates a token for held post held, valid until expires. */
int store_token_add(struct store *st, const char *token, long long held, long long now, long long expires);
/* What a membership token confirms. */
struct membership_change {
	const char *kind;    /* "subscribe", "unsubscribe" or "set" */
	long long group_id;
	const char *address; /* whose membership */
	const char *change;  /* set: what, "mode=digest" or "follow-line=on"; else NULL */
};
/* Creates a token that confirms the change m. */
int store_token_add_membership(struct store *st, const char *token, const struct membership_change *m,
			       long long now, long long expires);

/* A token's row; strings valid during a callback only. */
struct token_row {
	const char *kind, *address, *group; /* address, group: "" for a moderation token */
	const char *change;                 /* set: what changes; else "" */
};
/* Calls fn with the token's row (whether valid or not: see store_token_check); 0 if there is none, -1 on error. */
int store_token_get(struct store *st, const char *token, int (*fn)(const struct token_row *t, void *ctx), void *ctx);

/*
 * Looks a token up: 1 if it is valid (unused, unexpired, and for a
 * moderation token its post still held; *held gets that post, 0 for other
 * kinds), 0 if not (with why), -1 on error.  Nothing changes:
 * the token is only used up by store_token_use, once the reply is known
 * to come from a moderator.
 */
int store_token_check(struct store *st, const char *token, long long now, long long *held, const char **why);
int store_token_use(struct store *st, const char *token);
/* Whether addr moderates a group held post held waits for (or, unsorted, a general group): 1, 0, -1. */
int store_token_moderator(struct store *st, long long held, const char *addr);

/* 1 if the author may be told now (not told in the last day; noted now), 0 if not, -1 on error. */
int store_author_notice_due(struct store *st, const char *addr, long long now);

#endif
