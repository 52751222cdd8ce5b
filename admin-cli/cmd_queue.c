/*
 * cmd_queue: mlistctl queue list|retry, mlistctl archive export GROUP [FILE] | remove MESSAGE-ID |
 * purge GROUP --before DATE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "retention.h"
#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_delivery.h"
#include "store_group.h"
#include "store_message.h"

static int print_queue(const struct queue_row *q, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  {" : "\n  {", out);
		json_pair(out, "message_id", q->message_id);
		fputs(", ", out);
		json_pair(out, "group", q->group);
		fprintf(out, ", \"pending\": %lld, \"next_attempt\": ", q->pending);
		json_time(out, q->next_attempt);
		fputs(", \"queued\": ", out);
		json_time(out, q->oldest);
		fputs(", ", out);
		json_pair(out, "last_error", q->last_error);
		fputc('}', out);
	} else {
		write_utc(out, q->next_attempt, "%Y-%m-%d %H:%M:%S");
		fprintf(out, "  %6lld  %-24s <%s>%s%s\n", q->pending, q->group, q->message_id,
			*q->last_error ? "  " : "", q->last_error);
	}
	l->count++;
	return 0;
}

int cmd_queue_list(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	else
		fprintf(c->out, "%-19s  %6s  %-24s %s\n", "NEXT ATTEMPT (UTC)", "COPIES", "GROUP", "MESSAGE / LAST ERROR");
	if (store_queue_each(c->store, print_queue, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	else if (l.count == 0)
		fputs("the queue is empty\n", c->out);
	return 0;
}

int cmd_queue_retry(struct cli *c)
{
	long long n = store_queue_retry(c->store, (long long)time(NULL));
	struct sbuf err = SBUF_INIT;
	struct spool *sp;

	if (n < 0)
		return cli_store_fail(c);
	/* Delivery tries them now; without a spool to ring through, at its next look. */
	if ((sp = spool_attach(c->cfg->spool, &err))) {
		spool_doorbell_ring(sp, SPOOL_BELL_DELIVER);
		spool_close(sp);
	}
	sbuf_release(&err);
	fprintf(c->out, "%lld waiting cop%s will be tried again now\n", n, n == 1 ? "y" : "ies");
	return 0;
}

static int archive_on(const struct group_row *g, void *ctx)
{
	*(int *)ctx = g->archive;
	return 0;
}

int cmd_archive_export(struct cli *c)
{
	FILE *out = c->out;

	int on = 1;
	if (store_group_get(c->store, c->arg[0], archive_on, &on) < 0)
		return cli_store_fail(c);
	if (!on)
		return cli_fail("%s keeps no archive (mlistctl group set %s --archive on)", c->arg[0], c->arg[0]);
	if (c->n_args > 1 && !(out = fopen(c->arg[1], "w")))
		return cli_fail("%s: %s", c->arg[1], strerror(errno));
	long n = archive_export(c->cfg->spool, c->arg[0], out);
	int failed = ferror(out);
	if (out != c->out && fclose(out) != 0)
		failed = 1;
	if (failed)
		return cli_fail("cannot write the mbox");
	fprintf(stderr, "mlistctl: exported %ld message(s) of %s\n", n, c->arg[0]);
	return 0;
}

static int take_spool_id(const struct message_row *m, void *ctx)
{
	((struct post_removal *)ctx)->spool_id = xstrdup(m->spool_id);
	return 0;
}

static int take_group(const struct placement_row *p, void *ctx)
{
	struct post_removal *x = ctx;

	x->groups = xrealloc(x->groups, (size_t)(x->n + 1) * sizeof(char *));
	x->groups[x->n++] = xstrdup(p->group);
	return 0;
}

int cli_post_remove(struct cli *c, const char *message_id, struct post_removal *x)
{
	if (store_message_get(c->store, message_id, take_spool_id, x) < 0 ||
	    store_message_placements(c->store, message_id, take_group, x) < 0 ||
	    store_message_remove(c->store, message_id) < 0)
		return cli_store_fail(c);
	/* the files go before the caller commits: a crash then leaves a record of a post, never a post without one */
	for (int i = 0; i < x->n; i++)
		if (archive_remove(c->cfg->spool, x->groups[i], x->spool_id) < 0)
			return cli_fail("cannot remove <%s> from the archive of %s: %s", message_id, x->groups[i],
					strerror(errno));
	/* and its spool file: one the store no longer knows would be sorted as new mail (copies waiting, put back) */
	struct sbuf err = SBUF_INIT;
	struct spool *sp = spool_attach(c->cfg->spool, &err);
	int r = sp && spool_discard(sp, x->spool_id) >= 0 ? 0
		: cli_fail("cannot remove <%s> from the spool: %s", message_id, sp ? strerror(errno) : err.buf);
	spool_close(sp);
	sbuf_release(&err);
	return r;
}

void cli_post_removal_release(struct post_removal *x)
{
	for (int i = 0; i < x->n; i++)
		free(x->groups[i]);
	free(x->groups);
	free(x->spool_id);
	memset(x, 0, sizeof(*x));
}

int cli_journal_settle(struct cli *c, struct journal_settling *js)
{
	struct sbuf err = SBUF_INIT, path = SBUF_INIT;
	struct stat st;
	int r = 0;

	js->running = js->put_back = 0;
	/* No journal, nothing to settle; and no spool made here (as root, perhaps) only to look. */
	sbuf_addf(&path, "%s/journal", c->cfg->spool);
	int none = lstat(path.buf, &st) < 0 && errno == ENOENT;
	sbuf_release(&path);
	if (none)
		return 0;
	struct spool *sp = spool_attach(c->cfg->spool, &err);
	js->put_back = sp ? spool_journal_settle(sp, &js->running, &err) : -1;
	if (js->put_back < 0)
		r = cli_fail("%s", err.buf);
	spool_close(sp);
	sbuf_release(&err);
	return r;
}

int cli_journal_wait(struct cli *c, const struct journal_settling *js)
{
	struct sbuf err = SBUF_INIT;
	struct spool *sp = js->running ? spool_attach(c->cfg->spool, &err) : NULL;
	int r = 0;

	if (sp && spool_journal_wait(sp) < 0)
		r = cli_fail("%s/journal may still hold what was erased (mlistd has not checkpointed it: %s); run this "
			     "again", c->cfg->spool, strerror(errno));
	else if (js->running && !sp)
		r = cli_fail("%s", err.buf);
	spool_close(sp);
	sbuf_release(&err);
	return r;
}

int cmd_archive_remove(struct cli *c)
{
	struct post_removal x = { NULL, NULL, 0 };
	const char *id = c->arg[0];
	char bare[1000];
	int r;

	/* <id> or id, as people copy it */
	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(id + (*id == '<'), ">"), id + (*id == '<'));
	/* the journal must not put the post back as new mail after a crash (spool_journal_settle) */
	struct journal_settling js;
	if (cli_journal_settle(c, &js) != 0)
		return 1;
	if (store_begin(c->store) < 0)
		r = cli_store_fail(c);
	else if ((r = cli_post_remove(c, bare, &x)) != 0)
		store_rollback(c->store);
	else if (store_commit(c->store) < 0)
		r = cli_store_fail(c);
	if (r == 0) {
		fprintf(c->out, "removed <%s> from the archive and the threads of", bare);
		for (int i = 0; i < x.n; i++)
			fprintf(c->out, "%s %s", i ? "," : "", x.groups[i]);
		fputc('\n', c->out);
		r = cli_journal_wait(c, &js);
	}
	cli_post_removal_release(&x);
	return r;
}

int cmd_archive_purge(struct cli *c)
{
	const char *date = cli_opt(c, "before");
	struct tm tm;
	struct sbuf err = SBUF_INIT;

	memset(&tm, 0, sizeof(tm));
	const char *end = date ? strptime(date, "%Y-%m-%d", &tm) : NULL;
	if (!end || *end)
		return cli_fail("archive purge needs --before YYYY-MM-DD (local midnight starting that day)");
	tm.tm_isdst = -1;
	long long n = retention_purge(c->cfg, c->store, c->arg[0], (long long)mktime(&tm), &err);
	int r = n < 0 ? cli_fail("%s", err.buf) : 0;
	if (n >= 0)
		fprintf(c->out, "purged %lld post(s) of %s from before %s\n", n, c->arg[0], date);
	sbuf_release(&err);
	return r;
}
