/*
 * test_held: the held-post lifecycle (held.h) on a real store and spool:
 * hold, approve, reject, discard, expire and assign, and who is told.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "held.h"
#include "record.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"
#include "store_held.h"
#include "store_member.h"
#include "store_message.h"
#include "store_notice.h"
#include "texts.h"

struct world {
	struct config cfg;
	struct store *st;
	struct spool *sp;
	struct held_ctx hc;
	long long group; /* "pga-jeugd", moderated, with a moderator and a member */
};

static void world_open(struct world *w)
{
	struct sbuf path = SBUF_INIT, err = SBUF_INIT;
	const char *dir = check_tmpdir();

	memset(w, 0, sizeof(*w));
	w->cfg.domain = "lists.example.org";
	w->cfg.language = "en";
	w->cfg.texts = texts_load("/nonexistent", &err); /* the built-in texts */
	w->cfg.moderation.hold_lifetime = 100;
	sbuf_addf(&path, "%s/mlist.db", dir);
	w->st = store_open(path.buf, STORE_CREATE, &err);
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/spool", dir);
	w->sp = spool_open(path.buf, &err);
	if (!w->st || !w->sp || store_group_add(w->st, "pga-jeugd", "project", "", "moderated") < 0 ||
	    store_group_add(w->st, "nieuws", "project", "", "announce") < 0 ||
	    store_group_add(w->st, "koersenkansen", "general", "", "open") < 0 ||
	    store_moderator_add(w->st, "pga-jeugd", "mod@example.org") < 0 ||
	    store_subscribe(w->st, "pga-jeugd", "lid@example.org", NULL, "each", 0, SUBSCRIBE_REFUSE) < 0) {
		fprintf(stderr, "%s%s\n", err.buf, w->st ? store_error(w->st) : "");
		exit(1);
	}
	w->group = store_group_id(w->st, "pga-jeugd");
	w->hc = (struct held_ctx){ &w->cfg, w->st, w->sp };
	sbuf_release(&path);
	sbuf_release(&err);
}

static void world_close(struct world *w)
{
	texts_free(w->cfg.texts);
	spool_close(w->sp);
	store_close(w->st);
}

/* Records a message from author and holds it for pga-jeugd (or, unsorted, for no group) at time when. */
static long long hold(struct world *w, const char *message_id, const char *author, int sorted, long long when)
{
	/* its spool file, which assigning reads for the group's content policy */
	static const char text[] = "Subject: x\r\n\r\ntekst\r\n";
	struct envelope env;
	struct sbuf id = SBUF_INIT;
	envelope_init(&env);
	int put = spool_put(w->sp, &env, text, sizeof(text) - 1, &id);
	envelope_release(&env);
	if (put < 0)
		return -1;
	struct message_record rec = { message_id, 0, id.buf, "queued", author, author, "", "Onderwerp",
				      0, when, 10, NULL };
	struct places where = { .n = 0 };
	struct sbuf note = SBUF_INIT;
	long long mid = store_message_add(w->st, &rec);
	sbuf_release(&id);

	if (sorted)
		places_add(&where, w->group, 0, "pga-jeugd", "address");
	struct held_post post = { mid, author, "", "Onderwerp", "Subject: x\r\n\r\ntekst\r\n", 22, 0 };
	long long held = mid < 0 ? -1 : held_hold(&w->hc, &post, &where, "every post to this group is moderated",
						  when, &note);
	sbuf_release(&note);
	return held;
}

/* Counts the queued notices to addr. */
struct count {
	const char *to;
	int n;
};

static int count_notice(const struct notice_row *n, void *ctx)
{
	struct count *c = ctx;

	c->n += strcmp(n->to, c->to) == 0;
	return 0;
}

static int notices_to(struct world *w, const char *to)
{
	struct count c = { to, 0 };

	return store_notice_due(w->st, 1LL << 40, count_notice, &c) < 0 ? -1 : c.n;
}

static int count_held(const struct held_row *h, void *ctx)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

static int held_count(struct world *w)
{
	int n = 0;

	return store_held_each(w->st, NULL, count_held, &n) < 0 ? -1 : n;
}

static void hold_tells_moderators_and_author(void)
{
	struct world w;

	world_open(&w);
	CHECK(hold(&w, "a@x", "vreemde@example.net", 1, 1000) > 0);
	CHECK(notices_to(&w, "mod@example.org") == 1);
	CHECK(notices_to(&w, "vreemde@example.net") == 1);
	/* the author hears at most once a day */
	CHECK(hold(&w, "b@x", "vreemde@example.net", 1, 1010) > 0);
	CHECK(notices_to(&w, "vreemde@example.net") == 1);
	CHECK(notices_to(&w, "mod@example.org") == 2);
	world_close(&w);
}

static void approve_queues_copies_once(void)
{
	struct world w;

	world_open(&w);
	long long id = hold(&w, "a@x", "vreemde@example.net", 1, 1000);
	CHECK(held_approve(&w.hc, id, 1001, 0) == 1); /* the member */
	CHECK(held_count(&w) == 0);
	CHECK(held_approve(&w.hc, id, 1002, 0) < 0);
	CHECK_CONTAINS(store_error(w.st), "no held post with id");
	world_close(&w);
}

static void reject_tells_the_author_discard_does_not(void)
{
	struct world w;

	world_open(&w);
	long long a = hold(&w, "a@x", "een@example.net", 1, 1000);
	long long b = hold(&w, "b@x", "twee@example.net", 1, 1000);
	CHECK(notices_to(&w, "een@example.net") == 1 && notices_to(&w, "twee@example.net") == 1);
	CHECK(held_reject(&w.hc, a, "buiten het onderwerp") == 0);
	CHECK(held_discard(&w.hc, b) == 0);
	CHECK(notices_to(&w, "een@example.net") == 2);
	CHECK(notices_to(&w, "twee@example.net") == 1);
	CHECK(held_count(&w) == 0);
	CHECK(held_reject(&w.hc, a, "") < 0); /* decided already */
	world_close(&w);
}

static void expire_drops_only_old_posts(void)
{
	struct world w;

	world_open(&w);
	CHECK(hold(&w, "old@x", "oud@example.net", 1, 1000) > 0);
	CHECK(hold(&w, "new@x", "nieuw@example.net", 0, 1090) > 0);
	struct sbuf note = SBUF_INIT;
	CHECK(held_expire(&w.hc, 1150, &note) == 1); /* lifetime 100: only the first */
	CHECK_CONTAINS(note.buf, "expired and was discarded");
	sbuf_release(&note);
	CHECK(held_count(&w) == 1);
	CHECK(notices_to(&w, "oud@example.net") == 2);
	CHECK(held_expire(&w.hc, 1200, &note) == 1); /* an unsorted one's author is told too */
	CHECK(notices_to(&w, "nieuw@example.net") == 2);
	CHECK(held_expire(&w.hc, 1300, &note) == 0);
	sbuf_release(&note);
	world_close(&w);
}

static void assign_meets_the_groups_verdict(void)
{
	struct world w;
	struct decision d;
	long long copies;

	world_open(&w);
	long long id = hold(&w, "lost@x", "lid@example.org", 0, 1000);
	CHECK(held_approve(&w.hc, id, 1001, 0) == HELD_UNSORTED);
	/* announce: refused, and nothing changed */
	CHECK(held_assign(&w.hc, id, "nieuws", 1001, &d, &copies) == 0 && d.verdict == VERDICT_REFUSE);
	CHECK(held_approve(&w.hc, id, 1001, 0) == HELD_UNSORTED);
	/* moderated: sorted there, still held */
	CHECK(held_assign(&w.hc, id, "pga-jeugd", 1001, &d, &copies) == 0 && d.verdict == VERDICT_HOLD);
	CHECK(held_count(&w) == 1);
	/* open: sorted and sent */
	CHECK(held_assign(&w.hc, id, "koersenkansen", 1002, &d, &copies) == 0 && d.verdict == VERDICT_PASS);
	CHECK(copies == 0 && held_count(&w) == 0);
	CHECK(held_assign(&w.hc, id, "nogroup", 1003, &d, &copies) < 0);
	world_close(&w);
}

static const struct check_case cases[] = {
	{ "hold_tells_moderators_and_author", hold_tells_moderators_and_author },
	{ "approve_queues_copies_once", approve_queues_copies_once },
	{ "reject_tells_the_author_discard_does_not", reject_tells_the_author_discard_does_not },
	{ "expire_drops_only_old_posts", expire_drops_only_old_posts },
	{ "assign_meets_the_groups_verdict", assign_meets_the_groups_verdict },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
