/*
 * cmd_held: mlistctl held list|show|approve|reject|discard|assign -- the
 * moderators' queue.  An approved post goes out exactly like a post that
 * needed no approval: mlistd-deliver archives it and sends its copies
 * within seconds.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "moderation.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"
#include "store_held.h"
#include "verdict.h"

static int print_held(const struct held_row *h, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  {" : "\n  {", out);
		fprintf(out, "\"id\": %lld, ", h->id);
		json_pair(out, "groups", h->groups);
		fputs(", ", out);
		json_pair(out, "reason", h->reason);
		fputs(", ", out);
		json_pair(out, "message_id", h->message_id);
		fputs(", ", out);
		json_pair(out, "from", h->from_addr);
		fputs(", ", out);
		json_pair(out, "subject", h->subject);
		fputs(", \"held_since\": ", out);
		json_time(out, h->created);
		fputc('}', out);
	} else {
		fprintf(out, "%5lld  ", h->id);
		write_utc(out, h->created, "%Y-%m-%d %H:%M");
		fprintf(out, "  %-24s %-28s %s  (%s)\n", *h->groups ? h->groups : "(unsorted)", h->from_addr,
			*h->subject ? h->subject : "(no subject)", h->reason);
	}
	l->count++;
	return 0;
}

int cmd_held_list(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	if (store_held_each(c->store, c->n_args ? c->arg[0] : NULL, print_held, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	else if (l.count == 0)
		fputs("nothing is held\n", c->out);
	return 0;
}

/* The held post's id from the command line, refusing anything but a positive number. */
static long long held_id(const char *arg)
{
	char *end;
	long long id = strtoll(arg, &end, 10);

	return *arg && !*end && id > 0 ? id : -1;
}

static int show_held(const struct held_row *h, void *ctx)
{
	struct cli *c = ctx;
	struct sbuf err = SBUF_INIT;
	struct spool *sp = spool_attach(c->cfg->spool, &err);
	struct spool_message msg;
	int r = 0;

	fprintf(c->out, "held:       %lld, since ", h->id);
	write_utc(c->out, h->created, "%Y-%m-%d %H:%M UTC");
	fprintf(c->out, "\nreason:     %s\ngroups:     %s\n\n", h->reason, *h->groups ? h->groups : "(unsorted)");
	if (!sp || spool_read(sp, "queue", h->spool_id, &msg, &err) < 0) {
		r = cli_fail("cannot read the held post: %s", err.buf);
	} else {
		fwrite(msg.raw.buf + msg.body_offset, 1, msg.body_len, c->out);
		spool_message_release(&msg);
	}
	spool_close(sp);
	sbuf_release(&err);
	return r ? -1 : 0;
}

int cmd_held_show(struct cli *c)
{
	long long id = held_id(c->arg[0]);

	if (id < 0)
		return cli_fail("'%s' is not a held post's number", c->arg[0]);
	if (store_held_get(c->store, id, show_held, c) < 0)
		return *store_error(c->store) ? cli_store_fail(c) : 1;
	return 0;
}

int cmd_held_approve(struct cli *c)
{
	long long id = held_id(c->arg[0]), copies;

	if (id < 0)
		return cli_fail("'%s' is not a held post's number", c->arg[0]);
	if (store_begin(c->store) < 0)
		return cli_store_fail(c);
	if ((copies = store_held_approve(c->store, id, (long long)time(NULL))) < 0 || store_commit(c->store) < 0) {
		int r = cli_store_fail(c);
		store_rollback(c->store);
		return r;
	}
	fprintf(c->out, "approved %lld: %lld cop%s queued\n", id, copies, copies == 1 ? "y" : "ies");
	return 0;
}

struct dropped {
	char *author, *subject, *group;
};

static int note_dropped(const struct held_row *h, void *ctx)
{
	struct dropped *d = ctx;

	d->author = xstrdup(h->from_addr);
	d->subject = xstrdup(h->subject);
	d->group = xstrdup(h->first_group);
	return 0;
}

static void free_dropped(struct dropped *d)
{
	free(d->author);
	free(d->subject);
	free(d->group);
}

static int drop(struct cli *c, const char *decision)
{
	long long id = held_id(c->arg[0]);
	struct dropped d = { NULL, NULL, NULL };
	const char *reason = cli_opt(c, "reason");
	struct sbuf err = SBUF_INIT;
	struct spool *sp = NULL;
	int failed;

	if (id < 0)
		return cli_fail("'%s' is not a held post's number", c->arg[0]);
	/* The decision and the note to the author are one transaction: both or neither. */
	failed = store_begin(c->store) < 0 || store_held_get(c->store, id, note_dropped, &d) < 0 ||
		 store_held_drop(c->store, id, decision) < 0;
	if (!failed && strcmp(decision, "rejected") == 0 && *d.author) {
		sp = spool_attach(c->cfg->spool, &err);
		failed = !sp || moderation_tell_author(c->cfg, c->store, sp, *d.group ? d.group : "postmaster", d.author,
						       d.subject, "was not accepted", reason ? reason : "") < 0;
	}
	if (failed || store_commit(c->store) < 0) {
		int r = err.len ? cli_fail("%s", err.buf) : cli_store_fail(c);
		store_rollback(c->store);
		spool_close(sp);
		sbuf_release(&err);
		free_dropped(&d);
		return r;
	}
	spool_close(sp);
	sbuf_release(&err);
	free_dropped(&d);
	fprintf(c->out, "%s %lld%s%s\n", decision, id, reason ? ": " : "", reason ? reason : "");
	return 0;
}

int cmd_held_reject(struct cli *c)
{
	return drop(c, "rejected");
}

int cmd_held_discard(struct cli *c)
{
	return drop(c, "discarded");
}

/* The author of a held post, for applying a group's policy to it. */
static int note_author(const struct held_row *h, void *ctx)
{
	sbuf_addstr(ctx, h->from_addr);
	return 0;
}

int cmd_held_assign(struct cli *c)
{
	long long id = held_id(c->arg[0]), gid, copies;
	struct sbuf author = SBUF_INIT;
	struct author_standing who;
	struct post_facts facts = { 0 };
	struct decision d = { VERDICT_REFUSE, NULL };
	int r = 0, ok;

	if (id < 0)
		return cli_fail("'%s' is not a held post's number", c->arg[0]);
	if ((gid = store_group_id(c->store, c->arg[1])) < 0 || store_begin(c->store) < 0)
		return cli_store_fail(c);
	/* Sorted into the group, the post meets the group's verdict like any other post. */
	ok = store_held_assign(c->store, id, c->arg[1]) == 0 && store_held_get(c->store, id, note_author, &author) == 0 &&
	     store_author_standing(c->store, gid, author.buf, &who) == 0 &&
	     policy_from_name(who.policy, &facts.policy) == 0;
	if (ok) {
		facts.member = who.member;
		facts.moderator = who.moderator;
		d = verdict_decide(&facts);
	}
	if (ok && d.verdict == VERDICT_PASS && (copies = store_held_approve(c->store, id, (long long)time(NULL))) >= 0 &&
	    store_commit(c->store) == 0) {
		fprintf(c->out, "held post %lld sorted into %s and sent: %lld cop%s queued\n", id, c->arg[1], copies,
			copies == 1 ? "y" : "ies");
	} else if (ok && d.verdict == VERDICT_HOLD && store_commit(c->store) == 0) {
		fprintf(c->out, "held post %lld sorted into %s; it stays held there (%s): mlistctl held approve %lld\n",
			id, c->arg[1], d.reason, id);
	} else if (ok && d.verdict == VERDICT_REFUSE) {
		store_rollback(c->store);
		r = cli_fail("%s: %s; reject or discard the post instead", c->arg[1], d.reason);
	} else {
		r = cli_store_fail(c);
		store_rollback(c->store);
	}
	sbuf_release(&author);
	return r;
}
