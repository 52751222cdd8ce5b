/*
 * cmd_web: mlistctl web sessions [ADDR], mlistctl web revoke ADDR: the
 * web archive's open sessions, and ending them.
 *
 * The store keeps only the SHA-256 of a session's secret; a listing shows
 * the first 8 hex digits of it, enough to tell sessions apart and far too
 * few to look one up by.
 */
#include <time.h>

#include "cli.h"
#include "json_out.h"
#include "store.h"
#include "store_member.h"
#include "store_web.h"

/* How much of a session's id_hash a listing shows. */
#define SESSION_PREFIX 8

/* store_person_get's callback when only whether the person is known matters. */
static int person_known(const struct person_row *p, void *ctx)
{
	(void)p;
	(void)ctx;
	return 0;
}

/* Refuses (returns 1, reason printed) a badly formed address or one of nobody in the store; else 0. */
static int check_person(struct cli *c, const char *addr)
{
	if (cli_check_address(addr))
		return 1;
	if (store_person_get(c->store, addr, person_known, NULL) < 0)
		return cli_store_fail(c);
	return 0;
}

static int print_session(const struct web_session_row *s, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  {" : "\n  {", out);
		json_pair(out, "address", s->address);
		fprintf(out, ", \"session\": \"%.*s\", \"created\": ", SESSION_PREFIX, s->id_hash);
		json_time(out, s->created);
		fputs(", \"last_seen\": ", out);
		json_time(out, s->last_seen);
		fputs(", \"expires\": ", out);
		json_time(out, s->expires);
		fputc('}', out);
	} else {
		fprintf(out, "%-40s %-*.*s  ", s->address, SESSION_PREFIX, SESSION_PREFIX, s->id_hash);
		write_utc(out, s->created, "%Y-%m-%d %H:%M");
		fputs("  ", out);
		write_utc(out, s->last_seen, "%Y-%m-%d %H:%M");
		fputs("  ", out);
		write_utc(out, s->expires, "%Y-%m-%d %H:%M");
		fputc('\n', out);
	}
	l->count++;
	return 0;
}

int cmd_web_sessions(struct cli *c)
{
	struct lister l = { c, 0 };
	const char *addr = c->n_args ? c->arg[0] : NULL;

	if (addr && check_person(c, addr))
		return 1;
	if (c->json)
		fputc('[', c->out);
	else
		fprintf(c->out, "%-40s %-*s  %-16s  %-16s  %s\n", "ADDRESS", SESSION_PREFIX, "SESSION", "CREATED",
			"LAST SEEN", "EXPIRES");
	if (store_web_sessions_each(c->store, addr, (long long)time(NULL), print_session, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	return 0;
}

int cmd_web_revoke(struct cli *c)
{
	long long n = 0;
	int r;

	/* one transaction: the person is checked, and their sessions and login links end, together */
	if (store_begin(c->store) < 0)
		return cli_store_fail(c);
	r = check_person(c, c->arg[0]);
	if (r == 0 && (store_web_revoke(c->store, c->arg[0], &n) < 0 || store_commit(c->store) < 0))
		r = cli_store_fail(c);
	if (r != 0) {
		store_rollback(c->store);
		return r;
	}
	fprintf(c->out, "ended %lld web session(s) of %s; their unused login links no longer work\n", n, c->arg[0]);
	return 0;
}
