/*
 * commands: -request, -owner and subscription confirmations; see commands.h.
 */
#define _GNU_SOURCE
#include "commands.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "command_parse.h"
#include "config.h"
#include "list_address.h"
#include "member_commands.h"
#include "membership.h"
#include "message.h"
#include "moderation.h"
#include "notice.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"
#include "store_notice.h"
#include "template.h"

int commands_unanswerable(const struct config *cfg, const struct command_mail *m, const char **why)
{
	int r = 0;

	if (message_from_us(m->text, m->len, cfg->domain)) {
		*why = "it came from this list server (List-Id or X-Loop): a loop";
		r = 1;
	} else if (!*m->envelope_from || strncasecmp(m->sender, "mailer-daemon@", 14) == 0) {
		*why = "it is a bounce";
		r = 1;
	} else if (moderation_is_automatic(m->text, m->len, m->envelope_from)) {
		*why = "it is automatic mail";
		r = 1;
	}
	return r;
}

/* Answers the sender from GROUP-request@ with text id; its {address} is the sender's. */
static int reply_text(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		      const char *reply_addr, enum text_id id, const char *confirm_addr)
{
	struct sbuf from = SBUF_INIT;
	struct template_var vars[] = { { "address", m->sender }, { "confirm_address", confirm_addr } };
	int r;

	sbuf_addf(&from, "%s-request@%s", m->group, cfg->domain);
	r = notice_text(cfg, st, sp, m->group, from.buf, reply_addr, m->sender, id, vars, confirm_addr ? 2 : 1);
	sbuf_release(&from);
	return r;
}

static int note_announce(const struct group_row *g, void *ctx)
{
	*(int *)ctx = strcmp(g->policy, "announce") == 0;
	return 0;
}

/* Whether the group takes self-subscriptions (not announce groups, not when the config closes them). */
static int self_subscribe_open(const struct config *cfg, struct store *st, const char *group)
{
	int announce = 1;

	if (!cfg->moderation.self_subscribe || store_group_get(st, group, note_announce, &announce) < 0)
		return 0;
	return !announce;
}

static int ask_confirmation(const struct config *cfg, struct store *st, struct spool *sp,
			    const struct command_mail *m, const char *kind, struct sbuf *note)
{
	char token[33];
	long long now = time(NULL), gid = store_group_id(st, m->group);
	struct sbuf confirm = SBUF_INIT;
	int r = -1;

	struct membership_change ch = { kind, gid, m->sender, NULL };
	if (gid < 0 || notice_token(token) < 0 ||
	    store_token_add_membership(st, token, &ch, now, now + cfg->moderation.hold_lifetime) < 0)
		goto out;
	sbuf_addf(&confirm, "%s-confirm+%s@%s", m->group, token, cfg->domain);
	r = reply_text(cfg, st, sp, m, confirm.buf,
		       strcmp(kind, "subscribe") == 0 ? TEXT_CONFIRM_SUBSCRIBE : TEXT_CONFIRM_UNSUBSCRIBE, confirm.buf);
	if (r == 0)
		sbuf_addf(note, "request: %s asked to %s %s; confirmation sent", m->sender, kind, m->group);
out:
	sbuf_release(&confirm);
	return r;
}

int commands_request(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		     struct sbuf *note)
{
	const char *why = NULL;
	struct sbuf why_bad = SBUF_INIT;
	int r = 0;

	if (commands_unanswerable(cfg, m, &why)) {
		sbuf_addf(note, "request: mail from %s to %s-request not answered: %s", m->sender, m->group, why);
		return 0;
	}
	if (address_check(m->sender, &why_bad) < 0) {
		sbuf_addf(note, "request: mail to %s-request from an unusable address not answered (%s)", m->group,
			  why_bad.buf);
		sbuf_release(&why_bad);
		return 0;
	}
	sbuf_release(&why_bad);
	struct command cmd;
	command_parse(m->text, m->len, &cmd);
	int member = store_is_subscribed(st, m->group, m->sender);
	if (member < 0)
		return -1;
	switch (cmd.verb) {
	case COMMAND_WHO:
		r = reply_text(cfg, st, sp, m, NULL, TEXT_ROSTER_PRIVATE, NULL);
		sbuf_addf(note, "request: %s asked who is in %s; refused", m->sender, m->group);
		break;
	case COMMAND_SUBSCRIBE:
		if (member) {
			r = reply_text(cfg, st, sp, m, NULL, TEXT_ALREADY_SUBSCRIBED, NULL);
			sbuf_addf(note, "request: %s is subscribed to %s already", m->sender, m->group);
		} else if (!self_subscribe_open(cfg, st, m->group)) {
			/* Closed: the moderators decide (and add the member with mlistctl). */
			r = commands_owner(cfg, st, sp, m, note);
			if (r == 0)
				r = reply_text(cfg, st, sp, m, NULL, TEXT_SUBSCRIBE_TO_MODERATORS, NULL);
		} else {
			r = ask_confirmation(cfg, st, sp, m, "subscribe", note);
		}
		break;
	case COMMAND_UNSUBSCRIBE:
		if (member) {
			r = ask_confirmation(cfg, st, sp, m, "unsubscribe", note);
		} else {
			r = reply_text(cfg, st, sp, m, NULL, TEXT_NOT_SUBSCRIBED, NULL);
			sbuf_addf(note, "request: %s is not subscribed to %s", m->sender, m->group);
		}
		break;
	case COMMAND_STATUS:
		r = member_status(cfg, st, sp, m, note);
		break;
	case COMMAND_SET:
		r = member_set(cfg, st, sp, m, cmd.change, note);
		break;
	case COMMAND_HELP:
	case COMMAND_SET_INVALID:
	case COMMAND_NONE:
		r = reply_text(cfg, st, sp, m, NULL, TEXT_HELP, NULL);
		sbuf_addf(note, "request: %s got help for %s", m->sender, m->group);
		break;
	}
	return r;
}

/* The moderators of the group, for -owner forwarding. */
struct forward {
	const struct config *cfg;
	struct store *st;
	struct spool *sp;
	const struct command_mail *m;
	int sent, failed;
};

static int forward_to(const struct subscription_row *s, void *ctx)
{
	struct forward *f = ctx;
	struct sbuf from = SBUF_INIT;

	list_address_bounces(&from, f->m->group, NULL, f->cfg->domain);
	if (notice_forward(f->st, f->sp, f->cfg->domain, from.buf, s->address, f->m->text, f->m->len) < 0)
		f->failed = 1;
	else
		f->sent++;
	sbuf_release(&from);
	return f->failed ? -1 : 0;
}

int commands_owner(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		   struct sbuf *note)
{
	const char *why = NULL;
	struct forward f = { cfg, st, sp, m, 0, 0 };

	if (commands_unanswerable(cfg, m, &why) && strcmp(why, "it is automatic mail") != 0) {
		sbuf_addf(note, "owner: mail from %s to %s-owner not forwarded: %s", m->sender, m->group, why);
		return 0;
	}
	if (store_moderator_each(st, m->group, forward_to, &f) < 0)
		return -1;
	if (note->len)
		sbuf_addch(note, '\n');
	sbuf_addf(note, "owner: mail from %s to %s-owner forwarded to %d moderator(s)", m->sender, m->group, f.sent);
	return 0;
}

struct membership_token {
	char *kind, *address, *group, *change;
};

static int take_token(const struct token_row *t, void *ctx)
{
	struct membership_token *x = ctx;

	x->kind = xstrdup(t->kind);
	x->address = xstrdup(t->address);
	x->group = xstrdup(t->group);
	x->change = xstrdup(t->change);
	return 0;
}

int commands_confirm(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		     const char *token, struct sbuf *note)
{
	struct membership_token t = { NULL, NULL, NULL, NULL };
	const char *why = NULL;
	long long held;
	int r = 0;

	if (commands_unanswerable(cfg, m, &why)) {
		sbuf_addf(note, "confirm: mail from %s not acted on: %s", m->sender, why);
		return 0;
	}
	int valid = store_token_check(st, token, time(NULL), &held, &why);
	if (valid <= 0) {
		if (valid == 0)
			sbuf_addf(note, "confirm: reply from %s with token %.8s... ignored: %s", m->sender, token, why);
		return valid;
	}
	if (store_token_get(st, token, take_token, &t) <= 0) {
		r = -1;
		goto out;
	}
	if (strcmp(t.kind, "set") == 0) {
		r = member_set_confirmed(cfg, st, sp, t.group, t.address, t.change, note);
		if (r == 0)
			r = store_token_use(st, token);
		goto out;
	}
	int joining = strcmp(t.kind, "subscribe") == 0;
	if ((r = store_token_use(st, token)) == 0)
		r = joining ? membership_join(cfg, st, sp, t.group, t.address)
			    : membership_leave(cfg, st, sp, t.group, t.address);
	if (r > 0)
		r = 0;
	if (r == 0)
		sbuf_addf(note, "confirm: %s %s %s", t.address, joining ? "joined" : "left", t.group);
out:
	free(t.change);
	free(t.kind);
	free(t.address);
	free(t.group);
	return r;
}
