/*
 * store_digest: digests' cursors, members and posts; see store_digest.h.
 */
#include "store_digest.h"

#include "store_group.h"
#include "store_internal.h"

int store_digest_groups(struct store *st, const char *name, int (*fn)(const struct digest_group *g, void *ctx),
			void *ctx)
{
	if (name && store_group_id(st, name) < 0)
		return -1;
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT g.id AS id, g.name AS name, g.title AS title, g.kind AS kind, d.upto AS upto,"
		" d.last_built AS last_built, d.number AS number, g.footer AS footer, g.footer IS NULL AS footer_default"
		" FROM groups g JOIN digest_state d ON d.group_id = g.id WHERE ?1 IS NULL OR g.name = ?1 ORDER BY g.name",
		"s", name);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct digest_group g = {
			.id = store_get_int(stmt, "id"),
			.name = store_get_text(stmt, "name"),
			.title = store_get_text(stmt, "title"),
			.kind = store_get_text(stmt, "kind"),
			.upto = store_get_int(stmt, "upto"),
			.last_built = store_get_int(stmt, "last_built"),
			.number = store_get_int(stmt, "number"),
			.footer = store_get_int(stmt, "footer_default") ? NULL : store_get_text(stmt, "footer"),
		};
		if ((r = fn(&g, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

long long store_digest_last_placement(struct store *st)
{
	long long last = 0;

	return store_int(st, &last, "SELECT coalesce(max(rowid), 0) FROM message_groups", "") < 0 ? -1 : last;
}

int store_digest_members(struct store *st, long long group, int (*fn)(const struct digest_member *m, void *ctx),
			 void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.id AS member, m.address AS address, s.follow_line AS follow_line, s.digest_format AS format"
		" FROM subscriptions s JOIN members m ON m.id = s.member_id"
		" WHERE s.group_id = ? AND s.mode = 'digest' AND m.disabled = 0 ORDER BY m.address", "i", group);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct digest_member m = {
			.member = store_get_int(stmt, "member"),
			.address = store_get_text(stmt, "address"),
			.follow_line = (int)store_get_int(stmt, "follow_line"),
			.format = store_get_text(stmt, "format"),
		};
		if ((r = fn(&m, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

/*
 * The placements a digest of group ?1 covers after ?3 up to ?4: its own,
 * and with ?2 its linked projects'; each message once (its first placement).
 */
#define COVERED \
	"SELECT min(mg.rowid) AS placement, mg.message_id FROM message_groups mg" \
	" WHERE mg.rowid > ?3 AND mg.rowid <= ?4 AND (mg.group_id = ?1 OR (?2 AND mg.group_id IN" \
	"  (SELECT project_id FROM group_links WHERE line_id = ?1))) GROUP BY mg.message_id"

int store_digest_posts(struct store *st, long long group, int projects, long long after, long long upto,
		       int (*fn)(const struct digest_post *p, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.id AS message, m.spool_id AS spool_id, m.message_id AS message_id, m.from_addr AS from_addr,"
		" m.from_name AS from_name, m.subject AS subject,"
		" CASE WHEN m.date > 0 THEN m.date ELSE m.received END AS date, m.size AS size, t.id AS thread,"
		" t.subject AS thread_subject, g.name AS grp"
		" FROM (" COVERED ") c JOIN message_groups mg ON mg.rowid = c.placement"
		" JOIN messages m ON m.id = mg.message_id JOIN threads t ON t.id = mg.thread_id"
		" JOIN groups g ON g.id = mg.group_id"
		" ORDER BY (SELECT min(x.placement) FROM (" COVERED ") x JOIN message_groups y ON y.rowid = x.placement"
		"  WHERE y.thread_id = t.id), c.placement",
		"iiii", group, (long long)projects, after, upto);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct digest_post p = {
			.message = store_get_int(stmt, "message"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.message_id = store_get_text(stmt, "message_id"),
			.from_addr = store_get_text(stmt, "from_addr"),
			.from_name = store_get_text(stmt, "from_name"),
			.subject = store_get_text(stmt, "subject"),
			.date = store_get_int(stmt, "date"),
			.size = store_get_int(stmt, "size"),
			.thread = store_get_int(stmt, "thread"),
			.thread_subject = store_get_text(stmt, "thread_subject"),
			.group = store_get_text(stmt, "grp"),
		};
		if ((r = fn(&p, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_digest_pending(struct store *st, long long group, int projects, long long after, long long *posts,
			 long long *octets)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT count(*) AS posts, coalesce(sum(m.size), 0) AS octets FROM (" COVERED ") c"
		" JOIN messages m ON m.id = c.message_id",
		"iiii", group, (long long)projects, after, (long long)1 << 62);
	int r = stmt ? store_row(st, stmt) : -1;

	if (r == 1) {
		*posts = store_get_int(stmt, "posts");
		*octets = store_get_int(stmt, "octets");
	}
	if (stmt)
		store_done(st, stmt);
	return r == 1 ? 0 : -1;
}

int store_digest_advance(struct store *st, long long group, long long upto, int built, long long looked)
{
	return store_run(st, store_stmt(st, "UPDATE digest_state SET upto = max(upto, ?2),"
					 " last_built = CASE WHEN ?4 > 0 THEN ?4 ELSE last_built END,"
					 " number = number + (?3 <> 0) WHERE group_id = ?1", "iiii",
					 group, upto, (long long)built, looked)) < 0 ? -1 : 0;
}

long long store_digest_message(struct store *st, long long group, const char *spool_id, const char *message_id,
			       const char *subject, long long now)
{
	/* Archived already: a digest is made of archived posts and is never archived itself. */
	if (store_run(st, store_stmt(st, "INSERT INTO messages (message_id, generated_id, spool_id, state, subject, date,"
				     " received, archived, digest_of) VALUES (?, 1, ?, 'service', ?, ?, ?, 1, ?)",
				     "sssiii", message_id, spool_id, subject, now, now, group)) < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int store_digest_queue(struct store *st, long long message, long long group, long long member, const char *address,
		       long long now)
{
	return store_run(st, store_stmt(st, "INSERT OR IGNORE INTO deliveries (message_id, group_id, member_id, address,"
					 " next_attempt, created) VALUES (?, ?, ?, ?, ?, ?)", "iiisii",
					 message, group, member, address, now, now)) < 0 ? -1 : 0;
}

int store_digest_prunable(struct store *st, int (*fn)(const struct prunable *p, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT g.id AS gid, g.name AS grp, mg.rowid AS placement, m.spool_id AS spool_id, m.archived AS archived"
		" FROM groups g JOIN digest_state d ON d.group_id = g.id"
		" JOIN message_groups mg ON mg.group_id = g.id AND mg.rowid > d.pruned"
		" JOIN messages m ON m.id = mg.message_id"
		" WHERE g.archive = 0 AND mg.rowid <= min(d.upto, coalesce((SELECT min(x.upto) FROM group_links l"
		"  JOIN digest_state x ON x.group_id = l.line_id WHERE l.project_id = g.id), d.upto))"
		" ORDER BY g.id, mg.rowid LIMIT 10000", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct prunable p = {
			.group = store_get_int(stmt, "gid"),
			.name = store_get_text(stmt, "grp"),
			.placement = store_get_int(stmt, "placement"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.archived = (int)store_get_int(stmt, "archived"),
		};
		if ((r = fn(&p, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_digest_pruned(struct store *st, long long group, long long placement)
{
	return store_run(st, store_stmt(st, "UPDATE digest_state SET pruned = max(pruned, ?2) WHERE group_id = ?1", "ii",
					 group, placement)) < 0 ? -1 : 0;
}
