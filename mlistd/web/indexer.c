/*
 * indexer: the search index, filled from the archive; see indexer.h.
 */
#include "indexer.h"

#include <stdlib.h>
#include <syslog.h>

#include "archive.h"
#include "config.h"
#include "log.h"
#include "post_view.h"
#include "store.h"
#include "web.h"

struct todo {
	long long id;
	char *group, *spool_id, *subject, *author;
};

struct todo_list {
	struct todo *items;
	size_t n;
};

/* The rows are copied out first: the index is written only after their query is done. */
static int take(const struct web_post_row *p, void *ctx)
{
	struct todo_list *l = ctx;
	struct sbuf author = SBUF_INIT;

	sbuf_addf(&author, "%s %s", p->from_name, p->from_addr);
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n++] = (struct todo){ p->id, xstrdup(p->group), xstrdup(p->spool_id), xstrdup(p->subject),
					  sbuf_detach(&author) };
	return 0;
}

int web_index_some(struct web *w, int limit)
{
	struct todo_list l = { NULL, 0 };
	struct sbuf msg = SBUF_INIT;
	int r = 0;

	if (store_begin(w->st) < 0 || store_web_unindexed(w->st, limit, take, &l) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct post_view v;
		sbuf_reset(&msg);
		if (archive_read(w->cfg->spool, l.items[i].group, l.items[i].spool_id, &msg) < 0)
			sbuf_addstr(&msg, "\r\n");
		post_view_read(msg.buf, msg.len, &v);
		if (store_web_index(w->st, l.items[i].id, l.items[i].subject, l.items[i].author, v.text.buf) < 0)
			r = -1;
		post_view_free(&v);
	}
	if (r == 0 && store_commit(w->st) < 0)
		r = -1;
	if (r < 0) {
		log_msg(LOG_ERR, "web: search index: %s", store_error(w->st));
		store_rollback(w->st);
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.items[i].group);
		free(l.items[i].spool_id);
		free(l.items[i].subject);
		free(l.items[i].author);
	}
	free(l.items);
	sbuf_release(&msg);
	return r < 0 ? -1 : (int)l.n;
}
