/*
 * store_backup: copying the whole store into a file of its own, and
 * putting such a copy back, with sqlite's online backup API
 * (sqlite3_backup_*): page by page under sqlite's own locks, so a copy is
 * one consistent state of the store however busy it is.
 *
 * A backup is taken from an open store (read-only will do) while mlistd
 * runs: the copy is made in one step, inside one read transaction, which
 * in WAL mode never stops a writer.  The copy is in rollback-journal
 * mode, one self-contained file with no -wal beside it.
 *
 * A restore writes a backup into the store at its path, through sqlite
 * as well, so the store keeps its file (owner, mode 0600), and whatever
 * its -wal held is overwritten with the rest, never replayed over the
 * copy.  It takes the store with an exclusive lock, and refuses at once
 * when any other process has the store open.
 *
 * Failures return -1 with the reason in err, one line for a person.
 */
#ifndef MLIST_STORE_BACKUP_H
#define MLIST_STORE_BACKUP_H

struct sbuf;
struct store;

/* What a backup or a restore copied, for the person who asked. */
struct store_copy_facts {
	int version;                          /* its schema version */
	long long groups, members, messages;  /* rows in those tables */
};

/*
 * Copies the open store st into a new file at path (made here, mode
 * 0600; an existing file is refused with EEXIST in the reason), with
 * every page flushed to disk.  On failure nothing it made is left.
 */
int store_backup(struct store *st, const char *path, struct store_copy_facts *out, struct sbuf *err);

/*
 * Checks that the file at from is a whole mlist store that this build
 * can use (integrity_check passes; a schema version from 1 to this
 * build's), without changing it.  Fills out.  0 or -1.
 */
int store_backup_check(const char *from, struct store_copy_facts *out, struct sbuf *err);

/*
 * Replaces the content of the store at path (made, mode 0600, when
 * missing) with the backup at from, checked first with
 * store_backup_check; the store is left in WAL mode.  Refuses (returns
 * 1, reason in err) while another process has the store open; -1 on
 * other failures, with the store as it was.
 */
int store_restore(const char *path, const char *from, struct store_copy_facts *out, struct sbuf *err);

#endif
