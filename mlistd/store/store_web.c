/*
 * store_web: the web archive's queries; see store_web.h.
 */
#include "store_web.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/*
 * The one answer to "which groups may person ?1 read, and from when":
 * their subscriptions (any mode), the projects of the change lines they
 * follow, and the groups they moderate.  since is 0 where the group
 * shows its history (or to a moderator), else when they joined.
 */
#define READABLE \
	"WITH readable(group_id, since) AS (" \
	" SELECT g.id, min(CASE WHEN g.web_history THEN 0 ELSE r.since END) FROM (" \
	"  SELECT s.group_id AS gid, s.created AS since FROM subscriptions s WHERE s.member_id = ?1" \
	"  UNION ALL SELECT l.project_id, s.created FROM subscriptions s" \
	"   JOIN group_links l ON l.line_id = s.group_id WHERE s.member_id = ?1 AND s.follow_line = 1" \
	"  UNION ALL SELECT m.group_id, 0 FROM moderators m WHERE m.member_id = ?1" \
	" ) r JOIN groups g ON g.id = r.gid GROUP BY g.id) "

/* A post the web shows: archived, not a digest, and (joined with readable r) not from before r.since. */
#define SHOWN "m.archived = 1 AND m.digest_of IS NULL AND m.received >= r.since"

void web_person_free(struct web_person *p)
{
	free(p->address);
	free(p->name);
	free(p->language);
	free(p->csrf);
	memset(p, 0, sizeof(*p));
}

static int fill_person(struct store *st, long long id, const char *csrf, struct web_person *p)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.address AS address, m.name AS name, coalesce((SELECT g.language FROM subscriptions s"
		"  JOIN groups g ON g.id = s.group_id WHERE s.member_id = m.id AND g.language IS NOT NULL"
		"  ORDER BY s.created, g.id LIMIT 1), '') AS language FROM members m WHERE m.id = ?", "i", id);
	int r;

	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		p->id = id;
		p->address = xstrdup(store_get_text(stmt, "address"));
		p->name = xstrdup(store_get_text(stmt, "name"));
		p->language = xstrdup(store_get_text(stmt, "language"));
		p->csrf = xstrdup(csrf);
	}
	store_done(st, stmt);
	return r;
}

int store_web_login_add(struct store *st, const char *address, const char *token_hash, long long now,
			long long expires, char **group)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.id AS id, (SELECT g.name FROM groups g WHERE g.id IN ("
		"  SELECT group_id FROM subscriptions WHERE member_id = m.id"
		"  UNION SELECT group_id FROM moderators WHERE member_id = m.id) ORDER BY g.id LIMIT 1) AS grp"
		" FROM members m WHERE m.address = ?", "s", address);
	long long id = 0;
	int r;

	*group = NULL;
	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1 && sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
		id = store_get_int(stmt, "id");
		*group = xstrdup(store_get_text(stmt, "grp"));
	}
	store_done(st, stmt);
	if (r < 0)
		return -1;
	if (!*group)
		return 0;
	/* Old links go with each new one, so the table holds only live ones. */
	if (store_run(st, store_stmt(st, "DELETE FROM web_logins WHERE expires <= ? OR used = 1", "i", now)) < 0 ||
	    store_run(st, store_stmt(st, "INSERT INTO web_logins (token_hash, member_id, created, expires)"
				     " VALUES (?, ?, ?, ?)", "siii", token_hash, id, now, expires)) < 0) {
		free(*group);
		*group = NULL;
		return -1;
	}
	return 1;
}

int store_web_login_get(struct store *st, const char *token_hash, long long now, int take, struct web_person *p)
{
	long long id;
	int r = store_int(st, &id, "SELECT member_id FROM web_logins WHERE token_hash = ? AND used = 0 AND expires > ?",
			  "si", token_hash, now);

	if (r <= 0)
		return r;
	if (take && store_run(st, store_stmt(st, "UPDATE web_logins SET used = 1 WHERE token_hash = ? AND used = 0",
					     "s", token_hash)) < 0)
		return -1;
	if (take && sqlite3_changes(st->db) != 1)
		return 0;
	return fill_person(st, id, "", p);
}

int store_web_session_add(struct store *st, const char *id_hash, long long member_id, const char *csrf,
			  long long now, long long expires)
{
	if (store_run(st, store_stmt(st, "DELETE FROM web_sessions WHERE expires <= ?", "i", now)) < 0)
		return -1;
	return store_run(st, store_stmt(st, "INSERT INTO web_sessions (id_hash, member_id, csrf, created, last_seen,"
				       " expires) VALUES (?, ?, ?, ?, ?, ?)", "sisiii", id_hash, member_id, csrf, now,
				       now, expires));
}

int store_web_session_get(struct store *st, const char *id_hash, long long now, struct web_person *p)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT member_id AS member_id, csrf AS csrf, last_seen AS last_seen"
					" FROM web_sessions WHERE id_hash = ? AND expires > ?", "si", id_hash, now);
	long long id = 0, seen = 0;
	char *csrf = NULL;
	int r;

	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		id = store_get_int(stmt, "member_id");
		seen = store_get_int(stmt, "last_seen");
		csrf = xstrdup(store_get_text(stmt, "csrf"));
	}
	store_done(st, stmt);
	if (r == 1) {
		/* last_seen to the minute: not a write per page view */
		if (now - seen >= 60 &&
		    store_run(st, store_stmt(st, "UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?", "is", now,
					     id_hash)) < 0)
			r = -1;
		if (r == 1)
			r = fill_person(st, id, csrf, p);
	}
	free(csrf);
	return r;
}

int store_web_session_end(struct store *st, const char *id_hash)
{
	return store_run(st, store_stmt(st, "DELETE FROM web_sessions WHERE id_hash = ?", "s", id_hash));
}

int store_web_sessions_each(struct store *st, const char *address, long long now,
			    int (*fn)(const struct web_session_row *s, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.address AS address, w.id_hash AS id_hash, w.created AS created, w.last_seen AS last_seen,"
		" w.expires AS expires FROM web_sessions w JOIN members m ON m.id = w.member_id"
		" WHERE w.expires > ?1 AND (?2 IS NULL OR m.address = ?2) ORDER BY w.created DESC, m.address",
		"is", now, address);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct web_session_row s = {
			.address = store_get_text(stmt, "address"),
			.id_hash = store_get_text(stmt, "id_hash"),
			.created = store_get_int(stmt, "created"),
			.last_seen = store_get_int(stmt, "last_seen"),
			.expires = store_get_int(stmt, "expires"),
		};
		if ((r = fn(&s, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_web_revoke(struct store *st, const char *address, long long *n)
{
	*n = 0;
	if (store_run(st, store_stmt(st, "DELETE FROM web_sessions WHERE member_id IN"
				     " (SELECT id FROM members WHERE address = ?)", "s", address)) < 0)
		return -1;
	*n = sqlite3_changes(st->db);
	return store_run(st, store_stmt(st, "DELETE FROM web_logins WHERE member_id IN"
				       " (SELECT id FROM members WHERE address = ?)", "s", address));
}

/*
 * The readable groups that `which` (a condition on g) picks, with their
 * counts from one pass over each group's shown posts: a subquery per
 * count walked every post of every group three times for the home page.
 */
#define GROUP_ROWS(which) \
	READABLE \
	", shown(group_id, posts, unread, last) AS (" \
	" SELECT g.id, count(*), sum(m.received > coalesce(ws.seen, 0)), max(m.received)" \
	" FROM readable r JOIN groups g ON g.id = r.group_id JOIN message_groups mg ON mg.group_id = g.id" \
	" JOIN messages m ON m.id = mg.message_id" \
	" LEFT JOIN web_seen ws ON ws.member_id = ?1 AND ws.group_id = g.id" \
	" WHERE " which " AND " SHOWN " GROUP BY g.id) " \
	"SELECT g.id AS id, g.name AS name, g.kind AS kind, g.title AS title, g.archive AS archive," \
	" r.since AS since," \
	" coalesce((SELECT group_concat(l.name, ', ') FROM group_links gl JOIN groups l ON l.id = gl.line_id" \
	"  WHERE gl.project_id = g.id), '') AS line," \
	" coalesce((SELECT min(gl.line_id) FROM group_links gl WHERE gl.project_id = g.id), g.id) AS sort_line," \
	" coalesce(c.posts, 0) AS posts, coalesce(c.unread, 0) AS unread, coalesce(c.last, 0) AS last" \
	" FROM readable r JOIN groups g ON g.id = r.group_id LEFT JOIN shown c ON c.group_id = g.id" \
	" WHERE " which " "

static int each_group(struct store *st, sqlite3_stmt *stmt, int (*fn)(const struct web_group_row *g, void *ctx),
		      void *ctx)
{
	int r, n = 0;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct web_group_row g = {
			.id = store_get_int(stmt, "id"),
			.name = store_get_text(stmt, "name"),
			.kind = store_get_text(stmt, "kind"),
			.title = store_get_text(stmt, "title"),
			.line = store_get_text(stmt, "line"),
			.archive = (int)store_get_int(stmt, "archive"),
			.since = store_get_int(stmt, "since"),
			.posts = store_get_int(stmt, "posts"),
			.unread = store_get_int(stmt, "unread"),
			.last = store_get_int(stmt, "last"),
		};
		n++;
		if ((r = fn(&g, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : n;
}

int store_web_groups(struct store *st, long long member, int (*fn)(const struct web_group_row *g, void *ctx),
		     void *ctx)
{
	/* A change line, then its projects; a general group on its own. */
	int n = each_group(st, store_stmt(st, GROUP_ROWS("1") "ORDER BY sort_line, g.kind <> 'change-line', g.name",
					  "i", member), fn, ctx);
	return n < 0 ? -1 : 0;
}

int store_web_group(struct store *st, long long member, const char *name,
		    int (*fn)(const struct web_group_row *g, void *ctx), void *ctx)
{
	return each_group(st, store_stmt(st, GROUP_ROWS("g.name = ?2"), "is", member, name), fn, ctx);
}

int store_web_weeks(struct store *st, long long member, long long now, int weeks,
		    int (*fn)(long long group_id, int ago, long long posts, void *ctx), void *ctx)
{
	/* One pass for all groups, as GROUP_ROWS makes for the counts. */
	sqlite3_stmt *stmt = store_stmt(st,
		READABLE "SELECT mg.group_id AS group_id, (?2 - m.received) / 604800 AS ago, count(*) AS n"
		" FROM readable r JOIN message_groups mg ON mg.group_id = r.group_id"
		" JOIN messages m ON m.id = mg.message_id WHERE " SHOWN
		" AND m.received > ?2 - ?3 * 604800 AND m.received <= ?2 GROUP BY mg.group_id, ago",
		"iii", member, now, (long long)weeks);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		long long ago = store_get_int(stmt, "ago");
		if (ago >= 0 && ago < weeks && (r = fn(store_get_int(stmt, "group_id"), (int)ago,
							 store_get_int(stmt, "n"), ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_web_seen(struct store *st, long long member, long long group_id, long long now)
{
	return store_run(st, store_stmt(st, "INSERT INTO web_seen (member_id, group_id, seen) VALUES (?, ?, ?)"
				       " ON CONFLICT (member_id, group_id) DO UPDATE SET seen = excluded.seen",
				       "iii", member, group_id, now));
}

static int each_thread(struct store *st, sqlite3_stmt *stmt, long long limit,
		       int (*fn)(const struct web_thread_row *t, void *ctx), void *ctx, int *more)
{
	long long n = 0;
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		if (n++ == limit) {
			*more = 1;
			r = 0;
			break;
		}
		struct web_thread_row t = {
			.id = store_get_int(stmt, "id"),
			.subject = store_get_text(stmt, "subject"),
			.group = store_get_text(stmt, "grp"),
			.posts = store_get_int(stmt, "posts"),
			.started = store_get_int(stmt, "started"),
			.last = store_get_int(stmt, "last"),
		};
		if ((r = fn(&t, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : (int)(n > limit ? limit : n);
}

#define THREAD_COLUMNS \
	"SELECT t.id AS id, t.subject AS subject, g.name AS grp, count(*) AS posts, min(m.received) AS started," \
	" max(m.received) AS last FROM readable r JOIN message_groups mg ON mg.group_id = r.group_id" \
	" JOIN messages m ON m.id = mg.message_id JOIN threads t ON t.id = mg.thread_id JOIN groups g ON g.id = t.group_id "

int store_web_threads(struct store *st, long long member, long long group_id, long long offset,
		      long long limit, int (*fn)(const struct web_thread_row *t, void *ctx), void *ctx, int *more)
{
	*more = 0;
	int n = each_thread(st, store_stmt(st, READABLE THREAD_COLUMNS "WHERE r.group_id = ?2 AND " SHOWN
					   " GROUP BY t.id ORDER BY last DESC, t.id DESC LIMIT ?3 OFFSET ?4",
					   "iiii", member, group_id, limit + 1, offset), limit, fn, ctx, more);
	return n < 0 ? -1 : 0;
}

int store_web_thread(struct store *st, long long member, long long thread_id,
		     int (*fn)(const struct web_thread_row *t, void *ctx), void *ctx)
{
	int more = 0;

	return each_thread(st, store_stmt(st, READABLE THREAD_COLUMNS "WHERE mg.thread_id = ?2 AND " SHOWN
					  " GROUP BY t.id", "ii", member, thread_id), 1, fn, ctx, &more);
}

#define POST_COLUMNS \
	"SELECT m.id AS id, m.message_id AS message_id, m.spool_id AS spool_id, g.name AS grp," \
	" m.from_name AS from_name, m.from_addr AS from_addr, m.subject AS subject, m.date AS date," \
	" m.received AS received, mg.thread_id AS thread_id "

static void read_post(sqlite3_stmt *stmt, struct web_post_row *p)
{
	p->id = store_get_int(stmt, "id");
	p->message_id = store_get_text(stmt, "message_id");
	p->spool_id = store_get_text(stmt, "spool_id");
	p->group = store_get_text(stmt, "grp");
	p->from_name = store_get_text(stmt, "from_name");
	p->from_addr = store_get_text(stmt, "from_addr");
	p->subject = store_get_text(stmt, "subject");
	p->date = store_get_int(stmt, "date");
	p->received = store_get_int(stmt, "received");
	p->thread_id = store_get_int(stmt, "thread_id");
}

static int each_post(struct store *st, sqlite3_stmt *stmt, int (*fn)(const struct web_post_row *p, void *ctx),
		     void *ctx)
{
	int r, n = 0;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct web_post_row p;
		read_post(stmt, &p);
		n++;
		if ((r = fn(&p, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : n;
}

int store_web_thread_posts(struct store *st, long long member, long long thread_id,
			   int (*fn)(const struct web_post_row *p, void *ctx), void *ctx)
{
	int n = each_post(st, store_stmt(st, READABLE POST_COLUMNS "FROM readable r JOIN message_groups mg"
					 " ON mg.group_id = r.group_id JOIN messages m ON m.id = mg.message_id"
					 " JOIN groups g ON g.id = mg.group_id WHERE mg.thread_id = ?2 AND " SHOWN
					 " ORDER BY m.received, m.id", "ii", member, thread_id), fn, ctx);
	return n < 0 ? -1 : 0;
}

int store_web_post(struct store *st, long long member, long long id, const char *message_id,
		   int (*fn)(const struct web_post_row *p, void *ctx), void *ctx)
{
	int n = each_post(st, store_stmt(st, READABLE POST_COLUMNS "FROM readable r JOIN message_groups mg"
					 " ON mg.group_id = r.group_id JOIN messages m ON m.id = mg.message_id"
					 " JOIN groups g ON g.id = mg.group_id WHERE (m.id = ?2 OR (?2 = 0 AND"
					 " m.message_id = ?3)) AND " SHOWN " ORDER BY g.id LIMIT 1",
					 "iis", member, id, message_id ? message_id : ""), fn, ctx);
	return n < 0 ? -1 : n > 0;
}

int store_web_search(struct store *st, long long member, const char *query, int newest, long long limit,
		     int (*fn)(const struct web_hit_row *h, void *ctx), void *ctx)
{
	/*
	 * A post in two readable groups is one hit, in the first of them;
	 * the rank is FTS5's bm25 (smaller is better).
	 */
#define SEARCH \
	READABLE POST_COLUMNS ", snippet(web_search, 2, char(1), char(2), '…', 24) AS snippet" \
	" FROM web_search JOIN messages m ON m.id = web_search.rowid" \
	" JOIN message_groups mg ON mg.message_id = m.id JOIN readable r ON r.group_id = mg.group_id" \
	" JOIN groups g ON g.id = mg.group_id WHERE web_search MATCH ?2 AND " SHOWN \
	" AND mg.group_id = (SELECT min(mg2.group_id) FROM message_groups mg2 JOIN readable r2" \
	"  ON r2.group_id = mg2.group_id WHERE mg2.message_id = m.id AND m.received >= r2.since) "
	/*
	 * Newest first walks the index by rowid, which is the message id and
	 * so the order of arrival: FTS5 hands rows out in that order, and
	 * SQLite stops at the limit instead of sorting every match.
	 */
	sqlite3_stmt *stmt = newest ? store_stmt(st, SEARCH "ORDER BY web_search.rowid DESC LIMIT ?3", "isi",
						 member, query, limit)
				    : store_stmt(st, SEARCH "ORDER BY rank, m.received DESC LIMIT ?3", "isi", member,
						 query, limit);
#undef SEARCH
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct web_hit_row h;
		read_post(stmt, &h.post);
		h.snippet = store_get_text(stmt, "snippet");
		if ((r = fn(&h, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	/* A query FTS5 cannot read is no hits, not a failure of the store. */
	return r < 0 && strstr(store_error(st), "fts5") ? 0 : r < 0 ? -1 : 0;
}

int store_web_unindexed(struct store *st, long long limit, int (*fn)(const struct web_post_row *p, void *ctx),
			void *ctx)
{
	/* Read from the first group that keeps an archive: its folder has the file. */
	return each_post(st, store_stmt(st, POST_COLUMNS "FROM web_unindexed u JOIN messages m ON m.id = u.message_id"
					 " JOIN message_groups mg ON mg.message_id = m.id JOIN groups g ON g.id = mg.group_id"
					 " WHERE mg.group_id = (SELECT min(mg2.group_id) FROM message_groups mg2"
					 "  JOIN groups g2 ON g2.id = mg2.group_id WHERE mg2.message_id = m.id AND g2.archive = 1)"
					 " ORDER BY u.message_id LIMIT ?", "i", limit), fn, ctx);
}

int store_web_index(struct store *st, long long id, const char *subject, const char *author, const char *body)
{
	if (store_run(st, store_stmt(st, "INSERT OR REPLACE INTO web_search (rowid, subject, author, body)"
				     " VALUES (?, ?, ?, ?)", "isss", id, subject, author, body)) < 0)
		return -1;
	return store_run(st, store_stmt(st, "DELETE FROM web_unindexed WHERE message_id = ?", "i", id));
}

int store_web_index_clear(struct store *st)
{
	if (store_run(st, store_stmt(st, "DELETE FROM web_search", "")) < 0 ||
	    store_run(st, store_stmt(st, "INSERT INTO web_search (web_search) VALUES ('optimize')", "")) < 0)
		return -1;
	/* Everything is to be indexed again. */
	return store_run(st, store_stmt(st, "INSERT OR IGNORE INTO web_unindexed (message_id)"
				       " SELECT message_id FROM web_indexable", ""));
}

int store_web_unsubscribe_target(struct store *st, long long member_id, long long group_id, char **address,
				 char **group)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT m.address AS address, g.name AS name FROM members m, groups g"
					" WHERE m.id = ?1 AND g.id = ?2", "ii", member_id, group_id);
	int r;

	*address = *group = NULL;
	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		*address = xstrdup(store_get_text(stmt, "address"));
		*group = xstrdup(store_get_text(stmt, "name"));
	}
	store_done(st, stmt);
	return r;
}

int store_web_unfollow(struct store *st, long long member_id, long long project_id)
{
	if (store_run(st, store_stmt(st, "UPDATE subscriptions SET follow_line = 0 WHERE member_id = ?1"
				     " AND follow_line = 1 AND group_id IN"
				     " (SELECT line_id FROM group_links WHERE project_id = ?2)", "ii",
				     member_id, project_id)) < 0)
		return -1;
	return sqlite3_changes(st->db);
}
