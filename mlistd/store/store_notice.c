/*
 * store_notice: notices, tokens, author notes; see store_notice.h.
 */
#include "store_notice.h"

#include <string.h>

#include "store_internal.h"

int store_notice_add(struct store *st, const char *spool_id, const char *from, const char *to, long long now)
{
	return store_run(st, store_stmt(st, "INSERT INTO notices (spool_id, envelope_from, rcpt, next_attempt, created)"
					 " VALUES (?, ?, ?, ?, ?)", "sssii", spool_id, from, to, now, now)) < 0 ? -1 : 0;
}

int store_notice_due(struct store *st, long long now, int (*fn)(const struct notice_row *n, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT id, attempts, created, spool_id, envelope_from, rcpt FROM notices"
					" WHERE state = 'pending' AND next_attempt <= ? ORDER BY id LIMIT 1000", "i", now);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct notice_row n = {
			.id = store_get_int(stmt, "id"),
			.attempts = store_get_int(stmt, "attempts"),
			.created = store_get_int(stmt, "created"),
			.spool_id = store_get_text(stmt, "spool_id"),
			.from = store_get_text(stmt, "envelope_from"),
			.to = store_get_text(stmt, "rcpt"),
		};
		if ((r = fn(&n, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_notice_done(struct store *st, long long id, const char *state, long long next, const char *error)
{
	return store_run(st, store_stmt(st, "UPDATE notices SET state = ?, attempts = attempts + 1, next_attempt = ?,"
					 " last_error = ? WHERE id = ?", "sisi", state, next, error, id)) < 0 ? -1 : 0;
}

int store_notice_pending(struct store *st, const char *spool_id, int *pending)
{
	long long waits = 0;
	int r = store_int(st, &waits, "SELECT state = 'pending' FROM notices WHERE spool_id = ? LIMIT 1", "s", spool_id);

	*pending = waits != 0;
	return r;
}

int store_token_add(struct store *st, const char *token, long long held, long long now, long long expires)
{
	return store_run(st, store_stmt(st, "INSERT INTO tokens (token, kind, held_id, created, expires)"
					 " VALUES (?, 'moderate', ?, ?, ?)", "siii", token, held, now, expires)) < 0 ? -1 : 0;
}

int store_token_check(struct store *st, const char *token, long long now, long long *held, const char **why)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT held_id, used, expires, kind FROM tokens WHERE token = ?", "s", token);
	int r;

	if (!stmt)
		return -1;
	r = store_row(st, stmt);
	if (r == 1) {
		*held = store_get_int(stmt, "held_id");
		if (*held == 0 && strcmp(store_get_text(stmt, "kind"), "moderate") == 0) {
			*why = "the post it was for is no longer held";
			r = 0;
		} else if (store_get_int(stmt, "used")) {
			*why = "it was used already";
			r = 0;
		} else if (store_get_int(stmt, "expires") < now) {
			*why = "it has expired";
			r = 0;
		}
	} else if (r == 0) {
		*why = "no such token";
	}
	store_done(st, stmt);
	return r;
}

int store_token_use(struct store *st, const char *token)
{
	return store_run(st, store_stmt(st, "UPDATE tokens SET used = 1 WHERE token = ?", "s", token)) < 0 ? -1 : 0;
}

int store_token_moderator(struct store *st, long long held, const char *addr)
{
	long long n = 0;

	if (store_int(st, &n,
		      "SELECT count(*) FROM moderators x JOIN members m ON m.id = x.member_id"
		      " WHERE m.address = ?2 COLLATE NOCASE AND ("
		      "  x.group_id IN (SELECT group_id FROM held_places WHERE held_id = ?1)"
		      "  OR (NOT EXISTS (SELECT 1 FROM held_places WHERE held_id = ?1)"
		      "      AND x.group_id IN (SELECT id FROM groups WHERE kind = 'general')))",
		      "is", held, addr) < 0)
		return -1;
	return n > 0;
}

int store_author_notice_due(struct store *st, const char *addr, long long now)
{
	long long last = 0;
	int r = store_int(st, &last, "SELECT last FROM author_notices WHERE address = ?", "s", addr);

	if (r < 0)
		return -1;
	if (r == 1 && now - last < 86400)
		return 0;
	return store_run(st, store_stmt(st, "INSERT OR REPLACE INTO author_notices (address, last) VALUES (?, ?)",
					 "si", addr, now)) < 0 ? -1 : 1;
}

int store_token_add_membership(struct store *st, const char *token, const struct membership_change *m,
			       long long now, long long expires)
{
	return store_run(st, store_stmt(st, "INSERT INTO tokens (token, kind, group_id, address, change, created, expires)"
					 " VALUES (?, ?, ?, ?, ?, ?, ?)", "ssissii", token, m->kind, m->group_id,
					 m->address, m->change ? m->change : "", now, expires)) < 0 ? -1 : 0;
}

int store_token_get(struct store *st, const char *token, int (*fn)(const struct token_row *t, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT t.kind AS kind, t.address AS address, t.change AS change,"
					" coalesce(g.name, '') AS grp"
					" FROM tokens t LEFT JOIN groups g ON g.id = t.group_id WHERE t.token = ?", "s", token);
	int r;

	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		struct token_row t = {
			.kind = store_get_text(stmt, "kind"),
			.address = store_get_text(stmt, "address"),
			.group = store_get_text(stmt, "grp"),
			.change = store_get_text(stmt, "change"),
		};
		if (fn(&t, ctx) < 0)
			r = -1;
	}
	store_done(st, stmt);
	return r;
}
