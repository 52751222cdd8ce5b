/*
 * store: opening the database, migrations, transactions, and the
 * prepare/bind/step helpers the other store*.c files use.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int store_set_sync(struct store *st, int full)
{
	return store_exec_fixed(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

int store_schema_version(struct store *st)
{
	long long v = 0;

	/* One row holding the version; no table or no row means a new, empty store. */
	if (store_exec_fixed(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)") < 0 ||
	    store_int(st, &v, "SELECT max(version) FROM schema_version", "") < 0)
		return -1;
	return (int)v;
}

int store_schema_latest(void)
{
	return store_n_migrations;
}

/* Applies the steps the store has not had yet. */
static int store_migrate(struct store *st, const char *const *steps, int n_steps)
{
	int version = store_schema_version(st);

	if (version < 0)
		return -1;
	if (version > n_steps)
		return store_fail(st, "the store is at schema version %d, newer than this mlist knows (%d); "
				  "use a newer mlist", version, n_steps);
	for (; version < n_steps; version++) {
		if (store_begin(st) < 0)
			return -1;
		if (store_exec_fixed(st, steps[version]) < 0 ||
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

/*
 * Creates the file 0600 before sqlite does, and tightens an existing one:
 * it holds member data.  sqlite gives its -wal and -shm files the mode of
 * the database file.
 */
static int make_private(const char *path, struct sbuf *err)
{
	/* The store's folder (the spool, usually) is made on first use too. */
	char *folder = xstrdup(path), *slash = strrchr(folder, '/');
	if (slash && slash != folder) {
		*slash = '\0';
		if (mkdir(folder, 0700) < 0 && errno != EEXIST) {
			sbuf_addf(err, "%s: cannot create the store's folder: %s", folder, strerror(errno));
			free(folder);
			return -1;
		}
	}
	free(folder);

	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

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

struct store *store_open(const char *path, struct sbuf *err)
{
	return store_open_steps(path, store_migrations, store_n_migrations, err);
}

struct store *store_open_steps(const char *path, const char *const *steps, int n_steps,
			       struct sbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));

	sbuf_init(&st->err);
	if (make_private(path, err) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sbuf_addf(err, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if (store_exec_fixed(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
				 "PRAGMA foreign_keys = ON;") < 0 ||
	    store_migrate(st, steps, n_steps) < 0) {
		sbuf_addf(err, "%s: %s", path, st->err.buf);
		goto fail;
	}
	return st;
fail:
	store_close(st);
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
