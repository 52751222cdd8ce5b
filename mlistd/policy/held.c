/*
 * held: the held-post lifecycle; see held.h.
 */
#include "held.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "content.h"
#include "judge.h"
#include "moderation.h"
#include "record.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"
#include "store_held.h"

long long held_hold(const struct held_ctx *c, const struct held_post *post, const struct places *where,
		    const char *reason, long long now, struct sbuf *note)
{
	long long held = store_held_add(c->st, post->message, reason, now);

	if (held < 0)
		return -1;
	for (int i = 0; i < where->n; i++) {
		if (store_held_place(c->st, held, where->group[i], where->thread[i], where->how[i]) < 0)
			return -1;
	}
	/* A runaway sender's posts wait one by one, but the moderators hear of the first only, not of each. */
	long long earlier = 0;
	if (where->n && strcmp(reason, RATE_REASON) == 0 &&
	    (earlier = store_held_like(c->st, where->group[0], post->from_addr, reason, now - 3600, held)) < 0)
		return -1;
	struct held_notice hn = { held, where->n ? where->names[0] : NULL, reason, post->from_addr, post->from_name,
				  post->subject, post->body, post->body_len, post->automatic, earlier > 0 };
	return moderation_held(c->cfg, c->st, c->sp, &hn, note) < 0 ? -1 : held;
}

/* What the verbs need to know of a held post, copied out of its row. */
struct held_facts {
	long long message, size;
	char *message_id, *spool_id, *subject, *author, *group; /* group: the first it is held for, "" when unsorted */
};

static int take_facts(const struct held_row *h, void *ctx)
{
	struct held_facts *f = ctx;

	f->message = h->message;
	f->size = h->size;
	f->message_id = xstrdup(h->message_id);
	f->spool_id = xstrdup(h->spool_id);
	f->subject = xstrdup(h->subject);
	f->author = xstrdup(h->from_addr);
	f->group = xstrdup(h->first_group);
	return 0;
}

static void release_facts(struct held_facts *f)
{
	free(f->message_id);
	free(f->spool_id);
	free(f->subject);
	free(f->author);
	free(f->group);
}

static int take_place(long long group, long long thread, const char *name, const char *how, void *ctx)
{
	places_add(ctx, group, thread, name, how);
	return 0;
}

long long held_approve(const struct held_ctx *c, long long id, long long now, int trust)
{
	struct held_facts f = { 0 };
	struct places where = { .n = 0 };
	long long copies = -1;

	if (store_held_get(c->st, id, take_facts, &f) < 0 || store_held_places(c->st, id, take_place, &where) < 0)
		goto out;
	if (where.n == 0) {
		copies = HELD_UNSORTED;
		goto out;
	}
	for (int i = 0; trust && i < where.n; i++) {
		if (store_subscription_trust(c->st, where.group[i], f.author) < 0)
			goto out;
	}
	/* From here it is a post like any other: recorded, archived, then sent. */
	struct record_post post = { f.message, f.message_id, f.subject, f.author, now };
	if ((copies = record_post(c->st, &post, &where)) < 0 || store_held_end(c->st, id, "approved") < 0)
		copies = -1;
out:
	release_facts(&f);
	return copies;
}

/*
 * Ends held post id unsent with decision ("rejected", "discarded") and,
 * unless what is -1, tells its author with that text (TEXT_POST_REFUSED,
 * TEXT_POST_EXPIRED) and reason.
 */
static int drop(const struct held_ctx *c, long long id, const char *decision, int what, const char *reason)
{
	struct held_facts f = { 0 };
	int r = -1;

	if (store_held_get(c->st, id, take_facts, &f) < 0 || store_held_end(c->st, id, decision) < 0)
		goto out;
	/* An unsorted post has no group to speak for it; its author is still told. */
	if (what >= 0 && *f.author &&
	    moderation_tell_author(c->cfg, c->st, c->sp, *f.group ? f.group : "postmaster", f.author, f.subject, what,
				   reason) < 0)
		goto out;
	r = 0;
out:
	release_facts(&f);
	return r;
}

int held_reject(const struct held_ctx *c, long long id, const char *reason)
{
	return drop(c, id, "rejected", TEXT_POST_REFUSED, reason);
}

int held_discard(const struct held_ctx *c, long long id)
{
	return drop(c, id, "discarded", -1, "");
}

static void describe(const struct held_row *h, struct sbuf *out)
{
	sbuf_addf(out, "held post %lld (%s <%s>)", h->id, h->spool_id, h->message_id);
}

static int take_description(const struct held_row *h, void *ctx)
{
	describe(h, ctx);
	return 0;
}

void held_describe(const struct held_ctx *c, long long id, struct sbuf *out)
{
	size_t before = out->len;

	if (store_held_get(c->st, id, take_description, out) < 0 || out->len == before)
		sbuf_addf(out, "held post %lld", id);
}

/* The expired held posts, gathered before any is dropped, each with its description. */
struct expired {
	long long *id;
	struct sbuf *what;
	int n;
};

static int take_expired(const struct held_row *h, void *ctx)
{
	struct expired *e = ctx;

	e->id = xrealloc(e->id, (size_t)(e->n + 1) * sizeof(*e->id));
	e->what = xrealloc(e->what, (size_t)(e->n + 1) * sizeof(*e->what));
	e->id[e->n] = h->id;
	sbuf_init(&e->what[e->n]);
	describe(h, &e->what[e->n++]);
	return 0;
}

int held_expire(const struct held_ctx *c, long long now, struct sbuf *note)
{
	struct expired e = { NULL, NULL, 0 };
	int r = store_held_expired(c->st, now - c->cfg->moderation.hold_lifetime, take_expired, &e);

	for (int i = 0; r == 0 && i < e.n; i++) {
		r = drop(c, e.id[i], "discarded", TEXT_POST_EXPIRED, "");
		if (r == 0)
			sbuf_addf(note, "%s%s expired and was discarded", note->len ? "\n" : "", e.what[i].buf);
	}
	for (int i = 0; i < e.n; i++)
		sbuf_release(&e.what[i]);
	free(e.id);
	free(e.what);
	return r < 0 ? -1 : e.n;
}

/*
 * The post made fit for a group's content policy (stripped attachments,
 * HTML made text), in its spool file, as the sorter does for a post it
 * sorts: held unsorted, it met no group's policy yet.  Returns 0, or -1
 * with the reason recorded in the store.
 */
static int fit_for(const struct held_ctx *c, const struct held_facts *f, struct spool_message *msg,
		   const struct group_content *gc)
{
	struct sbuf out = SBUF_INIT;
	int r = 0;

	if (content_rewrite(msg->raw.buf + msg->body_offset, msg->body_len, gc->attachments == ATTACHMENTS_STRIP,
			    gc->html == HTML_TEXT, &out) &&
	    spool_replace_message(c->sp, "queue", f->spool_id, msg, out.buf, out.len) < 0)
		r = store_fail(c->st, "cannot rewrite queue/%s for the group's content policy: %s", f->spool_id,
			       strerror(errno));
	sbuf_release(&out);
	return r;
}

int held_assign(const struct held_ctx *c, long long id, const char *group, long long now, struct decision *d,
		long long *copies)
{
	struct held_facts f = { 0 };
	struct spool_message msg = { 0 };
	struct sbuf err = SBUF_INIT;
	struct content_facts content;
	struct group_content gc;
	long long gid = store_group_id(c->st, group);
	int r = -1;

	*copies = 0;
	if (gid < 0 || store_held_get(c->st, id, take_facts, &f) < 0)
		goto out;
	/* Sorted into the group, the post meets the group's verdict like any other post, its content too. */
	if (spool_read_sorted(c->sp, f.spool_id, &msg, &err) < 0) {
		store_fail(c->st, "%s", err.buf);
		goto out;
	}
	content_scan(msg.raw.buf + msg.body_offset, msg.body_len, &content);
	struct judged_post jp = { f.author, 0, f.size, now, c->cfg->limits.max_posts_per_hour, &content, HEADER_NONE,
				  NULL };
	if (judge_post(c->st, c->cfg, gid, &jp, d, &gc) < 0)
		goto out;
	r = 0;
	if (d->verdict == VERDICT_REFUSE)
		goto out;
	if (fit_for(c, &f, &msg, &gc) < 0 || store_held_assign(c->st, id, gid) < 0)
		r = -1;
	else if (d->verdict == VERDICT_PASS && (*copies = held_approve(c, id, now, 0)) < 0)
		r = -1;
out:
	spool_message_release(&msg);
	sbuf_release(&err);
	release_facts(&f);
	return r;
}
