/*
 * store_imap: IMAP poller state; see store_imap.h.
 */
#include "store_imap.h"

#include "store_internal.h"

/* Makes sure the mailbox has a status row. */
static int ensure_row(struct store *st, const char *mailbox)
{
	return store_run(st, store_stmt(st, "INSERT OR IGNORE INTO imap_status (mailbox) VALUES (?)", "s", mailbox));
}

int store_imap_position(struct store *st, const char *mailbox, long long *uidvalidity, long long *last_uid)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT uidvalidity, last_uid FROM imap_status WHERE mailbox = ?",
					"s", mailbox);
	int r;

	*uidvalidity = *last_uid = 0;
	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		*uidvalidity = store_get_int(stmt, "uidvalidity");
		*last_uid = store_get_int(stmt, "last_uid");
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_imap_reset(struct store *st, const char *mailbox, long long uidvalidity, long long now)
{
	if (ensure_row(st, mailbox) < 0)
		return -1;
	return store_run(st, store_stmt(st, "UPDATE imap_status SET uidvalidity = ?, last_uid = 0, last_poll = ?"
					 " WHERE mailbox = ?", "iis", uidvalidity, now, mailbox)) < 0 ? -1 : 0;
}

int store_imap_taken(struct store *st, const char *mailbox, long long uidvalidity, long long uid)
{
	long long n = 0;

	if (store_int(st, &n, "SELECT count(*) FROM imap_seen WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
		      "sii", mailbox, uidvalidity, uid) < 0)
		return -1;
	return n > 0;
}

int store_imap_take(struct store *st, const char *mailbox, long long uidvalidity, long long uid,
		    const char *spool_id, long long now)
{
	if (ensure_row(st, mailbox) < 0 ||
	    store_run(st, store_stmt(st, "INSERT OR IGNORE INTO imap_seen (mailbox, uidvalidity, uid, spool_id, taken)"
				     " VALUES (?, ?, ?, ?, ?)", "siisi", mailbox, uidvalidity, uid, spool_id, now)) < 0)
		return -1;
	return store_run(st, store_stmt(st, "UPDATE imap_status SET last_uid = max(last_uid, ?), taken = taken + 1"
					 " WHERE mailbox = ?", "is", uid, mailbox)) < 0 ? -1 : 0;
}

int store_imap_polled(struct store *st, const char *mailbox, const char *error, long long now)
{
	if (ensure_row(st, mailbox) < 0)
		return -1;
	if (error)
		return store_run(st, store_stmt(st, "UPDATE imap_status SET last_error = ?, last_error_at = ?"
						 " WHERE mailbox = ?", "sis", error, now, mailbox)) < 0 ? -1 : 0;
	return store_run(st, store_stmt(st, "UPDATE imap_status SET last_poll = ? WHERE mailbox = ?",
					 "is", now, mailbox)) < 0 ? -1 : 0;
}

int store_imap_status(struct store *st, const char *mailbox,
		      int (*fn)(const struct imap_status_row *r, void *ctx), void *ctx)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT uidvalidity, last_uid, last_poll, taken, last_error, last_error_at"
					" FROM imap_status WHERE mailbox = ?", "s", mailbox);
	struct imap_status_row row = { mailbox, "", 0, 0, 0, 0, 0 };
	int r;

	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		row.uidvalidity = store_get_int(stmt, "uidvalidity");
		row.last_uid = store_get_int(stmt, "last_uid");
		row.last_poll = store_get_int(stmt, "last_poll");
		row.taken = store_get_int(stmt, "taken");
		row.last_error = store_get_text(stmt, "last_error");
		row.last_error_at = store_get_int(stmt, "last_error_at");
	}
	if (r >= 0)
		r = fn(&row, ctx);
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}
