/*
 * cmd_backup: mlistctl backup FILE, mlistctl restore FILE.
 *
 * backup copies the store, while mlistd runs, into a new file (mode
 * 0600; an existing FILE is refused): written as FILE.tmp, flushed, then
 * renamed, so a half-written backup never has the name FILE.
 *
 * restore puts such a file back as the store, refusing while mlistd runs:
 * while mlistd-sort or mlistd-deliver holds its lock in the spool
 * (spool_lock; they are held here for the restore, so helpers starting
 * meanwhile wait for it), and while any process at all has the store
 * open (store_restore's exclusive lock).  The spool is left as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_backup.h"

/* The helpers whose locks show that mlistd runs: each holds SPOOL/NAME.lock for as long as it runs. */
static const char *const running_helpers[] = { "mlistd-sort", "mlistd-deliver" };
#define N_HELPERS (sizeof(running_helpers) / sizeof(running_helpers[0]))

/* "3 groups, 12 members, 40 messages", for what a backup or restore copied. */
static void print_facts(FILE *out, const struct store_copy_facts *f)
{
	fprintf(out, "schema version %d, %lld group%s, %lld member%s, %lld message%s", f->version, f->groups,
		f->groups == 1 ? "" : "s", f->members, f->members == 1 ? "" : "s", f->messages,
		f->messages == 1 ? "" : "s");
}

int cmd_backup(struct cli *c)
{
	const char *file = c->arg[0];
	struct sbuf tmp = SBUF_INIT, err = SBUF_INIT;
	struct store_copy_facts f;
	struct stat sb;
	int r = 0;

	sbuf_addf(&tmp, "%s.tmp", file);
	if (lstat(file, &sb) == 0)
		r = cli_fail("%s exists: a backup is always written to a new file", file);
	else if (lstat(tmp.buf, &sb) == 0)
		r = cli_fail("%s exists (from a backup that did not finish?): remove it first", tmp.buf);
	else if (store_backup(c->store, tmp.buf, &f, &err) < 0)
		r = cli_fail("backup failed: %s", err.buf);
	else if (spool_install_file(tmp.buf, file) < 0) {
		int e = errno;
		unlink(tmp.buf);
		r = e == EEXIST ? cli_fail("%s appeared while the backup was written; the backup was not kept", file)
				: cli_fail("cannot put the backup at %s: %s", file, strerror(e));
	}
	if (r == 0) {
		long long size = stat(file, &sb) == 0 ? (long long)sb.st_size : 0;
		fprintf(c->out, "backed up the store at %s to %s (%lld octets): ", c->cfg->store, file, size);
		print_facts(c->out, &f);
		fputc('\n', c->out);
	}
	sbuf_release(&tmp);
	sbuf_release(&err);
	return r;
}

/*
 * Takes each helper's lock in the spool (a spool each: one lock per open
 * spool), so that mlistd is known not to run and its helpers, should it
 * start, wait.  Returns 0 with sp[] to close afterwards, or 1 (reason printed).
 */
static int lock_out_mlistd(struct cli *c, struct spool **sp)
{
	struct sbuf err = SBUF_INIT;

	for (size_t i = 0; i < N_HELPERS; i++) {
		if (!(sp[i] = spool_attach(c->cfg->spool, &err))) {
			int r = cli_fail("%s", err.buf);
			sbuf_release(&err);
			return r;
		}
		int r = spool_lock(sp[i], running_helpers[i], 0);
		if (r == 1)
			return cli_fail("mlistd is running (its %s holds %s/%s.lock): stop mlistd first", running_helpers[i],
					c->cfg->spool, running_helpers[i]);
		if (r < 0)
			return cli_fail("%s/%s.lock: %s", c->cfg->spool, running_helpers[i], strerror(errno));
	}
	return 0;
}

int cmd_restore(struct cli *c)
{
	const char *file = c->arg[0], *path = c->cfg->store;
	struct spool *sp[N_HELPERS] = { NULL };
	struct sbuf err = SBUF_INIT;
	struct store_copy_facts f;
	struct stat a, b;
	int r;

	if (stat(file, &a) < 0)
		return cli_fail("%s: %s", file, strerror(errno));
	if (stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return cli_fail("%s is the store itself", file);
	if ((r = lock_out_mlistd(c, sp)) == 0 && store_restore(path, file, &f, &err) != 0)
		r = cli_fail("%s", err.buf);
	for (size_t i = 0; i < N_HELPERS; i++)
		spool_close(sp[i]);
	sbuf_release(&err);
	if (r != 0)
		return r;
	fprintf(c->out, "restored the store at %s from %s: ", path, file);
	print_facts(c->out, &f);
	fputc('\n', c->out);
	if (f.version < store_schema_latest())
		fprintf(c->out, "mlistd migrates it to schema version %d when it starts (or mlistctl init does); "
			"then run mlistctl check\n", store_schema_latest());
	else
		fputs("run mlistctl check: the spool may hold posts and notices the backup does not know, "
		      "or lack files it needs\n", c->out);
	return 0;
}
