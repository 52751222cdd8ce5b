/*
 * sorter: incoming/ -> store + queue/, in stages; see sorter.h for the rules.
 *
 * Each message goes through read -> seen before? -> classify (which
 * groups) -> judge (the verdict per group) -> record and queue, hold, or
 * refuse; mail for service addresses goes to its own handler (service.h).
 * A batch of messages shares one store transaction.
 */
#define _GNU_SOURCE
#include "sorter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "content.h"
#include "held.h"
#include "judge.h"
#include "list_address.h"
#include "log.h"
#include "message.h"
#include "moderation.h"
#include "notice.h"
#include "record.h"
#include "sbuf.h"
#include "service.h"
#include "spool.h"
#include "store.h"
#include "store_delivery.h"
#include "store_group.h"
#include "store_message.h"

struct sorter {
	const struct config *cfg;
	struct store *st;
	struct spool *sp;
};

/* One message on its way through the stages. */
struct post {
	const char *id;               /* its spool id */
	struct spool_message msg;     /* the spool file */
	struct message_info info;     /* its header facts */
	const char *body;             /* the message in msg */
	size_t len;
	const char *message_id;       /* its Message-ID, or one made up */
	struct sbuf generated;        /* the made-up one's storage */
	const char *author;           /* From, else the envelope sender */
	int automatic;                /* auto-generated mail (never answered) */
	int loop;                     /* it came from this server */
	int service;                  /* it is (also) for service addresses */
	long long message;            /* its row in the store, once recorded */
	struct places where;          /* classify: the groups it is for */
	struct places pass, hold;     /* judge: where it goes now, where it waits for a moderator */
	struct content_facts content; /* what it carries (content.h) */
	enum header_action header;    /* what the content.header_rules say of it */
	char header_why[300];
	int strip, html_text;         /* a group it passes or waits in takes no attachments, or no HTML */
	char hold_reason[300], refuse_reason[300], discard_reason[300];
	char refused_group[65];
};

struct sorter *sorter_new(const struct config *cfg, struct store *st, struct spool *sp)
{
	struct sorter *so = xcalloc(1, sizeof(*so));

	so->cfg = cfg;
	so->st = st;
	so->sp = sp;
	return so;
}

void sorter_set_config(struct sorter *so, const struct config *cfg)
{
	so->cfg = cfg;
}

void sorter_free(struct sorter *so)
{
	free(so);
}

/* Stage 1, read: the spool file and its header.  Returns 0, or -1 if it is not a committed spool file. */
static int read_post(struct sorter *so, struct post *p, struct sbuf *err)
{
	if (spool_read(so->sp, "incoming", p->id, &p->msg, err) < 0)
		return -1;
	p->body = p->msg.raw.buf + p->msg.body_offset;
	p->len = p->msg.body_len;
	message_parse(p->body, p->len, &p->info);
	p->message_id = p->info.message_id;
	if (!p->message_id) {
		sbuf_addf(&p->generated, "mlist.%s@%s", p->id, so->cfg->domain);
		p->message_id = p->generated.buf;
	}
	p->author = *p->info.from_addr ? p->info.from_addr : p->msg.env.mail_from.buf;
	p->automatic = moderation_is_automatic(p->body, p->len, p->msg.env.mail_from.buf);
	p->loop = message_from_us(p->body, p->len, so->cfg->domain);
	p->service = service_addressed(&p->msg.env, so->cfg->domain);
	content_scan(p->body, p->len, &p->content);
	p->header = judge_header_rules(so->cfg, p->body, p->len, p->header_why, sizeof(p->header_why));
	return 0;
}

/*
 * Stage 2, seen before: taken from the same IMAP mailbox UID before (a
 * poller that died between spooling and recording), or a Message-ID that
 * is recorded already.  Returns 1 (set aside in spool/duplicate, with a
 * note), 0, or -1.
 */
static int seen_before(struct sorter *so, struct post *p, struct sbuf *note)
{
	int dup = p->msg.env.imap_key[0] ? store_message_imap_known(so->st, p->msg.env.imap_key) : 0;

	if (dup > 0) {
		sbuf_addf(note, "sorter: %s was taken from %s before; set aside in spool/duplicate", p->id,
			  p->msg.env.imap_key);
		return 1;
	}
	if (dup == 0)
		dup = store_message_known(so->st, p->message_id);
	if (dup > 0)
		sbuf_addf(note, "sorter: %s repeats Message-ID <%s>, which is recorded already; "
			  "set aside in spool/duplicate, not posted again", p->id, p->message_id);
	return dup;
}

static int collect_placement(const struct placement_row *r, void *ctx)
{
	places_add(ctx, r->group_id, r->thread_id, r->group, "thread");
	return 0;
}

/* Classify 1: a reply joins the thread(s) of its nearest known ancestor. */
static int by_thread(struct sorter *so, struct post *p)
{
	for (int i = 0; i < p->info.n_parents && p->where.n == 0; i++) {
		if (store_message_placements(so->st, p->info.parents[i], collect_placement, &p->where) < 0)
			return -1;
	}
	return 0;
}

/* Classify 2: the group addresses it was sent to. */
static void by_address(struct sorter *so, struct post *p)
{
	for (int i = 0; i < p->msg.env.n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(p->msg.env.rcpt[i], so->cfg->domain, &la) < 0 || la.role != ROLE_POST)
			continue;
		long long gid = store_group_id(so->st, la.group);
		if (gid > 0)
			places_add(&p->where, gid, 0, la.group, "address");
	}
}

/* Classify 3: "[group-name]" anywhere in the subject. */
static void by_tag(struct sorter *so, struct post *p)
{
	for (const char *t = strchr(p->info.subject, '['); t; t = strchr(t + 1, '[')) {
		const char *close = strchr(t, ']');
		char name[65];
		if (!close || close - t - 1 <= 0 || close - t - 1 >= (long)sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(close - t - 1), t + 1);
		for (char *c = name; *c; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		long long gid = store_group_id(so->st, name);
		if (gid > 0)
			places_add(&p->where, gid, 0, name, "tag");
	}
}

/* Classify 4: the first header rule that matches. */
static void by_rule(struct sorter *so, struct post *p)
{
	for (size_t i = 0; i < so->cfg->n_rules && p->where.n == 0; i++) {
		const struct config_rule *r = &so->cfg->rules[i];
		char *value = message_header(p->body, p->len, r->header);
		if (value && strcasestr(value, r->contains)) {
			long long gid = store_group_id(so->st, r->group);
			if (gid > 0)
				places_add(&p->where, gid, 0, r->group, "rule");
			else
				log_msg(LOG_WARNING, "sort rule for %s: no group named '%s'", r->header, r->group);
		}
		free(value);
	}
}

/* Classify 5: the default group of the IMAP mailbox it was taken from. */
static void by_default(struct sorter *so, struct post *p)
{
	long long gid = p->msg.env.default_group[0] ? store_group_id(so->st, p->msg.env.default_group) : 0;

	if (gid > 0)
		places_add(&p->where, gid, 0, p->msg.env.default_group, "default");
}

/*
 * Stage 3, classify: the groups it is for, by the first rule that finds
 * any.  Mail for service addresses is only a post where it was also sent
 * to a group address.
 */
static int classify(struct sorter *so, struct post *p)
{
	if (by_thread(so, p) < 0)
		return -1;
	if (p->where.n == 0)
		by_address(so, p);
	if (p->where.n == 0 && !p->service)
		by_tag(so, p);
	if (p->where.n == 0 && !p->service)
		by_rule(so, p);
	if (p->where.n == 0 && !p->service)
		by_default(so, p);
	return 0;
}

/* Stage 4, judge: each group's verdict splits where into pass and hold (or a refusal). */
static int judge(struct sorter *so, struct post *p)
{
	for (int i = 0; i < p->where.n; i++) {
		struct decision d;
		struct group_content gc;
		struct judged_post jp = { p->author, p->loop, (long long)p->len, p->msg.received,
					  so->cfg->limits.max_posts_per_hour, &p->content, p->header, p->header_why };
		if (judge_post(so->st, so->cfg, p->where.group[i], &jp, &d, &gc) < 0)
			return -1;
		if (d.verdict == VERDICT_PASS || d.verdict == VERDICT_HOLD) {
			p->strip |= gc.attachments == ATTACHMENTS_STRIP;
			p->html_text |= gc.html == HTML_TEXT;
		}
		if (d.verdict == VERDICT_PASS) {
			places_add(&p->pass, p->where.group[i], p->where.thread[i], p->where.names[i], p->where.how[i]);
		} else if (d.verdict == VERDICT_HOLD) {
			places_add(&p->hold, p->where.group[i], p->where.thread[i], p->where.names[i], p->where.how[i]);
			snprintf(p->hold_reason, sizeof(p->hold_reason), "%s", d.reason);
		} else if (d.verdict == VERDICT_DISCARD) {
			snprintf(p->discard_reason, sizeof(p->discard_reason), "%s", d.reason);
		} else {
			snprintf(p->refuse_reason, sizeof(p->refuse_reason), "%s", d.reason);
			snprintf(p->refused_group, sizeof(p->refused_group), "%s", p->where.names[i]);
		}
	}
	return 0;
}

/*
 * Stage 4b, fit: the post rewritten for the content policy of the groups
 * it goes to or waits in, before anything is recorded of it, so that no
 * copy, digest, archive or moderator ever sees what a group strips.  One
 * post in several groups is rewritten once, the strictest way: a part
 * one of them strips is stripped for all.  A crash after the rewrite
 * sorts the rewritten file again, which has nothing left to strip.
 * Returns 0, or -1 if the spool file could not be rewritten.
 */
static int fit(struct sorter *so, struct post *p, struct sbuf *note)
{
	struct sbuf out = SBUF_INIT;
	int r = 0;

	if ((p->strip || p->html_text) && content_rewrite(p->body, p->len, p->strip, p->html_text, &out)) {
		r = spool_replace_message(so->sp, "incoming", p->id, &p->msg, out.buf, out.len);
		if (r < 0) {
			log_msg(LOG_ERR, "sorter: cannot rewrite %s for its groups' content policy: %s", p->id,
				strerror(errno));
		} else {
			p->body = p->msg.raw.buf + p->msg.body_offset;
			p->len = p->msg.body_len;
			sbuf_addf(note, "sorter: %s <%s> rewritten for its groups' content policy:%s%s", p->id,
				  p->message_id, p->strip && p->content.attachments ? " attachments removed" : "",
				  p->html_text && p->content.html_only ? " HTML made text" : "");
		}
	}
	sbuf_release(&out);
	return r;
}

/* The state a message is recorded with. */
static const char *state_of(const struct post *p)
{
	if (p->pass.n || p->hold.n || *p->refuse_reason || *p->discard_reason)
		return "queued";
	return p->service ? "service" : "unsorted";
}

/*
 * Stage 5, record: the message row; the post placed and its copies
 * queued where it passes; held where it waits (or, fitting no group and
 * for no service address, held as unsorted); its author told of a
 * refusal (never for automatic mail or a loop).  Notes for the log.
 */
static int record(struct sorter *so, struct post *p, struct sbuf *note)
{
	struct message_record rec = {
		p->message_id, p->info.message_id == NULL, p->id, state_of(p), p->msg.env.mail_from.buf,
		p->info.from_addr, p->info.from_name, p->info.subject, p->info.date, p->msg.received,
		(long long)p->len, p->msg.env.imap_key[0] ? p->msg.env.imap_key : NULL,
	};
	long long mid = store_message_add(so->st, &rec);
	if (mid < 0)
		return -1;
	p->message = mid;
	if (p->pass.n) {
		struct record_post post = { mid, p->message_id, p->info.subject, p->info.from_addr, p->msg.received };
		long long copies = record_post(so->st, &post, &p->pass);
		if (copies < 0)
			return -1;
		sbuf_addf(note, "%ssorter: %s <%s> sorted into ", note->len ? "\n" : "", p->id, p->message_id);
		places_names(&p->pass, note);
		sbuf_addf(note, " (by %s), %lld cop%s queued", p->pass.how[0], copies, copies == 1 ? "y" : "ies");
	}
	int unsorted = !p->where.n && !p->service;
	if (p->hold.n || unsorted) {
		struct held_ctx hc = { so->cfg, so->st, so->sp };
		struct held_post hp = { mid, p->info.from_addr, p->info.from_name, p->info.subject, p->body, p->len,
					p->automatic };
		const char *reason = p->hold.n ? p->hold_reason : "it fits no group";
		struct sbuf told = SBUF_INIT;
		long long held = held_hold(&hc, &hp, &p->hold, reason, p->msg.received, &told);
		if (held < 0) {
			sbuf_release(&told);
			return -1;
		}
		if (unsorted)
			sbuf_addf(note, "%ssorter: %s <%s> fits no group; held %lld as unsorted for a moderator%s",
				  note->len ? "\n" : "", p->id,
				  p->message_id, held, told.buf);
		for (int i = 0; i < p->hold.n; i++)
			sbuf_addf(note, "%ssorter: %s <%s> held %lld for the moderators of %s: %s%s", note->len ? "\n" : "",
				  p->id, p->message_id, held, p->hold.names[i], reason, told.buf);
		sbuf_release(&told);
	}
	if (*p->discard_reason)
		sbuf_addf(note, "%ssorter: %s <%s> from %s discarded: %s", note->len ? "\n" : "", p->id, p->message_id,
			  p->author, p->discard_reason);
	if (*p->refuse_reason) {
		sbuf_addf(note, "%ssorter: %s <%s> from %s refused: %s", note->len ? "\n" : "", p->id, p->message_id,
			  p->author, p->refuse_reason);
		if (!p->automatic && !p->loop && *p->info.from_addr && !p->pass.n && !p->hold.n &&
		    moderation_tell_author(so->cfg, so->st, so->sp, p->refused_group, p->info.from_addr, p->info.subject,
					   TEXT_POST_REFUSED, p->refuse_reason) < 0)
			return -1;
	}
	return 0;
}

/*
 * Records one message.  Returns 0 (recorded, or recognised as recorded
 * already, or set aside), or -1 on a store error.  *move_to says where
 * the spool file goes next (NULL: removed); note gets the lines to log
 * once the batch is committed and moved.
 */
static int sort_one(struct sorter *so, const char *id, const char **move_to, struct sbuf *note)
{
	struct post p = { .id = id, .generated = SBUF_INIT };
	struct sbuf err = SBUF_INIT;
	long long row = 0;
	int r = -1, known = store_message_by_spool(so->st, id, &row);

	*move_to = "queue";
	if (known != 0) {
		/*
		 * Sorted before a crash: only the move was missing, or the spool's
		 * journal put back the file of a post that was finished (spool.c, restore).
		 */
		int finished = known < 0 ? -1 : store_delivery_finished(so->st, row);
		if (finished > 0)
			*move_to = NULL;
		return finished < 0 ? -1 : 0;
	}
	if (read_post(so, &p, &err) < 0) {
		sbuf_addf(note, "sorter: %s is not a committed spool file (%s); set aside in spool/corrupt", id, err.buf);
		*move_to = "corrupt";
		r = 0;
		goto out;
	}
	int dup = seen_before(so, &p, note);
	if (dup != 0) {
		*move_to = "duplicate";
		r = dup < 0 ? -1 : 0;
		goto out;
	}
	if (classify(so, &p) < 0 || judge(so, &p) < 0 || fit(so, &p, note) < 0 || record(so, &p, note) < 0)
		goto out;
	if (p.service) {
		struct service_mail m = { &p.msg.env, p.message, p.info.from_addr, p.info.from_name, p.info.subject,
					  p.author, p.body, p.len, p.automatic };
		if (!p.where.n)
			sbuf_addf(note, "sorter: %s <%s> is for a service address", id, p.message_id);
		int kept = service_answer(so->cfg, so->st, so->sp, &m, note);
		if (kept < 0)
			goto out;
		/* Answered in this transaction: a file only for service addresses is not needed after, unless it is held. */
		if (!p.pass.n && !p.hold.n && !kept)
			*move_to = NULL;
	}
	r = 0;
out:
	message_info_release(&p.info);
	spool_message_release(&p.msg);
	sbuf_release(&p.generated);
	sbuf_release(&err);
	return r;
}

/* The ids found in incoming/, gathered before sorting so the folder is not read while it changes. */
struct batch {
	char **ids;
	int n;
};

static void gather(const char *id, void *ctx)
{
	struct batch *b = ctx;

	b->ids = xrealloc(b->ids, (size_t)(b->n + 1) * sizeof(char *));
	b->ids[b->n++] = xstrdup(id);
}

int sorter_run(struct sorter *so)
{
	struct batch b = { NULL, 0 };

	if (spool_each(so->sp, "incoming", gather, &b) < 0) {
		log_msg(LOG_ERR, "sorter: cannot read spool/incoming: %s", strerror(errno));
		return -1;
	}
	if (b.n == 0)
		return 0;
	const char **dest = xcalloc((size_t)b.n, sizeof(*dest));
	struct sbuf *notes = xcalloc((size_t)b.n, sizeof(*notes));
	/* One transaction for the batch: one fsync of the store for all of it. */
	int ok = store_begin(so->st) == 0;
	for (int i = 0; ok && i < b.n; i++) {
		sbuf_init(&notes[i]);
		ok = sort_one(so, b.ids[i], &dest[i], &notes[i]) == 0;
	}
	/* The batch's notices are flushed with it, then it commits (notice.h). */
	if (ok && notice_commit(so->st, so->sp) < 0)
		ok = 0;
	if (!ok) {
		log_msg(LOG_ERR, "sorter: %s; the batch stays in spool/incoming for the next try", store_error(so->st));
		notice_rollback(so->st, so->sp);
	}
	/* Only after the commit: a file in queue/ is always known to the store. */
	int *moved = xcalloc((size_t)b.n, sizeof(int));
	if (ok)
		spool_move(so->sp, b.ids, dest, b.n, moved);
	for (int i = 0; i < b.n; i++) {
		if (ok && !moved[i])
			log_msg(LOG_ERR, "sorter: cannot move %s to spool/%s: %s", b.ids[i], dest[i] ? dest[i] : "(removed)",
				strerror(errno));
		else if (ok && notes[i].len)
			log_msg(LOG_INFO, "%s", notes[i].buf);
		sbuf_release(&notes[i]);
		free(b.ids[i]);
	}
	free(moved);
	free(notes);
	free(dest);
	free(b.ids);
	return ok ? b.n : -1;
}
