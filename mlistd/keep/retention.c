/*
 * retention: purging old posts; see retention.h.
 */
#include "retention.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "config.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_message.h"

struct purged {
	char **ids;
	int n;
};

static int take_purged(const char *spool_id, void *ctx)
{
	struct purged *p = ctx;

	p->ids = xrealloc(p->ids, (size_t)(p->n + 1) * sizeof(char *));
	p->ids[p->n++] = xstrdup(spool_id);
	return 0;
}

long long retention_purge(const struct config *cfg, struct store *st, const char *group, long long before,
			  struct sbuf *err)
{
	struct purged p = { NULL, 0 };
	long long gid = store_group_id(st, group), n = -1;

	if (gid < 0 || store_begin(st) < 0) {
		sbuf_addstr(err, store_error(st));
		return -1;
	}
	if (store_message_purge(st, gid, before, take_purged, &p) < 0) {
		sbuf_addstr(err, store_error(st));
		store_rollback(st);
		goto out;
	}
	for (int i = 0; i < p.n; i++) {
		if (archive_remove(cfg->spool, group, p.ids[i]) < 0) {
			sbuf_addf(err, "cannot remove %s from the archive of %s: %s", p.ids[i], group, strerror(errno));
			store_rollback(st);
			goto out;
		}
	}
	if (store_commit(st) < 0) {
		sbuf_addstr(err, store_error(st));
		goto out;
	}
	n = p.n;
out:
	for (int i = 0; i < p.n; i++)
		free(p.ids[i]);
	free(p.ids);
	return n;
}

struct kept {
	char **names;
	long long *days;
	int n;
};

static int take_kept(const struct group_row *g, void *ctx)
{
	struct kept *k = ctx;

	if (g->keep_days <= 0)
		return 0;
	k->names = xrealloc(k->names, (size_t)(k->n + 1) * sizeof(char *));
	k->days = xrealloc(k->days, (size_t)(k->n + 1) * sizeof(long long));
	k->names[k->n] = xstrdup(g->name);
	k->days[k->n++] = g->keep_days;
	return 0;
}

int retention_run(const struct config *cfg, struct store *st, long long now, struct sbuf *note)
{
	struct kept k = { NULL, NULL, 0 };
	int r = store_group_each(st, NULL, take_kept, &k) < 0 ? -1 : 0;

	for (int i = 0; i < k.n && r == 0; i++) {
		struct sbuf err = SBUF_INIT;
		long long n = retention_purge(cfg, st, k.names[i], now - k.days[i] * 86400, &err);
		if (n < 0)
			sbuf_addf(note, "%sretention: %s: %s", note->len ? "\n" : "", k.names[i], err.buf);
		else if (n > 0)
			sbuf_addf(note, "%sretention: %lld post(s) of %s older than %lld day(s) purged", note->len ? "\n" : "",
				  n, k.names[i], k.days[i]);
		r = n < 0 ? -1 : 0;
		sbuf_release(&err);
	}
	for (int i = 0; i < k.n; i++)
		free(k.names[i]);
	free(k.names);
	free(k.days);
	return r;
}
