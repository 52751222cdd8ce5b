/*
 * notice: composing and queueing mlist's own mail; see notice.h.
 */
#include "notice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "header_write.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"
#include "store_notice.h"
#include "template.h"

int notice_token(char out[33])
{
	unsigned char rnd[16];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

int notice_queue(struct store *st, struct spool *sp, const char *domain, const char *from, const char *reply_to,
		 const char *to, const char *subject, const char *body)
{
	struct sbuf msg = SBUF_INIT, id = SBUF_INIT;
	struct envelope env;
	char date[64], token[33];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (notice_token(token) < 0)
		return -1;
	sbuf_addf(&msg, "From: %s\r\nTo: %s\r\n", from, to);
	if (reply_to)
		sbuf_addf(&msg, "Reply-To: %s\r\n", reply_to);
	/* A subject may carry an author's words: one line, encoded when it is not US-ASCII. */
	struct sbuf line = SBUF_INIT;
	for (const char *p = subject; *p; p++)
		sbuf_addch(&line, *p == '\r' || *p == '\n' || *p == '\t' ? ' ' : *p);
	sbuf_addstr(&msg, "Subject: ");
	header_add_text(&msg, line.buf ? line.buf : "");
	sbuf_release(&line);
	sbuf_addf(&msg, "\r\nDate: %s\r\nMessage-ID: <notice.%s@%s>\r\n"
		  "Auto-Submitted: auto-generated\r\nX-Loop: mlist@%s\r\nPrecedence: bulk\r\n"
		  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		  date, token, domain, domain);
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			sbuf_addch(&msg, '\r');
		sbuf_addch(&msg, *p);
	}
	envelope_init(&env);
	env.proto = "smtp";
	sbuf_addstr(&env.mail_from, from);
	envelope_add_rcpt(&env, to);
	int r = spool_stage(sp, "notices", &env, msg.buf, msg.len, &id);
	if (r == 0)
		r = store_notice_add(st, id.buf, from, to, (long long)now);
	envelope_release(&env);
	sbuf_release(&msg);
	sbuf_release(&id);
	return r;
}

struct group_facts {
	char *title, *language;
};

static int take_group(const struct group_row *g, void *ctx)
{
	struct group_facts *f = ctx;

	f->title = xstrdup(g->title);
	f->language = *g->language ? xstrdup(g->language) : NULL;
	return 0;
}

/* A group's addresses, for the placeholders every text has. */
struct group_addresses {
	struct sbuf post, request, owner;
};

/* Fills vars[0..6) with the placeholders every text has; release a with release_addresses. */
static void common_vars(const struct config *cfg, const char *group, const char *title, struct group_addresses *a,
			struct template_var vars[6])
{
	sbuf_init(&a->post);
	sbuf_init(&a->request);
	sbuf_init(&a->owner);
	sbuf_addf(&a->post, "%s@%s", group, cfg->domain);
	sbuf_addf(&a->request, "%s-request@%s", group, cfg->domain);
	sbuf_addf(&a->owner, "%s-owner@%s", group, cfg->domain);
	vars[0] = (struct template_var){ "group", group };
	vars[1] = (struct template_var){ "group_title", title && *title ? title : group };
	vars[2] = (struct template_var){ "domain", cfg->domain };
	vars[3] = (struct template_var){ "post_address", a->post.buf };
	vars[4] = (struct template_var){ "request_address", a->request.buf };
	vars[5] = (struct template_var){ "owner_address", a->owner.buf };
}

static void release_addresses(struct group_addresses *a)
{
	sbuf_release(&a->post);
	sbuf_release(&a->request);
	sbuf_release(&a->owner);
}

void notice_fill(const struct config *cfg, const char *group, const char *title, const char *text, struct sbuf *out)
{
	struct group_addresses a;
	struct template_var vars[6];

	common_vars(cfg, group, title, &a, vars);
	template_render(text, vars, 6, out);
	release_addresses(&a);
}

int notice_render(const struct config *cfg, struct store *st, const char *group, enum text_id id,
		  const struct template_var *vars, size_t n, struct sbuf *subject, struct sbuf *body)
{
	struct group_facts f = { NULL, NULL };
	struct group_addresses a;

	/* A name that is no group ("postmaster" for a post that fits none) speaks the config's language. */
	if (store_group_id(st, group) >= 0 && store_group_get(st, group, take_group, &f) < 0)
		return -1;
	struct template_var *all = xcalloc(n + 6, sizeof(*all));
	common_vars(cfg, group, f.title, &a, all);
	for (size_t i = 0; i < n; i++)
		all[6 + i] = vars[i];
	texts_render(cfg->texts, f.language ? f.language : cfg->language, group, id, all, n + 6, subject, body);
	free(all);
	free(f.title);
	free(f.language);
	release_addresses(&a);
	return 0;
}

int notice_text(const struct config *cfg, struct store *st, struct spool *sp, const char *group, const char *from,
		const char *reply_to, const char *to, enum text_id id, const struct template_var *vars, size_t n)
{
	struct sbuf subject = SBUF_INIT, body = SBUF_INIT, owner = SBUF_INIT;
	int r = notice_render(cfg, st, group, id, vars, n, &subject, &body);

	sbuf_addf(&owner, "%s-owner@%s", group, cfg->domain);
	if (r == 0)
		r = notice_queue(st, sp, cfg->domain, from ? from : owner.buf, reply_to, to, subject.buf, body.buf);
	sbuf_release(&subject);
	sbuf_release(&body);
	sbuf_release(&owner);
	return r;
}

int notice_forward(struct store *st, struct spool *sp, const char *domain, const char *envelope_from, const char *to,
		   const char *text, size_t len)
{
	struct sbuf msg = SBUF_INIT, id = SBUF_INIT;
	struct envelope env;

	sbuf_addf(&msg, "X-Loop: mlist@%s\r\n", domain);
	sbuf_add(&msg, text, len);
	envelope_init(&env);
	sbuf_addstr(&env.mail_from, envelope_from);
	envelope_add_rcpt(&env, to);
	int r = spool_stage(sp, "notices", &env, msg.buf, msg.len, &id);
	if (r == 0)
		r = store_notice_add(st, id.buf, envelope_from, to, (long long)time(NULL));
	envelope_release(&env);
	sbuf_release(&msg);
	sbuf_release(&id);
	return r;
}

int notice_commit(struct store *st, struct spool *sp)
{
	int staged = spool_pending(sp);

	if ((staged && spool_commit(sp) != staged) || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

void notice_rollback(struct store *st, struct spool *sp)
{
	spool_unstage(sp);
	store_rollback(st);
}
