/*
 * store_stats: counting what `mlistctl stats` shows; see store_stats.h.
 */
#include "store_stats.h"

#include <string.h>

#include "store_internal.h"

/* The single-count figures, each one row of one column. */
static int counts(struct store *st, long long first_day, struct store_stats *out)
{
	struct {
		long long *to;
		const char *sql;
	} q[] = {
		{ &out->groups, "SELECT count(*) FROM groups" },
		{ &out->change_lines, "SELECT count(*) FROM groups WHERE kind = 'change-line'" },
		{ &out->projects, "SELECT count(*) FROM groups WHERE kind = 'project'" },
		{ &out->general, "SELECT count(*) FROM groups WHERE kind = 'general'" },
		{ &out->members, "SELECT count(*) FROM members" },
		{ &out->subscriptions, "SELECT count(*) FROM subscriptions" },
		{ &out->disabled, "SELECT count(*) FROM members WHERE disabled <> 0" },
		{ &out->held, "SELECT count(*) FROM held" },
		{ &out->queued_copies, "SELECT count(*) FROM deliveries WHERE state = 'pending'" },
		{ &out->queued_posts, "SELECT count(DISTINCT message_id) FROM deliveries WHERE state = 'pending'" },
		{ &out->queued_notices, "SELECT count(*) FROM notices WHERE state = 'pending'" },
		{ &out->queue_oldest, "SELECT coalesce(min(t), 0) FROM ("
				      " SELECT min(created) AS t FROM deliveries WHERE state = 'pending'"
				      " UNION ALL SELECT min(created) FROM notices WHERE state = 'pending')" },
	};

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (store_int(st, q[i].to, q[i].sql, "") < 0)
			return -1;
	}
	if (store_int(st, &out->bounces, "SELECT count(*) FROM bounces WHERE at >= ?", "i", first_day) < 0 ||
	    store_int(st, &out->permanent_bounces, "SELECT count(*) FROM bounces WHERE at >= ? AND kind = 'permanent'",
		      "i", first_day) < 0)
		return -1;
	return 0;
}

/* Posts per day: every message but mail to service addresses (which digests are too), by when it came in. */
static int posts_per_day(struct store *st, long long first_day, struct store_stats *out)
{
	sqlite3_stmt *stmt = store_stmt(st, "SELECT (received - ?1) / 86400 AS day, count(*) AS posts FROM messages"
					" WHERE state <> 'service' AND received >= ?1 AND received < ?1 + ?2 * 86400"
					" GROUP BY day", "ii", first_day, (long long)STATS_DAYS);
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		long long day = store_get_int(stmt, "day");
		if (day >= 0 && day < STATS_DAYS)
			out->posts[day] = store_get_int(stmt, "posts");
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_stats(struct store *st, long long first_day, struct store_stats *out)
{
	memset(out, 0, sizeof(*out));
	/* one read transaction: the figures are of one moment, though mlistd writes meanwhile */
	sqlite3_stmt *begin = store_stmt(st, "BEGIN", "");
	if (store_run(st, begin) < 0)
		return -1;
	int r = counts(st, first_day, out) < 0 || posts_per_day(st, first_day, out) < 0 ? -1 : 0;
	store_rollback(st);
	return r;
}
