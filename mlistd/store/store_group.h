/*
 * store_group: groups and the links between projects and change lines.
 */
#ifndef MLIST_STORE_GROUP_H
#define MLIST_STORE_GROUP_H

struct store;

/* One group as the store holds it; strings valid during a callback only. */
struct group_row {
	long long id;
	const char *name;   /* lower-case, also the local part of its address */
	const char *kind;   /* "change-line", "project" or "general" */
	const char *title;  /* human title, may be "" */
	const char *policy; /* "open", "members", "moderated" or "announce" */
	long long created;  /* unix time */
	long long members;  /* number of subscriptions */
	long long moderators;
	const char *language; /* its texts' language, or "" for the config's */
	int owner_notices;    /* its moderators hear of each subscribe and unsubscribe by mail */
	const char *subject_prefix; /* NULL: the config's ("[name]"); "" none */
	const char *footer;   /* NULL: the config's; "" none; may hold placeholders (texts.h) */
	const char *reply_to; /* "as-sent", "group" or "author" */
	long long max_size;   /* octets over which a post is held; 0: none but the SMTP limit */
	int self_copy;        /* authors get their own posts back */
	int archive;          /* its posts are kept in its archive */
	int emergency;        /* every post waits for a moderator, theirs too */
	int moderate_new;     /* a new member's posts wait until a moderator trusts them */
	long long keep_days;  /* its posts older than this many days are purged; 0: kept */
	const char *attachments; /* "allow", "hold", "strip", or "" for the config's (content.h) */
	const char *html;        /* "keep", "text", or "" for the config's */
	int web_history;         /* members see in the web archive what was posted before they joined */
};

/*
 * What store_group_set changes: NULL (or -1) leaves a setting as it is;
 * "" (language) puts it back to the config's.
 */
struct group_settings {
	const char *title;
	const char *policy;
	const char *language;
	int owner_notices;          /* 1, 0, or -1 */
	const char *subject_prefix; /* "" none; "default": the config's */
	const char *footer;         /* "" none; "default": the config's */
	const char *reply_to;       /* "as-sent", "group", "author" */
	long long max_size;         /* octets, 0 for none; -1 keeps it */
	int self_copy;              /* 1, 0, or -1 */
	int archive;                /* 1, 0, or -1 */
	int emergency;              /* 1, 0, or -1 */
	int moderate_new;           /* 1, 0, or -1 */
	long long keep_days;        /* days, 0 for ever; -1 keeps it */
	const char *attachments;    /* "allow", "hold", "strip"; "default": the config's */
	const char *html;           /* "keep", "text"; "default": the config's */
	int web_history;            /* 1, 0, or -1 */
};

typedef int (*group_fn)(const struct group_row *g, void *ctx);

/* Adds a group; the name is checked with group_name_check and lower-cased. */
int store_group_add(struct store *st, const char *name, const char *kind,
		    const char *title, const char *policy);
/*
 * Removes a group.  A group with members or moderators is refused unless
 * force is set; its subscriptions and links then go with it.
 */
int store_group_remove(struct store *st, const char *name, int force);
/* Changes the settings set gives. */
int store_group_set(struct store *st, const char *name, const struct group_settings *set);
/* Whether the group's moderators hear of subscribes, unsubscribes and disablings (1, 0), or -1. */
int store_group_owner_notices(struct store *st, const char *name);
/* Calls fn for the named group; refuses an unknown name. */
int store_group_get(struct store *st, const char *name, group_fn fn, void *ctx);
/* Calls fn for every group (of one kind, unless kind is NULL), by name. */
int store_group_each(struct store *st, const char *kind, group_fn fn, void *ctx);
/* Its id, or -1 with "no group named ..." recorded. */
long long store_group_id(struct store *st, const char *name);
/* Who an address is to a group, for the posting verdict (verdict.h). */
struct author_standing {
	char policy[16]; /* the group's posting policy, as named in names.h */
	int member;      /* subscribed to the group, in any mode */
	int moderator;   /* moderates the group */
	long long max_size; /* the group's own size limit, 0 for none */
	int emergency;      /* the group holds every post */
	int new_member;     /* subscribed, and still under first-post moderation */
	long long recent;   /* posts of addr to the group (sent or held) taken since the time asked about */
	char attachments[8]; /* the group's content settings as named in names.h, "" for the config's */
	char html[8];
};
/*
 * Fills *out for addr and group group_id, counting addr's posts there
 * taken after since, up to cap (so a runaway sender costs no more to
 * judge than anyone; 0 counts nothing); returns 0, or -1 (no such group,
 * a policy names.h does not know, or the store failed).
 */
int store_author_standing(struct store *st, long long group_id, const char *addr, long long since, long long cap,
			  struct author_standing *out);

/* 1 if a group of that name exists, 0 if not, -1 if the store could not tell (busy, say). */
int store_group_exists(struct store *st, const char *name);

/* Links a project to a change line; both kinds are checked. */
int store_group_link(struct store *st, const char *project, const char *line);
int store_group_unlink(struct store *st, const char *project, const char *line);
/* Calls fn for each change line a project is linked to, or each project linked to a line. */
int store_group_linked(struct store *st, const char *name, group_fn fn, void *ctx);

#endif
