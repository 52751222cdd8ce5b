/*
 * store: the sqlite3 database that holds groups, members, subscriptions
 * and moderators (and, in later stages, messages, threads and queues).
 *
 * Only files named store*.c speak SQL.  Every statement is prepared and
 * bound; no SQL text is ever built from input.  The database runs in WAL
 * mode with synchronous=FULL, so a committed transaction survives a crash.
 * The file is created mode 0600 because it holds member data.
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
 * Opens (creating if needed) the store at path and migrates its schema to
 * the current version.  Returns NULL with the reason in err on failure,
 * including a store written by a newer mlist.
 */
struct store *store_open(const char *path, struct sbuf *err);
void store_close(struct store *st);

/* The last failure's reason; valid until the next call on st. */
const char *store_error(const struct store *st);

/* Schema version the store is at now. */
int store_schema_version(struct store *st);
/* Schema version this build of mlist writes. */
int store_schema_latest(void);

/*
 * store_open with other migration steps than the built-in ones (SQL
 * scripts; step i takes the schema from version i to i + 1, each in a
 * transaction of its own).  For tests of the migration mechanism.
 */
struct store *store_open_steps(const char *path, const char *const *steps, int n_steps,
			       struct sbuf *err);

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

#endif
