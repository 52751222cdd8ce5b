/*
 * member_import: CSV rows -> subscriptions, in one transaction.
 */
#include "member_import.h"

#include <string.h>
#include <strings.h>

#include "address.h"
#include "csv.h"
#include "names.h"
#include "sbuf.h"
#include "store.h"
#include "store_member.h"

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

int member_import(struct store *st, const char *group, const char *data, size_t len,
		  const char *mode, struct import_result *res, import_report_fn report, void *ctx)
{
	struct sbuf why = SBUF_INIT;
	struct csv_reader reader;
	struct csv_record rec;
	int r, first = 1, failed = 0;

	memset(res, 0, sizeof(*res));
	csv_init(&reader, data, len);
	csv_record_init(&rec);
	if (store_begin(st) < 0) {
		csv_record_release(&rec);
		return -1;
	}
	while ((r = csv_next(&reader, &rec, &why)) != 0) {
		int header = first && r > 0 && is_header(&rec);
		first = 0;
		if (header)
			continue;
		if (r > 0 && check_row(&rec, &why) == 0) {
			int s = store_subscribe(st, group, rec.field[0].buf, rec.n > 1 ? rec.field[1].buf : NULL,
						mode, 0, SUBSCRIBE_UPDATE);
			if (s < 0) {
				failed = 1;
				break;
			}
			s == 0 ? res->added++ : res->present++;
			continue;
		}
		report(rec.line, why.buf, ctx);
		sbuf_reset(&why);
		res->bad++;
	}
	if (failed || store_commit(st) < 0) {
		/* The group or mode is wrong, or the store failed: nothing is imported. */
		store_rollback(st);
		res->added = res->present = 0;
		failed = 1;
	}
	csv_record_release(&rec);
	sbuf_release(&why);
	return failed ? -1 : 0;
}
