/*
 * cmd_imap: mlistctl imap status -- each configured mailbox: when it was
 * last polled, the last UID taken, how many messages in all, its last error.
 */
#include <stdlib.h>

#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "names.h"
#include "store.h"
#include "store_imap.h"

/* A time, or null for never. */
static void json_time_or_null(FILE *out, long long t)
{
	if (t)
		json_time(out, t);
	else
		fputs("null", out);
}

void imap_status_json(FILE *out, const struct imap_status_row *r)
{
	fputc('{', out);
	json_pair(out, "mailbox", r->mailbox);
	fprintf(out, ", \"uidvalidity\": %lld, \"last_uid\": %lld, \"taken\": %lld, \"last_poll\": ",
		r->uidvalidity, r->last_uid, r->taken);
	json_time_or_null(out, r->last_poll);
	fputs(", ", out);
	json_pair(out, "last_error", r->last_error);
	fputs(", \"last_error_at\": ", out);
	json_time_or_null(out, r->last_error_at);
	fputc('}', out);
}

static int print_status(const struct imap_status_row *r, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  " : "\n  ", out);
		imap_status_json(out, r);
	} else {
		fprintf(out, "%s\n  last poll:  ", r->mailbox);
		if (r->last_poll)
			write_utc(out, r->last_poll, "%Y-%m-%d %H:%M:%S UTC");
		else
			fputs("never", out);
		fprintf(out, "\n  last UID:   %lld (UIDVALIDITY %lld), %lld message(s) taken\n", r->last_uid,
			r->uidvalidity, r->taken);
		if (*r->last_error) {
			fputs("  last error: ", out);
			write_utc(out, r->last_error_at, "%Y-%m-%d %H:%M:%S UTC");
			fprintf(out, " %s\n", r->last_error);
		}
	}
	l->count++;
	return 0;
}

int cmd_imap_status(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	for (size_t i = 0; i < c->cfg->n_imap; i++) {
		char *name = imap_mailbox_name(c->cfg->imap[i].url, c->cfg->imap[i].user);
		int r = store_imap_status(c->store, name, print_status, &l);
		free(name);
		if (r < 0)
			return cli_store_fail(c);
	}
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	else if (c->cfg->n_imap == 0)
		fprintf(c->out, "no imap mailboxes in %s\n", c->cfg->file);
	return 0;
}
