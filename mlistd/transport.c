/*
 * transport: the smtp (libcurl) and maildir transports; see transport.h.
 */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "sbuf.h"
#include "spool.h"

struct transport {
	const struct config *cfg;
	CURLM *multi; /* smtp: keeps connections open between runs */
};

struct transport *transport_new(const struct config *cfg)
{
	struct transport *t = xcalloc(1, sizeof(*t));

	t->cfg = cfg;
	if (cfg->delivery.transport == TRANSPORT_SMTP) {
		t->multi = curl_multi_init();
		if (!t->multi)
			fatal("curl_multi_init failed");
		curl_multi_setopt(t->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->delivery.connections);
		curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)cfg->delivery.connections);
	}
	return t;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	if (t->multi)
		curl_multi_cleanup(t->multi);
	free(t);
}

static void set_result(struct transport_result *r, int code, const char *text)
{
	r->code = code;
	snprintf(r->text, sizeof(r->text), "%s", text);
}

/* The maildir of one recipient: MAILDIR/ADDRESS, with '/' (legal in an address, not in a name) replaced. */
static char *recipient_maildir(const struct config *cfg, const char *addr)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s/", cfg->delivery.maildir);
	if (addr[0] == '.')
		sbuf_addch(&sb, '_');
	for (const char *p = addr; *p; p++)
		sbuf_addch(&sb, *p == '/' ? '_' : *p);
	return sbuf_detach(&sb);
}

static void run_maildir(struct transport *t, struct transport_job *jobs, int n_jobs)
{
	struct maildir_batch *b = maildir_batch_new();
	int *index = NULL, n = 0;

	/* The root of the per-recipient maildirs is made on first use, like the spool. */
	mkdir_private(t->cfg->delivery.maildir);

	for (int j = 0; j < n_jobs; j++) {
		for (int i = 0; i < jobs[j].n_rcpt; i++) {
			char *dir = recipient_maildir(t->cfg, jobs[j].rcpt[i]);
			struct sbuf copy = SBUF_INIT;
			index = xrealloc(index, (size_t)(n + 1) * sizeof(*index));
			/* Written before a crash and confirmed by its rename: not written twice. */
			if (maildir_has(dir, jobs[j].name)) {
				set_result(&jobs[j].results[i], 250, "2.0.0 already in the maildir");
				index[n++] = -1;
			} else {
				sbuf_addf(&copy, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", jobs[j].from, jobs[j].rcpt[i]);
				sbuf_add(&copy, jobs[j].data, jobs[j].len);
				index[n] = maildir_batch_add(b, dir, jobs[j].name, copy.buf, copy.len);
				if (index[n++] < 0) {
					struct sbuf why = SBUF_INIT;
					sbuf_addf(&why, "4.3.0 cannot write to %s: %s", dir, strerror(errno));
					set_result(&jobs[j].results[i], 451, why.buf);
					sbuf_release(&why);
				}
			}
			sbuf_release(&copy);
			free(dir);
		}
	}
	maildir_batch_commit(b);
	n = 0;
	for (int j = 0; j < n_jobs; j++) {
		for (int i = 0; i < jobs[j].n_rcpt; i++, n++) {
			if (index[n] < 0)
				continue; /* decided above: there already, or not writable */
			if (maildir_batch_ok(b, index[n]))
				set_result(&jobs[j].results[i], 250, "2.0.0 written to the maildir");
			else
				set_result(&jobs[j].results[i], 451, "4.3.0 cannot write to the maildir");
		}
	}
	free(index);
	maildir_batch_free(b);
}

/* What one curl transfer needs besides the job. */
struct transfer {
	struct transport_job *job;
	CURL *easy;
	struct curl_slist *rcpts;
	size_t sent;       /* bytes of the copy handed to curl */
	int rcpt_at;       /* index of the RCPT whose reply is awaited, or -1 */
	int rcpts_sent;    /* RCPT commands seen so far */
};

static size_t read_copy(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct transfer *tr = ctx;
	size_t room = size * nitems, left = tr->job->len - tr->sent;
	size_t n = left < room ? left : room;

	memcpy(buf, tr->job->data + tr->sent, n);
	tr->sent += n;
	return n;
}

/*
 * Watches the SMTP dialogue to learn each RCPT's own reply: libcurl goes
 * on past refused recipients (MAIL_RCPT_ALLOWFAILS) but reports only the
 * transaction's outcome.  RCPT commands go one at a time, each answered
 * before the next, so replies pair with commands in order.
 */
static int watch_dialogue(CURL *easy, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct transfer *tr = ctx;

	(void)easy;
	if (type == CURLINFO_HEADER_OUT) {
		tr->rcpt_at = size > 8 && strncasecmp(data, "RCPT TO:", 8) == 0 && tr->rcpts_sent < tr->job->n_rcpt
				      ? tr->rcpts_sent++ : -1;
	} else if (type == CURLINFO_HEADER_IN && tr->rcpt_at >= 0 && size >= 4 && data[3] != '-') {
		char line[200];
		size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
		memcpy(line, data, n);
		while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
			n--;
		line[n] = '\0';
		set_result(&tr->job->results[tr->rcpt_at], atoi(line), line + (n > 4 ? 4 : n));
		tr->rcpt_at = -1;
	}
	return 0;
}

static void start_transfer(struct transport *t, struct transfer *tr, struct transport_job *job)
{
	struct sbuf from = SBUF_INIT;

	memset(tr, 0, sizeof(*tr));
	tr->job = job;
	tr->rcpt_at = -1;
	for (int i = 0; i < job->n_rcpt; i++) {
		struct sbuf r = SBUF_INIT;
		sbuf_addf(&r, "<%s>", job->rcpt[i]);
		tr->rcpts = curl_slist_append(tr->rcpts, r.buf);
		sbuf_release(&r);
	}
	sbuf_addf(&from, "<%s>", job->from);
	tr->easy = curl_easy_init();
	if (!tr->easy)
		fatal("curl_easy_init failed");
	curl_easy_setopt(tr->easy, CURLOPT_URL, t->cfg->delivery.smarthost);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_FROM, from.buf);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_RCPT, tr->rcpts);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_READFUNCTION, read_copy);
	curl_easy_setopt(tr->easy, CURLOPT_READDATA, tr);
	curl_easy_setopt(tr->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len);
	curl_easy_setopt(tr->easy, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_DEBUGFUNCTION, watch_dialogue);
	curl_easy_setopt(tr->easy, CURLOPT_DEBUGDATA, tr);
	curl_easy_setopt(tr->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(tr->easy, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(tr->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_PRIVATE, tr);
	curl_multi_add_handle(t->multi, tr->easy);
	sbuf_release(&from);
}

/* The transaction ended: recipients without a verdict of their own get the transaction's. */
static void finish_transfer(struct transport *t, struct transfer *tr, CURLcode rc)
{
	long code = 0;
	struct sbuf text = SBUF_INIT;

	curl_easy_getinfo(tr->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		sbuf_addf(&text, "accepted by %s", t->cfg->delivery.smarthost);
	} else if (code >= 400) {
		sbuf_addf(&text, "%s (%s)", curl_easy_strerror(rc), t->cfg->delivery.smarthost);
	} else {
		code = 451; /* no answer at all: the smarthost is down or unreachable; try again */
		sbuf_addf(&text, "4.4.1 %s: %s", t->cfg->delivery.smarthost, curl_easy_strerror(rc));
	}
	for (int i = 0; i < tr->job->n_rcpt; i++) {
		struct transport_result *r = &tr->job->results[i];
		if (r->code == 0 || (r->code >= 200 && r->code < 300))
			set_result(r, rc == CURLE_OK ? 250 : (int)code, text.buf);
	}
	curl_multi_remove_handle(t->multi, tr->easy);
	curl_easy_cleanup(tr->easy);
	curl_slist_free_all(tr->rcpts);
	sbuf_release(&text);
}

static void run_smtp(struct transport *t, struct transport_job *jobs, int n_jobs)
{
	struct transfer *trs = xcalloc((size_t)n_jobs, sizeof(*trs));
	int running = 0, done = 0;

	/* curl queues what exceeds the connection limit and starts it as connections free up. */
	for (int j = 0; j < n_jobs; j++)
		start_transfer(t, &trs[j], &jobs[j]);
	while (done < n_jobs) {
		curl_multi_perform(t->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(t->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct transfer *tr;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
			finish_transfer(t, tr, m->data.result);
			done++;
		}
		if (done < n_jobs)
			curl_multi_poll(t->multi, NULL, 0, 1000, NULL);
	}
	free(trs);
}

void transport_run(struct transport *t, struct transport_job *jobs, int n_jobs)
{
	if (n_jobs == 0)
		return;
	if (t->cfg->delivery.transport == TRANSPORT_SMTP)
		run_smtp(t, jobs, n_jobs);
	else
		run_maildir(t, jobs, n_jobs);
}
