/*
 * journal: the listener's commit record, one pre-written file
 * (spool/journal) that makes a batch of accepted messages durable with a
 * single fdatasync.
 *
 * Why: flushing the batch's own spool files takes a syncfs (or a flush
 * per file), which also writes out every other dirty page of the file
 * system: the sorter's store, the archive's new files, the folders.
 * Overwriting blocks of a file that is already on disk changes none of
 * its metadata, so fdatasync writes only the new bytes.  Each committed
 * message is copied into the journal as a record (its folder, its spool
 * id, its whole spool file, a SHA-256 over all of it); once the journal
 * is flushed the message's file is renamed into its folder without a
 * flush of its own.  A checkpoint (a syncfs, at most every
 * JOURNAL_CHECKPOINT_MS, when the journal is full, when the listener is
 * idle and when it stops) makes the files themselves durable; the
 * records are then zeroed (the journal keeps no mail past a checkpoint)
 * and the journal starts a new generation.
 *
 * After a crash, journal_replay hands back every record of the current
 * generation; the spool puts back each file that the crash took
 * (spool.c, restore).
 *
 * Layout: a 4,096-octet head "MLIST-JOURNAL 1 generation N\n", then
 * records, each a struct journal_record_head and the file, padded to
 * 8 octets.  A record is taken only if its magic and generation match
 * and its SHA-256 is right, so a torn write or an older generation's
 * leftovers end the replay.  The file starts at JOURNAL_FIRST octets and
 * doubles (up to JOURNAL_MAX) whenever it fills up sooner than a
 * checkpoint is due; a batch larger than JOURNAL_MAX is committed
 * without it.
 */
#ifndef MLIST_JOURNAL_H
#define MLIST_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define JOURNAL_CHECKPOINT_MS 2000

struct journal;

/*
 * Opens DIR_FD/NAME, making it (zeroed, flushed) if missing, and holds an
 * exclusive flock on it until journal_close: one user at a time (mlistd,
 * or mlistctl settling it while mlistd is stopped).  If another holds it,
 * waits for it (JOURNAL_WAIT), or fails with errno EWOULDBLOCK; with
 * JOURNAL_EXISTING a missing journal fails with ENOENT instead of being
 * made (mlistctl, perhaps root, never makes mlistd's journal).  Calls fn
 * for each record of the current generation, oldest first: a non-zero
 * return stops with -1.  The caller then calls journal_checkpoint before
 * the first journal_add.  Returns NULL with the reason in err (errno set).
 */
#define JOURNAL_WAIT 1
#define JOURNAL_EXISTING 2
typedef int (*journal_replay_fn)(const char *folder, const char *id, const void *data, size_t len, void *ctx);
struct journal *journal_open(int dir_fd, const char *name, int flags, journal_replay_fn fn, void *ctx,
			     struct sbuf *err);
void journal_close(struct journal *j);

/*
 * Makes room for RECORDS records of OCTETS file octets in all:
 * checkpoints first if they do not fit after what is there (growing the
 * journal if it filled up before a checkpoint was due).  Returns 0, or
 * -1 if they cannot go in (too large, or the checkpoint failed; errno set).
 */
int journal_reserve(struct journal *j, size_t octets, int records);
/* Appends FD's first len octets as the record of FOLDER/ID.  Returns 0, or -1 (errno set). */
int journal_add(struct journal *j, const char *folder, const char *id, int fd, size_t len);
/* Flushes what was added: the batch is durable once this returns 0. */
int journal_sync(struct journal *j);
/* Whether records are waiting for a checkpoint, and since when (monotonic ms; 0: none). */
long long journal_oldest(const struct journal *j);
/*
 * Flushes the whole file system (the files the records stand for),
 * zeroes the records and starts a new generation.  Returns 0, or -1
 * (errno set; the records stay).
 */
int journal_checkpoint(struct journal *j);
/*
 * Looks at DIR_FD/NAME without its lock (another process may be writing
 * it): its generation, and whether a record of that generation is there.
 * A checkpoint turns the generation over, so a generation seen to change
 * means every record seen before it is gone: journal_peek_flush then
 * makes sure that is on disk too (the writer may not have flushed it yet).
 * Each returns 0, or -1 (errno set).
 */
int journal_peek(int dir_fd, const char *name, uint64_t *generation, int *records);
int journal_peek_flush(int dir_fd, const char *name);

#endif
