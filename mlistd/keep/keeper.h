/*
 * keeper: the upkeep beside delivery, in a thread of mlistd-deliver with
 * a store connection of its own, so none of it ever stands between a
 * post and its readers: every KEEPER_EVERY_MS (and once more as it
 * stops) it archives what was sorted (archive.h: each post into each of
 * its groups' maildirs, one flush for the batch), lets go of the spool
 * files of posts that are archived and whose copies are all sent or
 * given up, and checkpoints the store (copies the write-ahead log back
 * into the database: many milliseconds with a flush, which sqlite would
 * otherwise do inside some commit on a post's path; see store.h).
 *
 * A crash at any point is harmless: archiving again replaces a file
 * under the same name, and a spool file is removed only after the store
 * says its post is finished.
 */
#ifndef MLIST_KEEPER_H
#define MLIST_KEEPER_H

#define KEEPER_EVERY_MS 50

struct keeper;

/*
 * Starts the keeper for the spool at spool_dir and the store at
 * store_path (its own connection).  Returns NULL (after logging why)
 * if it cannot: then nobody archives, and the caller must not turn off
 * sqlite's own checkpoints.
 */
struct keeper *keeper_start(const char *spool_dir, const char *store_path);
/* Does a last round and ends the thread. */
void keeper_stop(struct keeper *k);

#endif
