/*
 * store_digest: what digests are made of.  Each group has a cursor into
 * its placements (digest_state.upto, a message_groups rowid); the posts
 * after it wait for the group's next digest.  A digest member of a
 * change line who follows the line also gets, in the line's digest, the
 * posts of its projects after the same cursor.  Building a digest queues
 * it (a message of mlist's own, state 'service', digest_of its group)
 * and moves the cursor in one transaction.
 */
#ifndef MLIST_STORE_DIGEST_H
#define MLIST_STORE_DIGEST_H

struct store;

/* A group's digest state. */
struct digest_group {
	long long id;
	const char *name, *title, *kind;
	long long upto;       /* the last placement covered */
	long long last_built; /* when its last digest was made or found not needed (at first: its start) */
	long long number;     /* digests it has had */
	const char *footer;   /* its own footer ("" none), or NULL for the config's */
};

/* Calls fn for every group (or the one named, when name is not NULL: refused if unknown). */
int store_digest_groups(struct store *st, const char *name, int (*fn)(const struct digest_group *g, void *ctx),
			void *ctx);
/* The newest placement there is (0 for none): the end of what a digest built now covers. */
long long store_digest_last_placement(struct store *st);

/* A digest member of a group. */
struct digest_member {
	long long member;
	const char *address;
	int follow_line; /* a change line's: gets its projects' posts too */
	const char *format; /* "mime" or "text" */
};
/* Calls fn for each enabled digest-mode member of group, by address. */
int store_digest_members(struct store *st, long long group, int (*fn)(const struct digest_member *m, void *ctx),
			 void *ctx);

/* A post waiting for a digest. */
struct digest_post {
	long long message;
	const char *spool_id, *message_id, *from_addr, *from_name, *subject;
	long long date, size;       /* date: its Date, or when mlist took it when it had none */
	long long thread;           /* its thread (in the group it was placed in) */
	const char *thread_subject; /* that thread's subject */
	const char *group;          /* the group it was placed in (a project, in a line's digest) */
};
/*
 * Calls fn for each post placed in group (and, with projects, in the
 * projects linked to it) after placement after up to placement upto,
 * each message once, by thread and then by arrival.
 */
int store_digest_posts(struct store *st, long long group, int projects, long long after, long long upto,
		       int (*fn)(const struct digest_post *p, void *ctx), void *ctx);
/* Posts and octets waiting in group (with projects: its projects' too) after placement after. */
int store_digest_pending(struct store *st, long long group, int projects, long long after, long long *posts,
			 long long *octets);

/*
 * Moves group's cursor to upto; with built, counts a digest.  looked (a
 * time, or 0) is when the day's digest was made or found not needed: the
 * next is due at the first digest hour after it.
 */
int store_digest_advance(struct store *st, long long group, long long upto, int built, long long looked);
/* Records a digest (its text in spool file spool_id) of group: returns its message row, or -1. */
long long store_digest_message(struct store *st, long long group, const char *spool_id, const char *message_id,
			       const char *subject, long long now);
/* Queues the digest message for member at address. */
int store_digest_queue(struct store *st, long long message, long long group, long long member, const char *address,
		       long long now);

/* A post of an archive-off group that no digest needs any more, when it is archived. */
struct prunable {
	long long group;
	const char *name;     /* the group's */
	long long placement;  /* its message_groups rowid */
	const char *spool_id; /* its archive file's name */
	int archived;         /* the keeper archived it already (else it and what follows wait) */
};
/*
 * Calls fn for each placement in a group with archive off, by group and
 * placement, after the group's pruned mark and passed by the group's
 * digest cursor and those of the change lines it is linked to.
 */
int store_digest_prunable(struct store *st, int (*fn)(const struct prunable *p, void *ctx), void *ctx);
/* Records that group's archive holds nothing up to placement. */
int store_digest_pruned(struct store *st, long long group, long long placement);

#endif
