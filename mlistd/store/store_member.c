/*
 * store_member: people, subscriptions and moderators.
 */
#include "store_member.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "names.h"
#include "store_group.h"
#include "store_internal.h"
#include "store_web.h"

#define SUBSCRIPTION_COLUMNS \
	"SELECT m.address AS address, m.name AS name, g.name AS grp, s.mode AS mode, s.follow_line AS follow_line," \
	" m.disabled AS disabled, s.created AS created, s.digest_format AS digest_format" \
	" FROM subscriptions s JOIN members m ON m.id = s.member_id JOIN groups g ON g.id = s.group_id "

#define MODERATOR_COLUMNS \
	"SELECT m.address AS address, m.name AS name, g.name AS grp, '' AS mode, 0 AS follow_line," \
	" m.disabled AS disabled, x.created AS created, '' AS digest_format" \
	" FROM moderators x JOIN members m ON m.id = x.member_id JOIN groups g ON g.id = x.group_id "

/* Steps a SUBSCRIPTION_COLUMNS or MODERATOR_COLUMNS query, calling fn per row. */
static int each_subscription_row(struct store *st, sqlite3_stmt *stmt, subscription_fn fn, void *ctx)
{
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct subscription_row s = {
			.address = store_get_text(stmt, "address"),
			.name = store_get_text(stmt, "name"),
			.group = store_get_text(stmt, "grp"),
			.mode = store_get_text(stmt, "mode"),
			.follow_line = (int)store_get_int(stmt, "follow_line"),
			.disabled = (int)store_get_int(stmt, "disabled"),
			.created = store_get_int(stmt, "created"),
			.digest_format = store_get_text(stmt, "digest_format"),
		};
		if ((r = fn(&s, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

/*
 * The id of the person at addr.  With create, a missing person is added
 * (with name, or "" when NULL); without, a missing one is an error.
 */
static long long person_id(struct store *st, const char *addr, int create, const char *name)
{
	char *norm = address_normalize(addr);
	long long id = -1;
	int r = store_int(st, &id, "SELECT id FROM members WHERE address = ?", "s", norm);

	if (r == 0 && !create) {
		store_fail(st, "no member with address '%s'", addr);
		id = -1;
	} else if (r == 0) {
		if (store_run(st, store_stmt(st, "INSERT INTO members (address, name, created) VALUES (?, ?, ?)",
					     "ssi", norm, name ? name : "", (long long)time(NULL))) == 0)
			id = sqlite3_last_insert_rowid(st->db);
	}
	free(norm);
	return id;
}

/* Removes a person who is no longer subscribed anywhere nor moderates anything. */
static int drop_if_orphan(struct store *st, long long member_id)
{
	return store_run(st, store_stmt(st, "DELETE FROM members WHERE id = ?1"
					 " AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE member_id = ?1)"
					 " AND NOT EXISTS (SELECT 1 FROM moderators WHERE member_id = ?1)",
					 "i", member_id)) < 0 ? -1 : 0;
}

/* Checks what a subscription asks for before anything is written. */
static long long subscribe_group(struct store *st, const char *group, const char *mode, int follow_line)
{
	long long gid = store_group_id(st, group), is_line = 0;

	if (gid < 0)
		return -1;
	if (!name_in(mode, member_modes)) {
		char *all = name_choices(member_modes);
		store_fail(st, "unknown mode '%s' (use %s)", mode, all);
		free(all);
		return -1;
	}
	if (follow_line) {
		if (store_int(st, &is_line, "SELECT kind = 'change-line' FROM groups WHERE id = ?", "i", gid) < 0)
			return -1;
		if (!is_line)
			return store_fail(st, "--follow-line is for change-line groups; '%s' is not one", group);
	}
	return gid;
}

int store_subscribe(struct store *st, const char *group, const char *addr, const char *name,
		    const char *mode, int follow_line, enum subscribe_existing existing)
{
	long long gid = subscribe_group(st, group, mode, follow_line), mid;

	if (gid < 0 || (mid = person_id(st, addr, 1, name)) < 0)
		return -1;
	/* In a group that moderates new members, a new subscription starts moderated. */
	int r = store_run(st, store_stmt(st, "INSERT INTO subscriptions (member_id, group_id, mode, follow_line,"
					 " created, moderated) VALUES (?1, ?2, ?3, ?4, ?5,"
					 " (SELECT moderate_new FROM groups WHERE id = ?2))", "iisii",
					 mid, gid, mode, (long long)follow_line, (long long)time(NULL)));
	if (r == -1) {
		drop_if_orphan(st, mid);
		return -1;
	}
	if (r == 0)
		return 0;
	if (existing == SUBSCRIBE_REFUSE)
		return store_fail(st, "%s is already a member of %s", addr, group);
	if (store_run(st, store_stmt(st, "UPDATE subscriptions SET mode = ?, follow_line = ?"
				     " WHERE member_id = ? AND group_id = ?", "siii",
				     mode, (long long)follow_line, mid, gid)) < 0)
		return -1;
	if (name && *name &&
	    store_run(st, store_stmt(st, "UPDATE members SET name = ? WHERE id = ?", "si", name, mid)) < 0)
		return -1;
	return 1;
}

int store_subscription_set(struct store *st, const char *group, const char *addr,
			   const struct subscription_settings *set)
{
	long long gid = store_group_id(st, group), mid, subscribed = 0;

	if (gid < 0 || (mid = person_id(st, addr, 0, NULL)) < 0)
		return -1;
	int r = store_int(st, &subscribed, "SELECT 1 FROM subscriptions WHERE member_id = ? AND group_id = ?", "ii", mid,
			  gid);
	if (r <= 0)
		return r < 0 ? -1 : store_fail(st, "%s is not a member of %s", addr, group);
	/* The checks of a new subscription, on what is asked for now. */
	if (subscribe_group(st, group, set->mode ? set->mode : "each", set->follow_line > 0) < 0)
		return -1;
	if (set->digest_format && strcmp(set->digest_format, "mime") != 0 && strcmp(set->digest_format, "text") != 0)
		return store_fail(st, "unknown digest format '%s' (use mime or text)", set->digest_format);
	return store_run(st, store_stmt(st, "UPDATE subscriptions SET mode = coalesce(?1, mode),"
					 " follow_line = CASE WHEN ?2 < 0 THEN follow_line ELSE ?2 END,"
					 " digest_format = coalesce(?3, digest_format)"
					 " WHERE member_id = ?4 AND group_id = ?5", "sisii",
					 set->mode, (long long)set->follow_line, set->digest_format, mid, gid)) < 0 ? -1 : 0;
}

int store_subscription_trust(struct store *st, long long group_id, const char *addr)
{
	char *norm = address_normalize(addr);
	int r = store_run(st, store_stmt(st, "UPDATE subscriptions SET moderated = 0 WHERE group_id = ?"
					 " AND member_id = (SELECT id FROM members WHERE address = ?)", "is",
					 group_id, norm)) < 0 ? -1 : 0;
	free(norm);
	return r;
}

int store_person_rename(struct store *st, const char *old_addr, const char *new_addr)
{
	long long mid = person_id(st, old_addr, 0, NULL), taken = 0;
	char *norm = address_normalize(new_addr);
	int r = -1;

	if (mid < 0)
		goto out;
	if (store_int(st, &taken, "SELECT id FROM members WHERE address = ? AND id <> ?", "si", norm, mid) < 0)
		goto out;
	if (taken) {
		/* Two people's subscriptions and history are not merged behind anyone's back. */
		store_fail(st, "%s is a member already: remove one of the two first", new_addr);
		goto out;
	}
	r = store_run(st, store_stmt(st, "UPDATE members SET address = ? WHERE id = ?", "si", norm, mid)) < 0 ? -1 : 0;
out:
	free(norm);
	return r;
}

int store_person_set_self_copy(struct store *st, const char *addr, int self_copy)
{
	long long mid = person_id(st, addr, 0, NULL);

	if (mid < 0)
		return -1;
	return store_run(st, store_stmt(st, "UPDATE members SET self_copy = ? WHERE id = ?", "ii",
					 (long long)self_copy, mid)) < 0 ? -1 : 0;
}

/*
 * Ends one role of a person in a group (a subscription or moderating),
 * with delete_sql taking (member id, group id); what names the role in
 * the refusal.  The person goes too when nothing else is left of them.
 */
static int end_role(struct store *st, const char *group, const char *addr, const char *delete_sql,
		    const char *what)
{
	long long gid = store_group_id(st, group), mid;

	if (gid < 0 || (mid = person_id(st, addr, 0, NULL)) < 0)
		return -1;
	if (store_run(st, store_stmt(st, delete_sql, "ii", mid, gid)) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return store_fail(st, "%s is not a %s of %s", addr, what, group);
	return drop_if_orphan(st, mid);
}

int store_unsubscribe(struct store *st, const char *group, const char *addr)
{
	return end_role(st, group, addr, "DELETE FROM subscriptions WHERE member_id = ? AND group_id = ?", "member");
}

int store_subscription_each(struct store *st, const char *group, subscription_fn fn, void *ctx)
{
	long long gid = store_group_id(st, group);

	if (gid < 0)
		return -1;
	return each_subscription_row(st, store_stmt(st, SUBSCRIPTION_COLUMNS "WHERE s.group_id = ?"
						    " ORDER BY m.address", "i", gid), fn, ctx);
}

int store_person_get(struct store *st, const char *addr, int (*fn)(const struct person_row *p, void *ctx),
		     void *ctx)
{
	long long mid = person_id(st, addr, 0, NULL);
	int r;

	if (mid < 0)
		return -1;
	sqlite3_stmt *stmt = store_stmt(st, "SELECT address, name, disabled, self_copy, bounce_score, created"
					" FROM members WHERE id = ?", "i", mid);
	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		struct person_row p = {
			.address = store_get_text(stmt, "address"),
			.name = store_get_text(stmt, "name"),
			.disabled = (int)store_get_int(stmt, "disabled"),
			.self_copy = (int)store_get_int(stmt, "self_copy"),
			.bounce_score = store_get_int(stmt, "bounce_score"),
			.created = store_get_int(stmt, "created"),
		};
		r = fn(&p, ctx);
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

int store_person_subscriptions(struct store *st, const char *addr, subscription_fn fn, void *ctx)
{
	long long mid = person_id(st, addr, 0, NULL);

	if (mid < 0)
		return -1;
	return each_subscription_row(st, store_stmt(st, SUBSCRIPTION_COLUMNS "WHERE m.id = ?"
						    " ORDER BY g.name", "i", mid), fn, ctx);
}

int store_person_moderates(struct store *st, const char *addr, subscription_fn fn, void *ctx)
{
	long long mid = person_id(st, addr, 0, NULL);

	if (mid < 0)
		return -1;
	return each_subscription_row(st, store_stmt(st, MODERATOR_COLUMNS "WHERE m.id = ?"
						    " ORDER BY g.name", "i", mid), fn, ctx);
}

/* Runs stmt and adds the rows it changed to *count. */
static int counted(struct store *st, sqlite3_stmt *stmt, long long *count)
{
	if (store_run(st, stmt) < 0)
		return -1;
	*count += sqlite3_changes(st->db);
	return 0;
}

int store_person_forget(struct store *st, const char *addr, const char *pseudonym, struct forget_counts *c)
{
	long long mid = person_id(st, addr, 0, NULL);
	char *norm = address_normalize(addr);
	int r = -1;

	memset(c, 0, sizeof(*c));
	if (mid < 0)
		goto out;
	/* counted before the person goes: these go with them (ON DELETE CASCADE) */
	if (store_int(st, &c->subscriptions, "SELECT count(*) FROM subscriptions WHERE member_id = ?", "i", mid) < 0 ||
	    store_int(st, &c->moderates, "SELECT count(*) FROM moderators WHERE member_id = ?", "i", mid) < 0 ||
	    store_int(st, &c->deliveries, "SELECT count(*) FROM deliveries WHERE member_id = ?", "i", mid) < 0 ||
	    store_int(st, &c->bounces, "SELECT count(*) FROM bounces WHERE member_id = ?", "i", mid) < 0)
		goto out;
	if (counted(st, store_stmt(st, "DELETE FROM tokens WHERE address = ? COLLATE NOCASE", "s", norm), &c->tokens) < 0 ||
	    counted(st, store_stmt(st, "DELETE FROM author_notices WHERE address = ?", "s", norm), &c->author_notes) < 0 ||
	    /* a notice to them waiting in the spool is given up (its file goes with the next start-up sweep) */
	    counted(st, store_stmt(st, "UPDATE notices SET rcpt = ?2, last_error = '',"
				   " state = CASE state WHEN 'pending' THEN 'bounced' ELSE state END"
				   " WHERE rcpt = ?1 COLLATE NOCASE", "ss", norm, pseudonym), &c->notices) < 0 ||
	    counted(st, store_stmt(st, "UPDATE messages SET"
				   " from_name = CASE WHEN from_addr = ?1 COLLATE NOCASE THEN '' ELSE from_name END,"
				   " from_addr = CASE WHEN from_addr = ?1 COLLATE NOCASE THEN ?2 ELSE from_addr END,"
				   " envelope_from = CASE WHEN envelope_from = ?1 COLLATE NOCASE THEN ?2 ELSE envelope_from END"
				   " WHERE from_addr = ?1 COLLATE NOCASE OR envelope_from = ?1 COLLATE NOCASE", "ss",
				   norm, pseudonym), &c->messages) < 0 ||
	    /*
	     * Anyone's record may name them in its Message-ID or Subject: a
	     * bounce report about them (Postfix-style ids can carry the
	     * recipient), a "subscribe ADDRESS" request.  Those become the
	     * pseudonym too; a Message-ID changed this way no longer threads a
	     * reply that arrives later, which erasure is worth.
	     */
	    counted(st, store_stmt(st, "UPDATE messages SET"
				   " message_id = replace(replace(message_id, ?1, ?2), lower(?1), ?2),"
				   " subject = replace(replace(subject, ?1, ?2), lower(?1), ?2)"
				   " WHERE instr(lower(message_id), lower(?1)) OR instr(lower(subject), lower(?1))", "ss",
				   norm, pseudonym), &c->messages) < 0)
		goto out;
	/*
	 * The person goes with their web logins and sessions (ON DELETE
	 * CASCADE).  The search index holds the text of their posts and of
	 * posts quoting them, which the archive sweep rewrites after the
	 * commit: it is emptied whole, in this transaction, and mlistd-web
	 * fills it again from the rewritten archive.
	 */
	if (store_run(st, store_stmt(st, "DELETE FROM members WHERE id = ?", "i", mid)) < 0 ||
	    store_web_index_clear(st) < 0)
		goto out;
	r = 0;
out:
	free(norm);
	return r;
}

int store_moderator_add(struct store *st, const char *group, const char *addr)
{
	long long gid = store_group_id(st, group), mid;

	if (gid < 0 || (mid = person_id(st, addr, 1, NULL)) < 0)
		return -1;
	int r = store_run(st, store_stmt(st, "INSERT INTO moderators (member_id, group_id, created)"
					 " VALUES (?, ?, ?)", "iii", mid, gid, (long long)time(NULL)));
	if (r == -2)
		return store_fail(st, "%s is already a moderator of %s", addr, group);
	if (r < 0)
		drop_if_orphan(st, mid);
	return r;
}

int store_moderator_remove(struct store *st, const char *group, const char *addr)
{
	return end_role(st, group, addr, "DELETE FROM moderators WHERE member_id = ? AND group_id = ?", "moderator");
}

int store_moderator_each(struct store *st, const char *group, subscription_fn fn, void *ctx)
{
	long long gid = store_group_id(st, group);

	if (gid < 0)
		return -1;
	return each_subscription_row(st, store_stmt(st, MODERATOR_COLUMNS "WHERE x.group_id = ?"
						    " ORDER BY m.address", "i", gid), fn, ctx);
}

int store_is_subscribed(struct store *st, const char *group, const char *addr)
{
	long long n = 0;

	if (store_int(st, &n, "SELECT count(*) FROM subscriptions s JOIN members m ON m.id = s.member_id"
		      " JOIN groups g ON g.id = s.group_id WHERE g.name = ? AND m.address = ? COLLATE NOCASE",
		      "ss", group, addr) < 0)
		return -1;
	return n > 0;
}

int store_person_names(struct store *st, const char *addr, int (*fn)(const char *name, void *ctx), void *ctx)
{
	sqlite3_stmt *q = store_stmt(st, "SELECT name AS name FROM members WHERE address = ?1 COLLATE NOCASE AND name <> ''"
				     " UNION SELECT from_name FROM messages WHERE from_addr = ?1 COLLATE NOCASE"
				     " AND from_name <> ''", "s", addr);
	int r;

	if (!q)
		return -1;
	while ((r = store_row(st, q)) == 1)
		if (fn(store_get_text(q, "name"), ctx) < 0)
			break;
	store_done(st, q);
	return r < 0 ? -1 : 0;
}

int store_person_posts(struct store *st, const char *addr, int (*fn)(const char *message_id, void *ctx), void *ctx)
{
	sqlite3_stmt *q = store_stmt(st, "SELECT message_id AS message_id FROM messages m WHERE from_addr = ? COLLATE NOCASE"
				     " AND NOT EXISTS (SELECT 1 FROM held h WHERE h.message_id = m.id)"
				     " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
				     " AND d.state = 'pending')", "s", addr);
	int r;

	if (!q)
		return -1;
	while ((r = store_row(st, q)) == 1)
		if (fn(store_get_text(q, "message_id"), ctx) < 0)
			break;
	store_done(st, q);
	return r < 0 ? -1 : 0;
}
