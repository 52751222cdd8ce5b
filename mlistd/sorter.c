/*
 * sorter: incoming/ -> store + queue/; see sorter.h for the rules.
 */
#define _GNU_SOURCE
#include "sorter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "list_address.h"
#include "log.h"
#include "commands.h"
#include "message.h"
#include "moderation.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_delivery.h"
#include "store_group.h"
#include "store_held.h"
#include "store_message.h"
#include "store_notice.h"

struct sorter {
	const struct config *cfg;
	struct store *st;
	struct spool *sp;
};

/* Where a message goes: up to this many groups. */
#define MAX_PLACES 16

struct places {
	long long group[MAX_PLACES];
	long long thread[MAX_PLACES]; /* 0: start a new thread */
	char names[MAX_PLACES][65];
	int n;
	const char *how;              /* "thread", "address", "tag", "rule" or "default" */
};

static void add_place(struct places *pl, long long group, long long thread, const char *name)
{
	for (int i = 0; i < pl->n; i++) {
		if (pl->group[i] == group)
			return;
	}
	if (pl->n == MAX_PLACES)
		return;
	pl->group[pl->n] = group;
	pl->thread[pl->n] = thread;
	snprintf(pl->names[pl->n], sizeof(pl->names[0]), "%s", name);
	pl->n++;
}

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

static int collect_placement(const struct placement_row *p, void *ctx)
{
	add_place(ctx, p->group_id, p->thread_id, p->group);
	return 0;
}

/* 1. A reply joins the thread(s) of the nearest known ancestor. */
static int by_thread(struct sorter *so, const struct message_info *info, struct places *pl)
{
	for (int i = 0; i < info->n_parents && pl->n == 0; i++) {
		if (store_message_placements(so->st, info->parents[i], collect_placement, pl) < 0)
			return -1;
	}
	pl->how = "thread";
	return 0;
}

/* 2. The group addresses it was sent to. */
static void by_address(struct sorter *so, const struct envelope *env, struct places *pl, int *service)
{
	for (int i = 0; i < env->n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(env->rcpt[i], so->cfg->domain, &la) < 0)
			continue;
		if (la.role != ROLE_POST) {
			(*service)++;
			continue;
		}
		long long gid = store_group_id(so->st, la.group);
		if (gid > 0)
			add_place(pl, gid, 0, la.group);
	}
	pl->how = "address";
}

/* 3. "[group-name]" anywhere in the subject. */
static void by_tag(struct sorter *so, const char *subject, struct places *pl)
{
	for (const char *p = strchr(subject, '['); p; p = strchr(p + 1, '[')) {
		const char *close = strchr(p, ']');
		char name[65];
		if (!close || close - p - 1 <= 0 || close - p - 1 >= (long)sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(close - p - 1), p + 1);
		for (char *c = name; *c; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		long long gid = store_group_id(so->st, name);
		if (gid > 0)
			add_place(pl, gid, 0, name);
	}
	pl->how = "tag";
}

/* 4. The first header rule that matches. */
static void by_rule(struct sorter *so, const char *body, size_t len, struct places *pl)
{
	for (size_t i = 0; i < so->cfg->n_rules && pl->n == 0; i++) {
		const struct config_rule *r = &so->cfg->rules[i];
		char *value = message_header(body, len, r->header);
		if (value && strcasestr(value, r->contains)) {
			long long gid = store_group_id(so->st, r->group);
			if (gid > 0)
				add_place(pl, gid, 0, r->group);
			else
				log_msg(LOG_WARNING, "sort rule for %s: no group named '%s'", r->header, r->group);
		}
		free(value);
	}
	pl->how = "rule";
}

static int token_kind(const struct token_row *t, void *ctx)
{
	snprintf(ctx, 16, "%s", t->kind);
	return 0;
}

/* Hands mail for one of a group's service addresses to the code that answers it. */
static int serve(struct sorter *so, const struct list_address *la, const char *author, const struct envelope *env,
		 const char *text, size_t len, int automatic, struct sbuf *note)
{
	struct command_mail m = { la->group, author, env->mail_from.buf, text, len };
	char kind[16] = "";

	switch (la->role) {
	case ROLE_REQUEST:
		return commands_request(so->cfg, so->st, so->sp, &m, note);
	case ROLE_OWNER:
		return commands_owner(so->cfg, so->st, so->sp, &m, note);
	case ROLE_CONFIRM:
		if (store_token_get(so->st, la->ext, token_kind, kind) < 0)
			return -1;
		if (strcmp(kind, "subscribe") == 0 || strcmp(kind, "unsubscribe") == 0)
			return commands_confirm(so->cfg, so->st, so->sp, &m, la->ext, note);
		return moderation_reply(so->cfg, so->st, so->sp, la->group, la->ext, author, text, len, automatic, note);
	case ROLE_BOUNCES:
		sbuf_addf(note, "bounce for %s%s%s kept (bounce mail is read in a later stage)", la->group,
			  la->ext[0] ? " about " : "", la->ext);
		return 0;
	default:
		return 0;
	}
}

/*
 * Splits the places by each group's posting policy for author: pl keeps
 * where the post goes now, hold gets where it waits for a moderator (with
 * hold_reason), and a refusal (announce) sets refuse_reason and refused_group.
 */
static int apply_policies(struct sorter *so, const char *author, struct places *pl, struct places *hold,
			  const char **hold_reason, const char **refuse_reason, char refused_group[65])
{
	struct places ok = { .n = 0, .how = pl->how };

	hold->how = pl->how;
	for (int i = 0; i < pl->n; i++) {
		const char *why = NULL;
		int r = store_policy_check(so->st, pl->group[i], author, &why);
		if (r < 0 && r != -2)
			return -1;
		if (r == 1) {
			add_place(&ok, pl->group[i], pl->thread[i], pl->names[i]);
		} else if (r == 0) {
			add_place(hold, pl->group[i], pl->thread[i], pl->names[i]);
			*hold_reason = why;
		} else {
			*refuse_reason = why;
			snprintf(refused_group, 65, "%s", pl->names[i]);
		}
	}
	*pl = ok;
	return 0;
}

/*
 * Records one message.  Returns 0 (recorded, or recognised as recorded
 * already, or a duplicate set aside), or -1 on a store error.
 * *move_to says where the spool file goes next; note gets the line to
 * log once the batch is committed and moved.
 */
static int sort_one(struct sorter *so, const char *id, const char **move_to, struct sbuf *note)
{
	struct spool_message msg;
	struct message_info info;
	struct sbuf err = SBUF_INIT, generated = SBUF_INIT;
	struct places pl = { .n = 0 };
	int service = 0, r = -1;

	*move_to = "queue";
	int known = store_message_has_spool(so->st, id);
	if (known != 0)
		return known < 0 ? -1 : 0; /* sorted before a crash; only the move was missing */
	if (spool_read(so->sp, "incoming", id, &msg, &err) < 0) {
		sbuf_addf(note, "sorter: %s is not a committed spool file (%s); set aside in spool/corrupt",
			  id, err.buf);
		spool_message_release(&msg);
		sbuf_release(&err);
		*move_to = "corrupt";
		return 0;
	}
	const char *body = msg.raw.buf + msg.body_offset;
	message_parse(body, msg.body_len, &info);
	const char *message_id = info.message_id;
	if (!message_id) {
		sbuf_addf(&generated, "mlist.%s@%s", id, so->cfg->domain);
		message_id = generated.buf;
	}
	/* Taken from this IMAP mailbox before (a poller that died between spooling and recording)? */
	int dup = msg.env.imap_key[0] ? store_message_imap_known(so->st, msg.env.imap_key) : 0;
	if (dup > 0) {
		sbuf_addf(note, "sorter: %s was taken from %s before; set aside in spool/duplicate", id, msg.env.imap_key);
		*move_to = "duplicate";
		r = 0;
		goto out;
	}
	if (dup == 0)
		dup = store_message_known(so->st, message_id);
	if (dup) {
		if (dup > 0) {
			sbuf_addf(note, "sorter: %s repeats Message-ID <%s>, which is recorded already; "
				  "set aside in spool/duplicate, not posted again", id, message_id);
			*move_to = "duplicate";
			r = 0;
		}
		goto out;
	}

	if (by_thread(so, &info, &pl) < 0)
		goto out;
	if (pl.n == 0)
		by_address(so, &msg.env, &pl, &service);
	if (pl.n == 0 && !service)
		by_tag(so, info.subject, &pl);
	if (pl.n == 0 && !service)
		by_rule(so, body, msg.body_len, &pl);
	if (pl.n == 0 && !service && msg.env.default_group[0]) {
		/* 5. The default group of the mailbox it was polled from. */
		long long gid = store_group_id(so->st, msg.env.default_group);
		if (gid > 0)
			add_place(&pl, gid, 0, msg.env.default_group);
		pl.how = "default";
	}

	/* 6. Each group's policy: the post goes out, waits for a moderator, or is refused there. */
	const char *author = *info.from_addr ? info.from_addr : msg.env.mail_from.buf;
	struct places hold = { .n = 0 };
	const char *hold_reason = NULL, *refuse_reason = NULL;
	char refused_group[65] = "";
	if (apply_policies(so, author, &pl, &hold, &hold_reason, &refuse_reason, refused_group) < 0)
		goto out;

	struct message_record rec = {
		message_id, info.message_id == NULL, id,
		pl.n || hold.n ? "queued" : service ? "service" : refuse_reason ? "queued" : "unsorted",
		msg.env.mail_from.buf, info.from_addr, info.from_name, info.subject,
		info.date, msg.received, (long long)msg.body_len, msg.env.imap_key[0] ? msg.env.imap_key : NULL,
	};
	long long mid = store_message_add(so->st, &rec);
	if (mid < 0)
		goto out;
	char *base = message_base_subject(info.subject);
	struct sbuf names = SBUF_INIT;
	for (int i = 0; i < pl.n; i++) {
		long long thread = pl.thread[i];
		if (!thread)
			thread = store_thread_start(so->st, pl.group[i], message_id, base, msg.received);
		if (thread < 0 || store_message_place(so->st, mid, pl.group[i], thread, pl.how, msg.received) < 0) {
			free(base);
			sbuf_release(&names);
			goto out;
		}
		sbuf_addf(&names, "%s%s", i ? ", " : "", pl.names[i]);
	}
	free(base);
	/* Who gets a copy is decided now, in the same transaction: the queue is complete or absent. */
	long long copies = 0;
	if (pl.n && (copies = store_delivery_expand(so->st, mid, info.from_addr, msg.received)) < 0) {
		sbuf_release(&names);
		goto out;
	}
	/* Held: for the groups' moderators, or (unsorted) for the general group's. */
	long long held = 0;
	int unsorted = !pl.n && !hold.n && !service && !refuse_reason;
	if ((hold.n || unsorted) &&
	    (held = store_held_add(so->st, mid, hold.n ? hold_reason : "it fits no group", msg.received)) < 0) {
		sbuf_release(&names);
		goto out;
	}
	for (int i = 0; i < hold.n; i++) {
		if (store_held_place(so->st, held, hold.group[i], hold.thread[i], hold.how) < 0) {
			sbuf_release(&names);
			goto out;
		}
	}
	/* Mail only for service addresses is answered below, in this transaction: its file is not needed after. */
	if (service && !pl.n && !hold.n)
		*move_to = NULL;
	if (pl.n)
		sbuf_addf(note, "sorter: %s <%s> sorted into %s (by %s), %lld cop%s queued", id, message_id, names.buf,
			  pl.how, copies, copies == 1 ? "y" : "ies");
	else if (service)
		sbuf_addf(note, "sorter: %s <%s> is for a service address", id, message_id);
	else if (unsorted)
		sbuf_addf(note, "sorter: %s <%s> fits no group; held %lld as unsorted for a moderator", id, message_id, held);
	for (int i = 0; i < hold.n; i++)
		sbuf_addf(note, "%ssorter: %s <%s> held %lld for the moderators of %s: %s", note->len ? "\n" : "", id,
			  message_id, held, hold.names[i], hold_reason);
	if (refuse_reason)
		sbuf_addf(note, "%ssorter: %s <%s> from %s refused: %s", note->len ? "\n" : "", id, message_id, author,
			  refuse_reason);
	int automatic = moderation_is_automatic(body, msg.body_len, msg.env.mail_from.buf);
	if (refuse_reason && !automatic && *info.from_addr && !pl.n && !hold.n &&
	    moderation_tell_author(so->cfg, so->st, so->sp, refused_group, info.from_addr, info.subject,
				   "was not accepted", refuse_reason) < 0) {
		sbuf_release(&names);
		goto out;
	}
	if (held) {
		struct held_notice hn = { held, hold.n ? hold.names[0] : NULL, hold.n ? hold_reason : "it fits no group",
					  info.from_addr, info.from_name, info.subject, body, msg.body_len, automatic };
		if (moderation_held(so->cfg, so->st, so->sp, &hn, note) < 0) {
			sbuf_release(&names);
			goto out;
		}
	}
	/* Mail to a group's service addresses: commands, the owners, confirmations. */
	for (int i = 0; i < msg.env.n_rcpt; i++) {
		struct list_address la;
		if (list_address_parse(msg.env.rcpt[i], so->cfg->domain, &la) < 0 || la.role == ROLE_POST)
			continue;
		if (note->len)
			sbuf_addch(note, '\n');
		if (serve(so, &la, author, &msg.env, body, msg.body_len, automatic, note) < 0) {
			sbuf_release(&names);
			goto out;
		}
	}
	sbuf_release(&names);
	r = 0;
out:
	message_info_release(&info);
	spool_message_release(&msg);
	sbuf_release(&err);
	sbuf_release(&generated);
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

void sorter_run(struct sorter *so)
{
	struct batch b = { NULL, 0 };

	if (spool_each(so->sp, "incoming", gather, &b) < 0 || b.n == 0) {
		free(b.ids);
		return;
	}
	const char **dest = xcalloc((size_t)b.n, sizeof(*dest));
	struct sbuf *notes = xcalloc((size_t)b.n, sizeof(*notes));
	/* One transaction for the batch: one fsync of the store for all of it. */
	int ok = store_begin(so->st) == 0;
	for (int i = 0; ok && i < b.n; i++) {
		sbuf_init(&notes[i]);
		ok = sort_one(so, b.ids[i], &dest[i], &notes[i]) == 0;
	}
	if (ok && store_commit(so->st) < 0)
		ok = 0;
	if (!ok) {
		log_msg(LOG_ERR, "sorter: %s; the batch stays in spool/incoming for the next try", store_error(so->st));
		store_rollback(so->st);
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
}
