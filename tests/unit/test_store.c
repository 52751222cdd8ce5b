/*
 * test_store: opening (each mode), migrating and the constraints of the store.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sbuf.h"
#include "store.h"
#include "store_bounce.h"
#include "store_group.h"
#include "store_member.h"

static char db_path[512];

/* Opens the store at path in mode, printing why not. */
static struct store *open_at(const char *path, enum store_mode mode)
{
	struct sbuf err = SBUF_INIT;
	struct store *st = store_open(path, mode, &err);

	if (!st)
		fprintf(stderr, "store_open: %s\n", err.buf);
	sbuf_release(&err);
	return st;
}

/* A new store at db_path, in a folder that does not exist yet. */
static struct store *fresh(void)
{
	snprintf(db_path, sizeof(db_path), "%s/spool/mlist.db", check_tmpdir());
	return open_at(db_path, STORE_CREATE);
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
	CHECK(store_created(st) && store_found_version(st) == 0);
	CHECK(stat(db_path, &sb) == 0);
	CHECK((sb.st_mode & 0777) == 0600);
	store_close(st);
	/* opened again, it says it found the store there, at the latest version */
	st = open_at(db_path, STORE_CREATE);
	CHECK(st != NULL);
	CHECK(!store_created(st) && store_found_version(st) == store_schema_latest());
	store_close(st);
}

static void tightens_loose_permissions(void)
{
	struct store *st = fresh();
	struct stat sb;

	store_close(st);
	CHECK(chmod(db_path, 0644) == 0);
	st = open_at(db_path, STORE_CREATE);
	CHECK(st != NULL);
	CHECK(stat(db_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	store_close(st);
}

static void reopen_keeps_data(void)
{
	struct store *st = fresh();

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "Veilig dichtbij", "members") == 0);
	store_close(st);
	st = open_at(db_path, STORE_READ_WRITE);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == store_schema_latest());
	CHECK(store_group_id(st, "veilig-dichtbij") > 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") == 0);
	store_close(st);
}

static void refuses_newer_schema(void)
{
	static const enum store_mode modes[] = { STORE_CREATE, STORE_READ_WRITE, STORE_READ_ONLY };
	struct store *st = fresh();
	struct sbuf err = SBUF_INIT;

	store_close(st);
	raw_sql(db_path, "UPDATE schema_version SET version = 99");
	for (int i = 0; i < 3; i++) {
		sbuf_reset(&err);
		st = store_open(db_path, modes[i], &err);
		CHECK(st == NULL);
		CHECK_CONTAINS(err.buf, "schema version 99, newer than this mlist knows");
		CHECK(strstr(err.buf, db_path) != NULL);
	}
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

static const char *const steps_bad[] = {
	"CREATE TABLE a (x INTEGER);",
	"CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);",
};
static const char *const steps_good[] = {
	"CREATE TABLE a (x INTEGER);",
	"CREATE TABLE b (y INTEGER);",
};

static void failed_migration_rolls_back(void)
{
	struct sbuf err = SBUF_INIT;
	char path[600];

	snprintf(path, sizeof(path), "%s/steps.db", check_tmpdir());
	/* a store at version 1, then a migration whose step 2 fails */
	struct store *st = store_open_steps(path, STORE_CREATE, steps_good, 1, &err);
	CHECK(st != NULL);
	store_close(st);
	st = store_open_steps(path, STORE_CREATE, steps_bad, 2, &err);
	CHECK(st == NULL);
	CHECK_CONTAINS(err.buf, "migrating the store to schema version 2 failed");
	CHECK_CONTAINS(err.buf, "no such table: nowhere");
	/* step 1 stays done; step 2 left nothing behind */
	CHECK(raw_number(path, "SELECT version FROM schema_version") == 1);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'a'") == 1);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == 0);

	st = store_open_steps(path, STORE_CREATE, steps_good, 2, &err);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) == 2 && store_found_version(st) == 1);
	store_close(st);
	CHECK(raw_number(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == 1);
	sbuf_release(&err);
}

/* Whether anything is at path. */
static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void failed_create_leaves_nothing(void)
{
	struct sbuf err = SBUF_INIT;
	char folder[600], path[700];

	snprintf(folder, sizeof(folder), "%s/spool", check_tmpdir());
	snprintf(path, sizeof(path), "%s/mlist.db", folder);
	CHECK(store_open_steps(path, STORE_CREATE, steps_bad, 2, &err) == NULL);
	CHECK_CONTAINS(err.buf, "migrating the store to schema version 2 failed");
	CHECK(!exists(path));
	CHECK(!exists(folder));
	sbuf_release(&err);
}

static void missing_store_is_not_created(void)
{
	static const enum store_mode modes[] = { STORE_READ_WRITE, STORE_READ_ONLY };
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	char folder[600], path[700];

	snprintf(folder, sizeof(folder), "%s/spool", check_tmpdir());
	snprintf(path, sizeof(path), "%s/mlist.db", folder);
	sbuf_addf(&want, "no store at %s", path);
	for (int i = 0; i < 2; i++) {
		/* neither with its folder missing nor with only the file missing */
		for (int with_folder = 0; with_folder < 2; with_folder++) {
			if (with_folder)
				CHECK(mkdir(folder, 0700) == 0);
			sbuf_reset(&err);
			CHECK(store_open(path, modes[i], &err) == NULL);
			CHECK(strcmp(err.buf, want.buf) == 0);
			CHECK(!exists(path));
			CHECK(with_folder || !exists(folder));
		}
		CHECK(rmdir(folder) == 0);
	}
	sbuf_release(&err);
	sbuf_release(&want);
}

static void older_schema_needs_create_mode(void)
{
	static const enum store_mode modes[] = { STORE_READ_WRITE, STORE_READ_ONLY };
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;
	char path[600];

	snprintf(path, sizeof(path), "%s/steps.db", check_tmpdir());
	struct store *st = store_open_steps(path, STORE_CREATE, steps_good, 1, &err);
	CHECK(st != NULL);
	store_close(st);
	sbuf_addf(&want, "the store at %s is at schema version 1, this test_store needs 2: "
		  "start mlistd or run mlistctl init to migrate it", path);
	for (int i = 0; i < 2; i++) {
		sbuf_reset(&err);
		CHECK(store_open_steps(path, modes[i], steps_good, 2, &err) == NULL);
		CHECK(strcmp(err.buf, want.buf) == 0);
		CHECK(raw_number(path, "SELECT version FROM schema_version") == 1);
	}
	st = store_open_steps(path, STORE_CREATE, steps_good, 2, &err);
	CHECK(st != NULL);
	CHECK(store_found_version(st) == 1 && store_schema_version(st) == 2);
	store_close(st);
	sbuf_release(&err);
	sbuf_release(&want);
}

/* The bytes of the file at path, in a malloc'ed buffer; *len gets their count. */
static char *file_bytes(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	*len = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(*len + 1);
		if (fread(buf, 1, *len, f) != (size_t)*len)
			*len = -1;
	}
	if (f)
		fclose(f);
	return buf;
}

static void read_only_never_writes(void)
{
	struct store *st = fresh();
	struct stat sb;
	long before_len, after_len;

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "", "members") == 0);
	store_close(st);
	CHECK(chmod(db_path, 0640) == 0);
	char *before = file_bytes(db_path, &before_len);
	st = open_at(db_path, STORE_READ_ONLY);
	CHECK(st != NULL);
	CHECK(store_group_id(st, "veilig-dichtbij") > 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") < 0);
	CHECK_CONTAINS(store_error(st), "readonly");
	store_close(st);
	char *after = file_bytes(db_path, &after_len);
	CHECK(before_len > 0 && after_len == before_len && memcmp(before, after, before_len) == 0);
	free(before);
	free(after);
	/* and it left the mode as it was */
	CHECK(stat(db_path, &sb) == 0 && (sb.st_mode & 0777) == 0640);
}

/*
 * A reader sees what a writer committed and has not checkpointed yet (it
 * is in the -wal file); once the writer closes, the -wal (emptied) and
 * -shm stay, so that a user who may not create them can still read.
 */
static void read_only_beside_a_writer(void)
{
	struct store *writer = fresh(), *reader;
	char wal[600], shm[600];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	snprintf(shm, sizeof(shm), "%s-shm", db_path);
	CHECK(writer != NULL);
	CHECK(store_group_add(writer, "veilig-dichtbij", "change-line", "", "members") == 0);
	CHECK(stat(wal, &sb) == 0 && sb.st_size > 0);
	reader = open_at(db_path, STORE_READ_ONLY);
	CHECK(reader != NULL);
	CHECK(store_group_id(reader, "veilig-dichtbij") > 0);
	CHECK(store_group_add(writer, "ruwaard-oss", "project", "", "members") == 0);
	CHECK(store_group_id(reader, "ruwaard-oss") > 0);
	store_close(reader);
	store_close(writer);
	CHECK(stat(wal, &sb) == 0 && sb.st_size == 0);
	CHECK(stat(shm, &sb) == 0 && (sb.st_mode & 0777) == 0600);
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
	CHECK(store_group_set(st, "veilig-dichtbij", &(struct group_settings){ .policy = "moderated", .owner_notices = -1, .max_size = -1, .self_copy = -1, .archive = -1, .emergency = -1, .moderate_new = -1, .keep_days = -1, .web_history = -1 }) == 0);
	CHECK(store_group_set(st, "veilig-dichtbij", &(struct group_settings){ .policy = "closed", .owner_notices = -1, .max_size = -1, .self_copy = -1, .archive = -1, .emergency = -1, .moderate_new = -1, .keep_days = -1, .web_history = -1 }) < 0);
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

static int count_bounce(const struct bounce_row *b, void *ctx)
{
	(void)b;
	(*(int *)ctx)++;
	return 0;
}

/* Permanent bounces count, within the reset time; others are only recorded; the limit disables once. */
static void bounces_count_and_start_over(void)
{
	struct store *st = fresh();
	const long long day = 86400;
	int n = 0;

	CHECK(store_group_add(st, "veilig-dichtbij", "change-line", "", "members") == 0);
	CHECK(store_group_add(st, "ruwaard-oss", "project", "", "members") == 0);
	CHECK(store_group_link(st, "ruwaard-oss", "veilig-dichtbij") == 0);
	CHECK(store_subscribe(st, "veilig-dichtbij", "jan@example.org", NULL, "each", 1, SUBSCRIBE_REFUSE) == 0);
	long long jan = store_bounce_member(st, "JAN@example.org");
	CHECK(jan > 0 && store_bounce_member(st, "nobody@example.org") == 0);
	struct bounce_record b = { jan, 0, 0, BOUNCE_PERMANENT, "5.1.1", "550 unknown", 100 * day, 3, 7 * day };
	CHECK(store_bounce_record(st, &b) == 0);
	b.now += day;
	CHECK(store_bounce_record(st, &b) == 0);
	CHECK(raw_number(db_path, "SELECT bounce_score FROM members") == 2);
	/* transient and policy failures are recorded, never counted */
	b.kind = BOUNCE_TRANSIENT;
	CHECK(store_bounce_record(st, &b) == 0);
	b.kind = BOUNCE_POLICY;
	CHECK(store_bounce_record(st, &b) == 0);
	CHECK(raw_number(db_path, "SELECT bounce_score FROM members") == 2);
	/* ten days without a counted bounce: the count starts over */
	b.kind = BOUNCE_PERMANENT;
	b.now += 10 * day;
	CHECK(store_bounce_record(st, &b) == 0);
	CHECK(raw_number(db_path, "SELECT bounce_score FROM members") == 1);
	b.now += day;
	CHECK(store_bounce_record(st, &b) == 0);
	b.now += day;
	CHECK(store_bounce_record(st, &b) == 1); /* the third within the week disables, and says so once */
	b.now += day;
	CHECK(store_bounce_record(st, &b) == 0);
	CHECK(raw_number(db_path, "SELECT disabled FROM members") == 1);
	CHECK(store_person_bounces(st, "jan@example.org", count_bounce, &n) == 0 && n == 8);
	/* the project's owner may enable a follower of its change line; someone else's group may not */
	CHECK(store_group_add(st, "elders", "general", "", "members") == 0);
	CHECK(store_person_enable(st, "elders", "jan@example.org") < 0);
	CHECK_CONTAINS(store_error(st), "gets no copies of elders");
	CHECK(store_person_enable(st, "ruwaard-oss", "jan@example.org") == 1);
	CHECK(raw_number(db_path, "SELECT disabled + bounce_score FROM members") == 0);
	CHECK(store_person_enable(st, "ruwaard-oss", "jan@example.org") == 0);
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
	struct forget_counts fc;
	CHECK(store_person_forget(st, "JAN@EXAMPLE.ORG", "removed-member-1@invalid", &fc) == 0);
	CHECK(fc.subscriptions == 2 && fc.moderates == 1);
	store_close(st);
	CHECK(raw_number(db_path, "SELECT count(*) FROM members") == 0);
	CHECK(raw_number(db_path, "SELECT count(*) FROM subscriptions") == 0);
	CHECK(raw_number(db_path, "SELECT count(*) FROM moderators") == 0);
	st = open_at(db_path, STORE_READ_WRITE);
	CHECK(store_person_forget(st, "jan@example.org", "removed-member-1@invalid", &fc) < 0);
	CHECK_CONTAINS(store_error(st), "no member with address");
	store_close(st);
}

static const struct check_case cases[] = {
	{ "creates_private_file_at_latest_version", creates_private_file_at_latest_version },
	{ "tightens_loose_permissions", tightens_loose_permissions },
	{ "reopen_keeps_data", reopen_keeps_data },
	{ "refuses_newer_schema", refuses_newer_schema },
	{ "failed_migration_rolls_back", failed_migration_rolls_back },
	{ "failed_create_leaves_nothing", failed_create_leaves_nothing },
	{ "missing_store_is_not_created", missing_store_is_not_created },
	{ "older_schema_needs_create_mode", older_schema_needs_create_mode },
	{ "read_only_never_writes", read_only_never_writes },
	{ "read_only_beside_a_writer", read_only_beside_a_writer },
	{ "wal_mode", wal_mode },
	{ "group_constraints", group_constraints },
	{ "link_constraints", link_constraints },
	{ "member_constraints", member_constraints },
	{ "bounces_count_and_start_over", bounces_count_and_start_over },
	{ "forget_erases_everything", forget_erases_everything },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
