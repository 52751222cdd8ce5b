/*
 * test_csv: the CSV reader, and member_import on top of it (good, bad and
 * mixed rows, UTF-8 names, a byte-order mark, CRLF line ends).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "csv.h"
#include "member_import.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"

/* Reads all records of text; returns their count and the fields as "a|b;c|d;" in out. */
static int read_all(const char *text, size_t len, struct sbuf *out)
{
	struct csv_reader r;
	struct csv_record rec;
	struct sbuf why = SBUF_INIT;
	int n = 0, got;

	csv_init(&r, text, len);
	csv_record_init(&rec);
	while ((got = csv_next(&r, &rec, &why)) != 0) {
		if (got < 0) {
			sbuf_addf(out, "!%u:%s;", rec.line, why.buf);
			sbuf_reset(&why);
			continue;
		}
		sbuf_addf(out, "%u:", rec.line);
		for (int i = 0; i < rec.n; i++)
			sbuf_addf(out, "%s%s", i ? "|" : "", rec.field[i].buf);
		sbuf_addch(out, ';');
		n++;
	}
	csv_record_release(&rec);
	sbuf_release(&why);
	return n;
}

#define READS(text, want) do { \
	struct sbuf got_ = SBUF_INIT; \
	read_all(text, sizeof(text) - 1, &got_); \
	if (strcmp(got_.buf, want) != 0) { \
		fprintf(stderr, "  want %s\n  got  %s\n", want, got_.buf); \
		sbuf_release(&got_); \
		CHECK(!"records differ"); \
	} \
	sbuf_release(&got_); \
} while (0)

static void plain_rows(void)
{
	READS("a@x.org,Ann\nb@x.org,Bob\n", "1:a@x.org|Ann;2:b@x.org|Bob;");
	READS("a@x.org\n", "1:a@x.org;");
	READS("a@x.org,Ann", "1:a@x.org|Ann;"); /* no final line end */
}

static void crlf_and_cr(void)
{
	READS("a@x.org,Ann\r\nb@x.org,Bob\r\n", "1:a@x.org|Ann;2:b@x.org|Bob;");
	READS("a@x.org,Ann\rb@x.org,Bob\r", "1:a@x.org|Ann;2:b@x.org|Bob;");
}

static void bom_and_blank_lines(void)
{
	READS("\xEF\xBB\xBF" "a@x.org,Ann\n\n\r\nb@x.org,Bob\n", "1:a@x.org|Ann;4:b@x.org|Bob;");
}

static void quoted_fields(void)
{
	READS("a@x.org,\"Jansen, Jan\"\n", "1:a@x.org|Jansen, Jan;");
	READS("a@x.org,\"Jan \"\"JJ\"\" Jansen\"\n", "1:a@x.org|Jan \"JJ\" Jansen;");
	READS("a@x.org,\"two\r\nlines\"\nb@x.org,B\n", "1:a@x.org|two\nlines;3:b@x.org|B;");
	READS("  a@x.org  ,  Ann  \n", "1:a@x.org|Ann;");
}

static void malformed_rows_are_skipped(void)
{
	READS("a@x.org,\"Ann\" junk\nb@x.org,Bob\n", "!1:text after a closing quote;2:b@x.org|Bob;");
	READS("a@x.org,Ann\nb@x.org,\"Bob\n", "1:a@x.org|Ann;!2:a quoted field opened on line 2 is never closed;");
}

/* A store with one project group in a fresh folder. */
static struct store *fresh_store(void)
{
	struct sbuf path = SBUF_INIT, err = SBUF_INIT;

	sbuf_addf(&path, "%s/mlist.db", check_tmpdir());
	struct store *st = store_open(path.buf, STORE_CREATE, &err);
	if (!st || store_group_add(st, "pga-jeugd-amersfoort", "project", "PGA", "members") < 0) {
		fprintf(stderr, "store: %s\n", st ? store_error(st) : err.buf);
		exit(1);
	}
	sbuf_release(&path);
	sbuf_release(&err);
	return st;
}

static void collect_bad(unsigned line, const char *why, void *ctx)
{
	sbuf_addf(ctx, "%u:%s;", line, why);
}

/* Gathers "address=name;" for every subscription of the group. */
static int collect_member(const struct subscription_row *s, void *ctx)
{
	sbuf_addf(ctx, "%s=%s;", s->address, s->name);
	return 0;
}

static void members_of(struct store *st, struct sbuf *out)
{
	store_subscription_each(st, "pga-jeugd-amersfoort", collect_member, out);
}

static void import_good_rows(void)
{
	static const char csv[] = "address,name\r\nann@example.org,Ann de Boer\r\nbob@example.org,\r\n";
	struct store *st = fresh_store();
	struct import_result res;
	struct sbuf bad = SBUF_INIT, members = SBUF_INIT;

	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) == 0);
	CHECK(res.added == 2 && res.present == 0 && res.bad == 0);
	CHECK(bad.len == 0);
	members_of(st, &members);
	CHECK(strcmp(members.buf, "ann@example.org=Ann de Boer;bob@example.org=;") == 0);
	sbuf_release(&bad);
	sbuf_release(&members);
	store_close(st);
}

static void import_mixed_rows_reports_lines(void)
{
	static const char csv[] =
		"\xEF\xBB\xBF" "email,name\n"
		"ann@example.org,Ann\n"
		"not-an-address,Nobody\n"
		"\n"
		"bob@example,Bob\n"
		"cees@example.org,\"Cees \xC3\xA9\xC3\xA9n\"\n"
		"dirk@example.org,Dirk\xFF\n"
		"eva@example.org,Eva,extra\n";
	struct store *st = fresh_store();
	struct import_result res;
	struct sbuf bad = SBUF_INIT, members = SBUF_INIT;

	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) == 0);
	CHECK(res.added == 2 && res.bad == 4);
	CHECK_CONTAINS(bad.buf, "3:no '@' in the address;");
	CHECK_CONTAINS(bad.buf, "5:the domain needs at least one dot;");
	CHECK_CONTAINS(bad.buf, "7:the name is not valid UTF-8;");
	CHECK_CONTAINS(bad.buf, "8:more than two columns");
	members_of(st, &members);
	CHECK(strcmp(members.buf, "ann@example.org=Ann;cees@example.org=Cees \xC3\xA9\xC3\xA9n;") == 0);
	sbuf_release(&bad);
	sbuf_release(&members);
	store_close(st);
}

static void import_all_bad_rows(void)
{
	static const char csv[] = "x\ny\n";
	struct store *st = fresh_store();
	struct import_result res;
	struct sbuf bad = SBUF_INIT, members = SBUF_INIT;

	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) == 0);
	CHECK(res.added == 0 && res.bad == 2);
	members_of(st, &members);
	CHECK(members.len == 0);
	sbuf_release(&bad);
	sbuf_release(&members);
	store_close(st);
}

static void reimport_is_idempotent(void)
{
	static const char csv[] = "ann@example.org,Ann\nANN@EXAMPLE.ORG,Ann B\nbob@example.org,Bob\n";
	struct store *st = fresh_store();
	struct import_result res;
	struct sbuf bad = SBUF_INIT, first = SBUF_INIT, second = SBUF_INIT;

	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) == 0);
	CHECK(res.added == 2 && res.present == 1);
	members_of(st, &first);
	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) == 0);
	CHECK(res.added == 0 && res.present == 3 && res.bad == 0);
	members_of(st, &second);
	CHECK(strcmp(first.buf, second.buf) == 0);
	CHECK(strcmp(second.buf, "ann@example.org=Ann B;bob@example.org=Bob;") == 0);
	sbuf_release(&bad);
	sbuf_release(&first);
	sbuf_release(&second);
	store_close(st);
}

static void import_into_unknown_group_changes_nothing(void)
{
	static const char csv[] = "ann@example.org,Ann\n";
	struct store *st = fresh_store();
	struct import_result res;
	struct sbuf bad = SBUF_INIT, members = SBUF_INIT;

	CHECK(member_import(st, "no-such-group", csv, sizeof(csv) - 1, "each", &res, collect_bad, &bad) < 0);
	CHECK_CONTAINS(store_error(st), "no group named 'no-such-group'");
	CHECK(member_import(st, "pga-jeugd-amersfoort", csv, sizeof(csv) - 1, "weekly", &res, collect_bad, &bad) < 0);
	CHECK_CONTAINS(store_error(st), "unknown mode 'weekly'");
	members_of(st, &members);
	CHECK(members.len == 0);
	sbuf_release(&bad);
	sbuf_release(&members);
	store_close(st);
}

static const struct check_case cases[] = {
	{ "plain_rows", plain_rows },
	{ "crlf_and_cr", crlf_and_cr },
	{ "bom_and_blank_lines", bom_and_blank_lines },
	{ "quoted_fields", quoted_fields },
	{ "malformed_rows_are_skipped", malformed_rows_are_skipped },
	{ "import_good_rows", import_good_rows },
	{ "import_mixed_rows_reports_lines", import_mixed_rows_reports_lines },
	{ "import_all_bad_rows", import_all_bad_rows },
	{ "reimport_is_idempotent", reimport_is_idempotent },
	{ "import_into_unknown_group_changes_nothing", import_into_unknown_group_changes_nothing },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
