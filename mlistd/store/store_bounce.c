/*
 * store_bounce: bounces and the standing they give; see store_bounce.h.
 */
#include "store_bounce.h"

#include <stdlib.h>

#include "address.h"
#include "store_group.h"
#include "store_internal.h"

int store_bounce_record(struct store *st, const struct bounce_record *b)
{
	long long before = 0, after = 0;

	if (store_int(st, &before, "SELECT disabled FROM members WHERE id = ?", "i", b->member) < 0)
		return -1;
	if (b->kind == BOUNCE_PERMANENT &&
	    store_run(st, store_stmt(st, "UPDATE members SET"
					 " bounce_score = CASE WHEN EXISTS (SELECT 1 FROM bounces WHERE member_id = ?1"
					 "   AND kind = 'permanent' AND at >= ?2) THEN bounce_score + 1 ELSE 1 END,"
					 " disabled = disabled OR CASE WHEN EXISTS (SELECT 1 FROM bounces WHERE member_id = ?1"
					 "   AND kind = 'permanent' AND at >= ?2) THEN bounce_score + 1 ELSE 1 END >= ?3"
					 " WHERE id = ?1",
				     "iii", b->member, b->now - b->reset_after, b->disable_after)) < 0)
		return -1;
	if (store_run(st, store_stmt(st, "INSERT INTO bounces (member_id, message_id, group_id, at, kind, status, reason)"
					 " VALUES (?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?)",
				     "iiiisss", b->member, b->message, b->group_id, b->now, dsn_kind_name(b->kind),
				     b->status, b->diagnostic)) < 0 ||
	    store_int(st, &after, "SELECT disabled FROM members WHERE id = ?", "i", b->member) < 0)
		return -1;
	return !before && after;
}

long long store_bounce_member(struct store *st, const char *addr)
{
	char *norm = address_normalize(addr);
	long long id = 0;
	int r = store_int(st, &id, "SELECT id FROM members WHERE address = ?", "s", norm);

	free(norm);
	return r < 0 ? -1 : r == 0 ? 0 : id;
}

int store_person_bounces(struct store *st, const char *addr, int (*fn)(const struct bounce_row *b, void *ctx),
			 void *ctx)
{
	long long member = store_bounce_member(st, addr);
	int r;

	if (member <= 0)
		return member < 0 ? -1 : store_fail(st, "no member with address '%s'", addr);
	sqlite3_stmt *stmt = store_stmt(st, "SELECT b.at AS at, b.kind AS kind, b.status AS status, b.reason AS reason,"
					" COALESCE(g.name, '') AS grp FROM bounces b LEFT JOIN groups g ON g.id = b.group_id"
					" WHERE b.member_id = ? ORDER BY b.at, b.id",
					"i", member);
	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct bounce_row b = {
			store_get_int(stmt, "at"), store_get_text(stmt, "kind"), store_get_text(stmt, "status"),
			store_get_text(stmt, "reason"), store_get_text(stmt, "grp"),
		};
		if ((r = fn(&b, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_person_enable(struct store *st, const char *group, const char *addr)
{
	long long gid = store_group_id(st, group), disabled = -1;

	if (gid <= 0)
		return -1;
	char *norm = address_normalize(addr);
	/* Theirs to enable: the group's own subscribers, and those who get its copies by following its change line. */
	int r = store_int(st, &disabled,
			  "SELECT m.disabled FROM members m JOIN subscriptions s ON s.member_id = m.id"
			  " WHERE m.address = ?1 AND (s.group_id = ?2 OR (s.follow_line = 1 AND s.group_id IN"
			  "  (SELECT line_id FROM group_links WHERE project_id = ?2))) LIMIT 1",
			  "si", norm, gid);
	if (r == 0)
		r = store_fail(st, "%s gets no copies of %s", addr, group);
	if (r > 0)
		r = store_run(st, store_stmt(st, "UPDATE members SET disabled = 0, bounce_score = 0 WHERE address = ?",
					     "s", norm));
	free(norm);
	return r < 0 ? -1 : disabled != 0;
}
