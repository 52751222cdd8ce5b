/*
 * page_search: full-text search over what the person may read (the
 * store's READABLE decides, as for every page).
 *
 * The words typed are never FTS5 syntax: each becomes a quoted string
 * (its own quotes doubled), so "AND", "NEAR(" or a stray '*' are just
 * words, and all must occur.  A snippet arrives with its matches marked
 * by \x01 and \x02; the text between is escaped and only our own <mark>
 * is written around it.
 */
#include <ctype.h>
#include <string.h>

#include "html.h"
#include "url.h"
#include "web.h"
#include "words.h"

#define MAX_HITS 20
#define MAX_WORDS 16

/* The FTS5 query for what was typed: "w1" "w2" ...; empty when nothing was. */
static void fts_query(const char *typed, struct sbuf *out)
{
	int words = 0;

	for (const char *p = typed; *p && words < MAX_WORDS;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		sbuf_addstr(out, out->len ? " \"" : "\"");
		for (; *p && !isspace((unsigned char)*p); p++) {
			if (*p == '"')
				sbuf_addch(out, '"');
			sbuf_addch(out, *p);
		}
		sbuf_addch(out, '"');
		words++;
	}
}

static void snippet_html(struct sbuf *out, const char *s)
{
	int marking = 0;

	while (*s) {
		size_t n = strcspn(s, "\x01\x02");
		html_escape(out, s, n);
		s += n;
		if (*s == '\x01' && !marking) {
			sbuf_addstr(out, "<mark>");
			marking = 1;
		} else if (*s == '\x02' && marking) {
			sbuf_addstr(out, "</mark>");
			marking = 0;
		}
		if (*s)
			s++;
	}
	if (marking)
		sbuf_addstr(out, "</mark>");
}

static int hit_html(const struct web_hit_row *h, void *ctx)
{
	struct web_request *rq = ctx;
	struct sbuf *out = &rq->out;
	const struct web_post_row *p = &h->post;

	sbuf_addf(out, "<article>\n<p><a href=\"/t/%lld#m%lld\">", p->thread_id, p->id);
	html_str(out, *p->subject ? p->subject : "-");
	sbuf_addstr(out, "</a></p>\n<p class=\"meta\">");
	html_str(out, p->group);
	sbuf_addstr(out, " · ");
	html_str(out, *p->from_name ? p->from_name : p->from_addr);
	sbuf_addstr(out, " · ");
	html_date(out, p->date ? p->date : p->received);
	sbuf_addstr(out, "</p>\n<p>");
	snippet_html(out, h->snippet);
	sbuf_addstr(out, "</p>\n</article>\n");
	return 0;
}

static void order_link(struct sbuf *out, const char *typed, const char *order, const char *label, int current)
{
	if (current) {
		sbuf_addstr(out, "<strong>");
		html_str(out, label);
		sbuf_addstr(out, "</strong>");
		return;
	}
	sbuf_addstr(out, "<a href=\"/search?q=");
	url_escape(out, typed);
	sbuf_addf(out, "&amp;order=%s\">", order);
	html_str(out, label);
	sbuf_addstr(out, "</a>");
}

void page_search(struct web_request *rq)
{
	const struct web_words *w = rq->words;
	struct sbuf typed = SBUF_INIT, order = SBUF_INIT, query = SBUF_INIT, title = SBUF_INIT;
	const char *q = rq->route.query;

	if (web_field(q, strlen(q), "q", &typed) < 0 || web_field(q, strlen(q), "order", &order) < 0) {
		web_error(rq, 400, w->bad_request);
		goto out;
	}
	if (!typed.buf)
		sbuf_addstr(&typed, "");
	int newest = !order.buf || strcmp(order.buf, "best") != 0;
	fts_query(typed.buf, &query);
	if (query.len)
		sbuf_addf(&title, "%s: %s", w->results_for, typed.buf);
	else
		sbuf_addstr(&title, w->search);
	html_page_start(&rq->out, w, title.buf, rq->person.address, rq->person.csrf);
	sbuf_addstr(&rq->out, "<form method=\"get\" action=\"/search\"><p><input type=\"search\" name=\"q\" value=\"");
	html_str(&rq->out, typed.buf);
	sbuf_addf(&rq->out, "\" size=\"40\"> <button type=\"submit\">%s</button></p></form>\n", w->search);
	if (!query.len) {
		sbuf_addf(&rq->out, "<p>%s</p>\n", w->search_hint);
		html_page_end(&rq->out);
		goto out;
	}
	sbuf_addstr(&rq->out, "<p class=\"meta\">");
	order_link(&rq->out, typed.buf, "new", w->newest_first, newest);
	sbuf_addstr(&rq->out, " · ");
	order_link(&rq->out, typed.buf, "best", w->best_first, !newest);
	sbuf_addstr(&rq->out, "</p>\n");
	size_t before = rq->out.len;
	if (store_web_search(rq->w->st, rq->person.id, query.buf, newest, MAX_HITS, hit_html, rq) < 0) {
		web_store_failed(rq);
		goto out;
	}
	if (rq->out.len == before)
		sbuf_addf(&rq->out, "<p>%s</p>\n", w->no_results);
	html_page_end(&rq->out);
out:
	sbuf_release(&typed);
	sbuf_release(&order);
	sbuf_release(&query);
	sbuf_release(&title);
}
