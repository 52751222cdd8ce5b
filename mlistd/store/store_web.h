/*
 * store_web: what the web archive (mlistd-web) reads and writes: login
 * links and sessions (only the SHA-256 of their secrets), which groups a
 * person may read, the threads and posts of those groups, the search
 * index, and when a person last looked at a group.
 *
 * Who may read a group has one owner, the READABLE query in store_web.c:
 * a subscription in any mode, a followed change line (its projects), or
 * being a moderator.  Every query below that returns groups, threads or
 * posts joins it, so a group outside it is simply not found: the pages
 * answer 404 and nothing of it shows in counts or search.  A group
 * without web_history shows a member only what came after they joined.
 */
#ifndef MLIST_STORE_WEB_H
#define MLIST_STORE_WEB_H

struct store;

/* The person behind a login link or a session. */
struct web_person {
	long long id;
	char *address;
	char *name;
	char *language; /* the language of their first group that chose one, or "" */
	char *csrf;     /* the session's form token ("" for a login link) */
};
void web_person_free(struct web_person *p);

/*
 * Stores a login link for address (hash of its token), valid until
 * expires, if the address is a person who may read something.  Returns 1
 * (stored; *group gets a group of theirs for the mail's language and
 * sender, to be freed), 0 (nobody to log in: nothing stored), -1.
 */
int store_web_login_add(struct store *st, const char *address, const char *token_hash, long long now,
			long long expires, char **group);
/*
 * A login link's person.  take: 1 uses the link up (it opens one session
 * only).  Returns 1 (p filled), 0 (no such link, used or expired), -1.
 */
int store_web_login_get(struct store *st, const char *token_hash, long long now, int take, struct web_person *p);

/* A new session of member_id with its form token. */
int store_web_session_add(struct store *st, const char *id_hash, long long member_id, const char *csrf,
			  long long now, long long expires);
/* The session's person (1), 0 when there is none or it expired, -1.  Marks it seen. */
int store_web_session_get(struct store *st, const char *id_hash, long long now, struct web_person *p);
int store_web_session_end(struct store *st, const char *id_hash);
/* Calls fn per session (of address, or everyone's for NULL), newest first. */
struct web_session_row {
	const char *address;
	const char *id_hash;
	long long created, last_seen, expires;
};
int store_web_sessions_each(struct store *st, const char *address, long long now,
			    int (*fn)(const struct web_session_row *s, void *ctx), void *ctx);
/* Ends every session and unused login link of address; *n gets how many sessions. */
int store_web_revoke(struct store *st, const char *address, long long *n);

/* A group as the web shows it to one person. */
struct web_group_row {
	long long id;
	const char *name, *kind, *title;
	const char *line;   /* a project's change line(s), comma-separated, or "" */
	int archive;        /* 0: the group keeps no archive */
	long long since;    /* what the person may see starts here */
	long long posts, unread, last;
};
/* The groups member may read, change lines first, each followed by its projects. */
int store_web_groups(struct store *st, long long member, int (*fn)(const struct web_group_row *g, void *ctx),
		     void *ctx);
/* One readable group by name: 1 (fn called), 0 (not readable or not there), -1. */
int store_web_group(struct store *st, long long member, const char *name,
		    int (*fn)(const struct web_group_row *g, void *ctx), void *ctx);
/*
 * Posts per week in every group member reads, over the `weeks` weeks
 * before now: fn(group, ago, posts) for each week with posts, ago 0
 * being the last seven days; 0 or -1.
 */
int store_web_weeks(struct store *st, long long member, long long now, int weeks,
		    int (*fn)(long long group_id, int ago, long long posts, void *ctx), void *ctx);
/* Records that member looked at the group now (unread counts start again). */
int store_web_seen(struct store *st, long long member, long long group_id, long long now);

struct web_thread_row {
	long long id;
	const char *subject;
	const char *group;
	long long posts, started, last;
};
/* A readable group's threads, newest activity first; *more gets whether there are more past limit. */
int store_web_threads(struct store *st, long long member, long long group_id, long long offset,
		      long long limit, int (*fn)(const struct web_thread_row *t, void *ctx), void *ctx, int *more);
/* A thread the member may read: 1 (fn called), 0 (not found for them), -1. */
int store_web_thread(struct store *st, long long member, long long thread_id,
		     int (*fn)(const struct web_thread_row *t, void *ctx), void *ctx);

struct web_post_row {
	long long id;
	const char *message_id, *spool_id, *group;
	const char *from_name, *from_addr, *subject;
	long long date, received, thread_id;
};
/* The thread's posts the member may read, in order. */
int store_web_thread_posts(struct store *st, long long member, long long thread_id,
			   int (*fn)(const struct web_post_row *p, void *ctx), void *ctx);
/* One post by its store id or (id 0) its Message-ID, if the member may read it: 1, 0, -1. */
int store_web_post(struct store *st, long long member, long long id, const char *message_id,
		   int (*fn)(const struct web_post_row *p, void *ctx), void *ctx);

struct web_hit_row {
	struct web_post_row post;
	const char *snippet; /* the matching text, matches between \x01 and \x02 */
};
/* Full-text search (an FTS5 query) over what the member may read; newest: by date, else by rank. */
int store_web_search(struct store *st, long long member, const char *query, int newest, long long limit,
		     int (*fn)(const struct web_hit_row *h, void *ctx), void *ctx);
/* Archived posts not in the search index yet (at most limit), with a group they are archived in. */
int store_web_unindexed(struct store *st, long long limit, int (*fn)(const struct web_post_row *p, void *ctx),
			void *ctx);
int store_web_index(struct store *st, long long id, const char *subject, const char *author, const char *body);
/*
 * The address and group name an unsubscribe token names by id (to check
 * its MAC, web_token.h): 1 (both exist; freed by the caller), 0, -1.
 */
int store_web_unsubscribe_target(struct store *st, long long member_id, long long group_id, char **address,
				 char **group);
/*
 * Stops member following every change line that brings them project_id's
 * posts (a one-click unsubscribe from a copy they got that way).
 * Returns how many lines, or -1.
 */
int store_web_unfollow(struct store *st, long long member_id, long long project_id);
/*
 * Empties the search index and merges what is left, so no deleted text
 * stays in its pages (forget; mlistd-web fills it again from the archive).
 */
int store_web_index_clear(struct store *st);

#endif
