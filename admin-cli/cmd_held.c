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
#include "notice.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "held.h"
#include "store_held.h"

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

/*
 * Runs one held-post verb on the id in the first argument, in a store
 * transaction of its own with the spool for the notices it queues.
 * verb returns 0 (done, with what to print in out), 1 (refused, reason
 * printed), or -1 (the store failed).
 */
static int in_transaction(struct cli *c, int (*verb)(struct cli *c, const struct held_ctx *hc, long long id,
						    struct sbuf *out))
{
	long long id = held_id(c->arg[0]);
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct spool *sp;
	int r;

	if (id < 0)
		return cli_fail("'%s' is not a held post's number", c->arg[0]);
	if (!(sp = spool_attach(c->cfg->spool, &err))) {
		r = cli_fail("%s", err.buf);
		sbuf_release(&err);
		return r;
	}
	struct held_ctx hc = { c->cfg, c->store, sp };
	r = store_begin(c->store) < 0 ? -1 : verb(c, &hc, id, &out);
	if (r == 0 && notice_commit(c->store, sp) < 0)
		r = -1;
	if (r != 0)
		notice_rollback(c->store, sp);
	if (r < 0) {
		r = cli_store_fail(c);
	} else if (r == 0) {
		/* What the decision queued (copies, notes) goes out now, not at delivery's next look. */
		spool_doorbell_ring(sp, SPOOL_BELL_DELIVER);
		fputs(out.buf, c->out);
	}
	spool_close(sp);
	sbuf_release(&err);
	sbuf_release(&out);
	return r;
}

static int approve(struct cli *c, const struct held_ctx *hc, long long id, struct sbuf *out)
{
	int trust = cli_opt(c, "trust") != NULL;
	long long copies = held_approve(hc, id, (long long)time(NULL), trust);

	if (copies == HELD_UNSORTED)
		return cli_fail("held post %lld fits no group yet: mlistctl held assign %lld GROUP", id, id);
	if (copies < 0)
		return -1;
	sbuf_addf(out, "approved %lld: %lld cop%s queued%s\n", id, copies, copies == 1 ? "y" : "ies",
		  trust ? "; its author posts freely from now on" : "");
	return 0;
}

int cmd_held_approve(struct cli *c)
{
	return in_transaction(c, approve);
}

static int reject(struct cli *c, const struct held_ctx *hc, long long id, struct sbuf *out)
{
	const char *reason = cli_opt(c, "reason");

	if (held_reject(hc, id, reason ? reason : "") < 0)
		return -1;
	sbuf_addf(out, "rejected %lld%s%s\n", id, reason ? ": " : "", reason ? reason : "");
	return 0;
}

int cmd_held_reject(struct cli *c)
{
	return in_transaction(c, reject);
}

static int discard(struct cli *c, const struct held_ctx *hc, long long id, struct sbuf *out)
{
	(void)c;
	if (held_discard(hc, id) < 0)
		return -1;
	sbuf_addf(out, "discarded %lld\n", id);
	return 0;
}

int cmd_held_discard(struct cli *c)
{
	return in_transaction(c, discard);
}

static int assign(struct cli *c, const struct held_ctx *hc, long long id, struct sbuf *out)
{
	const char *group = c->arg[1];
	struct decision d;
	long long copies;

	if (held_assign(hc, id, group, (long long)time(NULL), &d, &copies) < 0)
		return -1;
	if (d.verdict == VERDICT_REFUSE)
		return cli_fail("%s: %s; reject or discard the post instead", group, d.reason);
	if (d.verdict == VERDICT_PASS)
		sbuf_addf(out, "held post %lld sorted into %s and sent: %lld cop%s queued\n", id, group, copies,
			  copies == 1 ? "y" : "ies");
	else
		sbuf_addf(out, "held post %lld sorted into %s; it stays held there (%s): mlistctl held approve %lld\n",
			  id, group, d.reason, id);
	return 0;
}

int cmd_held_assign(struct cli *c)
{
	return in_transaction(c, assign);
}
