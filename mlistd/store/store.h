/*
 * store: the sqlite3 database that holds groups, members, subscriptions
 * and moderators (and, in later stages, messages, threads and queues).
 *
 * Only files named store*.c speak SQL.  Every statement is prepared and
 * bound; no SQL text is ever built from input.  The database runs in WAL
 * mode with synchronous=FULL, so a committed transaction survives a crash.
 * The file is created mode 0600 because it holds member data; see
 * store_open for who may create, migrate and write it.
 *
 * Functions return 0 on success and -1 on failure; after a failure
 * store_error() says why in one line meant for a person ("no group named
 * 'x'", "x is already a member of y").
 */
#ifndef MLIST_STORE_H
#define MLIST_STORE_H

struct store;
struct sbuf;

/*
 * How store_open opens the store.  One function opens it, in one of three
 * modes, so that who may create, migrate or write is decided in one place:
 *
 * STORE_CREATE      mlistd's start-up, `mlistctl init`, tests.  Makes the
 *                   store's folder (0700) and the file (0600) when they are
 *                   missing, tightens an existing file to 0600, puts it in
 *                   WAL mode and migrates its schema to this build's version.
 * STORE_READ_WRITE  mlistctl's write commands and mlistd's helper processes.
 *                   The store must exist and be at this build's schema version:
 *                   these never migrate, because a newer program migrating
 *                   under a running mlistd would change the schema that mlistd
 *                   (and the helpers it started) were built for; migrating is
 *                   mlistd's start-up's job, or an administrator's (`mlistctl init`).
 * STORE_READ_ONLY   mlistctl's commands that only read.  Opens the file with
 *                   SQLITE_OPEN_READONLY: never creates, migrates or chmods, so
 *                   it works on a store the user may read but not write.  The
 *                   store must be at this build's schema version.
 *
 * In every mode but STORE_CREATE a missing file fails with "no store at PATH".
 * A failed open leaves nothing behind that it made.
 *
 * Writing connections keep the -wal and -shm files when they close
 * (SQLITE_FCNTL_PERSIST_WAL; the -wal truncated to nothing): sqlite can
 * open a WAL database read-only only while those exist or can be created,
 * and a user who may not write the store's folder cannot create them.
 */
enum store_mode {
	STORE_CREATE,
	STORE_READ_WRITE,
	STORE_READ_ONLY,
};

/*
 * Opens the store at path (absolute, as the config gives it) in mode.
 * Returns NULL with the reason in err on failure, one line meant for a
 * person ("no store at /var/lib/mlist/mlist.db").
 */
struct store *store_open(const char *path, enum store_mode mode, struct sbuf *err);
void store_close(struct store *st);

/* The last failure's reason; valid until the next call on st. */
const char *store_error(const struct store *st);
/*
 * Replaces the last error with a formatted reason; returns -1.  Also for
 * what fails beside the store within one of its operations (a spool
 * file), so the caller has one reason to give.
 */
int store_fail(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Schema version the store is at now; never writes, so a read-only store can be asked too. */
int store_schema_version(struct store *st);
/* Schema version this build of mlist writes. */
int store_schema_latest(void);
/* Whether this store's open made the file (STORE_CREATE only): what `mlistctl init` reports. */
int store_created(const struct store *st);
/* The schema version the store was at when it was opened, before any migration. */
int store_found_version(const struct store *st);

/*
 * store_open with other migration steps than the built-in ones (SQL
 * scripts; step i takes the schema from version i to i + 1, each in a
 * transaction of its own).  For tests of the migration mechanism.
 */
struct store *store_open_steps(const char *path, enum store_mode mode, const char *const *steps, int n_steps,
			       struct sbuf *err);

/*
 * How long a statement waits for a lock another connection holds before
 * it fails (10 s unless set).  The SMTP listener sets it short: it must
 * answer, not wait.
 */
void store_set_busy_wait(struct store *st, int ms);

/* Transactions, for work that must be all or nothing (e.g. a CSV import). */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/*
 * Whether this connection's commits wait for the disk (full = 1, the
 * default) or only for the operating system (0: a commit then survives
 * the process being killed, not a power loss or a kernel crash; the next
 * full commit makes it durable too, as the write-ahead log is flushed as
 * a whole).  Outside a transaction only.
 */
int store_set_sync(struct store *st, int full);

/*
 * Checkpoints (copying the write-ahead log back into the database, with a
 * flush) happen, by sqlite's default, inside whichever commit finds the
 * log long: a pause of many milliseconds on the path of a post.  The
 * sorter and delivery turn that off (store_checkpoint_by_hand) and
 * delivery checkpoints when it has nothing to send (store_checkpoint,
 * which waits for no reader or writer and copies what it can).
 */
void store_checkpoint_by_hand(struct store *st);
int store_checkpoint(struct store *st);
/*
 * Copies the whole -wal into the store and empties it (after forget, so
 * no old page outlives it there), retrying a few times while another
 * process reads.  Returns 0 when done, 1 when readers kept part of it
 * (the -wal still holds pages), -1 on error.
 */
int store_checkpoint_truncate(struct store *st);

#endif
