/*
 * deliver: the delivery loop of mlistd-deliver; see deliver.h.
 */
#include "deliver.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "clock.h"
#include "config.h"
#include "digest.h"
#include "retention.h"
#include "dsn.h"
#include "copy.h"
#include "log.h"
#include "notice.h"
#include "held.h"
#include "helper.h"
#include "keeper.h"
#include "list_address.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_bounce.h"
#include "store_delivery.h"
#include "store_notice.h"
#include "transport.h"
#include "web_token.h"

#define ROUND_LIMIT 20000          /* copies taken from the queue per round */
#define MAX_BACKOFF (6 * 3600)     /* longest wait between two tries */
#define IDLE_WAIT_MS 5000          /* look at the queue at least this often */
#define EXPIRE_EVERY 60            /* seconds between looks for held posts past their lifetime, at most */
#define DIGEST_EVERY 30            /* seconds between looks for digests that are due */
#define DIGEST_SOONER 2            /* ... after copies of new posts went out */
#define RETENTION_EVERY 3600       /* seconds between purges of posts past their group's keep_days */

struct deliverer {
	int wake_fd;          /* the pipe from mlistd */
	int doorbell;         /* the spool's doorbell for delivery, or -1 */
	int stop;             /* the pipe ended: finish the round and return */
	struct helper *h;     /* the process's config, store and spool, for reloads */
	const struct config *cfg;
	struct store *st;
	struct spool *sp;
	struct transport *transport;
	unsigned char web_key[WEB_KEY_SIZE]; /* the unsubscribe links' key, with a web archive (web_token.h) */
};

/*
 * One due copy, copied out of the store row.  The strings but address
 * are the same for every copy of one (message, group), and a round holds
 * up to ROUND_LIMIT copies of one post: the first row of each (message,
 * group) owns them, the rows after it share them.
 */
struct due {
	long long id, message, group_id, member_id, attempts, created;
	char *address, *spool_id, *message_id, *group, *group_title;
	int digest;
	char *prefix, *footer, *reply_to; /* the group's look; prefix, footer NULL: the config's */
	int owner;                        /* this row's strings are its own, freed with it */
	enum { UNRECORDED, SENT, DEFERRED, BOUNCED } outcome; /* this round's, for its log lines */
};

/* The due copies of one round, in the store's order: by message, group and id. */
struct round {
	struct due *rows;
	int n, room;
};

static int take_due(const struct delivery_row *d, void *ctx)
{
	struct round *r = ctx;
	struct due *x;

	if (r->n == r->room)
		r->rows = xrealloc(r->rows, (size_t)(r->room = r->room ? 2 * r->room : 64) * sizeof(*r->rows));
	x = &r->rows[r->n++];
	const struct due *before = r->n > 1 ? x - 1 : NULL;
	if (before && before->message == d->message && before->group_id == d->group_id) {
		*x = *before; /* its strings, shared; the copy's own fields follow */
		x->owner = 0;
	} else {
		memset(x, 0, sizeof(*x));
		x->owner = 1;
		x->spool_id = xstrdup(d->spool_id);
		x->message_id = xstrdup(d->message_id);
		x->group = xstrdup(d->group);
		x->group_title = xstrdup(d->group_title);
		x->prefix = d->prefix ? xstrdup(d->prefix) : NULL;
		x->footer = d->footer ? xstrdup(d->footer) : NULL;
		x->reply_to = xstrdup(d->reply_to);
	}
	x->id = d->id;
	x->message = d->message;
	x->group_id = d->group_id;
	x->member_id = d->member_id;
	x->attempts = d->attempts;
	x->created = d->created;
	x->digest = d->digest;
	x->outcome = UNRECORDED;
	x->address = xstrdup(d->address);
	return 0;
}

static void free_round(struct round *r)
{
	for (int i = 0; i < r->n; i++) {
		struct due *x = &r->rows[i];
		free(x->address);
		if (!x->owner)
			continue;
		free(x->spool_id);
		free(x->message_id);
		free(x->group);
		free(x->group_title);
		free(x->prefix);
		free(x->footer);
		free(x->reply_to);
	}
	free(r->rows);
}

/* The copies of one round: one composed text per (message, group), shared by its jobs. */
struct batch {
	struct transport_job *jobs;
	int n_jobs;
	struct sbuf *texts;
	int n_texts;
	char **strings; /* envelope senders and recipient arrays to free */
	int n_strings;
};

static void keep_string(struct batch *b, char *s)
{
	b->strings = xrealloc(b->strings, (size_t)(b->n_strings + 1) * sizeof(char *));
	b->strings[b->n_strings++] = s;
}

/* Adds a job for rows[0..n) (one message, one group) sending text from from; its results are the batch's. */
static void add_job(struct batch *b, const char *from, struct due *rows, int n, const struct sbuf *text)
{
	char **rcpt = xcalloc((size_t)n, sizeof(char *));
	struct transport_result *res = xcalloc((size_t)n, sizeof(*res));
	struct transport_job *job;

	for (int i = 0; i < n; i++)
		rcpt[i] = rows[i].address;
	keep_string(b, (char *)rcpt);
	keep_string(b, (char *)res);
	b->jobs = xrealloc(b->jobs, (size_t)(b->n_jobs + 1) * sizeof(*b->jobs));
	job = &b->jobs[b->n_jobs++];
	memset(job, 0, sizeof(*job));
	job->from = from;
	job->rcpt = rcpt;
	job->n_rcpt = n;
	job->data = text->buf;
	job->len = text->len;
	job->name = rows[0].spool_id;
	job->results = res;
	job->owner = rows;
}

/* Splits the copies rows[0..n) of one (message, group) into jobs: max_recipients each by smtp, one with VERP or maildir. */
static void add_jobs(struct deliverer *d, struct batch *b, struct due *rows, int n, const struct sbuf *text)
{
	/* With a web archive each copy carries its recipient's own unsubscribe link, so it is sent alone. */
	int personal = d->cfg->web.url != NULL;
	int per_job = d->cfg->delivery.transport == TRANSPORT_SMTP && !d->cfg->delivery.verp && !personal
			      ? d->cfg->delivery.max_recipients : 1;

	for (int k = 0; k < n;) {
		int m = n - k < per_job ? n - k : per_job;
		struct sbuf from_address = SBUF_INIT;
		list_address_bounces(&from_address, rows[k].group, d->cfg->delivery.verp ? rows[k].address : NULL,
				     d->cfg->domain);
		char *from = sbuf_detach(&from_address);
		keep_string(b, from);
		add_job(b, from, &rows[k], m, text);
		if (personal) {
			struct sbuf fields = SBUF_INIT;
			struct copy_recipient r = { rows[k].member_id, rows[k].group_id, rows[k].address, rows[k].group };
			copy_personal_fields(d->cfg, d->web_key, &r, &fields);
			b->jobs[b->n_jobs - 1].prefix_len = fields.len;
			b->jobs[b->n_jobs - 1].prefix = sbuf_detach(&fields);
			keep_string(b, (char *)b->jobs[b->n_jobs - 1].prefix);
		}
		k += m;
	}
}

/* Frees what the batch holds (its texts, envelope senders, recipient and result arrays). */
static void free_batch(struct batch *b)
{
	for (int i = 0; i < b->n_texts; i++)
		sbuf_release(&b->texts[i]);
	for (int i = 0; i < b->n_strings; i++)
		free(b->strings[i]);
	free(b->texts);
	free(b->strings);
	free(b->jobs);
}

/* Composes the copy of rows[0..n) (one message, one group) into a new text of the batch. */
static int compose(struct deliverer *d, struct batch *b, const struct due *row)
{
	struct spool_message msg;
	struct sbuf err = SBUF_INIT;

	/* A digest is mlist's own mail, staged in notices/ (digest.h); a post is in queue/ (or still in incoming/). */
	if ((row->digest ? spool_read(d->sp, "notices", row->spool_id, &msg, &err)
			 : spool_read_sorted(d->sp, row->spool_id, &msg, &err)) < 0) {
		log_msg(LOG_ERR, "deliver: %s; its copies wait", err.buf);
		spool_message_release(&msg);
		sbuf_release(&err);
		return -1;
	}
	/* The group's look: its footer's placeholders are filled for it here. */
	struct sbuf footer = SBUF_INIT;
	if (row->footer && *row->footer)
		notice_fill(d->cfg, row->group, row->group_title, row->footer, &footer);
	struct copy_look look = {
		row->prefix, row->footer ? (footer.buf ? footer.buf : "") : NULL,
		strcmp(row->reply_to, "group") == 0 ? REPLY_TO_GROUP
		: strcmp(row->reply_to, "author") == 0 ? REPLY_TO_AUTHOR : REPLY_TO_AS_SENT,
	};
	struct copy_params p = {
		d->cfg, row->group, row->group_title, row->message_id, msg.env.mail_from.buf, msg.received, row->digest, &look,
	};
	b->texts = xrealloc(b->texts, (size_t)(b->n_texts + 1) * sizeof(*b->texts));
	sbuf_init(&b->texts[b->n_texts]);
	copy_compose(&p, msg.raw.buf + msg.body_offset, msg.body_len, &b->texts[b->n_texts]);
	b->n_texts++;
	spool_message_release(&msg);
	sbuf_release(&err);
	sbuf_release(&footer);
	return 0;
}

/* Seconds to wait before try number attempts + 1: base, 2 base, 4 base, ... at most MAX_BACKOFF. */
static long long backoff(const struct config *cfg, long long attempts)
{
	long long wait = cfg->delivery.retry_base;

	for (long long i = 0; i < attempts && wait < MAX_BACKOFF; i++)
		wait *= 2;
	return wait < MAX_BACKOFF ? wait : MAX_BACKOFF;
}

/* What a round has recorded so far: the transport's reports add to it. */
struct recording {
	struct deliverer *d;         /* its store, spool and config */
	long long now;               /* the round's time */
	int open;                    /* jobs handed to the transport and not recorded yet */
	int failed;                  /* a record failed: the round reports -1 */
	struct sbuf note;            /* bounces, to log once recorded */
};

/*
 * A copy that will not arrive, counted as bounce.h counts every bounce:
 * a 5.7.x refusal is reported and not counted, a 4xx given up is
 * transient and never counted.
 */
static int give_up(struct recording *rec, const struct due *x, int code, const char *text, const char *why)
{
	struct bounce_ctx c = { rec->d->cfg, rec->d->st, rec->d->sp, rec->now };
	struct bounce_record b = { 0 };
	char status[16];

	dsn_status_of_reply(code, text, status);
	b.kind = dsn_kind("failed", status);
	b.status = status;
	b.diagnostic = why;
	if (store_delivery_give_up(c.st, x->id, why, rec->now, &b) < 0)
		return -1;
	if (b.kind == BOUNCE_NONE)
		b.kind = BOUNCE_PERMANENT; /* a 2xx given up cannot be; a reply with no class is a failure */
	return bounce_count(&c, &b, x->address, x->group, &rec->note);
}

/* Writes down the outcome res[i] of each copy rows[i], inside the caller's transaction. */
static int record_rows(struct recording *rec, struct due *rows, const struct transport_result *res, int n)
{
	const struct config *cfg = rec->d->cfg;
	struct store *st = rec->d->st;

	for (int i = 0; i < n; i++) {
		struct due *x = &rows[i];
		int code = res[i].code, rc;
		struct sbuf why = SBUF_INIT;
		sbuf_addf(&why, "%d %s", code, res[i].text);
		if (code >= 200 && code < 300) {
			/* A run of consecutive ids all sent is one statement: a fan-out is mostly such runs. */
			int end = i;
			while (end + 1 < n && rows[end + 1].id == rows[end].id + 1 && res[end + 1].code >= 200 &&
			       res[end + 1].code < 300)
				end++;
			rc = store_delivery_sent(st, x->id, rows[end].id, rec->now);
			for (int k = i; k <= end; k++)
				rows[k].outcome = SENT;
			i = end;
		} else if (code >= 500 || rec->now - x->created >= cfg->delivery.retry_lifetime) {
			if (code < 500) {
				sbuf_reset(&why);
				sbuf_addf(&why, "gave up after %lld tries: %d %s", x->attempts + 1, code, res[i].text);
			}
			rc = give_up(rec, x, code, res[i].text, why.buf);
			x->outcome = BOUNCED;
		} else {
			rc = store_delivery_defer(st, x->id, rec->now + backoff(cfg, x->attempts), why.buf);
			x->outcome = DEFERRED;
		}
		sbuf_release(&why);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * Removes the spool files of the round's messages that are now archived
 * and fully delivered.  Once per round, not per report: the question
 * costs a look at every copy of the message.  A crash before it leaves
 * the file to the next start-up's sweep.
 */
static void release_finished(struct deliverer *d, const struct round *r)
{
	for (int i = 0; i < r->n; i++) {
		if (i > 0 && r->rows[i].message == r->rows[i - 1].message)
			continue;
		if (store_delivery_finished(d->st, r->rows[i].message) == 1)
			spool_remove(d->sp, r->rows[i].digest ? "notices" : "queue", r->rows[i].spool_id);
	}
}

/*
 * The transport's report: the copies of the jobs that just ended are
 * recorded in one transaction at once, before the transport starts
 * another job.  A crash can then send again only the copies of jobs
 * still open, never a whole round's.  Only the round's last record waits
 * for the disk (a flush costs milliseconds, as long as a transaction of
 * a hundred recipients, and holds that connection back): the others need
 * only survive a kill of this process, and are made durable by the last
 * one before any spool file goes (see spool/README.md).
 */
static void record_jobs(struct transport_job *const *done, int n, void *ctx)
{
	struct recording *rec = ctx;
	struct store *st = rec->d->st;
	int last = rec->open <= n;

	rec->open -= n;
	int ok = store_set_sync(st, last) == 0 && store_begin(st) == 0, copies = 0;

	sbuf_reset(&rec->note);
	for (int i = 0; ok && i < n; i++) {
		ok = record_rows(rec, done[i]->owner, done[i]->results, done[i]->n_rcpt) == 0;
		copies += done[i]->n_rcpt;
	}
	/* A bounce that disables a member stages notices: they are made durable with the records. */
	if (ok && notice_commit(st, rec->d->sp) == 0) {
		if (rec->note.len)
			log_msg(LOG_INFO, "deliver: %s", rec->note.buf);
		return;
	}
	/* Still pending in the store: they are sent again in a later round. */
	log_msg(LOG_ERR, "deliver: cannot record %d cop%s: %s", copies, copies == 1 ? "y" : "ies", store_error(st));
	for (int i = 0; i < n; i++) {
		struct due *rows = done[i]->owner;
		for (int k = 0; k < done[i]->n_rcpt; k++)
			rows[k].outcome = UNRECORDED;
	}
	notice_rollback(st, rec->d->sp);
	rec->failed = 1;
}

/* Copies whose spool file cannot be read wait like a 451: recorded as a job that never reached the transport. */
static void record_unreadable(struct recording *rec, struct due *rows, int n)
{
	struct transport_result *res = xcalloc((size_t)n, sizeof(*res));
	struct transport_job job = { .n_rcpt = n, .results = res, .owner = rows }, *one = &job;

	for (int k = 0; k < n; k++) {
		res[k].code = 451;
		snprintf(res[k].text, sizeof(res[k].text), "4.3.0 spool file unreadable");
	}
	record_jobs(&one, 1, rec);
	free(res);
}

/*
 * A line for each post and group of the round, by spool id and
 * Message-ID, so one post can be followed through the log: what became
 * of its copies, as recorded.
 */
static void log_round(const struct round *r)
{
	for (int i = 0; i < r->n;) {
		int end = i, n[4] = { 0 };
		for (; end < r->n && r->rows[end].message == r->rows[i].message &&
		       r->rows[end].group_id == r->rows[i].group_id; end++)
			n[r->rows[end].outcome]++;
		if (end - i > n[UNRECORDED])
			log_msg(LOG_INFO, "deliver: %s <%s> to %s: %d sent, %d deferred, %d bounced", r->rows[i].spool_id,
				r->rows[i].message_id, r->rows[i].group, n[SENT], n[DEFERRED], n[BOUNCED]);
		i = end;
	}
}

/* One round: everything due now.  Returns the number of copies handled, or -1. */
static int deliver_round(struct deliverer *d)
{
	struct round r = { NULL, 0, 0 };
	struct batch b = { 0 };
	struct recording rec = { .d = d, .now = time(NULL), .note = SBUF_INIT };

	if (store_delivery_due(d->st, rec.now, ROUND_LIMIT, take_due, &r) < 0) {
		log_msg(LOG_ERR, "deliver: %s", store_error(d->st));
		free_round(&r);
		sbuf_release(&rec.note);
		return -1;
	}
	for (int i = 0; i < r.n;) {
		int end = i;
		while (end < r.n && r.rows[end].message == r.rows[i].message && r.rows[end].group_id == r.rows[i].group_id)
			end++;
		if (compose(d, &b, &r.rows[i]) < 0)
			record_unreadable(&rec, &r.rows[i], end - i);
		else
			add_jobs(d, &b, &r.rows[i], end - i, &b.texts[b.n_texts - 1]);
		i = end;
	}
	rec.open = b.n_jobs;
	transport_run(d->transport, b.jobs, b.n_jobs, record_jobs, &rec);
	/* Without the round's last, durable record a file could go while its records might not survive a power loss. */
	if (!rec.failed)
		release_finished(d, &r);
	log_round(&r);
	int handled = rec.failed ? -1 : r.n;
	free_batch(&b);
	free_round(&r);
	sbuf_release(&rec.note);
	return handled;
}

/* mlist's own mail (notices): each is sent as it is, to its one recipient. */
struct notice_due {
	long long id, attempts, created;
	char *spool_id, *from, *to;
	struct spool_message msg;       /* its spool file, read for the round */
	struct transport_result result; /* the transport's verdict, or 554 if its file is unreadable */
	int final;                      /* recorded as sent or given up: its file can go */
};

struct notice_round {
	struct notice_due *rows;
	int n;
};

static int take_notice(const struct notice_row *n, void *ctx)
{
	struct notice_round *r = ctx;

	r->rows = xrealloc(r->rows, (size_t)(r->n + 1) * sizeof(*r->rows));
	struct notice_due *x = &r->rows[r->n++];
	memset(x, 0, sizeof(*x));
	x->id = n->id;
	x->attempts = n->attempts;
	x->created = n->created;
	x->spool_id = xstrdup(n->spool_id);
	x->from = xstrdup(n->from);
	x->to = xstrdup(n->to);
	return 0;
}

/*
 * The transport's report for notices, like record_jobs for copies: the
 * ended ones are recorded in one transaction, then the files of those
 * sent or given up are removed.
 */
static void record_notices(struct transport_job *const *done, int n, void *ctx)
{
	struct recording *rec = ctx;
	struct deliverer *d = rec->d;
	int ok = store_begin(d->st) == 0;

	for (int i = 0; ok && i < n; i++) {
		struct notice_due *x = done[i]->owner;
		int code = x->result.code, sent = code >= 200 && code < 300;
		int given_up = !sent && (code >= 500 || rec->now - x->created >= d->cfg->delivery.retry_lifetime);
		const char *state = sent ? "sent" : given_up ? "bounced" : "pending";
		x->final = sent || given_up;
		ok = store_notice_done(d->st, x->id, state, rec->now + backoff(d->cfg, x->attempts), x->result.text) == 0;
		if (x->final)
			log_msg(LOG_INFO, "deliver: notice %s to %s %s", x->spool_id, x->to, state);
	}
	if (ok && store_commit(d->st) == 0) {
		for (int i = 0; i < n; i++) {
			const struct notice_due *x = done[i]->owner;
			if (x->final)
				spool_remove(d->sp, "notices", x->spool_id);
		}
		return;
	}
	/* Still pending in the store: sent again in a later round. */
	log_msg(LOG_ERR, "deliver: cannot record %d notice(s): %s", n, store_error(d->st));
	store_rollback(d->st);
}

/* Sends the due notices, each recorded as soon as its transaction ends. */
static void notice_round(struct deliverer *d)
{
	struct notice_round r = { NULL, 0 };
	struct recording rec = { .d = d, .now = time(NULL), .note = SBUF_INIT };

	if (store_notice_due(d->st, rec.now, take_notice, &r) < 0 || r.n == 0) {
		free(r.rows);
		return;
	}
	struct transport_job *jobs = xcalloc((size_t)r.n, sizeof(*jobs));
	int n_jobs = 0;
	for (int i = 0; i < r.n; i++) {
		struct notice_due *x = &r.rows[i];
		struct sbuf err = SBUF_INIT;
		struct transport_job *j = &jobs[n_jobs];
		j->results = &x->result;
		j->owner = x;
		if (spool_read(d->sp, "notices", x->spool_id, &x->msg, &err) == 0) {
			j->from = x->from;
			j->rcpt = &x->to;
			j->n_rcpt = 1;
			j->data = x->msg.raw.buf + x->msg.body_offset;
			j->len = x->msg.body_len;
			j->name = x->spool_id;
			n_jobs++;
		} else {
			/* Nothing to send, ever: given up at once, and its file let go. */
			log_msg(LOG_ERR, "deliver: notice %s", err.buf);
			x->result.code = 554;
			snprintf(x->result.text, sizeof(x->result.text), "the notice's spool file is unreadable");
			record_notices(&j, 1, &rec);
		}
		sbuf_release(&err);
	}
	transport_run(d->transport, jobs, n_jobs, record_notices, &rec);
	for (int i = 0; i < r.n; i++) {
		spool_message_release(&r.rows[i].msg);
		free(r.rows[i].spool_id);
		free(r.rows[i].from);
		free(r.rows[i].to);
	}
	free(r.rows);
	free(jobs);
}

/* Held posts nobody decided on in time are discarded, and their authors told (held.h). */
static void expire_held(struct deliverer *d)
{
	struct held_ctx hc = { d->cfg, d->st, d->sp };
	struct sbuf note = SBUF_INIT;

	if (store_begin(d->st) < 0)
		return;
	if (held_expire(&hc, time(NULL), &note) < 0 || notice_commit(d->st, d->sp) < 0) {
		log_msg(LOG_ERR, "deliver: cannot expire held posts: %s", store_error(d->st));
		notice_rollback(d->st, d->sp);
	} else if (note.len) {
		log_msg(LOG_INFO, "%s", note.buf);
	}
	sbuf_release(&note);
}

/* The digests that are due (digest.h); what they queue goes out in this loop's rounds. */
static void make_digests(struct deliverer *d)
{
	struct digest_ctx c = { d->cfg, d->st, d->sp, clock_now() };
	struct sbuf note = SBUF_INIT;

	/* A failure is logged by digest_run; each digest built, once its transaction has committed. */
	digest_run(&c, NULL, 0, &note);
	if (note.len)
		log_msg(LOG_INFO, "%s", note.buf);
	sbuf_release(&note);
}

/* Posts past their group's keep_days leave its archive and threads (retention.h). */
static void purge_old_posts(struct deliverer *d)
{
	struct sbuf note = SBUF_INIT;

	if (retention_run(d->cfg, d->st, clock_now(), &note) < 0 || note.len)
		log_msg(LOG_INFO, "%s", note.buf);
	sbuf_release(&note);
}

/* What the store says about a spool file found at start-up. */
enum leftover {
	LEFTOVER_DONE,    /* its work is finished: the file can go */
	LEFTOVER_OPEN,    /* still needed (copies pending, held, not archived, notice unsent) */
	LEFTOVER_UNKNOWN, /* the store has no record of it */
	LEFTOVER_ERROR,   /* the store could not say */
};

/* A post's file: done once archived, delivered and not held (store_delivery_finished). */
static enum leftover judge_post(struct store *st, const char *id)
{
	long long message = 0;
	int known = store_message_by_spool(st, id, &message);

	if (known <= 0)
		return known < 0 ? LEFTOVER_ERROR : LEFTOVER_UNKNOWN;
	int finished = store_delivery_finished(st, message);
	return finished < 0 ? LEFTOVER_ERROR : finished ? LEFTOVER_DONE : LEFTOVER_OPEN;
}

/* A notice's file: done once sent or given up.  A digest's (digest.h) is judged as a post's. */
static enum leftover judge_notice(struct store *st, const char *id)
{
	int pending = 0, known = store_notice_pending(st, id, &pending);

	if (known == 0)
		return judge_post(st, id);
	if (known < 0)
		return LEFTOVER_ERROR;
	return pending ? LEFTOVER_OPEN : LEFTOVER_DONE;
}

/* One folder's start-up sweep. */
struct sweep {
	struct deliverer *d;
	const char *folder;                                     /* "queue" or "notices" */
	enum leftover (*judge)(struct store *st, const char *id); /* the folder's question to the store */
	int removed, resorted, unknown; /* files removed; posts sent back to be sorted; other files the store does not know */
};

static void sweep_one(const char *id, void *ctx)
{
	struct sweep *s = ctx;

	switch (s->judge(s->d->st, id)) {
	case LEFTOVER_DONE:
		if (spool_remove(s->d->sp, s->folder, id) == 0)
			s->removed++;
		break;
	case LEFTOVER_UNKNOWN:
		/* A post the store lost (its machine crashed before the record was flushed) is sorted again. */
		if (strcmp(s->folder, "queue") == 0 && spool_resort(s->d->sp, id) == 0) {
			log_msg(LOG_WARNING, "deliver: queue/%s is not in the store; back to incoming/ to be sorted", id);
			s->resorted++;
			break;
		}
		log_msg(LOG_WARNING, "deliver: %s/%s is not in the store; left alone", s->folder, id);
		s->unknown++;
		break;
	case LEFTOVER_ERROR:
		log_msg(LOG_ERR, "deliver: %s/%s: %s; left alone", s->folder, id, store_error(s->d->st));
		break;
	case LEFTOVER_OPEN:
		break;
	}
}

/*
 * Before the first round: removes the files in queue/ and notices/ whose
 * work the store records as finished.  A crash between recording the
 * last outcome and removing the file leaves such a file, and nothing
 * else would ever look at it again.  A post in queue/ the store does not
 * know goes back to incoming/ and the sorter is rung (see spool_move);
 * any other unknown file is only reported: it is never ours to throw
 * away.
 */
static void sweep(struct deliverer *d)
{
	struct sweep folders[] = {
		{ d, "queue", judge_post, 0, 0, 0 },
		{ d, "notices", judge_notice, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		struct sweep *s = &folders[i];
		if (spool_each(d->sp, s->folder, sweep_one, s) < 0)
			log_msg(LOG_ERR, "deliver: cannot read %s/%s: %s", d->cfg->spool, s->folder, strerror(errno));
		else
			log_msg(LOG_INFO, "deliver: start-up sweep of %s/: %d finished file(s) removed, %d sorted again, "
				"%d unknown", s->folder, s->removed, s->resorted, s->unknown);
		if (s->resorted)
			spool_doorbell_ring(d->sp, SPOOL_BELL_SORT);
	}
}

/* Waits up to wait_ms for a wake-up byte from mlistd or the doorbell, or a SIGHUP; notes the end of the pipe. */
static void wait_for_work(struct deliverer *d, int wait_ms)
{
	struct pollfd pfd[2] = { { d->wake_fd, POLLIN, 0 }, { d->doorbell, POLLIN, 0 } };
	char buf[256];

	if (helper_poll(pfd, d->doorbell >= 0 ? 2 : 1, wait_ms) <= 0)
		return;
	if (d->doorbell >= 0 && (pfd[1].revents & POLLIN))
		spool_doorbell_answer(d->doorbell);
	if (!(pfd[0].revents & (POLLIN | POLLHUP)))
		return;
	ssize_t n = read(d->wake_fd, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		d->stop = 1;
}

/* With a web archive, the key of the unsubscribe links in each copy: without it no copy could go, so it is fatal. */
static void load_web_key(struct deliverer *d)
{
	struct sbuf err = SBUF_INIT;

	if (d->cfg->web.url && web_key_load(d->cfg->web.secret_file, d->web_key, &err) < 0)
		fatal("deliver: %s", err.buf);
	sbuf_release(&err);
}

/* After a SIGHUP: the reloaded config, and a transport made for it. */
static void take_reload(struct deliverer *d)
{
	if (!helper_reload(d->h))
		return;
	transport_free(d->transport);
	d->cfg = d->h->cfg;
	d->transport = transport_new(d->cfg);
	load_web_key(d);
}

void deliver_loop(struct helper *h, int wake_fd)
{
	struct deliverer dv = { wake_fd, spool_doorbell_open(h->sp, SPOOL_BELL_DELIVER), 0, h, h->cfg, h->st, h->sp,
				transport_new(h->cfg), { 0 } }, *d = &dv;
	long long expired_at = 0, digests_at = 0, purged_at = 0;
	int posts_came = 0;

	load_web_key(d);
	if (d->doorbell < 0)
		log_msg(LOG_WARNING, "deliver: no doorbell (%s): approvals wait for the next look", strerror(errno));
	sweep(d);
	/* Archiving and checkpoints happen beside delivery (keeper.h), never in its way. */
	struct keeper *keeper = keeper_start(d->cfg->spool, d->cfg->store);
	if (keeper)
		store_checkpoint_by_hand(d->st);
	while (!d->stop) {
		take_reload(d);
		/* A short hold_lifetime is looked after as often as it is long. */
		int expire_every = d->cfg->moderation.hold_lifetime < EXPIRE_EVERY ? d->cfg->moderation.hold_lifetime
										  : EXPIRE_EVERY;
		if (time(NULL) - expired_at >= expire_every) {
			expire_held(d);
			expired_at = time(NULL);
		}
		if (time(NULL) - purged_at >= RETENTION_EVERY) {
			purge_old_posts(d);
			purged_at = time(NULL);
		}
		/* New posts (copies were just sent) may have passed a group's digest.max_size: look sooner. */
		if (time(NULL) - digests_at >= (posts_came ? DIGEST_SOONER : DIGEST_EVERY)) {
			make_digests(d);
			digests_at = time(NULL);
			posts_came = 0;
		}
		notice_round(d);
		int handled = deliver_round(d);
		posts_came |= handled > 0;
		long long next = store_delivery_next(d->st), now = time(NULL);
		int wait = IDLE_WAIT_MS;
		if (handled > 0)
			wait = 0; /* more may be due: only look whether the pipe ended */
		else if (next && next - now < IDLE_WAIT_MS / 1000)
			wait = next <= now ? 0 : (int)(next - now) * 1000;
		if (handled < 0)
			wait = IDLE_WAIT_MS; /* the store failed: do not spin */
		long long to_expiry = (expired_at + expire_every - time(NULL)) * 1000,
			  to_digests = (digests_at + (posts_came ? DIGEST_SOONER : DIGEST_EVERY) - time(NULL)) * 1000;
		if (to_digests < to_expiry)
			to_expiry = to_digests;
		if (to_expiry < wait)
			wait = to_expiry < 0 ? 0 : (int)to_expiry;
		wait_for_work(d, wait);
	}
	keeper_stop(keeper);
	transport_free(d->transport);
	if (d->doorbell >= 0)
		close(d->doorbell);
}
