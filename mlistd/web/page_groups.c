/*
 * page_groups: the home page (the groups a person reads, each with how
 * busy it was over the last half year) and a group's page (its threads,
 * newest activity first, 30 to a page).
 */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "url.h"
#include "web.h"
#include "words.h"

#define WEEKS 26
#define THREADS_PER_PAGE 30
#define MAX_PAGE 100000

/* Posts per week as a bar chart: an SVG of rectangles, no script, no style of its own. */
static void weeks_chart(struct sbuf *out, const struct web_words *w, const long long *counts)
{
	long long most = 1;

	for (int i = 0; i < WEEKS; i++)
		if (counts[i] > most)
			most = counts[i];
	sbuf_addf(out, "<svg class=\"weeks\" viewBox=\"0 0 %d 20\" preserveAspectRatio=\"none\" role=\"img\" "
		  "aria-label=\"%s\">", WEEKS * 4, w->weeks_label);
	for (int i = 0; i < WEEKS; i++) {
		long long h = counts[i] ? 1 + counts[i] * 19 / most : 0;
		if (h)
			sbuf_addf(out, "<rect x=\"%d\" y=\"%lld\" width=\"3\" height=\"%lld\"/>", i * 4, 20 - h, h);
	}
	sbuf_addstr(out, "</svg>");
}

/* The weeks chart of one group: counts[0] is the oldest week. */
struct group_weeks {
	long long group_id;
	long long counts[WEEKS];
};

struct home {
	struct web_request *rq;
	struct group_weeks *weeks;
	size_t nweeks;
	int rows;
};

static long long *weeks_of(struct home *h, long long group_id)
{
	for (size_t i = 0; i < h->nweeks; i++)
		if (h->weeks[i].group_id == group_id)
			return h->weeks[i].counts;
	return NULL;
}

static int take_week(long long group_id, int ago, long long posts, void *ctx)
{
	struct home *h = ctx;
	long long *counts = weeks_of(h, group_id);

	if (!counts) {
		h->weeks = xrealloc(h->weeks, (h->nweeks + 1) * sizeof(*h->weeks));
		memset(&h->weeks[h->nweeks], 0, sizeof(*h->weeks));
		h->weeks[h->nweeks].group_id = group_id;
		counts = h->weeks[h->nweeks++].counts;
	}
	counts[WEEKS - 1 - ago] = posts;
	return 0;
}

static int home_row(const struct web_group_row *g, void *ctx)
{
	struct home *h = ctx;
	struct web_request *rq = h->rq;
	struct sbuf *out = &rq->out;

	if (h->rows++ == 0) {
		sbuf_addf(out, "<table>\n<thead><tr><th>%s</th><th class=\"num\">%s</th><th>%s</th><th></th></tr></thead>"
			  "\n<tbody>\n", rq->words->group, rq->words->posts, rq->words->last_activity);
	}
	sbuf_addf(out, "<tr class=\"%s\"><td><a href=\"/g/", strcmp(g->kind, "project") == 0 && *g->line ? "project" : "line");
	url_escape(out, g->name);
	sbuf_addstr(out, "\">");
	html_str(out, *g->title ? g->title : g->name);
	sbuf_addstr(out, "</a>");
	if (g->unread)
		sbuf_addf(out, " <span class=\"unread\">%lld %s</span>", g->unread, rq->words->unread);
	sbuf_addf(out, "</td><td class=\"num\">%lld</td><td>", g->posts);
	if (g->last)
		html_date(out, g->last);
	sbuf_addstr(out, "</td><td>");
	static const long long quiet[WEEKS];
	const long long *counts = weeks_of(h, g->id);
	weeks_chart(out, rq->words, counts ? counts : quiet);
	sbuf_addstr(out, "</td></tr>\n");
	return 0;
}

void page_home(struct web_request *rq)
{
	struct home h = { rq, NULL, 0, 0 };

	html_page_start(&rq->out, rq->words, rq->words->my_groups, rq->person.address, rq->person.csrf);
	if (store_web_weeks(rq->w->st, rq->person.id, rq->now, WEEKS, take_week, &h) < 0 ||
	    store_web_groups(rq->w->st, rq->person.id, home_row, &h) < 0) {
		web_store_failed(rq);
		goto out;
	}
	if (h.rows)
		sbuf_addstr(&rq->out, "</tbody>\n</table>\n");
	else
		sbuf_addf(&rq->out, "<p>%s</p>\n", rq->words->no_groups);
	html_page_end(&rq->out);
out:
	free(h.weeks);
}

/* The group as the person may see it, copied out of the store's row. */
struct group_seen {
	int found;
	long long id;
	char *name, *title;
	int archive;
	long long unread;
};

static int take_group(const struct web_group_row *g, void *ctx)
{
	struct group_seen *s = ctx;

	s->found = 1;
	s->id = g->id;
	s->name = xstrdup(g->name);
	s->title = xstrdup(*g->title ? g->title : g->name);
	s->archive = g->archive;
	s->unread = g->unread;
	return 0;
}

static int thread_row(const struct web_thread_row *t, void *ctx)
{
	struct web_request *rq = ctx;
	struct sbuf *out = &rq->out;

	sbuf_addf(out, "<tr><td><a href=\"/t/%lld\">", t->id);
	html_str(out, *t->subject ? t->subject : "-");
	sbuf_addf(out, "</a></td><td class=\"num\">%lld</td><td>", t->posts);
	html_date(out, t->last);
	sbuf_addstr(out, "</td></tr>\n");
	return 0;
}

/* ?page=N of the query: 0 for none, -1 when it is not a number we serve. */
static long long page_number(const struct web_request *rq)
{
	struct sbuf v = SBUF_INIT;
	long long n = 0;
	int r = web_field(rq->route.query, strlen(rq->route.query), "page", &v);

	if (r < 0)
		n = -1;
	else if (r == 1) {
		char *end = NULL;
		n = strtoll(v.buf, &end, 10);
		if (!*v.buf || *end || n < 0 || n > MAX_PAGE)
			n = -1;
	}
	sbuf_release(&v);
	return n;
}

static void page_link(struct sbuf *out, const char *group, long long page, const char *label)
{
	sbuf_addstr(out, "<a href=\"/g/");
	url_escape(out, group);
	if (page)
		sbuf_addf(out, "?page=%lld", page);
	sbuf_addstr(out, "\">");
	html_str(out, label);
	sbuf_addstr(out, "</a>");
}

void page_group(struct web_request *rq)
{
	struct group_seen g = { 0 };
	long long page = page_number(rq);
	int more = 0;

	if (page < 0) {
		web_error(rq, 400, rq->words->bad_request);
		return;
	}
	if (store_web_group(rq->w->st, rq->person.id, rq->route.arg, take_group, &g) < 0) {
		web_store_failed(rq);
		goto out;
	}
	if (!g.found) {
		web_error(rq, 404, rq->words->not_found);
		goto out;
	}
	html_page_start(&rq->out, rq->words, g.title, rq->person.address, rq->person.csrf);
	if (!g.archive)
		sbuf_addf(&rq->out, "<p class=\"note\">%s</p>\n", rq->words->no_archive);
	sbuf_addf(&rq->out, "<table>\n<thead><tr><th>%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead>\n<tbody>\n",
		  rq->words->threads, rq->words->posts, rq->words->last_activity);
	size_t before = rq->out.len;
	if (store_web_threads(rq->w->st, rq->person.id, g.id, page * THREADS_PER_PAGE, THREADS_PER_PAGE, thread_row,
			      rq, &more) < 0 ||
	    /*
	     * Page one marks the group seen; with nothing unread that would
	     * change no count, so the flushed commit is spared (a member
	     * reloading the page would otherwise cost a disk flush each).
	     */
	    (page == 0 && g.unread > 0 && store_web_seen(rq->w->st, rq->person.id, g.id, rq->now) < 0)) {
		web_store_failed(rq);
		goto out;
	}
	if (rq->out.len == before)
		sbuf_addf(&rq->out, "<tr><td colspan=\"3\">%s</td></tr>\n", rq->words->no_threads);
	sbuf_addstr(&rq->out, "</tbody>\n</table>\n<p class=\"pages\">");
	if (page > 0)
		page_link(&rq->out, g.name, page - 1, rq->words->newer);
	if (page > 0 && more)
		sbuf_addstr(&rq->out, " · ");
	if (more)
		page_link(&rq->out, g.name, page + 1, rq->words->older);
	sbuf_addstr(&rq->out, "</p>\n");
	html_page_end(&rq->out);
out:
	free(g.name);
	free(g.title);
}
