/*
 * cmd_init: `mlistctl init`, the one mlistctl command that creates the
 * store or migrates it to this build's schema version.  mlistctl opened
 * it with STORE_CREATE before this runs; this says what that did.
 */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "store.h"

int cmd_init(struct cli *c)
{
	const char *path = c->cfg->store;
	int found = store_found_version(c->store), now = store_schema_version(c->store);

	if (now < 0)
		return cli_store_fail(c);
	if (store_created(c->store))
		fprintf(c->out, "created the store at %s (schema version %d)\n", path, now);
	else if (found < now)
		fprintf(c->out, "migrated the store at %s from schema version %d to %d\n", path, found, now);
	else
		fprintf(c->out, "the store at %s is at schema version %d already\n", path, now);
	return 0;
}
