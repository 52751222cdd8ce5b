/*
 * store_group: groups and project <-> change-line links.
 */
#include "store_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "store_internal.h"

#define GROUP_COLUMNS \
	"SELECT g.id AS id, g.name AS name, g.kind AS kind, g.title AS title, g.policy AS policy," \
	" g.created AS created, g.language AS language, g.owner_notices AS owner_notices," \
	" g.subject_prefix AS subject_prefix, g.subject_prefix IS NULL AS prefix_default, g.footer AS footer," \
	" g.footer IS NULL AS footer_default, g.reply_to AS reply_to, g.max_size AS max_size, g.self_copy AS self_copy," \
	" g.archive AS archive, g.emergency AS emergency, g.moderate_new AS moderate_new, g.keep_days AS keep_days," \
	" coalesce(g.attachments, '') AS attachments, coalesce(g.html, '') AS html," \
	" g.web_history AS web_history," \
	" (SELECT count(*) FROM subscriptions s WHERE s.group_id = g.id) AS members," \
	" (SELECT count(*) FROM moderators m WHERE m.group_id = g.id) AS moderators FROM groups g "

/* Steps a GROUP_COLUMNS query, calling fn per row; finalizes the statement. */
static int each_group_row(struct store *st, sqlite3_stmt *stmt, group_fn fn, void *ctx)
{
	int r;

	if (!stmt)
		return -1;
	while ((r = store_row(st, stmt)) == 1) {
		struct group_row g = {
			.id = store_get_int(stmt, "id"),
			.name = store_get_text(stmt, "name"),
			.kind = store_get_text(stmt, "kind"),
			.title = store_get_text(stmt, "title"),
			.policy = store_get_text(stmt, "policy"),
			.created = store_get_int(stmt, "created"),
			.language = store_get_text(stmt, "language"),
			.owner_notices = (int)store_get_int(stmt, "owner_notices"),
			.subject_prefix = store_get_int(stmt, "prefix_default") ? NULL : store_get_text(stmt, "subject_prefix"),
			.footer = store_get_int(stmt, "footer_default") ? NULL : store_get_text(stmt, "footer"),
			.reply_to = store_get_text(stmt, "reply_to"),
			.max_size = store_get_int(stmt, "max_size"),
			.self_copy = (int)store_get_int(stmt, "self_copy"),
			.archive = (int)store_get_int(stmt, "archive"),
			.emergency = (int)store_get_int(stmt, "emergency"),
			.moderate_new = (int)store_get_int(stmt, "moderate_new"),
			.keep_days = store_get_int(stmt, "keep_days"),
			.attachments = store_get_text(stmt, "attachments"),
			.html = store_get_text(stmt, "html"),
			.web_history = (int)store_get_int(stmt, "web_history"),
			.members = store_get_int(stmt, "members"),
			.moderators = store_get_int(stmt, "moderators"),
		};
		if ((r = fn(&g, ctx)) != 0)
			break;
	}
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

long long store_group_id(struct store *st, const char *name)
{
	long long id;
	int r = store_int(st, &id, "SELECT id FROM groups WHERE name = ?", "s", name);

	if (r == 0)
		store_fail(st, "no group named '%s'", name);
	return r == 1 ? id : -1;
}

int store_author_standing(struct store *st, long long group_id, const char *addr, long long since, long long cap,
			  struct author_standing *out)
{
	sqlite3_stmt *stmt = store_stmt(st,
		"SELECT g.policy AS policy, g.max_size AS max_size, g.emergency AS emergency,"
		" coalesce(g.attachments, '') AS attachments, coalesce(g.html, '') AS html,"
		" (SELECT count(*) FROM (SELECT 1 FROM messages r WHERE r.from_addr = ?2 COLLATE NOCASE AND r.received > ?3"
		"  AND (EXISTS (SELECT 1 FROM message_groups x WHERE x.message_id = r.id AND x.group_id = g.id)"
		"       OR EXISTS (SELECT 1 FROM held h JOIN held_places p ON p.held_id = h.id"
		"                  WHERE h.message_id = r.id AND p.group_id = g.id)) LIMIT ?4)) AS recent,"
		" EXISTS (SELECT 1 FROM subscriptions s JOIN members m ON m.id = s.member_id"
		"         WHERE s.group_id = g.id AND s.moderated = 1 AND m.address = ?2 COLLATE NOCASE) AS new_member,"
		" EXISTS (SELECT 1 FROM moderators x JOIN members m ON m.id = x.member_id"
		"         WHERE x.group_id = g.id AND m.address = ?2 COLLATE NOCASE) AS moderator,"
		" EXISTS (SELECT 1 FROM subscriptions s JOIN members m ON m.id = s.member_id"
		"         WHERE s.group_id = g.id AND m.address = ?2 COLLATE NOCASE) AS member"
		" FROM groups g WHERE g.id = ?1", "isii", group_id, addr, since, cap);
	int r;

	if (!stmt)
		return -1;
	if ((r = store_row(st, stmt)) == 1) {
		snprintf(out->policy, sizeof(out->policy), "%s", store_get_text(stmt, "policy"));
		out->moderator = (int)store_get_int(stmt, "moderator");
		out->member = (int)store_get_int(stmt, "member");
		out->max_size = store_get_int(stmt, "max_size");
		out->emergency = (int)store_get_int(stmt, "emergency");
		out->new_member = (int)store_get_int(stmt, "new_member");
		out->recent = store_get_int(stmt, "recent");
		snprintf(out->attachments, sizeof(out->attachments), "%s", store_get_text(stmt, "attachments"));
		snprintf(out->html, sizeof(out->html), "%s", store_get_text(stmt, "html"));
		if (!name_in(out->policy, group_policies))
			r = store_fail(st, "group %lld has an unknown policy '%s'", group_id, out->policy);
	} else if (r == 0) {
		r = store_fail(st, "no group with id %lld", group_id);
	}
	store_done(st, stmt);
	return r == 1 ? 0 : -1;
}

int store_group_exists(struct store *st, const char *name)
{
	long long id;

	return store_int(st, &id, "SELECT id FROM groups WHERE name = ?", "s", name);
}

int store_group_add(struct store *st, const char *name, const char *kind,
		    const char *title, const char *policy)
{
	struct sbuf why = SBUF_INIT;
	char *lower = xstrdup(name);
	int r = -1;

	for (char *p = lower; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	if (group_name_check(lower, &why) < 0) {
		store_fail(st, "'%s' is not a valid group name: %s", name, why.buf);
	} else if (!name_in(kind, group_kinds)) {
		char *all = name_choices(group_kinds);
		store_fail(st, "unknown kind '%s' (use %s)", kind, all);
		free(all);
	} else if (!name_in(policy, group_policies)) {
		char *all = name_choices(group_policies);
		store_fail(st, "unknown policy '%s' (use %s)", policy, all);
		free(all);
	} else {
		r = store_run(st, store_stmt(st, "INSERT INTO groups (name, kind, title, policy, created)"
					     " VALUES (?, ?, ?, ?, ?)", "ssssi",
					     lower, kind, title, policy, (long long)time(NULL)));
		if (r == -2)
			store_fail(st, "a group named '%s' exists already", lower);
		r = r < 0 ? -1 : 0;
	}
	sbuf_release(&why);
	free(lower);
	return r;
}

int store_group_remove(struct store *st, const char *name, int force)
{
	long long id = store_group_id(st, name), members = 0, moderators = 0;

	if (id < 0)
		return -1;
	if (!force) {
		if (store_int(st, &members, "SELECT count(*) FROM subscriptions WHERE group_id = ?", "i", id) < 0 ||
		    store_int(st, &moderators, "SELECT count(*) FROM moderators WHERE group_id = ?", "i", id) < 0)
			return -1;
		if (members || moderators)
			return store_fail(st, "group '%s' has %lld member(s) and %lld moderator(s); "
					  "remove them first or use --force", name, members, moderators);
	}
	/* With the group go its subscriptions (cascade), and then anyone left in no group at all. */
	if (store_run(st, store_stmt(st, "DELETE FROM groups WHERE id = ?", "i", id)) < 0)
		return -1;
	return store_run(st, store_stmt(st, "DELETE FROM members"
					 " WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.member_id = members.id)"
					 " AND NOT EXISTS (SELECT 1 FROM moderators m WHERE m.member_id = members.id)",
					 "")) < 0 ? -1 : 0;
}

int store_group_set(struct store *st, const char *name, const struct group_settings *set)
{
	long long id = store_group_id(st, name);

	if (id < 0)
		return -1;
	if (set->policy && !name_in(set->policy, group_policies)) {
		char *all = name_choices(group_policies);
		store_fail(st, "unknown policy '%s' (use %s)", set->policy, all);
		free(all);
		return -1;
	}
	if (set->reply_to && strcmp(set->reply_to, "as-sent") != 0 && strcmp(set->reply_to, "group") != 0 &&
	    strcmp(set->reply_to, "author") != 0)
		return store_fail(st, "unknown reply-to '%s' (use as-sent, group or author)", set->reply_to);
	if (set->attachments && strcmp(set->attachments, "default") != 0 && !name_in(set->attachments, attachment_policies))
		return store_fail(st, "unknown attachments setting '%s' (use allow, hold, strip or default)", set->attachments);
	if (set->html && strcmp(set->html, "default") != 0 && !name_in(set->html, html_policies))
		return store_fail(st, "unknown html setting '%s' (use keep, text or default)", set->html);
	/* "" (language) and "default" (prefix, footer) put a setting back to the config's: NULL in the row. */
	return store_run(st, store_stmt(st, "UPDATE groups SET title = coalesce(?1, title),"
					 " policy = coalesce(?2, policy),"
					 " language = CASE WHEN ?3 IS NULL THEN language ELSE nullif(?3, '') END,"
					 " owner_notices = CASE WHEN ?4 < 0 THEN owner_notices ELSE ?4 END,"
					 " subject_prefix = CASE WHEN ?5 IS NULL THEN subject_prefix"
					 "  WHEN ?5 = 'default' THEN NULL ELSE ?5 END,"
					 " footer = CASE WHEN ?6 IS NULL THEN footer WHEN ?6 = 'default' THEN NULL ELSE ?6 END,"
					 " reply_to = coalesce(?7, reply_to),"
					 " max_size = CASE WHEN ?8 < 0 THEN max_size ELSE ?8 END,"
					 " self_copy = CASE WHEN ?9 < 0 THEN self_copy ELSE ?9 END,"
					 " archive = CASE WHEN ?11 < 0 THEN archive ELSE ?11 END,"
					 " emergency = CASE WHEN ?12 < 0 THEN emergency ELSE ?12 END,"
					 " moderate_new = CASE WHEN ?13 < 0 THEN moderate_new ELSE ?13 END,"
					 " keep_days = CASE WHEN ?14 < 0 THEN keep_days ELSE ?14 END,"
					 " attachments = CASE WHEN ?15 IS NULL THEN attachments"
					 "  WHEN ?15 = 'default' THEN NULL ELSE ?15 END,"
					 " html = CASE WHEN ?16 IS NULL THEN html WHEN ?16 = 'default' THEN NULL ELSE ?16 END,"
					 " web_history = CASE WHEN ?17 < 0 THEN web_history ELSE ?17 END"
					 " WHERE id = ?10", "sssisssiiiiiiissi",
					 set->title, set->policy, set->language, (long long)set->owner_notices,
					 set->subject_prefix, set->footer, set->reply_to, set->max_size,
					 (long long)set->self_copy, id, (long long)set->archive, (long long)set->emergency,
					 (long long)set->moderate_new, set->keep_days, set->attachments, set->html,
					 (long long)set->web_history)) < 0 ? -1 : 0;
}

int store_group_owner_notices(struct store *st, const char *name)
{
	long long on = 0;
	int r = store_int(st, &on, "SELECT owner_notices FROM groups WHERE name = ?", "s", name);

	if (r == 0)
		store_fail(st, "no group named '%s'", name);
	return r == 1 ? (int)on : -1;
}

int store_group_get(struct store *st, const char *name, group_fn fn, void *ctx)
{
	long long id = store_group_id(st, name);

	if (id < 0)
		return -1;
	return each_group_row(st, store_stmt(st, GROUP_COLUMNS "WHERE g.id = ?", "i", id), fn, ctx);
}

int store_group_each(struct store *st, const char *kind, group_fn fn, void *ctx)
{
	return each_group_row(st, store_stmt(st, GROUP_COLUMNS "WHERE ?1 IS NULL OR g.kind = ?1"
					     " ORDER BY g.name", "s", kind), fn, ctx);
}

/* Looks up both groups and checks their kinds before a link is made or undone. */
static int link_ids(struct store *st, const char *project, const char *line,
		    long long *project_id, long long *line_id)
{
	long long is_project = 0, is_line = 0;

	if ((*project_id = store_group_id(st, project)) < 0 || (*line_id = store_group_id(st, line)) < 0)
		return -1;
	if (store_int(st, &is_project, "SELECT kind = 'project' FROM groups WHERE id = ?", "i", *project_id) < 0 ||
	    store_int(st, &is_line, "SELECT kind = 'change-line' FROM groups WHERE id = ?", "i", *line_id) < 0)
		return -1;
	if (!is_project)
		return store_fail(st, "'%s' is not a project; only projects are linked to change lines", project);
	if (!is_line)
		return store_fail(st, "'%s' is not a change line; a project can only be linked to a change line", line);
	return 0;
}

int store_group_link(struct store *st, const char *project, const char *line)
{
	long long pid, lid;

	if (link_ids(st, project, line, &pid, &lid) < 0)
		return -1;
	int r = store_run(st, store_stmt(st, "INSERT INTO group_links (project_id, line_id) VALUES (?, ?)",
					 "ii", pid, lid));
	if (r == -2)
		store_fail(st, "'%s' is linked to '%s' already", project, line);
	return r < 0 ? -1 : 0;
}

int store_group_unlink(struct store *st, const char *project, const char *line)
{
	long long pid, lid;

	if (link_ids(st, project, line, &pid, &lid) < 0)
		return -1;
	if (store_run(st, store_stmt(st, "DELETE FROM group_links WHERE project_id = ? AND line_id = ?",
				     "ii", pid, lid)) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return store_fail(st, "'%s' is not linked to '%s'", project, line);
	return 0;
}

int store_group_linked(struct store *st, const char *name, group_fn fn, void *ctx)
{
	long long id = store_group_id(st, name);

	if (id < 0)
		return -1;
	/* A project's lines, or a line's projects: the link table read from either side. */
	return each_group_row(st, store_stmt(st, GROUP_COLUMNS
					     "JOIN group_links l ON (l.project_id = ?1 AND g.id = l.line_id)"
					     " OR (l.line_id = ?1 AND g.id = l.project_id) ORDER BY g.name",
					     "i", id), fn, ctx);
}
