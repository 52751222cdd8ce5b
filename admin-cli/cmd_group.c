/*
 * cmd_group: mlistctl group add|remove|set|list|show|link|unlink|tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "sbuf.h"
#include "store.h"
#include "names.h"
#include "store_group.h"
#include "texts.h"

int cmd_group_add(struct cli *c)
{
	const char *kind = cli_opt(c, "kind");
	const char *title = cli_opt(c, "title");
	const char *policy = cli_opt(c, "policy");

	if (!kind)
		return cli_fail("group add needs --kind change-line|project|general");
	if (store_group_add(c->store, c->arg[0], kind, title ? title : "", policy ? policy : "members") < 0)
		return cli_store_fail(c);
	fprintf(c->out, "added group %s\n", c->arg[0]);
	return 0;
}

int cmd_group_remove(struct cli *c)
{
	if (store_group_remove(c->store, c->arg[0], cli_opt(c, "force") != NULL) < 0)
		return cli_store_fail(c);
	/* An archive does not outlive its group unless asked to. */
	if (!cli_opt(c, "keep-archive") && archive_delete(c->cfg->spool, c->arg[0]) < 0)
		return cli_fail("removed group %s, but not all of its archive: %s", c->arg[0], strerror(errno));
	fprintf(c->out, "removed group %s%s\n", c->arg[0], cli_opt(c, "keep-archive") ? "; its archive is kept" : " and its archive");
	return 0;
}

/* An on|off option: 1, 0, -1 when not given, or -2 (said why) when it is neither. */
static int on_off(struct cli *c, const char *name)
{
	const char *v = cli_opt(c, name);

	if (!v)
		return -1;
	if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)
		return strcmp(v, "on") == 0;
	cli_fail("--%s is on or off, not '%s'", name, v);
	return -2;
}

/* "none" is no prefix or footer at all, "default" the config's. */
static const char *none_or(const char *v)
{
	return v && strcmp(v, "none") == 0 ? "" : v;
}

int cmd_group_set(struct cli *c)
{
	struct group_settings set = { cli_opt(c, "title"), cli_opt(c, "policy"), cli_opt(c, "language"),
				      on_off(c, "owner-notices"), none_or(cli_opt(c, "prefix")),
				      none_or(cli_opt(c, "footer")), cli_opt(c, "reply-to"), -1, on_off(c, "self-copy"),
				      on_off(c, "archive"), on_off(c, "emergency"),
				      cli_opt(c, "moderate-new-members") ? 1 : cli_opt(c, "no-moderate-new-members") ? 0 : -1, -1,
				      cli_opt(c, "attachments"), cli_opt(c, "html"), on_off(c, "web-history") };
	const char *keep_days = cli_opt(c, "keep-days");
	const char *max_size = cli_opt(c, "max-size");
	struct sbuf bad = SBUF_INIT;

	if (set.owner_notices == -2 || set.self_copy == -2 || set.archive == -2 || set.emergency == -2 ||
	    set.web_history == -2)
		return 1;
	if (!set.title && !set.policy && !set.language && set.owner_notices < 0 && !set.subject_prefix && !set.footer &&
	    !set.reply_to && !max_size && set.self_copy < 0 && set.archive < 0 && set.emergency < 0 &&
	    set.moderate_new < 0 && !keep_days && !set.attachments && !set.html && set.web_history < 0)
		return cli_fail("group set needs a setting to change (see mlistctl --help)");
	if (max_size) {
		char *end = NULL;
		set.max_size = strcmp(max_size, "default") == 0 ? 0 : strtoll(max_size, &end, 10);
		if ((end && (*end || end == max_size)) || set.max_size < 0)
			return cli_fail("--max-size is a number of octets (or default, the SMTP limit only), not '%s'",
					max_size);
	}
	if (keep_days) {
		char *end = NULL;
		set.keep_days = strcmp(keep_days, "forever") == 0 ? 0 : strtoll(keep_days, &end, 10);
		if ((end && (*end || end == keep_days)) || set.keep_days < 0)
			return cli_fail("--keep-days is a number of days (or forever), not '%s'", keep_days);
	}
	if (set.footer && strcmp(set.footer, "default") != 0) {
		int line = texts_check_footer(set.footer, &bad);
		if (line) {
			int r = cli_fail("--footer, line %d: unknown placeholder {%s}", line, bad.buf);
			sbuf_release(&bad);
			return r;
		}
	}
	if (set.language && strcmp(set.language, "default") == 0) {
		set.language = "";
	} else if (set.language && !texts_has_language(c->cfg->texts, set.language)) {
		struct sbuf langs = SBUF_INIT;
		texts_languages(c->cfg->texts, &langs);
		int r = cli_fail("no texts in language '%s' (there are: %s; or default, the config's)", set.language,
				 langs.buf);
		sbuf_release(&langs);
		return r;
	}
	if (store_group_set(c->store, c->arg[0], &set) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "changed group %s\n", c->arg[0]);
	return 0;
}

/* Writes one group's fields as JSON members, without the object's braces. */
static void group_json_fields(FILE *out, const struct group_row *g)
{
	json_pair(out, "name", g->name);
	fputs(", ", out);
	json_pair(out, "kind", g->kind);
	fputs(", ", out);
	json_pair(out, "title", g->title);
	fputs(", ", out);
	json_pair(out, "policy", g->policy);
	fputs(", ", out);
	json_pair(out, "language", g->language);
	fprintf(out, ", \"owner_notices\": %s, \"subject_prefix\": ", g->owner_notices ? "true" : "false");
	if (g->subject_prefix)
		json_string(out, g->subject_prefix);
	else
		fputs("null", out);
	fputs(", \"footer\": ", out);
	if (g->footer)
		json_string(out, g->footer);
	else
		fputs("null", out);
	fputs(", ", out);
	json_pair(out, "reply_to", g->reply_to);
	fprintf(out, ", \"max_size\": %lld, \"self_copy\": %s, \"archive\": %s, \"emergency\": %s,"
		" \"moderate_new_members\": %s, \"keep_days\": %lld", g->max_size, g->self_copy ? "true" : "false",
		g->archive ? "true" : "false", g->emergency ? "true" : "false", g->moderate_new ? "true" : "false",
		g->keep_days);
	/* "" is the config's: null, as for the prefix and the footer */
	fputs(", \"attachments\": ", out);
	if (*g->attachments)
		json_string(out, g->attachments);
	else
		fputs("null", out);
	fputs(", \"html\": ", out);
	if (*g->html)
		json_string(out, g->html);
	else
		fputs("null", out);
	fprintf(out, ", \"web_history\": %s, \"members\": %lld, \"moderators\": %lld, \"created\": ",
		g->web_history ? "true" : "false", g->members, g->moderators);
	json_time(out, g->created);
}

static int print_group(const struct group_row *g, void *ctx)
{
	struct lister *p = ctx;
	FILE *out = p->c->out;

	if (p->c->json) {
		fputs(p->count ? ",\n  {" : "\n  {", out);
		group_json_fields(out, g);
		fputc('}', out);
	} else {
		fprintf(out, "%-28s %-12s %-10s %5lld  %s\n", g->name, g->kind, g->policy, g->members, g->title);
	}
	p->count++;
	return 0;
}

int cmd_group_list(struct cli *c)
{
	struct lister p = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	else
		fprintf(c->out, "%-28s %-12s %-10s %5s  %s\n", "NAME", "KIND", "POLICY", "MEMBERS", "TITLE");
	if (store_group_each(c->store, cli_opt(c, "kind"), print_group, &p) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(p.count ? "\n]\n" : "]\n", c->out);
	return 0;
}

/* Collects the names of linked groups for group show. */
static int print_linked_name(const struct group_row *g, void *ctx)
{
	struct lister *p = ctx;

	if (p->c->json) {
		fputs(p->count ? ", " : "", p->c->out);
		json_string(p->c->out, g->name);
	} else {
		fprintf(p->c->out, "%s%s", p->count ? ", " : "", g->name);
	}
	p->count++;
	return 0;
}

static int show_group(const struct group_row *g, void *ctx)
{
	struct cli *c = ctx;
	struct lister linked = { c, 0 };
	/* A project lists its change lines; a change line its projects; a general group neither. */
	const char *links = strcmp(g->kind, "project") == 0 ? "change_lines"
			    : strcmp(g->kind, "change-line") == 0 ? "projects" : NULL;

	if (c->json) {
		fputc('{', c->out);
		group_json_fields(c->out, g);
	} else {
		fprintf(c->out, "name:       %s\nkind:       %s\ntitle:      %s\npolicy:     %s\n"
			"language:   %s%s\nowner notices: %s\nprefix:     %s\nfooter:     %s\nreply-to:   %s\n"
			"max size:   %s\nself copies: %s\narchive:    %s\nemergency:  %s\nnew members: %s\n"
			"attachments: %s%s\nhtml:       %s%s\nweb history: %s\nmembers:    %lld\nmoderators: %lld\n",
			g->name, g->kind, g->title, g->policy, *g->language ? g->language : c->cfg->language,
			*g->language ? "" : " (the config's)", g->owner_notices ? "on" : "off",
			!g->subject_prefix ? "(the config's)" : *g->subject_prefix ? g->subject_prefix : "none",
			!g->footer ? "(the config's)" : *g->footer ? "(its own)" : "none", g->reply_to,
			g->max_size ? "its own" : "the SMTP limit", g->self_copy ? "on" : "off", g->archive ? "on" : "off",
			g->emergency ? "ON: every post waits" : "off", g->moderate_new ? "first post moderated" : "post freely",
			*g->attachments ? g->attachments : attachment_policies[c->cfg->content.attachments],
			*g->attachments ? "" : " (the config's)", *g->html ? g->html : html_policies[c->cfg->content.html],
			*g->html ? "" : " (the config's)",
			g->web_history ? "on" : "off: members see only what was posted after they joined", g->members,
			g->moderators);
		if (g->max_size)
			fprintf(c->out, "            %lld octets\n", g->max_size);
	}
	if (links) {
		if (c->json)
			fprintf(c->out, ", \"%s\": [", links);
		else
			fprintf(c->out, "%-11s ", strcmp(links, "projects") == 0 ? "projects:" : "lines:");
		if (store_group_linked(c->store, g->name, print_linked_name, &linked) < 0)
			return -1;
		if (c->json)
			fputc(']', c->out);
	}
	fputs(c->json ? "}\n" : "\n", c->out);
	return 0;
}

int cmd_group_show(struct cli *c)
{
	if (store_group_get(c->store, c->arg[0], show_group, c) < 0)
		return cli_store_fail(c);
	return 0;
}

int cmd_group_link(struct cli *c)
{
	if (store_group_link(c->store, c->arg[0], c->arg[1]) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "linked %s to %s\n", c->arg[0], c->arg[1]);
	return 0;
}

int cmd_group_unlink(struct cli *c)
{
	if (store_group_unlink(c->store, c->arg[0], c->arg[1]) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "unlinked %s from %s\n", c->arg[0], c->arg[1]);
	return 0;
}
