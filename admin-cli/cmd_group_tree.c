/*
 * cmd_group_tree: mlistctl group tree -- the change lines with their
 * projects under them, then projects linked to no line, then the general
 * groups.  A project linked to two lines shows under both.
 */
#include "cli.h"
#include "json_out.h"
#include "store.h"
#include "store_group.h"

struct tree {
	struct cli *c;
	int count;        /* entries written at the current level, for JSON commas */
	int linked;       /* lines found for the project being looked at */
};

/* Writes one leaf (a project under a line, or an unlinked project / general group). */
static void leaf(struct tree *t, const struct group_row *g, const char *indent)
{
	FILE *out = t->c->out;

	if (t->c->json) {
		fputs(t->count ? ", {" : "{", out);
		json_pair(out, "name", g->name);
		fputs(", ", out);
		json_pair(out, "title", g->title);
		fputc('}', out);
	} else {
		fprintf(out, "%s%-28s %s\n", indent, g->name, g->title);
	}
	t->count++;
}

static int project_leaf(const struct group_row *g, void *ctx)
{
	leaf(ctx, g, "    ");
	return 0;
}

static int line_branch(const struct group_row *g, void *ctx)
{
	struct tree *t = ctx, sub = { t->c, 0, 0 };
	FILE *out = t->c->out;

	if (t->c->json) {
		fputs(t->count ? ",\n    {" : "\n    {", out);
		json_pair(out, "name", g->name);
		fputs(", ", out);
		json_pair(out, "title", g->title);
		fputs(", \"projects\": [", out);
	} else {
		fprintf(out, "%s (%s)\n", *g->title ? g->title : g->name, g->name);
	}
	if (store_group_linked(t->c->store, g->name, project_leaf, &sub) < 0)
		return -1;
	if (t->c->json)
		fputs("]}", out);
	else if (sub.count == 0)
		fputs("    (no projects yet)\n", out);
	t->count++;
	return 0;
}

static int count_line(const struct group_row *g, void *ctx)
{
	(void)g;
	((struct tree *)ctx)->linked++;
	return 0;
}

static int unlinked_leaf(const struct group_row *g, void *ctx)
{
	struct tree *t = ctx, probe = { t->c, 0, 0 };

	if (store_group_linked(t->c->store, g->name, count_line, &probe) < 0)
		return -1;
	if (probe.linked == 0) {
		if (!t->c->json && t->count == 0)
			fputs("Projects not linked to a change line\n", t->c->out);
		leaf(t, g, "    ");
	}
	return 0;
}

static int general_leaf(const struct group_row *g, void *ctx)
{
	struct tree *t = ctx;

	if (!t->c->json && t->count == 0)
		fputs("General groups\n", t->c->out);
	leaf(t, g, "    ");
	return 0;
}

int cmd_group_tree(struct cli *c)
{
	struct tree lines = { c, 0, 0 }, unlinked = { c, 0, 0 }, general = { c, 0, 0 };
	FILE *out = c->out;

	if (c->json)
		fputs("{\"change_lines\": [", out);
	if (store_group_each(c->store, "change-line", line_branch, &lines) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(lines.count ? "\n  ],\n \"unlinked_projects\": [" : "],\n \"unlinked_projects\": [", out);
	if (store_group_each(c->store, "project", unlinked_leaf, &unlinked) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs("],\n \"general\": [", out);
	if (store_group_each(c->store, "general", general_leaf, &general) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs("]}\n", out);
	else if (lines.count + unlinked.count + general.count == 0)
		fputs("no groups yet; add one with: mlistctl group add NAME --kind change-line\n", out);
	return 0;
}
