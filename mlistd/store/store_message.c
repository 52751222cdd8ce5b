/*
 * store_message: messages, threads, placements.
 */
#include "store_message.h"

#include <stdlib.h>
#include <string.h>

#include "store_group.h"
#include "store_internal.h"

int store_message_known(struct store *st, const char *message_id)
{
	long long n = 0;

	return store_int(st, &n, "SELECT count(*) FROM messages WHERE message_id = ?", "s", message_id) < 0 ? -1 : n > 0;
}

int store_message_imap_known(struct store *st, const char *imap_key)
{
	long long n = 0;

	return store_int(st, &n, "SELECT count(*) FROM messages WHERE imap_key = ?", "s", imap_key) < 0 ? -1 : n > 0;
}

long long store_message_add(struct store *st, const struct message_record *m)
{
	if (store_run(st, store_stmt(st, "INSERT INTO messages (message_id, generated_id, spool_id, state,"
				     " envelope_from, from_addr, from_name, subject, date, received, size, imap_key)"
				     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "sissssssiiis",
				     m->message_id, (long long)m->generated_id, m->spool_id, m->state,
				     m->envelope_from, m->from_addr, m->from_name, m->subject,
				     m->date, m->received, m->size, m->imap_key)) < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int store_message_placements(struct store *st, const char *message_id, placement_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT mg.group_id AS group_id, mg.thread_id AS thread_id, g.name AS grp,"
					" mg.sorted_by AS sorted_by"
					" FROM message_groups mg JOIN messages m ON m.id = mg.message_id"
					" JOIN groups g ON g.id = mg.group_id WHERE m.message_id = ?"
					" ORDER BY g.name", "s", message_id);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct placement_row p = {
			.group_id = store_get_int(stmt, "group_id"),
			.thread_id = store_get_int(stmt, "thread_id"),
			.group = store_get_text(stmt, "grp"),
			.sorted_by = store_get_text(stmt, "sorted_by"),
		};
		if ((r = fn(&p, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

long long store_thread_start(struct store *st, long long group_id, const char *root, const char *subject, long long when)
{
	if (store_run(st, store_stmt(st, "INSERT INTO threads (group_id, root, subject, started, last_activity)"
				     " VALUES (?, ?, ?, ?, ?)", "issii", group_id, root, subject, when, when)) < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int store_message_place(struct store *st, long long message, long long group_id, long long thread,
			const char *sorted_by, long long when)
{
	int r = store_run(st, store_stmt(st, "INSERT OR IGNORE INTO message_groups (message_id, group_id, thread_id,"
					 " sorted_by) VALUES (?, ?, ?, ?)", "iiis", message, group_id, thread, sorted_by));
	if (r < 0 || sqlite3_changes(st->db) == 0)
		return r < 0 ? -1 : 0;
	return store_run(st, store_stmt(st, "UPDATE threads SET messages = messages + 1,"
					 " last_activity = max(last_activity, ?) WHERE id = ?", "ii", when, thread)) < 0
		       ? -1 : 0;
}

int store_thread_each(struct store *st, const char *group, thread_fn fn, void *ctx)
{
	long long gid = store_group_id(st, group);
	int r;

	if (gid < 0)
		return -1;
	sqlite3_stmt *stmt = store_stmt(st, "SELECT t.id AS id, g.name AS grp, t.root AS root, t.subject AS subject,"
					" t.started AS started, t.last_activity AS last_activity, t.messages AS messages"
					" FROM threads t JOIN groups g ON g.id = t.group_id"
					" WHERE t.group_id = ? ORDER BY t.last_activity DESC, t.id DESC", "i", gid);
	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct thread_row t = {
			.id = store_get_int(stmt, "id"),
			.group = store_get_text(stmt, "grp"),
			.root = store_get_text(stmt, "root"),
			.subject = store_get_text(stmt, "subject"),
			.started = store_get_int(stmt, "started"),
			.last_activity = store_get_int(stmt, "last_activity"),
			.messages = store_get_int(stmt, "messages"),
		};
		if ((r = fn(&t, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_message_get(struct store *st, const char *message_id, message_fn fn, void *ctx)
{
	char *bare = xstrdup(message_id[0] == '<' ? message_id + 1 : message_id);
	size_t n = strlen(bare);
	int r;

	if (n && bare[n - 1] == '>')
		bare[n - 1] = '\0';
	sqlite3_stmt *stmt = store_stmt(st, "SELECT message_id, spool_id, state, envelope_from, from_addr, from_name,"
					" subject, generated_id, date, received, size FROM messages WHERE message_id = ?",
					"s", bare);
	if (!stmt) {
		free(bare);
		return -1;
	}
	r = store_row(st, stmt);
	if (r == 1) {
		struct message_row m = {
			.message_id = store_get_text(stmt, "message_id"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.state = store_get_text(stmt, "state"),
			.envelope_from = store_get_text(stmt, "envelope_from"),
			.from_addr = store_get_text(stmt, "from_addr"),
			.from_name = store_get_text(stmt, "from_name"),
			.subject = store_get_text(stmt, "subject"),
			.generated_id = (int)store_get_int(stmt, "generated_id"),
			.date = store_get_int(stmt, "date"),
			.received = store_get_int(stmt, "received"),
			.size = store_get_int(stmt, "size"),
		};
		r = fn(&m, ctx) < 0 ? -1 : 0;
	} else if (r == 0) {
		r = store_fail(st, "no message with Message-ID <%s>", bare);
	}
	store_done(st, stmt);
	free(bare);
	return r;
}

int store_message_remove(struct store *st, const char *message_id)
{
	long long id = 0, open = 0;
	int r = store_int(st, &id, "SELECT id FROM messages WHERE message_id = ?", "s", message_id);

	if (r <= 0)
		return r < 0 ? -1 : store_fail(st, "no message <%s>", message_id);
	if (store_int(st, &open, "SELECT (SELECT count(*) FROM held WHERE message_id = ?1)"
		      " + (SELECT count(*) FROM deliveries WHERE message_id = ?1 AND state = 'pending')", "i", id) < 0)
		return -1;
	if (open)
		return store_fail(st, "<%s> is held or still being sent: reject it, or wait until it is sent", message_id);
	if (store_run(st, store_stmt(st, "UPDATE threads SET messages = messages - 1"
				     " WHERE id IN (SELECT thread_id FROM message_groups WHERE message_id = ?)", "i", id)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM threads WHERE messages <= 0"
				     " AND id IN (SELECT thread_id FROM message_groups WHERE message_id = ?)", "i", id)) < 0)
		return -1;
	/* its placements, copies' records and bounce links go with it (ON DELETE) */
	return store_run(st, store_stmt(st, "DELETE FROM messages WHERE id = ?", "i", id)) < 0 ? -1 : 0;
}

/*
 * What a purge of group ?1 before ?2 takes: posts placed there, old
 * enough, and finished (nothing held, nothing waiting to be sent).
 * (Statements are cached by their text's address: this one is a constant.)
 */
#define PURGED \
	"SELECT mg.message_id FROM message_groups mg JOIN messages m ON m.id = mg.message_id" \
	" WHERE mg.group_id = ?1 AND m.received < ?2" \
	" AND NOT EXISTS (SELECT 1 FROM held h WHERE h.message_id = m.id)" \
	" AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = 'pending')"

long long store_message_purge(struct store *st, long long group_id, long long before,
			      int (*fn)(const char *spool_id, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT spool_id FROM messages WHERE id IN (" PURGED ")", "ii", group_id,
					before);
	long long n = 0;
	int r = -1;

	while (stmt && (r = store_row(st, stmt)) == 1) {
		n++;
		if (fn(store_get_text(stmt, "spool_id"), ctx) != 0) {
			r = -1;
			break;
		}
	}
	if (stmt)
		store_done(st, stmt);
	if (r < 0)
		return -1;
	/* the placements go (and the threads they leave empty); a message placed nowhere else goes with them */
	if (store_run(st, store_stmt(st, "CREATE TEMP TABLE IF NOT EXISTS purged (id INTEGER PRIMARY KEY)", "")) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM temp.purged", "")) < 0 ||
	    store_run(st, store_stmt(st, "INSERT INTO temp.purged (id) " PURGED, "ii", group_id, before)) < 0 ||
	    store_run(st, store_stmt(st, "UPDATE threads SET messages = messages - 1 WHERE id IN (SELECT thread_id"
				     " FROM message_groups WHERE group_id = ? AND message_id IN (SELECT id FROM temp.purged))",
				     "i", group_id)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM message_groups WHERE group_id = ?"
				     " AND message_id IN (SELECT id FROM temp.purged)", "i", group_id)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM threads WHERE group_id = ? AND messages <= 0", "i", group_id)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM messages WHERE id IN (SELECT id FROM temp.purged)"
				     " AND NOT EXISTS (SELECT 1 FROM message_groups x WHERE x.message_id = messages.id)",
				     "")) < 0)
		return -1;
	return n;
}
