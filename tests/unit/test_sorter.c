/*
 * test_sorter: the sorting rules on a real store and spool: thread,
 * address, subject tag, header rule, unsorted, service addresses; and
 * list_address, which takes our addresses apart.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "list_address.h"
#include "sbuf.h"
#include "sorter.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"
#include "held.h"
#include "store_held.h"
#include "store_message.h"
#include "texts.h"

struct world {
	struct config cfg;
	struct config_rule rule;
	struct store *st;
	struct spool *sp;
	struct sorter *so;
};

static void world_open(struct world *w)
{
	struct sbuf path = SBUF_INIT, err = SBUF_INIT;
	const char *dir = check_tmpdir();

	memset(w, 0, sizeof(*w));
	w->cfg.domain = "lists.example.org";
	w->cfg.language = "en";
	w->cfg.texts = texts_load("/nonexistent", &err); /* the built-in texts */
	w->rule.header = "X-Project";
	w->rule.contains = "ruwaard";
	w->rule.group = "ruwaard-oss";
	w->cfg.rules = &w->rule;
	w->cfg.n_rules = 1;
	sbuf_addf(&path, "%s/mlist.db", dir);
	w->st = store_open(path.buf, STORE_CREATE, &err);
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/spool", dir);
	w->sp = spool_open(path.buf, &err);
	if (!w->st || !w->sp) {
		fprintf(stderr, "%s\n", err.buf);
		exit(1);
	}
	store_group_add(w->st, "veilig-dichtbij", "change-line", "", "open");
	store_group_add(w->st, "ruwaard-oss", "project", "", "open");
	store_group_add(w->st, "pga-jeugd", "project", "", "open");
	store_group_add(w->st, "koersenkansen", "general", "", "open");
	w->so = sorter_new(&w->cfg, w->st, w->sp);
	sbuf_release(&path);
	sbuf_release(&err);
}

static void world_close(struct world *w)
{
	texts_free(w->cfg.texts);
	sorter_free(w->so);
	spool_close(w->sp);
	store_close(w->st);
}

/* Spools a message for rcpt (NULL: none, as from an IMAP mailbox) and sorts it. */
static void deliver(struct world *w, const char *rcpt, const char *text)
{
	struct envelope env;
	struct sbuf id = SBUF_INIT;

	envelope_init(&env);
	sbuf_addstr(&env.mail_from, "jan@example.org");
	if (rcpt)
		envelope_add_rcpt(&env, rcpt);
	if (spool_put(w->sp, &env, text, strlen(text), &id) < 0) {
		perror("spool_put");
		exit(1);
	}
	sorter_run(w->so);
	envelope_release(&env);
	sbuf_release(&id);
}

/* "group:how" of each placement of the message, joined with ";". */
static int placement(const struct placement_row *p, void *ctx)
{
	sbuf_addf(ctx, "%s:%s;", p->group, p->sorted_by);
	return 0;
}

static int state_of(const struct message_row *m, void *ctx)
{
	sbuf_addstr(ctx, m->state);
	return 0;
}

/* Checks where the message with id went: want is "group:how;..." or a state. */
static int placed(struct world *w, const char *id, const char *want)
{
	struct sbuf got = SBUF_INIT;
	int ok;

	store_message_placements(w->st, id, placement, &got);
	if (!got.len)
		store_message_get(w->st, id, state_of, &got);
	ok = strcmp(got.buf, want) == 0;
	if (!ok)
		fprintf(stderr, "  <%s>: want %s, got %s\n", id, want, got.buf);
	sbuf_release(&got);
	return ok;
}

static void address_then_thread(void)
{
	struct world w;

	world_open(&w);
	deliver(&w, "ruwaard-oss@lists.example.org", "Message-ID: <a@x>\r\nSubject: Plan\r\n\r\nbody\r\n");
	deliver(&w, "koersenkansen@lists.example.org", "Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nSubject: Re: Plan\r\n\r\n");
	deliver(&w, "pga-jeugd@lists.example.org", "Message-ID: <c@x>\r\nReferences: <zz@x> <b@x>\r\n\r\n");
	CHECK(placed(&w, "a@x", "ruwaard-oss:address;"));
	CHECK(placed(&w, "b@x", "ruwaard-oss:thread;"));
	CHECK(placed(&w, "c@x", "ruwaard-oss:thread;"));
	world_close(&w);
}

static void cross_post_and_its_replies(void)
{
	struct world w;
	struct envelope env;
	struct sbuf id = SBUF_INIT;
	const char *text = "Message-ID: <x@x>\r\nSubject: Voor twee\r\n\r\n";

	world_open(&w);
	envelope_init(&env);
	envelope_add_rcpt(&env, "ruwaard-oss@lists.example.org");
	envelope_add_rcpt(&env, "PGA-Jeugd@Lists.Example.Org");
	CHECK(spool_put(w.sp, &env, text, strlen(text), &id) == 0);
	sorter_run(w.so);
	CHECK(placed(&w, "x@x", "pga-jeugd:address;ruwaard-oss:address;"));
	deliver(&w, "koersenkansen@lists.example.org", "Message-ID: <y@x>\r\nIn-Reply-To: <x@x>\r\n\r\n");
	CHECK(placed(&w, "y@x", "pga-jeugd:thread;ruwaard-oss:thread;"));
	envelope_release(&env);
	sbuf_release(&id);
	world_close(&w);
}

static void tag_rule_and_unsorted_without_address(void)
{
	struct world w;

	world_open(&w);
	deliver(&w, NULL, "Message-ID: <t@x>\r\nSubject: Vraag [PGA-Jeugd] over jeugd\r\n\r\n");
	deliver(&w, NULL, "Message-ID: <u@x>\r\nSubject: [nogroup] niets\r\nX-Project: Proeftuin Ruwaard\r\n\r\n");
	deliver(&w, NULL, "Message-ID: <v@x>\r\nSubject: waar hoort dit?\r\n\r\n");
	CHECK(placed(&w, "t@x", "pga-jeugd:tag;"));
	CHECK(placed(&w, "u@x", "ruwaard-oss:rule;"));
	CHECK(placed(&w, "v@x", "unsorted"));
	world_close(&w);
}

static int first_held(const struct held_row *h, void *ctx)
{
	*(long long *)ctx = h->id;
	return 1;
}

static void unsorted_is_held_then_assigned_and_approved(void)
{
	struct world w;
	long long held = 0;

	world_open(&w);
	deliver(&w, NULL, "Message-ID: <lost@x>\r\nSubject: waar hoort dit?\r\n\r\n");
	CHECK(placed(&w, "lost@x", "unsorted"));
	/* held for the general group's moderators */
	CHECK(store_held_each(w.st, "koersenkansen", first_held, &held) == 0 && held > 0);
	struct held_ctx hc = { &w.cfg, w.st, w.sp };
	struct decision d;
	long long copies = -1;
	CHECK(held_approve(&hc, held, 1, 0) == HELD_UNSORTED);
	/* pga-jeugd is open: the verdict passes it, and it goes out (nobody subscribed: no copies) */
	CHECK(held_assign(&hc, held, "pga-jeugd", 1, &d, &copies) == 0);
	CHECK(d.verdict == VERDICT_PASS && copies == 0);
	CHECK(placed(&w, "lost@x", "pga-jeugd:moderator;"));
	held = 0;
	CHECK(store_held_each(w.st, NULL, first_held, &held) == 0 && held == 0);
	world_close(&w);
}

static void service_addresses_are_not_posts(void)
{
	struct world w;

	world_open(&w);
	deliver(&w, "ruwaard-oss-request@lists.example.org", "Message-ID: <s@x>\r\nSubject: subscribe\r\n\r\n");
	CHECK(placed(&w, "s@x", "service"));
	world_close(&w);
}

static int count_threads(const struct thread_row *t, void *ctx)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static void sorting_twice_changes_nothing(void)
{
	struct world w;
	int n = 0;

	world_open(&w);
	deliver(&w, "ruwaard-oss@lists.example.org", "Message-ID: <once@x>\r\n\r\n");
	deliver(&w, "ruwaard-oss@lists.example.org", "Message-ID: <once@x>\r\n\r\n");
	sorter_run(w.so);
	CHECK(store_thread_each(w.st, "ruwaard-oss", count_threads, &n) == 0 && n == 1);
	world_close(&w);
}

static void list_addresses(void)
{
	struct list_address la;
	const char *d = "lists.example.org";

	CHECK(list_address_parse("Ruwaard-Oss@LISTS.example.org", d, &la) == 0 && la.role == ROLE_POST &&
	      strcmp(la.group, "ruwaard-oss") == 0);
	CHECK(list_address_parse("ruwaard-oss-request@lists.example.org", d, &la) == 0 && la.role == ROLE_REQUEST &&
	      strcmp(la.group, "ruwaard-oss") == 0);
	CHECK(list_address_parse("g-owner@lists.example.org", d, &la) == 0 && la.role == ROLE_OWNER);
	CHECK(list_address_parse("g-confirm+AbC123@lists.example.org", d, &la) == 0 && la.role == ROLE_CONFIRM &&
	      strcmp(la.ext, "abc123") == 0);
	CHECK(list_address_parse("g-bounces+jan=example.org@lists.example.org", d, &la) == 0 &&
	      la.role == ROLE_BOUNCES && strcmp(la.ext, "jan=example.org") == 0);
	CHECK(list_address_parse("g-bounces@lists.example.org", d, &la) == 0 && la.role == ROLE_BOUNCES &&
	      la.ext[0] == '\0');
	CHECK(list_address_parse("g-confirm+@lists.example.org", d, &la) < 0);
	CHECK(list_address_parse("g+x@lists.example.org", d, &la) < 0);        /* posts take no +ext */
	CHECK(list_address_parse("g@example.org", d, &la) < 0);
	CHECK(list_address_parse("g@sub.lists.example.org", d, &la) < 0);
	CHECK(list_address_parse("@lists.example.org", d, &la) < 0);
	CHECK(list_address_parse("-request@lists.example.org", d, &la) < 0);
	CHECK(list_address_parse("a b@lists.example.org", d, &la) < 0);
	CHECK(list_address_parse("g", d, &la) < 0);
}

static const struct check_case cases[] = {
	{ "address_then_thread", address_then_thread },
	{ "cross_post_and_its_replies", cross_post_and_its_replies },
	{ "tag_rule_and_unsorted_without_address", tag_rule_and_unsorted_without_address },
	{ "unsorted_is_held_then_assigned_and_approved", unsorted_is_held_then_assigned_and_approved },
	{ "service_addresses_are_not_posts", service_addresses_are_not_posts },
	{ "sorting_twice_changes_nothing", sorting_twice_changes_nothing },
	{ "list_addresses", list_addresses },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
