/*
 * member_commands: status and set by mail; see member_commands.h.
 */
#include "member_commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "notice.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"
#include "store_notice.h"
#include "template.h"

/* One line per subscription: "  GROUP  MODE[  follow-line on]". */
static int list_subscription(const struct subscription_row *s, void *ctx)
{
	struct sbuf *out = ctx;

	sbuf_addf(out, "%s  %-28s %s%s", out->len ? "\n" : "", s->group, s->mode, s->follow_line ? "  follow-line on" : "");
	return 0;
}

/* Answers address from GROUP-request@ with text id. */
static int answer(const struct config *cfg, struct store *st, struct spool *sp, const char *group, const char *address,
		  const char *reply_to, enum text_id id, const struct template_var *vars, size_t n)
{
	struct sbuf from = SBUF_INIT;

	sbuf_addf(&from, "%s-request@%s", group, cfg->domain);
	int r = notice_text(cfg, st, sp, group, from.buf, reply_to, address, id, vars, n);
	sbuf_release(&from);
	return r;
}

int member_status(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		  struct sbuf *note)
{
	struct sbuf list = SBUF_INIT;
	int r = store_person_subscriptions(st, m->sender, list_subscription, &list);

	/* Someone who is in no group at all is no person in the store: nothing to list, and that is the answer. */
	if (r < 0) {
		r = answer(cfg, st, sp, m->group, m->sender, NULL, TEXT_NOT_SUBSCRIBED,
			   (struct template_var[]){ { "address", m->sender } }, 1);
		sbuf_addf(note, "request: %s asked for status in %s; not subscribed anywhere", m->sender, m->group);
	} else {
		struct template_var vars[] = { { "address", m->sender }, { "subscriptions", list.buf ? list.buf : "" } };
		r = answer(cfg, st, sp, m->group, m->sender, NULL, TEXT_STATUS, vars, 2);
		sbuf_addf(note, "request: %s got their status", m->sender);
	}
	sbuf_release(&list);
	return r;
}

static int take_kind(const struct group_row *g, void *ctx)
{
	snprintf(ctx, 16, "%s", g->kind);
	return 0;
}

/* Whether change can be made in group: follow-line is for change lines only. */
static int fits(struct store *st, const char *group, const char *change)
{
	char kind[16] = "";

	if (strncmp(change, "follow-line=", 12) != 0)
		return 1;
	return store_group_get(st, group, take_kind, kind) == 0 && strcmp(kind, "change-line") == 0;
}

/* The change in the words of the command that asks for it ("set digest"), for the texts. */
static void command_words(const char *change, struct sbuf *out)
{
	if (strncmp(change, "mode=", 5) == 0)
		sbuf_addf(out, "set %s", change + 5);
	else
		sbuf_addf(out, "set follow-line %s", change + 12);
}

int member_set_confirmed(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			 const char *address, const char *change, struct sbuf *note)
{
	const char *mode = strncmp(change, "mode=", 5) == 0 ? change + 5 : NULL;
	struct subscription_settings set = { mode, mode ? -1 : strcmp(change + 12, "on") == 0, NULL };
	struct sbuf words = SBUF_INIT, list = SBUF_INIT;
	int r = -1;

	if (store_subscription_set(st, group, address, &set) < 0 ||
	    store_person_subscriptions(st, address, list_subscription, &list) < 0)
		goto out;
	command_words(change, &words);
	struct template_var vars[] = { { "address", address }, { "change", words.buf },
				       { "subscriptions", list.buf ? list.buf : "" } };
	r = answer(cfg, st, sp, group, address, NULL, TEXT_SET_DONE, vars, 3);
	if (r == 0)
		sbuf_addf(note, "request: %s in %s: %s", address, group, words.buf);
out:
	sbuf_release(&words);
	sbuf_release(&list);
	return r;
}

int member_set(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
	       const char *change, struct sbuf *note)
{
	struct template_var who[] = { { "address", m->sender } };
	int member = store_is_subscribed(st, m->group, m->sender);

	if (member < 0)
		return -1;
	if (!member) {
		sbuf_addf(note, "request: %s asked to change settings in %s; not subscribed", m->sender, m->group);
		return answer(cfg, st, sp, m->group, m->sender, NULL, TEXT_NOT_SUBSCRIBED, who, 1);
	}
	if (!fits(st, m->group, change)) {
		sbuf_addf(note, "request: %s asked for %s in %s, which is no change line; got help", m->sender, change,
			  m->group);
		return answer(cfg, st, sp, m->group, m->sender, NULL, TEXT_HELP, who, 1);
	}
	/* From the address itself: done now.  Otherwise that address confirms it first. */
	if (strcasecmp(m->envelope_from, m->sender) == 0)
		return member_set_confirmed(cfg, st, sp, m->group, m->sender, change, note);
	char token[33];
	long long now = time(NULL), gid = store_group_id(st, m->group);
	struct membership_change ch = { "set", gid, m->sender, change };
	if (gid < 0 || notice_token(token) < 0 ||
	    store_token_add_membership(st, token, &ch, now, now + cfg->moderation.hold_lifetime) < 0)
		return -1;
	struct sbuf confirm = SBUF_INIT, words = SBUF_INIT;
	sbuf_addf(&confirm, "%s-confirm+%s@%s", m->group, token, cfg->domain);
	command_words(change, &words);
	struct template_var vars[] = { { "address", m->sender }, { "change", words.buf }, { "confirm_address", confirm.buf } };
	int r = answer(cfg, st, sp, m->group, m->sender, confirm.buf, TEXT_CONFIRM_SET, vars, 3);
	if (r == 0)
		sbuf_addf(note, "request: %s asked for %s in %s from %s; confirmation sent", m->sender, words.buf,
			  m->group, *m->envelope_from ? m->envelope_from : "<>");
	sbuf_release(&confirm);
	sbuf_release(&words);
	return r;
}
