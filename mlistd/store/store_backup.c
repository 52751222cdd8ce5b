/*
 * store_backup: backups of the store and restoring one, with sqlite's
 * online backup API; see store_backup.h.
 */
#include "store_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* How often, and how long apart, a backup step that found the source locked is tried again. */
#define BUSY_TRIES 100
#define BUSY_PAUSE_US 100000

/*
 * Opens path as a bare connection (flags: SQLITE_OPEN_READONLY or
 * SQLITE_OPEN_READWRITE, never CREATE): no schema version is asked for
 * and no pragma set, as a backup may be of any version and the store
 * being restored over may be in any state.  NULL with the reason in err.
 */
static struct store *open_bare(const char *path, int flags, struct sbuf *err)
{
	struct store *st = xcalloc(1, sizeof(*st));

	sbuf_init(&st->err);
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int e = st->db ? sqlite3_system_errno(st->db) : ENOMEM;
		sbuf_addf(err, "%s: %s", path, e ? strerror(e) : sqlite3_errmsg(st->db));
		store_close(st);
		return NULL;
	}
	return st;
}

/* Runs a pragma that answers one row (journal_mode, locking_mode); 0 or -1 (reason recorded). */
static int pragma_row(struct store *st, sqlite3_stmt *stmt)
{
	if (!stmt)
		return -1;
	int r = store_row(st, stmt);
	store_done(st, stmt);
	return r < 0 ? -1 : 0;
}

/* The schema version and the sizes of the main tables of the store st, into out. */
static int read_facts(struct store *st, struct store_copy_facts *out)
{
	memset(out, 0, sizeof(*out));
	if ((out->version = store_schema_version(st)) < 0)
		return -1;
	if (out->version >= 1 && (store_int(st, &out->groups, "SELECT count(*) FROM groups", "") < 0 ||
				  store_int(st, &out->members, "SELECT count(*) FROM members", "") < 0))
		return -1;
	/* messages came with schema version 2 */
	if (out->version >= 2 && store_int(st, &out->messages, "SELECT count(*) FROM messages", "") < 0)
		return -1;
	return 0;
}

/*
 * Copies every page of src into dst in one step (one read transaction
 * on src, so one consistent state of it), trying again for a while if
 * src or dst is locked at the start.  Returns 0, or -1 with the reason in err.
 */
static int copy_pages(struct store *dst, struct store *src, struct sbuf *err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst->db, "main", src->db, "main");
	int rc;

	if (!b) {
		sbuf_addf(err, "cannot start the copy: %s", sqlite3_errmsg(dst->db));
		return -1;
	}
	for (int tries = 0;; tries++) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == BUSY_TRIES)
			break;
		usleep(BUSY_PAUSE_US);
	}
	int done = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || done != SQLITE_OK) {
		sbuf_addf(err, "the copy failed: %s", sqlite3_errstr(rc != SQLITE_DONE ? rc : done));
		return -1;
	}
	return 0;
}

int store_backup(struct store *st, const char *path, struct store_copy_facts *out, struct sbuf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	struct store *dst = open_bare(path, SQLITE_OPEN_READWRITE, err);
	int r = dst ? copy_pages(dst, st, err) : -1;
	/*
	 * The copy took the store's WAL mode with its first page; a backup is
	 * one file, in rollback-journal mode, each page flushed (synchronous
	 * is FULL for this connection as for every other).
	 */
	if (r == 0 && (pragma_row(dst, store_stmt(dst, "PRAGMA synchronous = FULL", "")) < 0 ||
		       pragma_row(dst, store_stmt(dst, "PRAGMA journal_mode = DELETE", "")) < 0 ||
		       read_facts(dst, out) < 0)) {
		sbuf_addf(err, "%s: %s", path, store_error(dst));
		r = -1;
	}
	store_close(dst);
	if (r < 0) {
		/* what sqlite may have put beside it too */
		static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			struct sbuf name = SBUF_INIT;
			sbuf_addf(&name, "%s%s", path, suffixes[i]);
			unlink(name.buf);
			sbuf_release(&name);
		}
	}
	return r;
}

int store_backup_check(const char *from, struct store_copy_facts *out, struct sbuf *err)
{
	struct store *src = open_bare(from, SQLITE_OPEN_READONLY, err);
	sqlite3_stmt *stmt;
	int r = -1;

	if (!src)
		return -1;
	store_set_busy_wait(src, 10000);
	/* integrity_check answers one row "ok", or one row per fault found */
	if (!(stmt = store_stmt(src, "PRAGMA integrity_check", "")) || store_row(src, stmt) < 0) {
		sbuf_addf(err, "%s is not a store: %s", from, sqlite3_errmsg(src->db));
	} else if (sqlite3_data_count(stmt) < 1 || strcmp(store_col_text(stmt, 0), "ok") != 0) {
		sbuf_addf(err, "%s is damaged (integrity_check: %s)", from,
			  sqlite3_data_count(stmt) ? store_col_text(stmt, 0) : "no answer");
	} else if (read_facts(src, out) < 0) {
		sbuf_addf(err, "%s is not a store of mlist: %s", from, store_error(src));
	} else if (out->version < 1) {
		sbuf_addf(err, "%s is not a store of mlist (it has no schema version)", from);
	} else if (out->version > store_schema_latest()) {
		sbuf_addf(err, "%s is at schema version %d, newer than this mlist knows (%d); use a newer mlist", from,
			  out->version, store_schema_latest());
	} else {
		r = 0;
	}
	if (stmt)
		store_done(src, stmt);
	store_close(src);
	return r;
}

/*
 * Takes the store dst for this connection alone: exclusive locking mode
 * (which in WAL mode also keeps the WAL index out of the -shm file), and
 * an exclusive lock now.  Any other connection to the store, of any
 * process, stops that at once.  Returns 0, 1 when another has the store
 * open (reason in err), -1 on other failures.
 */
static int take_alone(struct store *dst, const char *path, struct sbuf *err)
{
	if (pragma_row(dst, store_stmt(dst, "PRAGMA locking_mode = EXCLUSIVE", "")) < 0) {
		sbuf_addf(err, "%s: %s", path, store_error(dst));
		return -1;
	}
	sqlite3_stmt *stmt = store_stmt(dst, "BEGIN EXCLUSIVE", "");
	int rc = stmt ? sqlite3_step(stmt) : SQLITE_ERROR;
	if (stmt)
		store_done(dst, stmt);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		sbuf_addf(err, "the store at %s is in use by another process (mlistd and its helpers, or another "
			  "mlistctl): stop mlistd first", path);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		sbuf_addf(err, "cannot restore over the store at %s: %s; move it and its -wal and -shm aside and "
			  "restore again", path, sqlite3_errmsg(dst->db));
		return -1;
	}
	/* The transaction ends, the lock stays: that is exclusive locking mode.  A copy needs no open transaction. */
	stmt = store_stmt(dst, "COMMIT", "");
	if (store_run(dst, stmt) < 0) {
		sbuf_addf(err, "%s: %s", path, store_error(dst));
		return -1;
	}
	return 0;
}

int store_restore(const char *path, const char *from, struct store_copy_facts *out, struct sbuf *err)
{
	struct store *src = NULL, *dst = NULL;
	int created = 0, r = -1, persist = 1;

	if (store_backup_check(from, out, err) < 0)
		return -1;
	/* The store is made as store_open makes it: mode 0600 before sqlite ever opens it. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		created = 1;
		close(fd);
	} else if (errno != EEXIST) {
		sbuf_addf(err, "%s: cannot make the store: %s", path, strerror(errno));
		return -1;
	}
	if (!(src = open_bare(from, SQLITE_OPEN_READONLY, err)) || !(dst = open_bare(path, SQLITE_OPEN_READWRITE, err)))
		goto done;
	store_set_busy_wait(src, 10000);
	if ((r = take_alone(dst, path, err)) != 0)
		goto done;
	r = -1;
	if (copy_pages(dst, src, err) < 0)
		goto done;
	/*
	 * A store of mlist is in WAL mode (the copy brought the backup's
	 * rollback mode) and keeps its -wal when closed, as store_open's
	 * connections do.
	 */
	sqlite3_file_control(dst->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (pragma_row(dst, store_stmt(dst, "PRAGMA synchronous = FULL", "")) < 0 ||
	    pragma_row(dst, store_stmt(dst, "PRAGMA journal_mode = WAL", "")) < 0 ||
	    pragma_row(dst, store_stmt(dst, "PRAGMA journal_size_limit = 0", "")) < 0 || read_facts(dst, out) < 0) {
		sbuf_addf(err, "%s: %s", path, store_error(dst));
		goto done;
	}
	r = 0;
done:
	store_close(src);
	store_close(dst);
	if (r != 0 && created)
		unlink(path);
	return r;
}
