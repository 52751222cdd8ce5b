/*
 * store_held: the held queue and posting policies; see store_held.h.
 */
#include "store_held.h"

#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "store_delivery.h"
#include "store_group.h"
#include "store_internal.h"
#include "store_message.h"

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
	"SELECT h.id, h.message_id, h.created, h.reason," \
	" coalesce((SELECT group_concat(g.name, ', ') FROM held_places p JOIN groups g ON g.id = p.group_id" \
	"           WHERE p.held_id = h.id), '')," \
	" coalesce((SELECT g.name FROM held_places p JOIN groups g ON g.id = p.group_id" \
	"           WHERE p.held_id = h.id ORDER BY p.rowid LIMIT 1), '')," \
	" m.message_id, m.spool_id, m.from_addr, m.from_name, m.subject" \
	" FROM held h JOIN messages m ON m.id = h.message_id "

static int each_held_row(struct store *st, sqlite3_stmt *stmt, int (*fn)(const struct held_row *h, void *ctx),
			 void *ctx, int *count)
{
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct held_row h = { sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
				      sqlite3_column_int64(stmt, 2), store_col_text(stmt, 3), store_col_text(stmt, 4),
				      store_col_text(stmt, 5), store_col_text(stmt, 6), store_col_text(stmt, 7),
				      store_col_text(stmt, 8), store_col_text(stmt, 9), store_col_text(stmt, 10) };
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

/* The message row, Message-ID, subject and author of held post id. */
struct held_message {
	long long message;
	char *message_id, *subject, *from_addr;
};

static int take_held(const struct held_row *h, void *ctx)
{
	struct held_message *m = ctx;

	m->message = h->message;
	m->message_id = xstrdup(h->message_id);
	m->subject = xstrdup(h->subject);
	m->from_addr = xstrdup(h->from_addr);
	return 0;
}

static void release_held(struct held_message *m)
{
	free(m->message_id);
	free(m->subject);
	free(m->from_addr);
}

long long store_held_approve(struct store *st, long long id, long long now)
{
	struct held_message m = { 0, NULL, NULL, NULL };
	long long copies = -1;

	if (store_held_get(st, id, take_held, &m) < 0)
		return -1;
	sqlite3_stmt *places = store_stmt(st, "SELECT group_id, thread_id, sorted_by FROM held_places WHERE held_id = ?"
					  " ORDER BY rowid", "i", id);
	char *base = message_base_subject(m.subject);
	int r, n = 0;
	if (!places)
		goto out;
	while ((r = store_row(st, places)) == 1) {
		long long group = sqlite3_column_int64(places, 0), thread = sqlite3_column_int64(places, 1);
		if (!thread && (thread = store_thread_start(st, group, m.message_id, base, now)) < 0)
			break;
		if (store_message_place(st, m.message, group, thread, store_col_text(places, 2), now) < 0)
			break;
		n++;
	}
	store_done(st, places);
	if (r != 0)
		goto out;
	if (n == 0) {
		store_fail(st, "held post %lld is not sorted into a group yet; use held assign", id);
		goto out;
	}
	/* From here it is a post like any other: archived, then sent. */
	if (store_run(st, store_stmt(st, "UPDATE messages SET state = 'queued', archived = 0, decision = 'approved'"
				     " WHERE id = ?", "i", m.message)) < 0 ||
	    (copies = store_delivery_expand(st, m.message, m.from_addr, now)) < 0 ||
	    store_run(st, store_stmt(st, "DELETE FROM held WHERE id = ?", "i", id)) < 0)
		copies = -1;
out:
	free(base);
	release_held(&m);
	return copies;
}

int store_held_drop(struct store *st, long long id, const char *decision)
{
	struct held_message m = { 0, NULL, NULL, NULL };

	if (store_held_get(st, id, take_held, &m) < 0)
		return -1;
	/*
	 * archived = 0 hands it back to mlistd-deliver, which archives what
	 * was placed (nothing, for a post held as a whole) and then, finding
	 * nothing left to do, lets go of its spool file.
	 */
	int r = store_run(st, store_stmt(st, "UPDATE messages SET decision = ?, archived = 0, state = 'queued'"
					 " WHERE id = ?", "si", decision, m.message)) < 0 ||
		store_run(st, store_stmt(st, "DELETE FROM held WHERE id = ?", "i", id)) < 0 ? -1 : 0;
	release_held(&m);
	return r;
}

int store_held_assign(struct store *st, long long id, const char *group)
{
	struct held_message m = { 0, NULL, NULL, NULL };
	long long gid = store_group_id(st, group);

	if (gid < 0 || store_held_get(st, id, take_held, &m) < 0)
		return -1;
	int r = store_run(st, store_stmt(st, "DELETE FROM held_places WHERE held_id = ?", "i", id)) < 0 ||
		store_held_place(st, id, gid, 0, "moderator") < 0 ? -1 : 0;
	release_held(&m);
	return r;
}
