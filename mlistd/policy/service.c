/*
 * service: mail to service addresses, to its handler; see service.h.
 */
#include "service.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "list_address.h"
#include "moderator_reply.h"
#include "sbuf.h"
#include "spool.h"
#include "store_notice.h"

static int token_kind(const struct token_row *t, void *ctx)
{
	snprintf(ctx, 16, "%s", t->kind);
	return 0;
}

/* Answers the message for one service address la. */
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
		if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "unsubscribe") == 0)
			return commands_confirm(cfg, st, sp, &cm, la->ext, note);
		return moderator_reply(cfg, st, sp, la->ext, m->author, m->text, m->len, m->automatic, note);
	case ROLE_BOUNCES:
		sbuf_addf(note, "bounce for %s%s%s kept (bounce mail is read in a later stage)", la->group,
			  la->ext[0] ? " about " : "", la->ext);
		return 0;
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
	for (int i = 0; i < m->env->n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(m->env->rcpt[i], cfg->domain, &la) < 0 || la.role == ROLE_POST)
			continue;
		if (note->len)
			sbuf_addch(note, '\n');
		if (answer_one(cfg, st, sp, &la, m, note) < 0)
			return -1;
	}
	return 0;
}
