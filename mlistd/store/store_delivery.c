/*
 * store_delivery: the delivery queue; see store_delivery.h.
 */
#include "store_delivery.h"

#include "store_bounce.h"
#include "store_internal.h"

long long store_delivery_expand(struct store *st, long long message, const char *author, long long now)
{
	/*
	 * Every way a person can be reached, with the rank of the group
	 * (placement order); GROUP BY keeps each person once, and SQLite
	 * takes the other columns from the row with the smallest rank.  The
	 * author gets no copy who said so, nor from a group that says so.
	 */
	if (store_run(st, store_stmt(st,
		"INSERT OR IGNORE INTO deliveries (message_id, group_id, member_id, address, next_attempt, created)"
		" SELECT ?1, group_id, member_id, address, ?3, ?3 FROM ("
		"  SELECT r.group_id, m.id AS member_id, m.address, min(r.rank) FROM ("
		"   SELECT mg.group_id, s.member_id, mg.rowid AS rank FROM message_groups mg"
		"    JOIN subscriptions s ON s.group_id = mg.group_id AND s.mode = 'each'"
		"    WHERE mg.message_id = ?1"
		"   UNION ALL"
		"   SELECT mg.group_id, s.member_id, mg.rowid FROM message_groups mg"
		"    JOIN groups g ON g.id = mg.group_id AND g.kind = 'project'"
		"    JOIN group_links l ON l.project_id = mg.group_id"
		"    JOIN subscriptions s ON s.group_id = l.line_id AND s.follow_line = 1 AND s.mode = 'each'"
		"    WHERE mg.message_id = ?1"
		"  ) r JOIN members m ON m.id = r.member_id"
		"  WHERE m.disabled = 0 AND NOT (m.address = ?2 COLLATE NOCASE AND (m.self_copy = 0 OR EXISTS"
		"   (SELECT 1 FROM message_groups x JOIN groups y ON y.id = x.group_id"
		"    WHERE x.message_id = ?1 AND y.self_copy = 0)))"
		"  GROUP BY m.id)", "isi", message, author, now)) < 0)
		return -1;
	return sqlite3_changes(st->db);
}

int store_delivery_due(struct store *st, long long now, int limit, delivery_fn fn, void *ctx)
{
	/* "+next_attempt": read deliveries_in_order (already in this order) rather than sort deliveries_due's rows */
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT d.id AS id, d.message_id AS message, d.group_id AS group_id, d.member_id AS member_id, d.address AS address,"
		" d.attempts AS attempts, d.created AS created, m.spool_id AS spool_id, m.message_id AS message_id,"
		" g.name AS grp, g.title AS title, m.digest_of IS NOT NULL AS digest,"
		" g.subject_prefix AS prefix, g.subject_prefix IS NULL AS prefix_default, g.footer AS footer,"
		" g.footer IS NULL AS footer_default, g.reply_to AS reply_to"
		" FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN groups g ON g.id = d.group_id"
		" WHERE d.state = 'pending' AND +d.next_attempt <= ?"
		" ORDER BY d.message_id, d.group_id, d.id LIMIT ?", "ii", now, (long long)limit);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct delivery_row d = {
			.id = store_get_int(stmt, "id"),
			.message = store_get_int(stmt, "message"),
			.group_id = store_get_int(stmt, "group_id"),
			.member_id = store_get_int(stmt, "member_id"),
			.address = store_get_text(stmt, "address"),
			.attempts = store_get_int(stmt, "attempts"),
			.created = store_get_int(stmt, "created"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.message_id = store_get_text(stmt, "message_id"),
			.group = store_get_text(stmt, "grp"),
			.group_title = store_get_text(stmt, "title"),
			.digest = (int)store_get_int(stmt, "digest"),
			.prefix = store_get_int(stmt, "prefix_default") ? NULL : store_get_text(stmt, "prefix"),
			.footer = store_get_int(stmt, "footer_default") ? NULL : store_get_text(stmt, "footer"),
			.reply_to = store_get_text(stmt, "reply_to"),
		};
		if ((r = fn(&d, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

long long store_delivery_next(struct store *st)
{
	long long next = 0;

	if (store_int(st, &next, "SELECT coalesce(min(next_attempt), 0) FROM deliveries WHERE state = 'pending'", "") < 0)
		return 0;
	return next;
}

int store_delivery_sent(struct store *st, long long first, long long last, long long now)
{
	/*
	 * "+state" keeps sqlite from searching deliveries_due (every pending
	 * copy of the queue) instead of the id range: one transaction's run
	 * must cost its own rows, not the queue's.
	 */
	return store_run(st, store_stmt(st, "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, done = ?,"
					 " last_error = '' WHERE id BETWEEN ? AND ? AND +state = 'pending'",
					 "iii", now, first, last)) < 0 ? -1 : 0;
}

int store_delivery_defer(struct store *st, long long id, long long next, const char *reason)
{
	return store_run(st, store_stmt(st, "UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?,"
					 " last_error = ? WHERE id = ?", "isi", next, reason, id)) < 0 ? -1 : 0;
}

int store_delivery_give_up(struct store *st, long long id, const char *reason, long long now, struct bounce_record *b)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT member_id AS member, group_id AS grp, message_id AS message"
					" FROM deliveries WHERE id = ?", "i", id);
	int r = stmt ? store_row(st, stmt) : -1;

	if (r == 1) {
		b->member = store_get_int(stmt, "member");
		b->group_id = store_get_int(stmt, "grp");
		b->message = store_get_int(stmt, "message");
	}
	if (stmt)
		store_done(st, stmt);
	if (r <= 0)
		return r < 0 ? -1 : store_fail(st, "no copy %lld in the queue", id);
	if (store_run(st, store_stmt(st, "UPDATE deliveries SET state = 'bounced', attempts = attempts + 1, done = ?,"
				     " last_error = ? WHERE id = ?", "isi", now, reason, id)) < 0)
		return -1;
	return 0;
}

int store_delivery_unarchived(struct store *st, int (*fn)(long long message, const char *spool_id, void *ctx),
			      void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT id, spool_id FROM messages WHERE state = 'queued' AND archived = 0"
					" ORDER BY id LIMIT 1000", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		if ((r = fn(store_get_int(stmt, "id"), store_get_text(stmt, "spool_id"), ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_delivery_set_archived(struct store *st, long long message)
{
	return store_run(st, store_stmt(st, "UPDATE messages SET archived = 1 WHERE id = ?", "i", message)) < 0 ? -1 : 0;
}

int store_message_groups(struct store *st, long long message, int (*fn)(const char *group, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT g.name FROM message_groups mg JOIN groups g ON g.id = mg.group_id"
					" WHERE mg.message_id = ? ORDER BY mg.rowid", "i", message);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		if ((r = fn(store_get_text(stmt, "name"), ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_delivery_finished(struct store *st, long long message)
{
	long long open = 0;

	/* A held post keeps its spool file: a moderator may still approve it. */
	if (store_int(st, &open, "SELECT (SELECT archived = 0 FROM messages WHERE id = ?1)"
		      " + (SELECT count(*) FROM deliveries WHERE message_id = ?1 AND state = 'pending')"
		      " + (SELECT count(*) FROM held WHERE message_id = ?1)",
		      "i", message) < 0)
		return -1;
	return open == 0;
}

int store_message_by_spool(struct store *st, const char *spool_id, long long *message)
{
	return store_int(st, message, "SELECT id FROM messages WHERE spool_id = ?", "s", spool_id);
}

int store_queue_each(struct store *st, int (*fn)(const struct queue_row *q, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.message_id AS message_id, g.name AS grp, count(*) AS pending,"
		" min(d.next_attempt) AS next_attempt, min(d.created) AS oldest,"
		" (SELECT last_error FROM deliveries e WHERE e.message_id = d.message_id AND e.group_id = d.group_id"
		"  AND e.state = 'pending' AND e.last_error <> '' LIMIT 1) AS last_error"
		" FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN groups g ON g.id = d.group_id"
		" WHERE d.state = 'pending' GROUP BY d.message_id, d.group_id ORDER BY min(d.created), m.id", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct queue_row q = {
			.message_id = store_get_text(stmt, "message_id"),
			.group = store_get_text(stmt, "grp"),
			.last_error = store_get_text(stmt, "last_error"),
			.pending = store_get_int(stmt, "pending"),
			.next_attempt = store_get_int(stmt, "next_attempt"),
			.oldest = store_get_int(stmt, "oldest"),
		};
		if ((r = fn(&q, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

long long store_queue_retry(struct store *st, long long now)
{
	if (store_run(st, store_stmt(st, "UPDATE deliveries SET next_attempt = ? WHERE state = 'pending'"
				     " AND next_attempt > ?", "ii", now, now)) < 0)
		return -1;
	return sqlite3_changes(st->db);
}
