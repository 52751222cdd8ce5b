/*
 * store_held: the held queue and posting policies; see store_held.h.
 */
#include "store_held.h"

#include <stdlib.h>
#include <string.h>

#include "store_group.h"
#include "store_internal.h"

long long store_held_add(struct store *st, long long message, const char *reason, long long now)
{
	if (store_run(st, store_stmt(st, "INSERT INTO held (message_id, reason, created) VALUES (?, ?, ?)",
				     "isi", message, reason, now)) < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int store_held_place(struct store *st, long long held, long long group_id, long long thread, const char *sorted_by)
{
	return store_run(st, store_stmt(st, "INSERT OR REPLACE INTO held_places (held_id, group_id, thread_id, sorted_by)"
					 " VALUES (?, ?, ?, ?)", "iiis", held, group_id, thread, sorted_by)) < 0 ? -1 : 0;
}

#define HELD_COLUMNS \
	"SELECT h.id AS id, h.message_id AS message, h.created AS created, h.reason AS reason," \
	" coalesce((SELECT group_concat(g.name, ', ') FROM held_places p JOIN groups g ON g.id = p.group_id" \
	"           WHERE p.held_id = h.id), '') AS groups," \
	" coalesce((SELECT g.name FROM held_places p JOIN groups g ON g.id = p.group_id" \
	"           WHERE p.held_id = h.id ORDER BY p.rowid LIMIT 1), '') AS first_group," \
	" m.message_id AS message_id, m.spool_id AS spool_id, m.from_addr AS from_addr, m.size AS size," \
	" m.from_name AS from_name, m.subject AS subject" \
	" FROM held h JOIN messages m ON m.id = h.message_id "

static int each_held_row(struct store *st, sqlite3_stmt *stmt, int (*fn)(const struct held_row *h, void *ctx),
			 void *ctx, int *count)
{
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct held_row h = {
			.id = store_get_int(stmt, "id"),
			.message = store_get_int(stmt, "message"),
			.created = store_get_int(stmt, "created"),
			.size = store_get_int(stmt, "size"),
			.reason = store_get_text(stmt, "reason"),
			.groups = store_get_text(stmt, "groups"),
			.first_group = store_get_text(stmt, "first_group"),
			.message_id = store_get_text(stmt, "message_id"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.from_addr = store_get_text(stmt, "from_addr"),
			.from_name = store_get_text(stmt, "from_name"),
			.subject = store_get_text(stmt, "subject"),
		};
		(*count)++;
		if ((r = fn(&h, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_held_each(struct store *st, const char *group, int (*fn)(const struct held_row *h, void *ctx), void *ctx)
{
	int count = 0;

	if (group && store_group_id(st, group) < 0)
		return -1;
	/* An unsorted post (no places yet) is for the moderators of the general groups. */
	return each_held_row(st, store_stmt(st, HELD_COLUMNS
		"WHERE ?1 IS NULL"
		" OR EXISTS (SELECT 1 FROM held_places p JOIN groups g ON g.id = p.group_id"
		"            WHERE p.held_id = h.id AND g.name = ?1)"
		" OR (NOT EXISTS (SELECT 1 FROM held_places p WHERE p.held_id = h.id)"
		"     AND (SELECT kind FROM groups WHERE name = ?1) = 'general')"
		" ORDER BY h.created, h.id", "s", group), fn, ctx, &count);
}

int store_held_expired(struct store *st, long long before, int (*fn)(const struct held_row *h, void *ctx), void *ctx)
{
	int count = 0;

	return each_held_row(st, store_stmt(st, HELD_COLUMNS "WHERE h.created < ? ORDER BY h.id", "i", before),
			     fn, ctx, &count);
}

int store_held_get(struct store *st, long long id, int (*fn)(const struct held_row *h, void *ctx), void *ctx)
{
	int count = 0;

	if (each_held_row(st, store_stmt(st, HELD_COLUMNS "WHERE h.id = ?", "i", id), fn, ctx, &count) < 0)
		return -1;
	return count ? 0 : store_fail(st, "no held post with id %lld", id);
}

int store_held_places(struct store *st, long long id,
		      int (*fn)(long long group, long long thread, const char *name, const char *how, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT p.group_id AS group_id, p.thread_id AS thread_id, g.name AS grp,"
					" p.sorted_by AS sorted_by"
					" FROM held_places p JOIN groups g ON g.id = p.group_id"
					" WHERE p.held_id = ? ORDER BY p.rowid", "i", id);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		if ((r = fn(store_get_int(stmt, "group_id"), store_get_int(stmt, "thread_id"), store_get_text(stmt, "grp"),
			    store_get_text(stmt, "sorted_by"), ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_held_end(struct store *st, long long id, const char *decision)
{
	/*
	 * archived = 0 hands the message (back) to mlistd-deliver: it archives
	 * what was placed (an approved post's groups; nothing for a dropped
	 * one), sends what was queued, and then lets go of the spool file.
	 */
	if (store_run(st, store_stmt(st, "UPDATE messages SET state = 'queued', archived = 0, decision = ?"
				     " WHERE id = (SELECT message_id FROM held WHERE id = ?)", "si", decision, id)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM held WHERE id = ?", "i", id)) < 0)
		return -1;
	return sqlite3_changes(st->db) ? 0 : store_fail(st, "no held post with id %lld", id);
}

int store_held_assign(struct store *st, long long id, long long group_id)
{
	return store_run(st, store_stmt(st, "DELETE FROM held_places WHERE held_id = ?", "i", id)) < 0 ||
	       store_held_place(st, id, group_id, 0, "moderator") < 0 ? -1 : 0;
}

long long store_held_like(struct store *st, long long group_id, const char *addr, const char *reason, long long since,
			  long long except)
{
	long long n = 0;

	return store_int(st, &n, "SELECT count(*) FROM held h JOIN held_places p ON p.held_id = h.id"
			 " JOIN messages m ON m.id = h.message_id"
			 " WHERE p.group_id = ? AND m.from_addr = ? COLLATE NOCASE AND h.reason = ? AND h.created > ?"
			 " AND h.id <> ?", "issii", group_id, addr, reason, since, except) < 0 ? -1 : n;
}
