/*
 * cmd_moderator: mlistctl moderator add|remove|list.
 */
#include "cli.h"
#include "json_out.h"
#include "store.h"
#include "store_member.h"

int cmd_moderator_add(struct cli *c)
{
	if (cli_check_address(c->arg[1]))
		return 1;
	if (store_moderator_add(c->store, c->arg[0], c->arg[1]) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "%s now moderates %s\n", c->arg[1], c->arg[0]);
	return 0;
}

int cmd_moderator_remove(struct cli *c)
{
	if (store_moderator_remove(c->store, c->arg[0], c->arg[1]) < 0)
		return cli_store_fail(c);
	fprintf(c->out, "%s no longer moderates %s\n", c->arg[1], c->arg[0]);
	return 0;
}

static int print_moderator(const struct subscription_row *s, void *ctx)
{
	struct lister *l = ctx;

	if (l->c->json) {
		fputs(l->count ? ", {" : "{", l->c->out);
		json_pair(l->c->out, "address", s->address);
		fputs(", ", l->c->out);
		json_pair(l->c->out, "name", s->name);
		fputc('}', l->c->out);
	} else {
		fprintf(l->c->out, "%-40s %s\n", s->address, s->name);
	}
	l->count++;
	return 0;
}

int cmd_moderator_list(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	if (store_moderator_each(c->store, c->arg[0], print_moderator, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs("]\n", c->out);
	return 0;
}
