/*
 * cmd_check: mlistctl check -- whether the store is sound and the spool
 * and the store agree.  Prints "store and spool agree" (exit 0), or one
 * line per problem (exit 1):
 *
 *   - what sqlite's integrity_check and foreign_key_check find;
 *   - a record that needs its spool file (store_check.h: a post held, not
 *     archived yet or with copies to send; a digest with copies to send;
 *     a notice not sent yet) whose file is missing or damaged;
 *   - a file in queue/ or notices/ that no record names, and any file in
 *     corrupt/ (the sorter sets aside there what should never happen).
 *
 * It may run while mlistd works.  A record whose file is missing is asked
 * again once the file is seen to be gone (its work may have finished
 * meanwhile, and the file gone with it); a file without a record in
 * notices/ is passed over while it is young, as notices reach the folder
 * just before the transaction that records them commits (spool.h).
 * Files in incoming/ wait for the sorter and need no record yet.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_check.h"
#include "store_delivery.h"
#include "store_notice.h"

/* How long a file in notices/ may wait for its record before it counts as having none. */
#define NOTICE_GRACE 60

/* A record that needs its file, kept past the query that found it. */
struct need {
	char *kind, *folder, *spool_id, *name;
	long long message, notice, pending;
	int held;
};

struct checker {
	struct cli *c;
	struct spool *sp;
	struct need *needs;
	size_t n_needs;
	int problems;
	int failed;        /* a store query failed: its reason is the store's error */
};

/* Prints one problem. */
static void problem(struct checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct checker *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(k->c->out, fmt, ap);
	va_end(ap);
	fputc('\n', k->c->out);
	k->problems++;
}

static int report_fault(const char *fault, void *ctx)
{
	problem(ctx, "store: %s", fault);
	return 0;
}

static int keep_need(const struct spool_need *n, void *ctx)
{
	struct checker *k = ctx;

	k->needs = xrealloc(k->needs, (k->n_needs + 1) * sizeof(*k->needs));
	k->needs[k->n_needs++] = (struct need){ xstrdup(n->kind), xstrdup(n->folder), xstrdup(n->spool_id),
						xstrdup(n->name), n->message, n->notice, n->pending, n->held };
	return 0;
}

/* "post <id> (held)", "digest <id> (3 copies to send)", "notice to a@example.org": whose file it is. */
static void describe(const struct need *n, struct sbuf *out)
{
	if (n->notice) {
		sbuf_addf(out, "notice to %s", n->name);
		return;
	}
	sbuf_addf(out, "%s <%s> (", n->kind, n->name);
	if (n->held)
		sbuf_addstr(out, "held");
	else if (n->pending)
		sbuf_addf(out, "%lld cop%s to send", n->pending, n->pending == 1 ? "y" : "ies");
	else
		sbuf_addstr(out, "not archived yet");
	sbuf_addch(out, ')');
}

/* Whether the record still needs its file now: 1, 0 (its work finished meanwhile), -1 on error. */
static int still_needed(struct checker *k, const struct need *n)
{
	int pending = 0, known;

	if (!n->notice) {
		int finished = store_delivery_finished(k->c->store, n->message);
		return finished < 0 ? -1 : !finished;
	}
	known = store_notice_pending(k->c->store, n->spool_id, &pending);
	return known < 0 ? -1 : known && pending;
}

/* Reads the file a record needs; reports it missing (and still needed) or damaged. */
static void check_need(struct checker *k, const struct need *n)
{
	struct spool_message msg;
	struct sbuf err = SBUF_INIT, who = SBUF_INIT;
	int r;

	/* a post's file may still be in incoming/, recorded but not moved yet */
	if (strcmp(n->folder, "queue") == 0)
		r = spool_read_sorted(k->sp, n->spool_id, &msg, &err);
	else
		r = spool_read(k->sp, n->folder, n->spool_id, &msg, &err);
	int e = errno;
	spool_message_release(&msg);
	if (r < 0) {
		describe(n, &who);
		if (e == EINVAL) {
			problem(k, "%s: its spool file %s is damaged: %s", who.buf, n->spool_id, err.buf);
		} else if (e != ENOENT) {
			problem(k, "%s: its spool file cannot be read: %s", who.buf, err.buf);
		} else if ((r = still_needed(k, n)) < 0) {
			k->failed = 1;
		} else if (r) {
			problem(k, "%s: its spool file %s/%s is missing", who.buf, n->folder, n->spool_id);
		}
	}
	sbuf_release(&err);
	sbuf_release(&who);
}

/* Whether FOLDER/ID is still there (a file without a record may have left meanwhile with its record). */
static int still_there(struct checker *k, const char *folder, const char *id, time_t *mtime)
{
	char *path = spool_path(k->sp, folder, id);
	struct stat st;
	int there = lstat(path, &st) == 0;

	if (there && mtime)
		*mtime = st.st_mtime;
	free(path);
	return there;
}

static void check_queue_file(const char *id, void *ctx)
{
	struct checker *k = ctx;
	long long message = 0;
	int known = k->failed ? 1 : store_message_by_spool(k->c->store, id, &message);

	if (known < 0)
		k->failed = 1;
	else if (known == 0 && still_there(k, "queue", id, NULL))
		problem(k, "queue/%s: no post in the store names this file", id);
}

static void check_notice_file(const char *id, void *ctx)
{
	struct checker *k = ctx;
	long long message = 0;
	int pending = 0, known;
	time_t mtime = 0;

	if (k->failed)
		return;
	/* a notice, or a digest (a message of mlist's own whose file is here) */
	known = store_notice_pending(k->c->store, id, &pending);
	if (known == 0)
		known = store_message_by_spool(k->c->store, id, &message);
	if (known < 0)
		k->failed = 1;
	else if (known == 0 && still_there(k, "notices", id, &mtime) && time(NULL) - mtime >= NOTICE_GRACE)
		problem(k, "notices/%s: no notice or digest in the store names this file", id);
}

static void check_corrupt_file(const char *id, void *ctx)
{
	problem(ctx, "corrupt/%s: the sorter set this file aside as damaged; look at it, then remove it", id);
}

/* Lists FOLDER's files to fn; a folder that cannot be read is a problem of its own. */
static void each_file(struct checker *k, const char *folder, void (*fn)(const char *id, void *ctx))
{
	if (spool_each(k->sp, folder, fn, k) < 0)
		problem(k, "%s/%s: cannot be read: %s", k->c->cfg->spool, folder, strerror(errno));
}

int cmd_check(struct cli *c)
{
	struct checker k = { c, NULL, NULL, 0, 0, 0 };
	struct sbuf err = SBUF_INIT;
	int r = 0;

	if (!(k.sp = spool_attach(c->cfg->spool, &err))) {
		r = cli_fail("%s", err.buf);
		sbuf_release(&err);
		return r;
	}
	if (store_check_integrity(c->store, report_fault, &k) < 0 ||
	    store_check_spool_needs(c->store, keep_need, &k) < 0)
		k.failed = 1;
	/* the files are looked at once the query has ended, so the store can be asked again about each */
	for (size_t i = 0; i < k.n_needs && !k.failed; i++)
		check_need(&k, &k.needs[i]);
	if (!k.failed) {
		each_file(&k, "queue", check_queue_file);
		each_file(&k, "notices", check_notice_file);
		each_file(&k, "corrupt", check_corrupt_file);
	}
	if (k.failed)
		r = cli_store_fail(c);
	else if (k.problems)
		r = cli_fail("%d problem%s found", k.problems, k.problems == 1 ? "" : "s");
	else
		fputs("store and spool agree\n", c->out);
	for (size_t i = 0; i < k.n_needs; i++) {
		free(k.needs[i].kind);
		free(k.needs[i].folder);
		free(k.needs[i].spool_id);
		free(k.needs[i].name);
	}
	free(k.needs);
	spool_close(k.sp);
	sbuf_release(&err);
	return r;
}
