/*
 * cmd_member: mlistctl member add|remove|enable|set|rename|list|find|export|forget.
 * (member import lives in cmd_member_import.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "erase.h"
#include "json_out.h"
#include "names.h"
#include "notice.h"
#include "spool.h"
#include "store.h"
#include "store_bounce.h"
#include "store_member.h"
#include "store_web.h"
#include "sbuf.h"
#include "template.h"

/*
 * Runs change (a subscribe or unsubscribe of c->arg[1] in c->arg[0]) in a
 * store transaction; with tell, the person is sent text id from
 * GROUP-request@ in the same transaction, so they hear of it exactly when
 * it happened.  Returns 0, or the exit status of a failure.
 */
static int change_and_tell(struct cli *c, int (*change)(struct cli *c), int tell, enum text_id id)
{
	struct sbuf err = SBUF_INIT, from = SBUF_INIT;
	struct spool *sp = NULL;
	int r;

	if (!tell)
		return change(c) < 0 ? cli_store_fail(c) : 0;
	if (!(sp = spool_attach(c->cfg->spool, &err))) {
		r = cli_fail("%s", err.buf);
		sbuf_release(&err);
		return r;
	}
	struct template_var who[] = { { "address", c->arg[1] } };
	sbuf_addf(&from, "%s-request@%s", c->arg[0], c->cfg->domain);
	r = store_begin(c->store) < 0 || change(c) < 0 ||
	    notice_text(c->cfg, c->store, sp, c->arg[0], from.buf, NULL, c->arg[1], id, who, 1) < 0 ||
	    notice_commit(c->store, sp) < 0 ? -1 : 0;
	if (r < 0) {
		notice_rollback(c->store, sp);
		r = cli_store_fail(c);
	} else {
		spool_doorbell_ring(sp, SPOOL_BELL_DELIVER);
	}
	spool_close(sp);
	sbuf_release(&err);
	sbuf_release(&from);
	return r;
}

static int subscribe(struct cli *c)
{
	const char *mode = cli_opt(c, "mode");

	if (store_subscribe(c->store, c->arg[0], c->arg[1], cli_opt(c, "name"), mode ? mode : "each",
			    cli_opt(c, "follow-line") != NULL, SUBSCRIBE_REFUSE) < 0)
		return -1;
	return cli_opt(c, "no-self-copy") ? store_person_set_self_copy(c->store, c->arg[1], 0) : 0;
}

int cmd_member_add(struct cli *c)
{
	const char *name = cli_opt(c, "name");
	struct sbuf why = SBUF_INIT;

	if (cli_check_address(c->arg[1]))
		return 1;
	if (name && display_name_check(name, strlen(name), &why) < 0) {
		int r = cli_fail("bad --name: %s", why.buf);
		sbuf_release(&why);
		return r;
	}
	int r = change_and_tell(c, subscribe, cli_opt(c, "welcome") != NULL, TEXT_WELCOME);
	if (r == 0)
		fprintf(c->out, "added %s to %s%s\n", c->arg[1], c->arg[0], cli_opt(c, "welcome") ? "; welcome sent" : "");
	return r;
}

static int unsubscribe(struct cli *c)
{
	return store_unsubscribe(c->store, c->arg[0], c->arg[1]);
}

int cmd_member_remove(struct cli *c)
{
	int r = change_and_tell(c, unsubscribe, cli_opt(c, "goodbye") != NULL, TEXT_GOODBYE);

	if (r == 0)
		fprintf(c->out, "removed %s from %s%s\n", c->arg[1], c->arg[0], cli_opt(c, "goodbye") ? "; goodbye sent" : "");
	return r;
}

int cmd_member_enable(struct cli *c)
{
	int was = store_person_enable(c->store, c->arg[0], c->arg[1]);

	if (was < 0)
		return cli_store_fail(c);
	fprintf(c->out, was ? "enabled %s again: mail goes to them, their bounce count starts over\n"
			    : "%s was not disabled; their bounce count starts over\n",
		c->arg[1]);
	return 0;
}

/* A flag pair --NAME / --no-NAME: 1, 0, or -1 when neither is given. */
static int flag_pair(struct cli *c, const char *name)
{
	char no[40];

	snprintf(no, sizeof(no), "no-%s", name);
	return cli_opt(c, name) ? 1 : cli_opt(c, no) ? 0 : -1;
}

int cmd_member_set(struct cli *c)
{
	struct subscription_settings set = { cli_opt(c, "mode"), flag_pair(c, "follow-line"), cli_opt(c, "digest-format") };
	int self_copy = flag_pair(c, "self-copy");

	if (!set.mode && set.follow_line < 0 && !set.digest_format && self_copy < 0)
		return cli_fail("member set needs --mode, --digest-format, --[no-]follow-line or --[no-]self-copy");
	/* With no subscription setting given, store_subscription_set changes nothing but still refuses a non-member. */
	if (store_subscription_set(c->store, c->arg[0], c->arg[1], &set) < 0)
		return cli_store_fail(c);
	/* Self-copy is the person's own, in every group they post to. */
	if (self_copy >= 0 && store_person_set_self_copy(c->store, c->arg[1], self_copy) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "changed %s in %s\n", c->arg[1], c->arg[0]);
	return 0;
}

int cmd_member_rename(struct cli *c)
{
	if (cli_check_address(c->arg[1]))
		return 1;
	if (store_person_rename(c->store, c->arg[0], c->arg[1]) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "%s is now %s, with every subscription and setting\n", c->arg[0], c->arg[1]);
	return 0;
}

static int print_member(const struct subscription_row *s, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  {" : "\n  {", out);
		json_pair(out, "address", s->address);
		fputs(", ", out);
		json_pair(out, "name", s->name);
		fputs(", ", out);
		json_pair(out, "mode", s->mode);
		fputs(", ", out);
		json_pair(out, "digest_format", s->digest_format);
		fprintf(out, ", \"follow_line\": %s, \"disabled\": %s, \"since\": ",
			s->follow_line ? "true" : "false", s->disabled ? "true" : "false");
		json_time(out, s->created);
		fputc('}', out);
	} else {
		fprintf(out, "%-40s %-7s %s%s%s\n", s->address, s->mode, s->name,
			s->follow_line ? " [follows line]" : "", s->disabled ? " [disabled]" : "");
	}
	l->count++;
	return 0;
}

int cmd_member_list(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	if (store_subscription_each(c->store, c->arg[0], print_member, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	return 0;
}

/* member export: writes JSON arrays of a person's rows. */
struct exporter {
	struct cli *c;
	int count;   /* entries written in the current array */
};

static int export_subscription(const struct subscription_row *s, void *ctx)
{
	struct exporter *e = ctx;
	FILE *out = e->c->out;

	fputs(e->count ? ",\n    {" : "\n    {", out);
	json_pair(out, "group", s->group);
	fputs(", ", out);
	json_pair(out, "mode", s->mode);
	fprintf(out, ", \"follow_line\": %s, \"since\": ", s->follow_line ? "true" : "false");
	json_time(out, s->created);
	fputc('}', out);
	e->count++;
	return 0;
}

static int export_moderates(const struct subscription_row *s, void *ctx)
{
	struct exporter *e = ctx;
	FILE *out = e->c->out;

	fputs(e->count ? ",\n    {" : "\n    {", out);
	json_pair(out, "group", s->group);
	fputs(", \"since\": ", out);
	json_time(out, s->created);
	fputc('}', out);
	e->count++;
	return 0;
}

/* Writes the person's own fields, opening the export's object. */
static int export_person(const struct person_row *p, void *ctx)
{
	struct exporter *e = ctx;
	FILE *out = e->c->out;

	fputc('{', out);
	json_pair(out, "address", p->address);
	fputs(",\n  ", out);
	json_pair(out, "name", p->name);
	fprintf(out, ",\n  \"disabled\": %s,\n  \"self_copy\": %s,\n  \"bounce_score\": %lld,\n  \"created\": ",
		p->disabled ? "true" : "false", p->self_copy ? "true" : "false", p->bounce_score);
	json_time(out, p->created);
	return 0;
}

static int export_bounce(const struct bounce_row *b, void *ctx)
{
	struct exporter *e = ctx;
	FILE *out = e->c->out;

	fputs(e->count ? ",\n    {\"at\": " : "\n    {\"at\": ", out);
	json_time(out, b->at);
	fputs(", ", out);
	json_pair(out, "group", b->group);
	fputs(", ", out);
	json_pair(out, "kind", b->kind);
	fputs(", ", out);
	json_pair(out, "status", b->status);
	fputs(", ", out);
	json_pair(out, "diagnostic", b->diagnostic);
	fputc('}', out);
	e->count++;
	return 0;
}

int cmd_member_export(struct cli *c)
{
	struct exporter person = { c, 0 }, subs = { c, 0 }, mods = { c, 0 }, bounces = { c, 0 };
	FILE *out = c->out;

	if (store_person_get(c->store, c->arg[0], export_person, &person) < 0)
		return cli_store_fail(c);
	fputs(",\n  \"subscriptions\": [", out);
	if (store_person_subscriptions(c->store, c->arg[0], export_subscription, &subs) < 0)
		return cli_store_fail(c);
	fputs("],\n  \"moderates\": [", out);
	if (store_person_moderates(c->store, c->arg[0], export_moderates, &mods) < 0)
		return cli_store_fail(c);
	fputs("],\n  \"bounces\": [", out);
	if (store_person_bounces(c->store, c->arg[0], export_bounce, &bounces) < 0)
		return cli_store_fail(c);
	fputs("]}\n", out);
	return 0;
}

static int find_person(const struct person_row *p, void *ctx)
{
	struct cli *c = ctx;

	fprintf(c->out, "%s%s%s%s\n  copies of own posts: %s%s\n", p->address, *p->name ? " (" : "", p->name,
		*p->name ? ")" : "", p->self_copy ? "yes" : "no", p->disabled ? "\n  delivery disabled after bounces" : "");
	return 0;
}

static int find_subscription(const struct subscription_row *s, void *ctx)
{
	struct cli *c = ctx;

	fprintf(c->out, "  member of    %-28s %s%s%s%s\n", s->group, s->mode,
		strcmp(s->mode, "digest") == 0 && strcmp(s->digest_format, "text") == 0 ? " (plain text)" : "",
		s->follow_line ? ", follows the line" : "", s->disabled ? ", disabled" : "");
	return 0;
}

static int find_moderates(const struct subscription_row *s, void *ctx)
{
	struct cli *c = ctx;

	fprintf(c->out, "  moderates    %s\n", s->group);
	return 0;
}

int cmd_member_find(struct cli *c)
{
	if (c->json)
		return cmd_member_export(c);
	if (store_person_get(c->store, c->arg[0], find_person, c) < 0 ||
	    store_person_subscriptions(c->store, c->arg[0], find_subscription, c) < 0 ||
	    store_person_moderates(c->store, c->arg[0], find_moderates, c) < 0)
		return cli_store_fail(c);
	return 0;
}

/* What forget gathers before the store forgets: names for the file sweep, posts for --with-posts. */
struct gathered {
	char **items;
	int n;
};

static int gather(const char *value, void *ctx)
{
	struct gathered *g = ctx;

	g->items = xrealloc(g->items, (size_t)(g->n + 1) * sizeof(char *));
	g->items[g->n++] = xstrdup(value);
	return 0;
}

static void gathered_release(struct gathered *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->items[i]);
	free(g->items);
}

/* The store part of forget, one transaction: their posts first (--with-posts), then the person. */
static int forget_in_store(struct cli *c, const char *pseudonym, struct gathered *names, struct forget_counts *n,
			   int *posts_removed)
{
	struct gathered posts = { NULL, 0 };
	int r = 0;

	if (store_begin(c->store) < 0)
		return cli_store_fail(c);
	if (store_person_names(c->store, c->arg[0], gather, names) < 0 ||
	    (cli_opt(c, "with-posts") && store_person_posts(c->store, c->arg[0], gather, &posts) < 0))
		r = cli_store_fail(c);
	for (int i = 0; i < posts.n && r == 0; i++) {
		struct post_removal x = { NULL, NULL, 0 };
		r = cli_post_remove(c, posts.items[i], &x);
		cli_post_removal_release(&x);
		*posts_removed += r == 0;
	}
	if (r == 0 && (store_person_forget(c->store, c->arg[0], pseudonym, n) < 0 || store_commit(c->store) < 0))
		r = cli_store_fail(c);
	if (r != 0)
		store_rollback(c->store);
	gathered_release(&posts);
	return r;
}

/* store_person_get's callback when only whether the person is known matters. */
static int person_known(const struct person_row *p, void *ctx)
{
	(void)p;
	(void)ctx;
	return 0;
}

int cmd_member_forget(struct cli *c)
{
	struct forget_counts n;
	struct gathered names = { NULL, 0 };
	struct erase_counts files;
	struct sbuf err = SBUF_INIT;
	char token[33], pseudonym[64];
	int posts_removed = 0, known, r = 0;

	/* a pseudonym that says nothing of the person, the same in every record of their posts */
	if (notice_token(token) < 0)
		return cli_fail("no randomness for a pseudonym");
	snprintf(pseudonym, sizeof(pseudonym), "removed-member-%.8s@invalid", token);
	/* first what a crash left in the spool's journal only: the sweep below then erases it as well */
	struct journal_settling js;
	if (cli_journal_settle(c, &js) != 0)
		return 1;
	if ((known = store_person_get(c->store, c->arg[0], person_known, NULL) == 0) &&
	    forget_in_store(c, pseudonym, &names, &n, &posts_removed) != 0) {
		gathered_release(&names);
		return 1;
	}
	/*
	 * The files after the commit: a crash in between leaves the person's
	 * address in files only, and forget run again (the address unknown
	 * to the store by then) sweeps them once more.
	 */
	struct erase_person who = { c->arg[0], names.items, names.n, pseudonym };
	if (erase_person_files(c->cfg->spool, &who, &files, &err) < 0)
		r = cli_fail("some files still name them (run forget again):\n%s", err.buf);
	/*
	 * mlistd-web may have indexed archive files again between the commit
	 * (which emptied the search index) and their sweep, or after a crash
	 * before it: the index is emptied once more now they are rewritten.
	 */
	int wal = store_web_index_clear(c->store) < 0 ? -1 : store_checkpoint_truncate(c->store);
	/* and the journal of a running mlistd keeps no copy of their posts once this returns */
	if (cli_journal_wait(c, &js) != 0)
		r = 1;
	if (!known)
		fprintf(c->out, "%s is not in the store (forgotten already?); the spool and the archive were swept:\n",
			c->arg[0]);
	else
		fprintf(c->out, "forgot %s:\n  erased: %lld subscription(s), %lld moderator role(s), %lld delivery record(s),"
			" %lld bounce record(s), %lld token(s), %lld author note(s)\n  given up: %lld notice(s) to them\n"
			"  their %lld post record(s) now name %s\n  removed: %d post(s) of theirs, from the threads"
			" and the archive\n",
			c->arg[0], n.subscriptions, n.moderates, n.deliveries, n.bounces, n.tokens, n.author_notes,
			n.notices, n.messages, pseudonym, posts_removed);
	if (js.put_back)
		fprintf(c->out, "  the spool's journal put back %d file(s) a crash had taken, for the sweep\n", js.put_back);
	fprintf(c->out, "  files: %d rewritten without them, %d notice(s) to them removed%s\n", files.rewritten,
		files.removed, files.failed ? ", some failed (see above)" : "");
	if (wal < 0)
		r = cli_store_fail(c);
	else if (wal > 0)
		fprintf(c->out, "  the store's -wal may still hold old pages: another process was reading; "
			"run forget again once it is idle\n");
	gathered_release(&names);
	sbuf_release(&err);
	return r;
}
