/*
 * page_thread: a thread's posts in order, a post found by Message-ID
 * (the Archived-At link of every copy), and a post's attachments.
 *
 * A post's text is shown as text, never as HTML: html_escape writes
 * every line, quoted lines (">") fold into a <details> of their own, and
 * so does a signature (after "-- "), so a long thread reads as what each
 * person added.  An attachment is only ever downloaded
 * (application/octet-stream, Content-Disposition: attachment), never
 * shown inline, so a hostile file cannot run as a page of ours.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "archive.h"
#include "config.h"
#include "html.h"
#include "log.h"
#include "post_view.h"
#include "url.h"
#include "web.h"
#include "words.h"

/* Writes the text, quoted runs and the signature folded away. */
static void body_html(struct sbuf *out, const struct web_words *w, const char *text, size_t len)
{
	int quoting = 0, signature = 0;

	sbuf_addstr(out, "<div class=\"body\">");
	for (size_t i = 0; i < len;) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		if (n && line[n - 1] == '\r')
			n--;
		if (!signature && n == 3 && memcmp(line, "-- ", 3) == 0) {
			if (quoting)
				sbuf_addstr(out, "</details>");
			quoting = 0;
			signature = 1;
			sbuf_addf(out, "<details class=\"signature\"><summary>%s</summary>", w->signature);
		} else if (!signature && !quoting && n && line[0] == '>') {
			quoting = 1;
			sbuf_addf(out, "<details class=\"quoted\"><summary>%s</summary>", w->quoted);
		} else if (quoting && (!n || line[0] != '>')) {
			quoting = 0;
			sbuf_addstr(out, "</details>");
		}
		html_escape(out, line, n);
		if (i < len || nl)
			sbuf_addch(out, '\n');
	}
	if (quoting || signature)
		sbuf_addstr(out, "</details>");
	sbuf_addstr(out, "</div>\n");
}

/* Reads a post's archived message; logs and returns -1 when it is gone. */
static int read_archived(struct web_request *rq, const struct web_post_row *p, struct sbuf *msg)
{
	if (archive_read(rq->w->cfg->spool, p->group, p->spool_id, msg) == 0)
		return 0;
	log_msg(LOG_WARNING, "web: post %lld (%s) is not in %s's archive", p->id, p->spool_id, p->group);
	return -1;
}

static int post_html(const struct web_post_row *p, void *ctx)
{
	struct web_request *rq = ctx;
	struct sbuf *out = &rq->out, msg = SBUF_INIT;
	struct post_view v;

	sbuf_addf(out, "<article id=\"m%lld\">\n<p class=\"meta\"><strong>", p->id);
	html_str(out, *p->from_name ? p->from_name : p->from_addr);
	sbuf_addstr(out, "</strong> &lt;");
	html_str(out, p->from_addr);
	sbuf_addstr(out, "&gt; · ");
	html_date(out, p->date ? p->date : p->received);
	sbuf_addf(out, " · <a href=\"/t/%lld#m%lld\">#</a></p>\n", p->thread_id, p->id);
	if (read_archived(rq, p, &msg) < 0) {
		sbuf_addf(out, "<p class=\"note\">%s</p>\n</article>\n", rq->words->not_found);
		sbuf_release(&msg);
		return 0;
	}
	post_view_read(msg.buf, msg.len, &v);
	if (v.from_html)
		sbuf_addf(out, "<p class=\"meta\">%s</p>\n", rq->words->html_part);
	body_html(out, rq->words, v.text.buf, v.text.len);
	if (v.n_attachments) {
		sbuf_addf(out, "<p class=\"meta\">%s:</p>\n<ul class=\"attachments\">\n", rq->words->attachments);
		for (size_t i = 0; i < v.n_attachments; i++) {
			sbuf_addf(out, "<li><a href=\"/a/%lld/%zu\">", p->id, i + 1);
			html_str(out, v.attachments[i].name);
			sbuf_addstr(out, "</a> (");
			html_str(out, v.attachments[i].type);
			sbuf_addstr(out, ", ");
			html_size(out, (long long)v.attachments[i].size);
			sbuf_addstr(out, ")</li>\n");
		}
		sbuf_addstr(out, "</ul>\n");
	}
	sbuf_addstr(out, "</article>\n");
	post_view_free(&v);
	sbuf_release(&msg);
	return 0;
}

struct thread_seen {
	int found;
	char *subject, *group;
};

static int take_thread(const struct web_thread_row *t, void *ctx)
{
	struct thread_seen *s = ctx;

	s->found = 1;
	s->subject = xstrdup(*t->subject ? t->subject : "-");
	s->group = xstrdup(t->group);
	return 0;
}

void page_thread(struct web_request *rq)
{
	struct thread_seen t = { 0 };

	if (store_web_thread(rq->w->st, rq->person.id, rq->route.id, take_thread, &t) < 0) {
		web_store_failed(rq);
		goto out;
	}
	if (!t.found) {
		web_error(rq, 404, rq->words->not_found);
		goto out;
	}
	html_page_start(&rq->out, rq->words, t.subject, rq->person.address, rq->person.csrf);
	sbuf_addstr(&rq->out, "<p class=\"meta\"><a href=\"/g/");
	url_escape(&rq->out, t.group);
	sbuf_addstr(&rq->out, "\">");
	html_str(&rq->out, t.group);
	sbuf_addstr(&rq->out, "</a></p>\n");
	if (store_web_thread_posts(rq->w->st, rq->person.id, rq->route.id, post_html, rq) < 0) {
		web_store_failed(rq);
		goto out;
	}
	html_page_end(&rq->out);
out:
	free(t.subject);
	free(t.group);
}

struct place {
	long long id, thread_id;
};

static int take_place(const struct web_post_row *p, void *ctx)
{
	struct place *pl = ctx;

	pl->id = p->id;
	pl->thread_id = p->thread_id;
	return 0;
}

void page_post(struct web_request *rq)
{
	struct place pl = { 0, 0 };
	int r = store_web_post(rq->w->st, rq->person.id, 0, rq->route.arg, take_place, &pl);
	struct sbuf where = SBUF_INIT;

	if (r < 0) {
		web_store_failed(rq);
	} else if (r == 0) {
		web_error(rq, 404, rq->words->not_found);
	} else {
		sbuf_addf(&where, "/t/%lld#m%lld", pl.thread_id, pl.id);
		web_redirect(rq, where.buf);
	}
	sbuf_release(&where);
}

struct download {
	struct web_request *rq;
	int found;
	struct post_attachment a;
};

static int take_attachment(const struct web_post_row *p, void *ctx)
{
	struct download *d = ctx;
	struct sbuf msg = SBUF_INIT;

	if (read_archived(d->rq, p, &msg) == 0)
		d->found = post_view_attachment(msg.buf, msg.len, d->rq->route.n, &d->rq->out, &d->a);
	sbuf_release(&msg);
	return 0;
}

void page_attachment(struct web_request *rq)
{
	struct download d = { rq, 0, { 0 } };
	int r = store_web_post(rq->w->st, rq->person.id, rq->route.id, NULL, take_attachment, &d);
	struct sbuf disposition = SBUF_INIT;

	if (r < 0) {
		web_store_failed(rq);
	} else if (!d.found) {
		web_error(rq, 404, rq->words->not_found);
	} else {
		/* RFC 6266: the name in UTF-8, percent-encoded, so it can never end the field. */
		rq->content_type = "application/octet-stream";
		sbuf_addstr(&disposition, "attachment; filename*=UTF-8''");
		url_escape(&disposition, d.a.name);
		web_header(rq, "Content-Disposition", disposition.buf);
	}
	free(d.a.name);
	sbuf_release(&disposition);
}
