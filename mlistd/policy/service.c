/*
 * service: mail to service addresses, to its handler; see service.h.
 */
#include "service.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "commands.h"
#include "config.h"
#include "held.h"
#include "list_address.h"
#include "message.h"
#include "moderator_reply.h"
#include "notice.h"
#include "record.h"
#include "sbuf.h"
#include "spool.h"
#include "store_notice.h"

static int token_kind(const struct token_row *t, void *ctx)
{
	snprintf(ctx, 16, "%s", t->kind);
	return 0;
}

/*
 * Forwards mail to postmaster@ or abuse@ to the admins of the config, with
 * the null sender so a failed forward never bounces back into a loop.
 * With no admins configured it is held unsorted, so it still reaches a
 * person (the general groups' moderators).  Returns 0, 1 when held, or -1.
 */
static int to_admins(const struct config *cfg, struct store *st, struct spool *sp, const struct list_address *la,
		     const struct service_mail *m, struct sbuf *note)
{
	if (message_from_us(m->text, m->len, cfg->domain)) {
		sbuf_addf(note, "admin: mail to %s@ from %s not forwarded: it is mlist's own", la->ext, m->author);
		return 0;
	}
	if (cfg->n_admins == 0) {
		struct held_ctx hc = { cfg, st, sp };
		struct held_post hp = { m->message, m->from_addr, m->from_name, m->subject, m->text, m->len, m->automatic };
		struct places nowhere = { 0 };
		struct sbuf told = SBUF_INIT;
		long long held = held_hold(&hc, &hp, &nowhere, "mail to postmaster: no admins configured",
					   (long long)time(NULL), &told);
		if (held >= 0)
			sbuf_addf(note, "admin: mail to %s@ from %s held %lld: no admins configured%s", la->ext,
				  m->author, held, told.buf);
		sbuf_release(&told);
		return held < 0 ? -1 : 1;
	}
	for (size_t i = 0; i < cfg->n_admins; i++)
		if (notice_forward(st, sp, cfg->domain, "", cfg->admins[i], m->text, m->len) < 0)
			return -1;
	sbuf_addf(note, "admin: mail to %s@ from %s forwarded to %zu admin(s)", la->ext, m->author, cfg->n_admins);
	return 0;
}

/* Answers the message for one service address la: 0, 1 when it is kept (held), -1 on a store failure. */
static int answer_one(const struct config *cfg, struct store *st, struct spool *sp, const struct list_address *la,
		      const struct service_mail *m, struct sbuf *note)
{
	struct command_mail cm = { la->group, m->author, m->env->mail_from.buf, m->text, m->len };
	char kind[16] = "";

	switch (la->role) {
	case ROLE_REQUEST:
		return commands_request(cfg, st, sp, &cm, note);
	case ROLE_OWNER:
		return commands_owner(cfg, st, sp, &cm, note);
	case ROLE_CONFIRM:
		if (store_token_get(st, la->ext, token_kind, kind) < 0)
			return -1;
		if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "unsubscribe") == 0 || strcmp(kind, "set") == 0)
			return commands_confirm(cfg, st, sp, &cm, la->ext, note);
		return moderator_reply(cfg, st, sp, la->ext, m->author, m->text, m->len, m->automatic, note);
	case ROLE_BOUNCES: {
		struct bounce_ctx bc = { cfg, st, sp, (long long)time(NULL) };
		struct bounce_mail bm = { m->message, m->text, m->len, m->from_addr, m->from_name, m->subject };
		return bounce_mail(&bc, la, &bm, note);
	}
	case ROLE_ADMIN:
		return to_admins(cfg, st, sp, la, m, note);
	case ROLE_POST:
		break;
	}
	return 0;
}

int service_addressed(const struct envelope *env, const char *domain)
{
	for (int i = 0; i < env->n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(env->rcpt[i], domain, &la) == 0 && la.role != ROLE_POST)
			return 1;
	}
	return 0;
}

int service_answer(const struct config *cfg, struct store *st, struct spool *sp, const struct service_mail *m,
		   struct sbuf *note)
{
	int kept = 0;

	for (int i = 0; i < m->env->n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(m->env->rcpt[i], cfg->domain, &la) < 0 || la.role == ROLE_POST)
			continue;
		if (note->len)
			sbuf_addch(note, '\n');
		int r = answer_one(cfg, st, sp, &la, m, note);
		if (r < 0)
			return -1;
		kept |= r == 1;
	}
	return kept;
}
