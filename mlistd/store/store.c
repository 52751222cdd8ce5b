/*
 * store: opening the database, migrations, transactions, and the
 * prepare/bind/step helpers the other store*.c files use.
 */
#define _GNU_SOURCE /* program_invocation_short_name, to name who needs a migrated store */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_schema.h"

int store_fail(struct store *st, const char *fmt, ...)
{
	va_list ap;

	sbuf_reset(&st->err);
	va_start(ap, fmt);
	sbuf_vaddf(&st->err, fmt, ap);
	va_end(ap);
	return -1;
}

const char *store_error(const struct store *st)
{
	return st->err.buf;
}

/*
 * A prepared statement for sql: from the cache when it is there and free
 * (a statement in use, by an outer loop say, is never handed out twice),
 * else newly prepared and cached if there is room.  Preparing costs more
 * than running most of mlist's statements, and delivery runs thousands.
 */
static sqlite3_stmt *prepare(struct store *st, const char *sql)
{
	struct cached_stmt *free_slot = NULL;
	sqlite3_stmt *stmt = NULL;

	for (int i = 0; i < STORE_CACHE; i++) {
		struct cached_stmt *c = &st->cache[i];
		if (c->sql == sql && !c->in_use) {
			c->in_use = 1;
			return c->stmt;
		}
		if (!c->sql && !free_slot)
			free_slot = c;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "store: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	if (free_slot) {
		free_slot->sql = sql;
		free_slot->stmt = stmt;
		free_slot->in_use = 1;
	}
	return stmt;
}

void store_done(struct store *st, sqlite3_stmt *stmt)
{
	for (int i = 0; i < STORE_CACHE; i++) {
		if (st->cache[i].stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			st->cache[i].in_use = 0;
			return;
		}
	}
	sqlite3_finalize(stmt);
}

static sqlite3_stmt *store_vstmt(struct store *st, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *stmt = prepare(st, sql);

	if (!stmt)
		return NULL;
	for (int i = 0; types[i]; i++) {
		int rc;
		if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(stmt, i + 1);
		} else {
			rc = sqlite3_bind_int64(stmt, i + 1, va_arg(ap, long long));
		}
		if (rc != SQLITE_OK) {
			store_fail(st, "store: %s", sqlite3_errmsg(st->db));
			store_done(st, stmt);
			return NULL;
		}
	}
	return stmt;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	sqlite3_stmt *stmt = store_vstmt(st, sql, types, ap);
	va_end(ap);
	return stmt;
}

int store_run(struct store *st, sqlite3_stmt *stmt)
{
	int rc;

	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		store_fail(st, "store: %s", sqlite3_errmsg(st->db));
	store_done(st, stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -2 : -1;
}

int store_row(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, "store: %s", sqlite3_errmsg(st->db));
}

int store_int(struct store *st, long long *out, const char *sql, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	sqlite3_stmt *stmt = store_vstmt(st, sql, types, ap);
	va_end(ap);
	if (!stmt)
		return -1;
	int r = store_row(st, stmt);
	if (r == 1)
		*out = sqlite3_column_int64(stmt, 0);
	store_done(st, stmt);
	return r;
}

const char *store_col_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	return s ? (const char *)s : "";
}

/*
 * The index of the result column called name; a missing one is a bug in
 * the calling store*.c file.  Callers read a row's columns mostly in the
 * SELECT's order, so the search starts after the column found last: one
 * comparison each instead of a walk over every name (a delivery round
 * reads 16 columns of 20,000 rows).
 */
static int column_named(sqlite3_stmt *stmt, const char *name)
{
	static _Thread_local int after;
	int n = sqlite3_column_count(stmt);

	for (int k = 0; k < n; k++) {
		int i = (after + k) % n;
		if (strcmp(sqlite3_column_name(stmt, i), name) == 0) {
			after = i + 1;
			return i;
		}
	}
	fatal("store: no column '%s' in: %s", name, sqlite3_sql(stmt));
}

long long store_get_int(sqlite3_stmt *stmt, const char *name)
{
	return sqlite3_column_int64(stmt, column_named(stmt, name));
}

const char *store_get_text(sqlite3_stmt *stmt, const char *name)
{
	return store_col_text(stmt, column_named(stmt, name));
}

/* Runs SQL without parameters (fixed text only: pragmas, schema scripts). */
static int store_exec_fixed(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(st, "store: %s", msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Waiting for another connection's lock.  sqlite's own busy timeout
 * sleeps in growing steps (1, 2, 5, 10 ... 100 ms), so a lock held for a
 * millisecond can cost a waiter a hundred; mlist's locks are short (one
 * batch of a post), so this looks again every 200 microseconds until
 * busy_wait_ms have passed.
 */
static int busy_wait(void *ctx, int tries)
{
	struct store *st = ctx;

	if ((long long)tries * 200 >= (long long)st->busy_wait_ms * 1000)
		return 0;
	usleep(200);
	return 1;
}

void store_set_busy_wait(struct store *st, int ms)
{
	st->busy_wait_ms = ms;
	sqlite3_busy_handler(st->db, busy_wait, st);
}

int store_begin(struct store *st)
{
	/* IMMEDIATE takes the write lock now, so a busy store fails here, not mid-way. */
	return store_exec_fixed(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return store_exec_fixed(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_checkpoint_by_hand(struct store *st)
{
	sqlite3_wal_autocheckpoint(st->db, 0);
}

int store_checkpoint(struct store *st)
{
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "store: checkpoint: %s", sqlite3_errmsg(st->db));
	return 0;
}

int store_checkpoint_truncate(struct store *st)
{
	for (int tries = 0; tries < 3; tries++) {
		int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			return store_fail(st, "store: checkpoint: %s", sqlite3_errmsg(st->db));
		usleep(200000);
	}
	return 1;
}

int store_set_sync(struct store *st, int full)
{
	return store_exec_fixed(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

int store_schema_version(struct store *st)
{
	long long has_table = 0, v = 0;

	/*
	 * One row holding the version; no table or no row means a new, empty
	 * store.  Only reads, so that a read-only store can be asked too.
	 */
	if (store_int(st, &has_table, "SELECT count(*) FROM sqlite_master "
		      "WHERE type = 'table' AND name = 'schema_version'", "") < 0 ||
	    (has_table && store_int(st, &v, "SELECT max(version) FROM schema_version", "") < 0))
		return -1;
	return (int)v;
}

int store_schema_latest(void)
{
	return store_n_migrations;
}

int store_created(const struct store *st)
{
	return st->created;
}

int store_found_version(const struct store *st)
{
	return st->found_version;
}

/* Applies the steps the store has not had yet, each with its version record in one transaction. */
static int store_migrate(struct store *st, const char *const *steps, int n_steps)
{
	for (int version = st->found_version; version < n_steps; version++) {
		if (store_begin(st) < 0)
			return -1;
		if (store_exec_fixed(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") < 0 ||
		    store_exec_fixed(st, steps[version]) < 0 ||
		    store_run(st, store_stmt(st, "DELETE FROM schema_version", "")) < 0 ||
		    store_run(st, store_stmt(st, "INSERT INTO schema_version (version) VALUES (?)", "i",
					     (long long)version + 1)) < 0) {
			struct sbuf why = SBUF_INIT;
			sbuf_addstr(&why, st->err.buf);
			store_rollback(st);
			store_fail(st, "migrating the store to schema version %d failed: %s", version + 1, why.buf);
			sbuf_release(&why);
			return -1;
		}
		if (store_commit(st) < 0)
			return -1;
	}
	return 0;
}

/* The folder holding path, or NULL when path names none but "/" or the current folder. */
static char *folder_of(const char *path)
{
	char *folder = xstrdup(path), *slash = strrchr(folder, '/');

	if (!slash || slash == folder) {
		free(folder);
		return NULL;
	}
	*slash = '\0';
	return folder;
}

/* Makes the store's folder (the spool, usually) 0700 if it is missing; *made says whether it did. */
static int make_folder(const char *path, int *made, struct sbuf *err)
{
	char *folder = folder_of(path);
	int r = 0;

	if (folder && mkdir(folder, 0700) == 0) {
		*made = 1;
	} else if (folder && errno != EEXIST) {
		sbuf_addf(err, "%s: cannot create the store's folder: %s", folder, strerror(errno));
		r = -1;
	}
	free(folder);
	return r;
}

/*
 * Makes the file 0600 before sqlite opens it, or tightens an existing
 * one: it holds member data, and sqlite gives its -wal and -shm files the
 * database's mode.  st->created says whether the file is new.
 */
static int make_file(struct store *st, const char *path, struct sbuf *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		st->created = 1;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		sbuf_addf(err, "%s: cannot open the store: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) < 0) {
		sbuf_addf(err, "%s: cannot make the store private: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Takes away what a failed STORE_CREATE open made: the file, the -wal and -shm sqlite put beside it, the folder. */
static void undo_create(const char *path, int made_file, int made_folder)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; made_file && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		struct sbuf name = SBUF_INIT;
		sbuf_addf(&name, "%s%s", path, suffixes[i]);
		unlink(name.buf);
		sbuf_release(&name);
	}
	char *folder = made_folder ? folder_of(path) : NULL;
	if (folder)
		rmdir(folder);
	free(folder);
}

/*
 * Opens the sqlite connection.  Never with SQLITE_OPEN_CREATE: only
 * STORE_CREATE makes the file, before this, with its mode and folder.
 * sqlite quietly opens a file it may not write read-only; a mode that
 * writes refuses that here rather than at its first write.
 */
static int open_db(struct store *st, const char *path, enum store_mode mode, struct sbuf *err)
{
	int flags = mode == STORE_READ_ONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;

	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int e = st->db ? sqlite3_system_errno(st->db) : ENOMEM;
		if (e == ENOENT)
			sbuf_addf(err, "no store at %s", path);
		else
			sbuf_addf(err, "%s: cannot open the store: %s", path, e ? strerror(e) : sqlite3_errmsg(st->db));
		return -1;
	}
	if (mode != STORE_READ_ONLY && sqlite3_db_readonly(st->db, "main") == 1) {
		sbuf_addf(err, "the store at %s is read-only for this user", path);
		return -1;
	}
	return 0;
}

/*
 * Sets up the connection.  A writing one keeps the -wal and -shm files
 * when it closes (see store.h), with the -wal truncated to nothing, so
 * that it neither takes room nor keeps the pages of forgotten members.
 */
static int configure(struct store *st, enum store_mode mode)
{
	int persist = 1;

	store_set_busy_wait(st, 10000);
	if (mode == STORE_READ_ONLY)
		return 0;
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK)
		return store_fail(st, "store: cannot keep the -wal file: %s", sqlite3_errmsg(st->db));
	/* WAL mode is kept in the file: set where the store is made or migrated. */
	if (mode == STORE_CREATE && store_exec_fixed(st, "PRAGMA journal_mode = WAL") < 0)
		return -1;
	/* secure_delete: what is deleted (a forgotten person) is overwritten, not left in free pages */
	return store_exec_fixed(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
				"PRAGMA journal_size_limit = 0; PRAGMA secure_delete = ON;");
}

/*
 * Why the first statements on the store failed.  sqlite's own words do
 * for most; a WAL store whose -wal and -shm files are missing in a folder
 * this user may not write cannot be opened at all, which its "attempt to
 * write a readonly database" does not tell a person who only reads.
 */
static void first_use_failed(struct store *st, const char *path, enum store_mode mode, struct sbuf *err)
{
	if (sqlite3_extended_errcode(st->db) != SQLITE_READONLY_DIRECTORY)
		sbuf_addf(err, "%s: %s", path, st->err.buf);
	else if (mode == STORE_READ_ONLY)
		sbuf_addf(err, "cannot read the store at %s: its -wal and -shm files are missing and this user may "
			  "not create them (any mlist program that writes to the store leaves them in place)", path);
	else
		sbuf_addf(err, "the store at %s is read-only for this user: it may not create the store's "
			  "-wal and -shm files", path);
}

/*
 * Refuses a schema version this build cannot work with: a newer one
 * always; an older one unless mode migrates it.
 */
static int check_version(const struct store *st, const char *path, enum store_mode mode, int n_steps,
			 struct sbuf *err)
{
	if (st->found_version > n_steps) {
		sbuf_addf(err, "the store at %s is at schema version %d, newer than this mlist knows (%d); "
			  "use a newer mlist", path, st->found_version, n_steps);
		return -1;
	}
	if (st->found_version < n_steps && mode != STORE_CREATE) {
		sbuf_addf(err, "the store at %s is at schema version %d, this %s needs %d: "
			  "start mlistd or run mlistctl init to migrate it",
			  path, st->found_version, program_invocation_short_name, n_steps);
		return -1;
	}
	return 0;
}

struct store *store_open(const char *path, enum store_mode mode, struct sbuf *err)
{
	return store_open_steps(path, mode, store_migrations, store_n_migrations, err);
}

struct store *store_open_steps(const char *path, enum store_mode mode, const char *const *steps, int n_steps,
			       struct sbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int made_folder = 0, made_file;

	sbuf_init(&st->err);
	if (mode == STORE_CREATE && (make_folder(path, &made_folder, err) < 0 || make_file(st, path, err) < 0))
		goto fail;
	if (open_db(st, path, mode, err) < 0)
		goto fail;
	if (configure(st, mode) < 0 || (st->found_version = store_schema_version(st)) < 0) {
		first_use_failed(st, path, mode, err);
		goto fail;
	}
	if (check_version(st, path, mode, n_steps, err) < 0)
		goto fail;
	if (mode == STORE_CREATE && store_migrate(st, steps, n_steps) < 0) {
		sbuf_addf(err, "%s: %s", path, st->err.buf);
		goto fail;
	}
	return st;
fail:
	made_file = st->created;
	store_close(st);
	undo_create(path, made_file, made_folder);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < STORE_CACHE; i++) {
		if (st->cache[i].stmt)
			sqlite3_finalize(st->cache[i].stmt);
	}
	sqlite3_close(st->db);
	sbuf_release(&st->err);
	free(st);
}
