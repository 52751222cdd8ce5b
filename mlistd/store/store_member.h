/*
 * store_member: people (members table), their subscriptions to groups,
 * and everything the store holds about one person (export / forget).
 *
 * A person exists while they are subscribed somewhere or moderate
 * something; the last unsubscribe removes the person too, so the store
 * never keeps an address nobody needs.
 */
#ifndef MLIST_STORE_MEMBER_H
#define MLIST_STORE_MEMBER_H

struct store;

/* One subscription; strings valid during a callback only. */
struct subscription_row {
	const char *address;  /* the person's address */
	const char *name;     /* their name, may be "" */
	const char *group;    /* the group's name */
	const char *mode;     /* "each", "digest" or "nomail" */
	int follow_line;      /* for a change line: also receives its projects' posts */
	int disabled;         /* delivery disabled (bounces) */
	long long created;    /* unix time of subscribing */
	const char *digest_format; /* "mime" or "text" ("" for a moderator) */
};

typedef int (*subscription_fn)(const struct subscription_row *s, void *ctx);

/* What to do when the person is subscribed to the group already. */
enum subscribe_existing {
	SUBSCRIBE_REFUSE, /* report "already a member" */
	SUBSCRIBE_UPDATE, /* update name (when given), mode and follow_line: re-imports are idempotent */
};

/*
 * Subscribes addr to group.  The address must have passed address_check;
 * it is stored with its domain lower-cased.  name may be NULL (keep or "").
 * follow_line is refused for groups that are not change lines.
 * Returns 0, 1 when existing was SUBSCRIBE_UPDATE and the subscription
 * was there already, or -1.
 */
int store_subscribe(struct store *st, const char *group, const char *addr, const char *name,
		    const char *mode, int follow_line, enum subscribe_existing existing);
/* What store_subscription_set changes: NULL or -1 keeps a setting. */
struct subscription_settings {
	const char *mode;          /* "each", "digest", "nomail" */
	int follow_line;           /* 1 or 0; 1 only for change lines */
	const char *digest_format; /* "mime" or "text" */
};
/* Changes addr's subscription to group as set says.  Refuses an address that is not subscribed. */
int store_subscription_set(struct store *st, const char *group, const char *addr,
			   const struct subscription_settings *set);
/* Lifts first-post moderation of addr in group group_id (a moderator trusts them); nobody there is fine. */
int store_subscription_trust(struct store *st, long long group_id, const char *addr);
/*
 * Gives the person at old_addr the address new_addr (checked with
 * address_check): every subscription, moderatorship, setting and bounce
 * record stays theirs.  Refuses a new address that is someone's already.
 */
int store_person_rename(struct store *st, const char *old_addr, const char *new_addr);
/* Whether the person at addr receives copies of their own posts (1, the default) or not (0). */
int store_person_set_self_copy(struct store *st, const char *addr, int self_copy);
/* 1 if addr is subscribed to group (in any mode), 0 if not, -1 on error. */
int store_is_subscribed(struct store *st, const char *group, const char *addr);
int store_unsubscribe(struct store *st, const char *group, const char *addr);
/* Calls fn for every subscription of group, by address. */
int store_subscription_each(struct store *st, const char *group, subscription_fn fn, void *ctx);
/* A person's own row; strings valid during a callback only. */
struct person_row {
	const char *address, *name;
	int disabled;          /* delivery disabled after bounces */
	int self_copy;         /* receives copies of their own posts */
	long long bounce_score; /* permanent failures counted */
	long long created;
};
/* Calls fn once with the person at addr; refuses an unknown address. */
int store_person_get(struct store *st, const char *addr, int (*fn)(const struct person_row *p, void *ctx),
		     void *ctx);
/* Calls fn for every subscription of the person at addr; refuses an unknown address. */
int store_person_subscriptions(struct store *st, const char *addr, subscription_fn fn, void *ctx);
/* Calls fn (with mode "") for every group the person at addr moderates. */
int store_person_moderates(struct store *st, const char *addr, subscription_fn fn, void *ctx);
/* What store_person_forget changed, row counts per table. */
struct forget_counts {
	long long subscriptions, moderates, deliveries, bounces; /* erased with the person */
	long long tokens, author_notes, notices;                 /* erased: what was addressed to them */
	long long messages; /* their posts: address and name replaced by the pseudonym */
};
/*
 * Erases the person at addr, in the caller's transaction: their row and
 * all that hangs off it, the tokens, author notes and notices addressed
 * to them; in the records of their posts their address becomes
 * pseudonym and their name goes.  counts gets what changed.
 */
int store_person_forget(struct store *st, const char *addr, const char *pseudonym, struct forget_counts *counts);
/* Calls fn with every display name the store knows for addr (their own, and those on their posts), before forget. */
int store_person_names(struct store *st, const char *addr, int (*fn)(const char *name, void *ctx), void *ctx);
/*
 * Calls fn with the Message-ID of every post sent from addr that is
 * neither held nor still being sent (forget --with-posts removes them;
 * the others stay for their moderator or their readers, pseudonymised).
 */
int store_person_posts(struct store *st, const char *addr, int (*fn)(const char *message_id, void *ctx), void *ctx);

/* Makes addr a moderator of group (creating the person if needed). */
int store_moderator_add(struct store *st, const char *group, const char *addr);
int store_moderator_remove(struct store *st, const char *group, const char *addr);
/* Calls fn (with mode "") for every moderator of group, by address. */
int store_moderator_each(struct store *st, const char *group, subscription_fn fn, void *ctx);

#endif
