/*
 * moderation: notices for held posts and replies to confirm addresses;
 * see moderation.h.
 */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "message.h"
#include "notice.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"
#include "store_notice.h"
#include "template.h"

#define QUOTED_LINES 15

int moderation_is_automatic(const char *text, size_t len, const char *envelope_from)
{
	char *auto_submitted = message_header(text, len, "Auto-Submitted");
	char *precedence = message_header(text, len, "Precedence");
	int automatic = !*envelope_from ||
			(auto_submitted && strncasecmp(auto_submitted, "no", 2) != 0) ||
			(precedence && (!strcasecmp(precedence, "bulk") || !strcasecmp(precedence, "junk") ||
					!strcasecmp(precedence, "list")));

	free(auto_submitted);
	free(precedence);
	return automatic;
}

/* The moderators a held post's notice goes to, collected without repeats. */
struct addresses {
	char **list;
	int n;
};

static int collect_moderator(const struct subscription_row *s, void *ctx)
{
	struct addresses *a = ctx;

	for (int i = 0; i < a->n; i++) {
		if (strcasecmp(a->list[i], s->address) == 0)
			return 0;
	}
	a->list = xrealloc(a->list, (size_t)(a->n + 1) * sizeof(char *));
	a->list[a->n++] = xstrdup(s->address);
	return 0;
}

struct general_walk {
	struct store *st;
	struct addresses *a;
	char first[65]; /* the first general group, whose owner address signs the notice */
};

static int general_moderators(const struct group_row *g, void *ctx)
{
	struct general_walk *w = ctx;

	if (!w->first[0])
		snprintf(w->first, sizeof(w->first), "%s", g->name);
	return store_moderator_each(w->st, g->name, collect_moderator, w->a) < 0 ? -1 : 0;
}

/* Appends the first lines of the post's body, quoted. */
static void quote_start(struct sbuf *out, const char *body, size_t len)
{
	size_t i = 0, header = 0;
	int lines = 0;

	/* skip the header */
	for (; header + 1 < len; header++) {
		if (body[header] == '\n' && (body[header + 1] == '\n' || body[header + 1] == '\r'))
			break;
	}
	i = header < len ? header + 1 : len;
	while (i < len && (body[i] == '\r' || body[i] == '\n'))
		i++;
	while (i < len && lines < QUOTED_LINES) {
		const char *eol = memchr(body + i, '\n', len - i);
		size_t n = eol ? (size_t)(eol - (body + i)) : len - i;
		size_t text = n && body[i + n - 1] == '\r' ? n - 1 : n;
		sbuf_addstr(out, "> ");
		sbuf_add(out, body + i, text);
		sbuf_addch(out, '\n');
		lines++;
		i += n + (eol ? 1 : 0);
	}
	if (i < len)
		sbuf_addstr(out, "> ...\n");
}

int moderation_held(const struct config *cfg, struct store *st, struct spool *sp, const struct held_notice *h,
		    struct sbuf *note)
{
	struct addresses mods = { NULL, 0 };
	struct general_walk walk = { st, &mods, "" };
	char token[33], held_id[24];
	long long now = time(NULL);
	int r = -1;

	if (h->group ? store_moderator_each(st, h->group, collect_moderator, &mods) < 0
		     : store_group_each(st, "general", general_moderators, &walk) < 0)
		goto out;
	const char *group = h->group ? h->group : walk.first;
	if (!*group || notice_token(token) < 0 || store_token_add(st, token, h->held, now, now + cfg->moderation.hold_lifetime) < 0) {
		r = 0; /* no group to sign with: the post waits for `mlistctl held` */
		goto out;
	}
	struct sbuf reply = SBUF_INIT, from = SBUF_INIT, start = SBUF_INIT, subject = SBUF_INIT, body = SBUF_INIT;
	sbuf_addf(&reply, "%s-confirm+%s@%s", group, token, cfg->domain);
	sbuf_addf(&from, "%s%s%s%s", h->from_name, *h->from_name ? " <" : "", h->from_addr, *h->from_name ? ">" : "");
	quote_start(&start, h->body, h->body_len);
	snprintf(held_id, sizeof(held_id), "%lld", h->held);
	struct template_var vars[] = { { "held_id", held_id }, { "from", from.buf }, { "subject", h->subject },
				       { "reason", h->reason }, { "confirm_address", reply.buf },
				       { "post_start", start.buf ? start.buf : "" } };
	if (notice_render(cfg, st, group, h->group ? TEXT_HELD : TEXT_HELD_UNSORTED, vars, 6, &subject, &body) < 0)
		goto release;
	struct sbuf owner = SBUF_INIT;
	int failed = 0;
	sbuf_addf(&owner, "%s-owner@%s", group, cfg->domain);
	for (int i = 0; i < mods.n && !failed && !h->told_already; i++)
		failed = notice_queue(st, sp, cfg->domain, owner.buf, reply.buf, mods.list[i], subject.buf, body.buf) < 0;
	sbuf_release(&owner);
	if (failed)
		goto release;
	if (h->told_already)
		sbuf_addstr(note, "; the moderators were told of the first such post");
	else
		sbuf_addf(note, "; %d moderator(s) notified", mods.n);
	/* The author hears of it once a day at most, and never when the post itself was automatic. */
	int due = h->automatic || !*h->from_addr ? 0 : store_author_notice_due(st, h->from_addr, now);
	if (due < 0)
		goto release;
	if (due) {
		struct template_var told[] = { { "subject", h->subject }, { "reason", h->reason } };
		if (notice_text(cfg, st, sp, group, NULL, NULL, h->from_addr, TEXT_HELD_AUTHOR, told, 2) < 0)
			goto release;
	}
	r = 0;
release:
	sbuf_release(&reply);
	sbuf_release(&from);
	sbuf_release(&start);
	sbuf_release(&subject);
	sbuf_release(&body);
out:
	for (int i = 0; i < mods.n; i++)
		free(mods.list[i]);
	free(mods.list);
	return r;
}

int moderation_tell_author(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			   const char *author, const char *subject, enum text_id what, const char *reason)
{
	struct template_var vars[] = { { "subject", subject }, { "reason", reason } };

	return notice_text(cfg, st, sp, group, NULL, NULL, author, what, vars, 2);
}

int moderation_tell_moderators(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			       enum text_id id, const struct template_var *vars, size_t n)
{
	struct addresses mods = { NULL, 0 };
	struct sbuf from = SBUF_INIT, subject = SBUF_INIT, body = SBUF_INIT;
	int r = store_moderator_each(st, group, collect_moderator, &mods) < 0 ? -1 : 0;

	if (r == 0 && mods.n)
		r = notice_render(cfg, st, group, id, vars, n, &subject, &body);
	sbuf_addf(&from, "%s-owner@%s", group, cfg->domain);
	for (int i = 0; i < mods.n; i++) {
		if (r == 0)
			r = notice_queue(st, sp, cfg->domain, from.buf, NULL, mods.list[i], subject.buf, body.buf);
		free(mods.list[i]);
	}
	free(mods.list);
	sbuf_release(&from);
	sbuf_release(&subject);
	sbuf_release(&body);
	return r;
}
