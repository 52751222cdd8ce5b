/*
 * cmd_member_import: mlistctl member import GROUP FILE.csv
 *
 * Rows are "address,name" (name optional; a header row naming the
 * columns is skipped).  Every row is checked first; each bad one is
 * reported as "FILE:LINE: reason" and skipped, and the good ones are
 * imported in one transaction, so an interrupted import changes nothing.
 * Importing the same file again changes nothing either: existing members
 * keep their subscription (their name is updated if the file has one).
 * Exit status is 1 when any row was bad, so scripts notice.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "cli.h"
#include "csv.h"
#include "names.h"
#include "store.h"
#include "store_member.h"
#include "sbuf.h"

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

/* Whether a first row names the columns instead of holding a member. */
static int is_header(const struct csv_record *rec)
{
	static const char *const names[] = { "address", "email", "e-mail", "mail", "emailadres", "e-mailadres", NULL };

	for (int i = 0; names[i]; i++) {
		if (strcasecmp(rec->field[0].buf, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* Checks one row; returns 0 if it can be imported, else -1 with the reason in why. */
static int check_row(const struct csv_record *rec, struct sbuf *why)
{
	if (strlen(rec->field[0].buf) != rec->field[0].len) {
		sbuf_addstr(why, "NUL byte in the address");
		return -1;
	}
	if (address_check(rec->field[0].buf, why) < 0)
		return -1;
	for (int i = 2; i < rec->n; i++) {
		if (rec->field[i].len) {
			sbuf_addstr(why, "more than two columns (expected address,name)");
			return -1;
		}
	}
	if (rec->n > 1 && display_name_check(rec->field[1].buf, rec->field[1].len, why) < 0)
		return -1;
	return 0;
}

int cmd_member_import(struct cli *c)
{
	const char *group = c->arg[0], *path = c->arg[1], *mode = cli_opt(c, "mode");
	struct sbuf data = SBUF_INIT, why = SBUF_INIT;
	struct csv_reader reader;
	struct csv_record rec;
	int added = 0, present = 0, bad = 0, first = 1, r;

	if (read_file(path, &data))
		return 1;
	csv_init(&reader, data.buf, data.len);
	csv_record_init(&rec);
	if (store_begin(c->store) < 0) {
		r = cli_store_fail(c);
		goto out;
	}
	while ((r = csv_next(&reader, &rec, &why)) != 0) {
		int header = first && r > 0 && is_header(&rec);
		first = 0;
		if (header)
			continue;
		if (r > 0 && check_row(&rec, &why) == 0) {
			int s = store_subscribe(c->store, group, rec.field[0].buf, rec.n > 1 ? rec.field[1].buf : NULL,
						mode ? mode : "each", 0, SUBSCRIBE_UPDATE);
			if (s < 0) {
				/* the group or mode is wrong, or the store failed: nothing is imported */
				store_rollback(c->store);
				r = cli_store_fail(c);
				goto out;
			}
			s == 0 ? added++ : present++;
			continue;
		}
		fprintf(stderr, "%s:%u: %s\n", path, rec.line, why.buf);
		sbuf_reset(&why);
		bad++;
	}
	if (store_commit(c->store) < 0) {
		store_rollback(c->store);
		r = cli_store_fail(c);
		goto out;
	}
	fprintf(c->out, "imported %d new member(s) into %s, %d already there, %d bad row(s) skipped\n",
		added, group, present, bad);
	r = bad ? cli_fail("%d bad row(s) in %s were not imported", bad, path) : 0;
out:
	csv_record_release(&rec);
	sbuf_release(&data);
	sbuf_release(&why);
	return r;
}
