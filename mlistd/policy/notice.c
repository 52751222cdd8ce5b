/*
 * notice: composing and queueing mlist's own mail; see notice.h.
 */
#include "notice.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_notice.h"

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
	sbuf_addf(&msg, "Subject: %s\r\nDate: %s\r\nMessage-ID: <notice.%s@%s>\r\n"
		  "Auto-Submitted: auto-generated\r\nX-Loop: mlist@%s\r\nPrecedence: bulk\r\n"
		  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		  subject, date, token, domain, domain);
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
