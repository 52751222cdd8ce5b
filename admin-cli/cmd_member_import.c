/*
 * cmd_member_import: mlistctl member import GROUP FILE.csv [--mode M]
 *
 * Reads the file and hands it to member_import; bad rows are reported on
 * stderr as "FILE:LINE: reason".  Exit status is 1 when any row was bad,
 * so scripts notice, even though the good rows were imported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "member_import.h"
#include "sbuf.h"
#include "store.h"

/* A member list larger than this is not a member list. */
#define IMPORT_MAX_BYTES (16 * 1024 * 1024)

static int read_file(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (!f)
		return cli_fail("%s: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (out->len + n > IMPORT_MAX_BYTES) {
			fclose(f);
			return cli_fail("%s: larger than %d MiB; is this a member list?", path,
					IMPORT_MAX_BYTES / (1024 * 1024));
		}
		sbuf_add(out, buf, n);
	}
	int failed = ferror(f);
	fclose(f);
	return failed ? cli_fail("%s: read error", path) : 0;
}

static void report_bad_row(unsigned line, const char *why, void *ctx)
{
	fprintf(stderr, "%s:%u: %s\n", (const char *)ctx, line, why);
}

int cmd_member_import(struct cli *c)
{
	const char *group = c->arg[0], *path = c->arg[1], *mode = cli_opt(c, "mode");
	struct sbuf data = SBUF_INIT;
	struct import_result res;
	int r;

	if (read_file(path, &data)) {
		sbuf_release(&data);
		return 1;
	}
	if (member_import(c->store, group, data.buf, data.len, mode ? mode : "each", &res,
			  report_bad_row, (void *)path) < 0) {
		r = cli_store_fail(c);
	} else {
		fprintf(c->out, "imported %d new member(s) into %s, %d already there, %d bad row(s) skipped\n",
			res.added, group, res.present, res.bad);
		r = res.bad ? cli_fail("%d bad row(s) in %s were not imported", res.bad, path) : 0;
	}
	sbuf_release(&data);
	return r;
}
