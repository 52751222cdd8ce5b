/*
 * test_store: opening, migrating and the constraints of the store.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"
#include "sbuf.h"
#include "store.h"
#include "store_group.h"
#include "store_member.h"

static char db_path[512];

static struct store *open_at(const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct store *st = store_open(path, &err);

	if (!st)
		fprintf(stderr, "store_open: %s\n", err.buf);
	sbuf_release(&err);
	return st;
}

static struct store *fresh(void)
{
	snprintf(db_path, sizeof(db_path), "%s/spool/mlist.db", check_tmpdir());
	return open_at(db_path);
}

/* Runs fixed SQL on the file directly, as another program (or an older mlist) would. */
static void raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "raw sql: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

static void creates_private_file_at_latest_version(void)
{
	struct store *st = fresh();
	struct stat sb;

	CHECK(st != NULL);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(store_schema_latest() >= 1);
	CHECK(stat(db_path, &sb) == 0);
	CHECK((sb.st_mode & 0777) == 0600);
	store_close(st);
}

static void tightens_loose_permissions(void)
{
	struct store *st = fresh();
	struct stat sb;

	store_close(st);
	CHECK(chmod(db_path, 0644) == 0);
	st = open_at(db_path);
	CHECK(st != NULL);
	CHECK(stat(db_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	store_close(st);
}

static void reopen_keeps_data(void)
{
	struct store *st = fresh();

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "Veilig dichtbij", "members") == 0);
	store_close(st);
	st = open_at(db_path);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(store_group_id(st, "veilig-dichtbij") > 0);
	store_close(st);
}

static void refuses_newer_schema(void)
{
	struct store *st = fresh();
	struct sbuf err = SBUF_INIT;

	store_close(st);
	raw_sql(db_path, "UPDATE schema_version SET version = 99");
	st = store_open(db_path, &err);
	CHECK(st == NULL);
	CHECK_CONTAINS(err.buf, "schema version 99, newer than this mlist knows");
	sbuf_release(&err);
}

/* Runs a one-number query on the file directly. */
static long long raw_number(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	long long v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			v = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
	}
	sqlite3_close(db);
	return v;
}

static void failed_migration_rolls_back(void)
{
	static const char *const steps_bad[] = {
		"CREATE TABLE a (x INTEGER);",
		"CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
	};
	static const char *const steps_good[] = {
		"CREATE TABLE a (x INTEGER);",
		"CREATE TABLE b (y INTEGER);",
	};
	struct sbuf err = SBUF_INIT;
	char path[600];

	snprintf(path, sizeof(path), "%s/steps.db", check_tmpdir());
	struct store *st = store_open_steps(path, steps_bad, 2, &err);
	CHECK(st == NULL);
	CHECK_CONTAINS(err.buf, "migrating the store to schema version 2 failed");
	CHECK_CONTAINS(err.buf, "no such table: nowhere");
	/* step 1 stays done; step 2 left nothing behind */
	CHECK(raw_number(path, "SELECT version FROM schema_version") == 1);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'a'") == 1);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == 0);

	st = store_open_steps(path, steps_good, 2, &err);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == 2);
	store_close(st);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == 1);
	sbuf_release(&err);
}

static void wal_mode(void)
{
	struct store *st = fresh();

	store_close(st);
	sqlite3 *db;
	sqlite3_stmt *stmt;
	CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(stmt) == SQLITE_ROW);
	CHECK(strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static void group_constraints(void)
{
	struct store *st = fresh();

	CHECK(store_group_add(st, "Veilig-Dichtbij", "change-line", "Veilig dichtbij", "members") == 0);
	CHECK(store_group_id(st, "veilig-dichtbij") > 0); /* stored lower-case */
	CHECK(store_group_add(st, "veilig-dichtbij", "project", "", "open") < 0);
	CHECK_CONTAINS(store_error(st), "exists already");
	CHECK(store_group_add(st, "x", "team", "", "open") < 0);
	CHECK_CONTAINS(store_error(st), "unknown kind 'team'");
	CHECK(store_group_add(st, "y", "project", "", "closed") < 0);
	CHECK_CONTAINS(store_error(st), "unknown policy 'closed'");
	CHECK(store_group_add(st, "pga-request", "project", "", "open") < 0);
	CHECK_CONTAINS(store_error(st), "may not end in '-request'");
	CHECK(store_group_add(st, "-bad", "project", "", "open") < 0);
	CHECK(store_group_add(st, "has space", "project", "", "open") < 0);
	CHECK(store_group_set(st, "veilig-dichtbij", NULL, "moderated") == 0);
	CHECK(store_group_set(st, "veilig-dichtbij", NULL, "closed") < 0);
	store_close(st);
}

static void link_constraints(void)
{
	struct store *st = fresh();

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "", "members") == 0);
	CHECK(store_group_add(st, "levensloop-centraal", "change-line", "", "members") == 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") == 0);
	CHECK(store_group_add(st, "koersenkansen", "general", "", "members") == 0);
	CHECK(store_group_link(st, "ruwaard-oss", "veilig-dichtbij") == 0);
	CHECK(store_group_link(st, "ruwaard-oss", "levensloop-centraal") == 0); /* many to many */
	CHECK(store_group_link(st, "ruwaard-oss", "veilig-dichtbij") < 0);
	CHECK_CONTAINS(store_error(st), "linked to 'veilig-dichtbij' already");
	CHECK(store_group_link(st, "ruwaard-oss", "koersenkansen") < 0);
	CHECK_CONTAINS(store_error(st), "'koersenkansen' is not a change line");
	CHECK(store_group_link(st, "levensloop-centraal", "veilig-dichtbij") < 0);
	CHECK_CONTAINS(store_error(st), "is not a project");
	CHECK(store_group_unlink(st, "ruwaard-oss", "levensloop-centraal") == 0);
	CHECK(store_group_unlink(st, "ruwaard-oss", "levensloop-centraal") < 0);
	CHECK_CONTAINS(store_error(st), "is not linked");
	store_close(st);
	/* the schema itself refuses a wrong link, whoever writes it */
	raw_sql(db_path, "PRAGMA foreign_keys = ON");
	CHECK(raw_number(db_path, "SELECT count(*) FROM group_links") == 1);
	sqlite3 *db;
	CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "INSERT INTO group_links SELECT p.id, g.id FROM groups p, groups g"
			   " WHERE p.name = 'ruwaard-oss' AND g.name = 'koersenkansen'", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(db);
}

static int count_rows(const struct subscription_row *s, void *ctx)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

static void member_constraints(void)
{
	struct store *st = fresh();
	int n = 0;

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "", "members") == 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") == 0);
	CHECK(store_subscribe(st, "ruwaard-oss", "jan@Example.org", "Jan", "each", 0, SUBSCRIBE_REFUSE) == 0);
	CHECK(store_subscribe(st, "ruwaard-oss", "JAN@example.ORG", "Jan", "each", 0, SUBSCRIBE_REFUSE) < 0);
	CHECK_CONTAINS(store_error(st), "already a member of ruwaard-oss");
	CHECK(store_subscribe(st, "ruwaard-oss", "piet@example.org", NULL, "weekly", 0, SUBSCRIBE_REFUSE) < 0);
	CHECK_CONTAINS(store_error(st), "unknown mode 'weekly'");
	CHECK(store_subscribe(st, "ruwaard-oss", "piet@example.org", NULL, "each", 1, SUBSCRIBE_REFUSE) < 0);
	CHECK_CONTAINS(store_error(st), "--follow-line is for change-line groups");
	CHECK(store_subscribe(st, "veilig-dichtbij", "piet@example.org", NULL, "digest", 1, SUBSCRIBE_REFUSE) == 0);
	CHECK(store_subscribe(st, "nowhere", "piet@example.org", NULL, "each", 0, SUBSCRIBE_REFUSE) < 0);
	CHECK_CONTAINS(store_error(st), "no group named 'nowhere'");
	/* failed subscriptions of a new person leave no person behind */
	CHECK(raw_number(db_path, "SELECT count(*) FROM members") == 2);

	CHECK(store_moderator_add(st, "ruwaard-oss", "mod@example.org") == 0);
	CHECK(store_moderator_add(st, "ruwaard-oss", "mod@example.org") < 0);
	CHECK_CONTAINS(store_error(st), "already a moderator");
	CHECK(store_moderator_each(st, "ruwaard-oss", count_rows, &n) == 0 && n == 1);

	CHECK(store_group_remove(st, "ruwaard-oss", 0) < 0);
	CHECK_CONTAINS(store_error(st), "has 1 member(s) and 1 moderator(s)");
	CHECK(store_unsubscribe(st, "ruwaard-oss", "jan@example.org") == 0);
	CHECK(store_unsubscribe(st, "ruwaard-oss", "jan@example.org") < 0);
	/* the last subscription gone, the person is gone too */
	CHECK(raw_number(db_path, "SELECT count(*) FROM members WHERE address = 'jan@example.org'") == 0);
	CHECK(store_group_remove(st, "ruwaard-oss", 1) == 0);
	CHECK(raw_number(db_path, "SELECT count(*) FROM moderators") == 0);
	store_close(st);
}

static void forget_erases_everything(void)
{
	struct store *st = fresh();
	int n = 0;

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "", "members") == 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") == 0);
	CHECK(store_subscribe(st, "ruwaard-oss", "jan@example.org", "Jan", "each", 0, SUBSCRIBE_REFUSE) == 0);
	CHECK(store_subscribe(st, "veilig-dichtbij", "jan@example.org", NULL, "each", 1, SUBSCRIBE_REFUSE) == 0);
	CHECK(store_moderator_add(st, "ruwaard-oss", "jan@example.org") == 0);
	CHECK(store_person_subscriptions(st, "jan@example.org", count_rows, &n) == 0 && n == 2);
	CHECK(store_person_forget(st, "JAN@EXAMPLE.ORG") == 0);
	store_close(st);
	CHECK(raw_number(db_path, "SELECT count(*) FROM members") == 0);
	CHECK(raw_number(db_path, "SELECT count(*) FROM subscriptions") == 0);
	CHECK(raw_number(db_path, "SELECT count(*) FROM moderators") == 0);
	st = open_at(db_path);
	CHECK(store_person_forget(st, "jan@example.org") < 0);
	CHECK_CONTAINS(store_error(st), "no member with address");
	store_close(st);
}

static const struct check_case cases[] = {
	{ "creates_private_file_at_latest_version", creates_private_file_at_latest_version },
	{ "tightens_loose_permissions", tightens_loose_permissions },
	{ "reopen_keeps_data", reopen_keeps_data },
	{ "refuses_newer_schema", refuses_newer_schema },
	{ "failed_migration_rolls_back", failed_migration_rolls_back },
	{ "wal_mode", wal_mode },
	{ "group_constraints", group_constraints },
	{ "link_constraints", link_constraints },
	{ "member_constraints", member_constraints },
	{ "forget_erases_everything", forget_erases_everything },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
