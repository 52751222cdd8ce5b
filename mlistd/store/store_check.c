/*
 * store_check: the store's side of `mlistctl check`; see store_check.h.
 */
#include "store_check.h"

#include <string.h>

#include "store_internal.h"

/* Calls fn for each row of integrity_check but a lone "ok"; 0 or -1. */
static int integrity_faults(struct store *st, int (*fn)(const char *fault, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "PRAGMA integrity_check", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		const char *row = store_col_text(stmt, 0);
		if (strcmp(row, "ok") == 0)
			continue;
		struct sbuf line = SBUF_INIT;
		sbuf_addf(&line, "integrity: %s", row);
		r = fn(line.buf, ctx);
		sbuf_release(&line);
		if (r != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

/* Calls fn for each row that refers to a missing row of another table; 0 or -1. */
static int foreign_key_faults(struct store *st, int (*fn)(const char *fault, void *ctx), void *ctx)
{
	/* the column, from the table's foreign key list (every foreign key of mlist is one column) */
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT f.\"table\" AS tbl, f.rowid AS row, f.parent AS parent, coalesce(l.\"from\", '?') AS col"
		" FROM pragma_foreign_key_check AS f"
		" LEFT JOIN pragma_foreign_key_list(f.\"table\") AS l ON l.id = f.fkid AND l.seq = 0"
		" ORDER BY f.\"table\", f.rowid", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct sbuf line = SBUF_INIT;
		sbuf_addf(&line, "foreign key: %s row %lld: %s names no row of %s", store_get_text(stmt, "tbl"),
			  store_get_int(stmt, "row"), store_get_text(stmt, "col"), store_get_text(stmt, "parent"));
		r = fn(line.buf, ctx);
		sbuf_release(&line);
		if (r != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_check_integrity(struct store *st, int (*fn)(const char *fault, void *ctx), void *ctx)
{
	return integrity_faults(st, fn, ctx) < 0 || foreign_key_faults(st, fn, ctx) < 0 ? -1 : 0;
}

/* Within a query over messages m: how many copies of m wait, and whether m is held. */
#define PENDING_OF_M "(SELECT count(*) FROM deliveries d WHERE d.message_id = m.id AND d.state = 'pending')"
#define HELD_M "EXISTS (SELECT 1 FROM held h WHERE h.message_id = m.id)"

int store_check_spool_needs(struct store *st, int (*fn)(const struct spool_need *n, void *ctx), void *ctx)
{
	/*
	 * A post keeps its file until it is archived, has no copy to send and
	 * is not held (store_delivery_finished).  Mail to a service address
	 * never has one once sorted, but a digest (service mail too) keeps its
	 * file in notices/ while copies wait.
	 */
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT m.id AS id, m.spool_id AS spool_id, m.message_id AS message_id,"
		" m.digest_of IS NOT NULL AS digest, " HELD_M " AS held, " PENDING_OF_M " AS pending"
		" FROM messages m"
		" WHERE (m.state <> 'service' AND (m.archived = 0 OR " HELD_M " OR " PENDING_OF_M " > 0))"
		"  OR (m.digest_of IS NOT NULL AND " PENDING_OF_M " > 0)"
		" ORDER BY m.id", "");
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		int digest = store_get_int(stmt, "digest") != 0;
		struct spool_need n = {
			.kind = digest ? "digest" : "post",
			.folder = digest ? "notices" : "queue",
			.spool_id = store_get_text(stmt, "spool_id"),
			.name = store_get_text(stmt, "message_id"),
			.message = store_get_int(stmt, "id"),
			.held = store_get_int(stmt, "held") != 0,
			.pending = store_get_int(stmt, "pending"),
		};
		if ((r = fn(&n, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	if (r < 0)
		return -1;
	if (r > 0)
		return 0;
	stmt = store_stmt(st, "SELECT id, spool_id, rcpt FROM notices WHERE state = 'pending' ORDER BY id", "");
	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct spool_need n = {
			.kind = "notice",
			.folder = "notices",
			.spool_id = store_get_text(stmt, "spool_id"),
			.name = store_get_text(stmt, "rcpt"),
			.notice = store_get_int(stmt, "id"),
			.pending = 1,
		};
		if ((r = fn(&n, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}
