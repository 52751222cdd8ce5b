/*
 * spool: the on-disk queue of accepted mail, and (with its journal,
 * journal.h, which only spool.c uses) the only code in mlist that calls
 * fsync and rename.
 *
 * A message is written to tmp/ while it arrives (so a large one is never
 * held in memory), then committed: its header gets the final length, the
 * file system is flushed, the file is renamed into incoming/ and the
 * folder is flushed.  Only then is the sender told 250.  Messages
 * finished in the same round of the event loop are committed together
 * (group commit): one syncfs and one folder fsync for the whole batch.
 * The listener's committer thread flushes less: it copies the batch into
 * the spool's journal and flushes only that (journal.h); its files are
 * made durable later, at the journal's checkpoint.
 * A file that leaves the spool is truncated and kept in free/ for the
 * next message (ext4 allocates a fresh inode ever more slowly under
 * heavy create/delete churn; a renamed one costs the same every time).
 *
 * A spool file is the header
 *
 *     MLIST-SPOOL 1 <length of the message, 12 digits>
 *     from <envelope sender, may be empty>
 *     rcpt <recipient>          (one line per recipient)
 *     client <address of the sending host>
 *     helo <what it said in HELO/EHLO/LHLO>
 *     proto <smtp|lmtp|imap>
 *     received <unix time>
 *     default <group>           (imap: the mailbox's default group)
 *     imap <mailbox/UIDVALIDITY/UID> (imap: where it was taken from)
 *     <empty line>
 *
 * followed by the message with CRLF line ends.  A file whose first line
 * does not carry a length, or whose size does not match it, was never
 * committed and is not trusted (Postfix's rule: a queue file without its
 * end record is not a message).  spool/README.md documents the layout.
 */
#ifndef MLIST_SPOOL_H
#define MLIST_SPOOL_H

#include <stddef.h>

#include "sbuf.h"

struct spool;
struct spool_entry;

/* Who sent a message to whom: what the SMTP dialogue (or IMAP poller) knows. */
struct envelope {
	struct sbuf mail_from;   /* reverse path without <>, "" for the null sender */
	char **rcpt;             /* recipients, as given in RCPT TO */
	int n_rcpt;
	char client[64];         /* the peer's address */
	char helo[256];          /* the name it gave */
	const char *proto;       /* "smtp", "lmtp" or "imap" (static string) */
	char default_group[65];  /* imap: the mailbox's group for what sorts nowhere else, or "" */
	char imap_key[512];      /* imap: MAILBOX/UIDVALIDITY/UID, so a message is taken once; or "" */
};

void envelope_init(struct envelope *env);
void envelope_add_rcpt(struct envelope *env, const char *rcpt);
/* Forgets sender and recipients (RSET, or after a transaction); keeps client and helo. */
void envelope_reset(struct envelope *env);
void envelope_release(struct envelope *env);

/* A committed message read back from the spool. */
struct spool_message {
	struct envelope env;
	long long received;   /* unix time it was accepted */
	struct sbuf raw;      /* the whole file */
	size_t body_offset;   /* where the message starts in raw */
	size_t body_len;      /* and its length */
};

/* Called when a finished message is committed (ok = 1) or could not be (ok = 0). */
typedef void (*spool_done_fn)(void *ctx, int ok, const char *id);

/*
 * Opens the spool at dir, creating tmp/, incoming/ and free/ as needed, and
 * empties files left in tmp/ into free/ (never committed, so never acknowledged).
 * Returns NULL with the reason in err.
 */
struct spool *spool_open(const char *dir, struct sbuf *err);
/* Opens the spool at dir for another process of mlist: tmp/ is left alone (it is mlistd's). */
struct spool *spool_attach(const char *dir, struct sbuf *err);
void spool_close(struct spool *sp);

/* Starts a message for env in tmp/.  Returns NULL (errno set) on failure. */
struct spool_entry *spool_begin(struct spool *sp, const struct envelope *env);
/* Appends message bytes; buffered.  Returns 0, or -1 (errno set) once writing failed. */
int spool_write(struct spool_entry *e, const void *data, size_t len);
/* Drops an unfinished message and its file. */
void spool_abort(struct spool_entry *e);
/* Finishes the message and queues it for the next commit; done is called then. */
void spool_finish(struct spool_entry *e, spool_done_fn done, void *ctx);
/* The sender went away before the commit: the message is still committed, nobody is told. */
void spool_forget_waiter(struct spool *sp, void *ctx);
/* Commits every finished message (the group commit).  Returns how many were committed. */
int spool_commit(struct spool *sp);
/*
 * The same commit without waiting for the disk, for the listener's loop:
 * spool_committer_start opens the spool's journal (putting back, after a
 * crash, the files it took: call it before the helpers start), starts a
 * thread of the spool's own and returns a
 * descriptor that becomes readable each time the thread has committed a
 * batch (or -1, errno set).  spool_commit_start hands the finished
 * messages to the thread as one batch, unless it still has one; returns
 * 1 if it did.  Once the descriptor is readable, spool_commit_reap calls
 * done for each message of that batch (on the caller's thread, as
 * spool_commit does) and returns how many committed (-1: none was
 * finished yet).  spool_close waits for a batch still on the thread.
 */
int spool_committer_start(struct spool *sp);
/*
 * For mlistctl's commands that erase what a post or a person left in the
 * spool (member forget, archive remove), which must not have the journal
 * put it back later.  spool_journal_settle, before they erase: if mlistd
 * is stopped (nothing holds the journal), does what its start would do,
 * puts back the files a crash took so that the command erases them too,
 * and zeroes the records; returns how many it put back, or -1 (reason
 * in err).  If mlistd runs, sets *running, waits for its next
 * checkpoint (it may be putting files back at its start) and returns 0:
 * then spool_journal_wait, after they erased, waits for mlistd's next
 * checkpoint to zero the records there now (it comes at once when mlistd
 * is idle, within JOURNAL_CHECKPOINT_MS under load; given up after three
 * times that); returns 0, or -1 (errno ETIMEDOUT, or another).
 */
int spool_journal_settle(struct spool *sp, int *running, struct sbuf *err);
int spool_journal_wait(struct spool *sp);
int spool_commit_start(struct spool *sp);
int spool_commit_reap(struct spool *sp);
/* Whether messages are waiting for spool_commit. */
int spool_pending(const struct spool *sp);
/* Octets free for an unprivileged writer on the spool's file system, or -1 if it cannot be told. */
long long spool_free_space(const struct spool *sp);

/*
 * Writes a complete message into incoming/ in one go (IMAP): begin,
 * write, finish and commit.  Returns 0 with the new id in id_out, or -1.
 */
int spool_put(struct spool *sp, const struct envelope *env, const void *data, size_t len, struct sbuf *id_out);
/*
 * Writes a complete message for FOLDER ("incoming", or "notices" for
 * mlist's own mail) to tmp/ and leaves it for the next spool_commit, so
 * that the notices of one store transaction are flushed together, before
 * it commits (notice.h).  Returns 0 with the new id in id_out, or -1.
 */
int spool_stage(struct spool *sp, const char *folder, const struct envelope *env, const void *data, size_t len,
		struct sbuf *id_out);
/* Drops every message waiting for spool_commit (their transaction was rolled back). */
void spool_unstage(struct spool *sp);

/*
 * Calls fn for the id of every file in FOLDER ("incoming", "queue",
 * "notices"), oldest first; a folder not made yet holds nothing.
 * Returns 0, or -1 (errno set) if the folder cannot be read.
 */
int spool_each(struct spool *sp, const char *folder, void (*fn)(const char *id, void *ctx), void *ctx);
/*
 * Reads FOLDER/ID ("incoming", "queue").  Returns 0, or -1 with the
 * reason in err and errno ENOENT (missing), EINVAL (incomplete or
 * malformed) or another read error.
 */
int spool_read(struct spool *sp, const char *folder, const char *id, struct spool_message *msg, struct sbuf *err);
/*
 * Reads a sorted message: from queue/, or from incoming/ when the sorter
 * has recorded it but not moved it yet (it moves a batch only after the
 * batch's store commit, and delivery may see the commit first).
 */
int spool_read_sorted(struct spool *sp, const char *id, struct spool_message *msg, struct sbuf *err);
/* Removes FOLDER/ID once nothing needs it any more (a delivered message). */
int spool_remove(struct spool *sp, const char *folder, const char *id);
/*
 * Empties the file of a post the store is about to forget (mlistctl
 * archive remove, member forget --with-posts) into free/, from whichever
 * folder has it, flushed: no sorter takes it for new mail later, not
 * even after a crash.  Returns how many it found (0 or 1), or -1 (errno set).
 */
int spool_discard(struct spool *sp, const char *id);
void spool_message_release(struct spool_message *msg);
/*
 * Moves incoming/IDS[i] to DESTS[i]/IDS[i] (e.g. "queue") for all n; a
 * NULL destination removes the file instead.  ok[i] says whether each
 * moved.  Returns 0 if all did, else -1.
 *
 * The folders are not flushed: the sorter moves a file only after the
 * store has recorded it, so a move that a crash of the machine undoes
 * leaves the file in incoming/, where the sorter finds it recorded and
 * only moves it again; and one that outlives the store's record (written
 * without a flush of its own) is put back by spool_resort.  Nothing is
 * lost either way, and two flushes come off the path of every post.
 */
int spool_move(struct spool *sp, char *const *ids, const char *const *dests, int n, int *ok);
/*
 * Takes SPOOL/NAME.lock (made if missing) for as long as the spool stays
 * open, so that only one process at a time does NAME's work.  It is an
 * flock: the kernel lets go of it when the holder ends, however it ends.
 * With wait, blocks until it is free; without, returns 1 at once if
 * another process holds it.  Returns 0 once held, -1 (errno set) on
 * failure.  One lock per open spool.
 */
int spool_lock(struct spool *sp, const char *name, int wait);
/*
 * A doorbell: SPOOL/NAME.wake, a FIFO through which any process of mlist
 * (mlistctl approving a held post, say) wakes the helper NAME at once,
 * rather than it finding the work at its next look.
 * spool_doorbell_open makes it if missing and opens it for the helper
 * to poll (readable: rung; read it empty with spool_doorbell_answer);
 * returns the fd or -1.  spool_doorbell_ring rings it; nobody listening
 * is not an error (the work waits in the store).
 */
#define SPOOL_BELL_SORT "mlistd-sort"       /* rung when messages were committed to incoming/ */
#define SPOOL_BELL_DELIVER "mlistd-deliver" /* rung when copies or notices were queued */

int spool_doorbell_open(struct spool *sp, const char *name);
void spool_doorbell_answer(int fd);
void spool_doorbell_ring(struct spool *sp, const char *name);
/* Puts queue/ID back in incoming/ to be sorted again (the store lost its record in a crash of the machine). */
int spool_resort(struct spool *sp, const char *id);
/* The path of ID in folder (e.g. "queue"); the caller frees it. */
char *spool_path(const struct spool *sp, const char *folder, const char *id);

/*
 * Maildir writing, for the maildir transport and the archive: a batch of
 * files, each written to DIR/tmp/NAME, then one syncfs for all of them,
 * each renamed to DIR/new/NAME, and each new/ folder flushed.  Names are
 * chosen by the caller and are the same when a copy is written again
 * after a crash, so a second write replaces the first instead of making
 * a second copy.
 */
struct maildir_batch;

struct maildir_batch *maildir_batch_new(void);
/* Writes one file to DIR/tmp (creating DIR/{tmp,new,cur} as needed); returns its index or -1. */
int maildir_batch_add(struct maildir_batch *b, const char *dir, const char *name, const void *data, size_t len);
/* Makes every added file durable in new/.  Returns 0, or -1 if any failed (see maildir_batch_ok). */
int maildir_batch_commit(struct maildir_batch *b);
/* Whether file i was committed. */
int maildir_batch_ok(const struct maildir_batch *b, int i);
void maildir_batch_free(struct maildir_batch *b);
/* Makes a folder mode 0700 if it is not there. */
int mkdir_private(const char *dir);
/* Whether DIR holds NAME already, in new/ or (read by its owner) in cur/. */
int maildir_has(const char *dir, const char *name);


/*
 * Replaces NAME in the folder open as dir_fd with data, crash-safe (for
 * member forget's rewrites of stored posts): written to a dot-named temp
 * file in the same folder, flushed, exchanged with NAME, the old content
 * removed, the folder flushed.  A crash leaves the old file or the new
 * one, never a mix.  NAME missing (moved away meanwhile) fails with
 * ENOENT and leaves nothing behind.  Returns 0, or -1 (errno set).
 */
int spool_rewrite_file(int dir_fd, const char *name, const void *data, size_t len);
/*
 * Replaces the message in FOLDER/ID, read into msg, by data[0..len),
 * keeping its envelope (the sorter's content policy: an attachment
 * stripped, HTML turned into text), crash-safe as spool_rewrite_file.
 * msg then holds the new file.  Returns 0, or -1 (errno set; msg as it was).
 */
int spool_replace_message(struct spool *sp, const char *folder, const char *id, struct spool_message *msg,
			  const void *data, size_t len);
/* Removes NAME from the folder open as dir_fd and flushes the folder.  Returns 0, or -1 (errno set). */
int spool_remove_file(int dir_fd, const char *name);
/*
 * Gives the finished file tmp the name path, which must not exist yet
 * (mlistctl backup): tmp is flushed, renamed without replacing anything
 * (EEXIST when path appeared meanwhile), and the folder flushed, so a
 * crash leaves the whole file under its name or no file by that name.
 * Both names are in the same folder.  Returns 0, or -1 (errno set; tmp
 * is left for the caller to remove).
 */
int spool_install_file(const char *tmp, const char *path);

#endif
