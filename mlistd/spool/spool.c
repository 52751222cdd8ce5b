/*
 * spool: durable queue files; see spool.h for the format and the rules.
 *
 * Every write path ends the same way: data flushed, file renamed, folder
 * flushed; any failure removes the temporary file, so nothing half-written
 * is ever taken for a message.
 */
#define _GNU_SOURCE
#include "spool.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "write_all.h"

#define HEADER_MAGIC "MLIST-SPOOL 1 "
#define LENGTH_DIGITS 12
#define WRITE_BUFFER 65536
#define SMALL_BATCH 2       /* up to this many messages are flushed a file each; more, with one syncfs */
#define FREE_KEEP 4096      /* emptied files kept in free/ for later messages; more are removed */
#define FREE_LOOK 256       /* names of free/ taken at one look */
#define IDLE_CHECKPOINT_MS 200 /* the committer checkpoints the journal once idle this long */
#define FREE_DRY_MS 100     /* after a look found free/ empty, new files are made for this long */

struct spool_entry {
	struct spool *sp;
	char id[64];              /* file name, the same in tmp/ and incoming/ */
	int fd;                   /* open on tmp/ID */
	struct sbuf buf;          /* bytes not yet written */
	unsigned long long body;  /* message bytes so far */
	size_t size;              /* bytes written to the file so far */
	int failed;               /* a write failed; errno kept in err */
	int err;
	spool_done_fn done;       /* told about the commit; NULL once the waiter left */
	void *ctx;
	int dest_fd;              /* where the commit puts it: incoming/, or notices/ for mlist's own mail */
	struct spool_entry *next; /* in the pending list */
};

struct spool {
	char *dir;                   /* the spool folder */
	int dir_fd, tmp_fd, incoming_fd, notices_fd; /* open folders, for *at() calls and fsync */
	unsigned counter;            /* makes ids unique within this process */
	struct spool_entry *pending; /* finished, waiting for the group commit (newest first) */
	int n_pending;
	int lock_fd;                 /* the file taken with spool_lock, or -1 */
	int free_fd;                 /* free/: emptied spool files waiting to be used again */
	char **free_names;           /* names seen in free/ at the last look, not tried yet from free_next on */
	int n_free, free_next;
	long long free_dry_until;    /* ms: the last look found none, so none is looked for until then */
	/* The committer thread (spool_committer_start), for the listener only. */
	int has_committer;
	pthread_t committer;
	pthread_mutex_t commit_lock;  /* guards handed, flushed and stopping */
	pthread_cond_t commit_cond;   /* a batch was handed over, or the thread is to stop */
	int commit_event;             /* eventfd: the thread finished a batch */
	struct spool_entry *in_flight; /* the batch the thread has (the loop's view; oldest first) */
	struct spool_entry *handed;   /* the batch waiting for the thread, or being flushed */
	struct spool_entry *flushed;  /* the batch the thread finished, for spool_commit_reap */
	int stopping;
	struct journal *journal;      /* the committer's commit record (journal.h), or NULL */
	int restored;                 /* files the journal put back at start-up */
};

static void committer_stop(struct spool *sp);

void envelope_init(struct envelope *env)
{
	memset(env, 0, sizeof(*env));
	sbuf_init(&env->mail_from);
	env->proto = "smtp";
}

void envelope_add_rcpt(struct envelope *env, const char *rcpt)
{
	env->rcpt = xrealloc(env->rcpt, (size_t)(env->n_rcpt + 1) * sizeof(*env->rcpt));
	env->rcpt[env->n_rcpt++] = xstrdup(rcpt);
}

void envelope_reset(struct envelope *env)
{
	for (int i = 0; i < env->n_rcpt; i++)
		free(env->rcpt[i]);
	free(env->rcpt);
	env->rcpt = NULL;
	env->n_rcpt = 0;
	sbuf_reset(&env->mail_from);
}

void envelope_release(struct envelope *env)
{
	envelope_reset(env);
	sbuf_release(&env->mail_from);
}

static int open_folder(int at, const char *name)
{
	if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Lets go of the spool file FOLDER/NAME (FOLDER open as folder_fd): it is
 * emptied and put in free/, where spool_begin takes it for a later
 * message, rather than removed.  Why: ext4 without a journal (these
 * machines' file system) checks, for every new inode, each inode freed
 * in the last 30 seconds and passes it over, so a spool that frees an
 * inode per post makes every file made anywhere on the disk (the next
 * post's, the archive's) cost more the faster mail comes in; measured,
 * the file made per post took most of the listener's time.  The file is
 * emptied first so that free/ holds no mail and no disk space.  Returns
 * 0, or -1 (errno set) if the file is neither recycled nor removed.
 */
static int recycle_as(struct spool *sp, int folder_fd, const char *name, const char *suffix)
{
	int fd = openat(folder_fd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	char free_name[300];

	if (fd < 0)
		return -1;
	int emptied = ftruncate(fd, 0) == 0;
	close(fd);
	snprintf(free_name, sizeof(free_name), "%s%s%s", name, suffix ? "." : "", suffix ? suffix : "");
	if (emptied && renameat(folder_fd, name, sp->free_fd, free_name) == 0)
		return 0;
	return unlinkat(folder_fd, name, 0);
}

static int recycle(struct spool *sp, int folder_fd, const char *name)
{
	return recycle_as(sp, folder_fd, name, NULL);
}

/*
 * Looks in free/ for names to use, keeping at most FREE_LOOK; removes
 * the files past FREE_KEEP (a burst of mail left more than the spool
 * needs again).  Returns how many names it found.
 */
static int look_in_free(struct spool *sp)
{
	long long now_ms = clock_monotonic_ms();

	if (now_ms < sp->free_dry_until)
		return 0;
	for (int i = sp->free_next; i < sp->n_free; i++)
		free(sp->free_names[i]);
	sp->n_free = sp->free_next = 0;
	DIR *d = fdopendir(dup(sp->free_fd));
	struct dirent *de;
	int seen = 0;
	/* The dup shares free_fd's offset, left at the end by the last look: without this every look after the first finds nothing. */
	if (d)
		rewinddir(d);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (++seen > FREE_KEEP) {
			unlinkat(sp->free_fd, de->d_name, 0);
		} else if (sp->n_free < FREE_LOOK) {
			if (!sp->free_names)
				sp->free_names = xcalloc(FREE_LOOK, sizeof(char *));
			sp->free_names[sp->n_free++] = xstrdup(de->d_name);
		}
	}
	if (d)
		closedir(d);
	if (!sp->n_free)
		sp->free_dry_until = now_ms + FREE_DRY_MS;
	return sp->n_free;
}

/*
 * Makes tmp/ID from a file in free/ (another process of mlist may take
 * the same one first: the rename decides).  Returns it open for writing,
 * or -1 when free/ has none.
 */
static int take_free(struct spool *sp, const char *id)
{
	for (;;) {
		if (sp->free_next == sp->n_free && look_in_free(sp) == 0)
			return -1;
		char *name = sp->free_names[sp->free_next++];
		int moved = renameat(sp->free_fd, name, sp->tmp_fd, id) == 0;
		free(name);
		if (!moved)
			continue;
		int fd = openat(sp->tmp_fd, id, O_RDWR | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			return fd;
		unlinkat(sp->tmp_fd, id, 0);
	}
}

struct spool *spool_attach(const char *dir, struct sbuf *err)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));

	sp->dir = xstrdup(dir);
	sp->tmp_fd = sp->incoming_fd = sp->notices_fd = sp->lock_fd = sp->commit_event = sp->free_fd = -1;
	sp->dir_fd = open_folder(AT_FDCWD, dir);
	if (sp->dir_fd < 0 || (sp->tmp_fd = open_folder(sp->dir_fd, "tmp")) < 0 ||
	    (sp->incoming_fd = open_folder(sp->dir_fd, "incoming")) < 0 ||
	    (sp->notices_fd = open_folder(sp->dir_fd, "notices")) < 0 ||
	    (sp->free_fd = open_folder(sp->dir_fd, "free")) < 0) {
		sbuf_addf(err, "%s: cannot open the spool: %s", dir, strerror(errno));
		spool_close(sp);
		return NULL;
	}
	return sp;
}

struct spool *spool_open(const char *dir, struct sbuf *err)
{
	struct spool *sp = spool_attach(dir, err);

	if (!sp)
		return NULL;
	/* Whatever is in tmp/ was never committed, so never acknowledged: the sender still has it. */
	DIR *d = fdopendir(dup(sp->tmp_fd));
	struct dirent *de;
	int removed = 0;
	/*
	 * Each goes to free/ under another name: free/ID says that ID was
	 * finished (spool.c, restore), and a file the crash left here may be
	 * one the journal still has to put back.
	 */
	while (d && (de = readdir(d))) {
		if (de->d_name[0] != '.' && recycle_as(sp, sp->tmp_fd, de->d_name, "left") == 0)
			removed++;
	}
	if (d)
		closedir(d);
	if (removed)
		log_msg(LOG_INFO, "spool: removed %d unfinished file(s) from %s/tmp", removed, dir);
	return sp;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	committer_stop(sp);
	if (sp->n_pending)
		spool_commit(sp);
	/* A stop that leaves nothing to replay: the next start has no records to look at. */
	if (sp->journal && journal_oldest(sp->journal) && journal_checkpoint(sp->journal) < 0)
		log_msg(LOG_ERR, "spool: the journal's last checkpoint failed: %s", strerror(errno));
	journal_close(sp->journal);
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	if (sp->tmp_fd >= 0)
		close(sp->tmp_fd);
	if (sp->incoming_fd >= 0)
		close(sp->incoming_fd);
	if (sp->notices_fd >= 0)
		close(sp->notices_fd);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	if (sp->free_fd >= 0)
		close(sp->free_fd);
	for (int i = sp->free_next; i < sp->n_free; i++)
		free(sp->free_names[i]);
	free(sp->free_names);
	free(sp->dir);
	free(sp);
}

int spool_lock(struct spool *sp, const char *name, int wait)
{
	struct sbuf file = SBUF_INIT;

	if (sp->lock_fd >= 0) {
		errno = EBUSY;
		return -1;
	}
	sbuf_addf(&file, "%s.lock", name);
	int fd = openat(sp->dir_fd, file.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	sbuf_release(&file);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int err = errno;
		if (err == EINTR)
			continue;
		close(fd);
		errno = err;
		return err == EWOULDBLOCK ? 1 : -1;
	}
	sp->lock_fd = fd;
	return 0;
}

char *spool_path(const struct spool *sp, const char *folder, const char *id)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s/%s/%s", sp->dir, folder, id);
	return sbuf_detach(&sb);
}

/* Writes out the buffer; remembers the first failure. */
static int flush_entry(struct spool_entry *e)
{
	size_t off = 0;

	while (!e->failed && off < e->buf.len) {
		ssize_t n = write(e->fd, e->buf.buf + off, e->buf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e->failed = 1;
			e->err = errno;
			break;
		}
		off += (size_t)n;
	}
	e->size += off;
	sbuf_reset(&e->buf);
	return e->failed ? -1 : 0;
}

struct spool_entry *spool_begin(struct spool *sp, const struct envelope *env)
{
	struct spool_entry *e = xcalloc(1, sizeof(*e));
	struct timeval tv;
	/*
	 * "received" schedules the first delivery, which is due once time()
	 * reaches it.  time() reads the kernel's coarse clock, a few ms
	 * behind gettimeofday's: stamped from tv, a post handed in just after
	 * a second boundary would wait a whole second for its first copy.
	 */
	time_t received = time(NULL);

	gettimeofday(&tv, NULL);
	snprintf(e->id, sizeof(e->id), "%lld.%06ld.%d.%u", (long long)tv.tv_sec, (long)tv.tv_usec,
		 (int)getpid(), sp->counter++);
	e->sp = sp;
	e->dest_fd = sp->incoming_fd;
	sbuf_init(&e->buf);
	e->fd = take_free(sp, e->id);
	if (e->fd < 0)
		e->fd = openat(sp->tmp_fd, e->id, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (e->fd < 0) {
		free(e);
		return NULL;
	}
	/* mlistctl run as root writes notices too: they must stay readable by mlistd's account. */
	struct stat dir;
	if (geteuid() == 0 && fstat(sp->dir_fd, &dir) == 0 && fchown(e->fd, dir.st_uid, dir.st_gid) < 0)
		log_msg(LOG_WARNING, "spool: cannot give %s to the spool's owner: %s", e->id, strerror(errno));
	/* The length is a placeholder until spool_finish: an unfinished file is recognisably so. */
	sbuf_addf(&e->buf, "%s%.*s\nfrom %s\n", HEADER_MAGIC, LENGTH_DIGITS, "????????????", env->mail_from.buf);
	for (int i = 0; i < env->n_rcpt; i++)
		sbuf_addf(&e->buf, "rcpt %s\n", env->rcpt[i]);
	sbuf_addf(&e->buf, "client %s\nhelo %s\nproto %s\nreceived %lld\n", env->client, env->helo,
		  env->proto, (long long)received);
	if (env->default_group[0])
		sbuf_addf(&e->buf, "default %s\n", env->default_group);
	if (env->imap_key[0])
		sbuf_addf(&e->buf, "imap %s\n", env->imap_key);
	sbuf_addch(&e->buf, '\n');
	return e;
}

int spool_write(struct spool_entry *e, const void *data, size_t len)
{
	if (e->failed) {
		errno = e->err;
		return -1;
	}
	sbuf_add(&e->buf, data, len);
	e->body += len;
	if (e->buf.len >= WRITE_BUFFER && flush_entry(e) < 0) {
		errno = e->err;
		return -1;
	}
	return 0;
}

static void free_entry(struct spool_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);
	sbuf_release(&e->buf);
	free(e);
}

void spool_abort(struct spool_entry *e)
{
	recycle(e->sp, e->sp->tmp_fd, e->id);
	free_entry(e);
}

void spool_finish(struct spool_entry *e, spool_done_fn done, void *ctx)
{
	char length[LENGTH_DIGITS + 1];

	e->done = done;
	e->ctx = ctx;
	snprintf(length, sizeof(length), "%0*llu", LENGTH_DIGITS, e->body);
	if (flush_entry(e) == 0 &&
	    pwrite(e->fd, length, LENGTH_DIGITS, (off_t)strlen(HEADER_MAGIC)) != LENGTH_DIGITS) {
		e->failed = 1;
		e->err = errno;
	}
	e->next = e->sp->pending;
	e->sp->pending = e;
	e->sp->n_pending++;
}

void spool_forget_waiter(struct spool *sp, void *ctx)
{
	/* done is only ever read on this thread (report_batch), so the committer's batch may be changed too. */
	for (struct spool_entry *e = sp->pending; e; e = e->next) {
		if (e->ctx == ctx)
			e->done = NULL;
	}
	for (struct spool_entry *e = sp->in_flight; e; e = e->next) {
		if (e->ctx == ctx)
			e->done = NULL;
	}
}

int spool_pending(const struct spool *sp)
{
	return sp->n_pending;
}

long long spool_free_space(const struct spool *sp)
{
	struct statvfs fs;

	if (fstatvfs(sp->dir_fd, &fs) < 0)
		return -1;
	return (long long)fs.f_bavail * (long long)fs.f_frsize;
}

/* Takes the finished messages off the pending list, oldest first (the order they were accepted in). */
static struct spool_entry *take_pending(struct spool *sp)
{
	struct spool_entry *list = NULL;

	while (sp->pending) {
		struct spool_entry *e = sp->pending;
		sp->pending = e->next;
		e->next = list;
		list = e;
	}
	sp->n_pending = 0;
	return list;
}

/* Renames each file of a flushed batch into its folder; one that cannot go gets failed set and its file removed. */
static void place_batch(struct spool *sp, struct spool_entry *list, int synced)
{
	for (struct spool_entry *e = list; e; e = e->next) {
		if (!synced || e->failed || renameat(sp->tmp_fd, e->id, e->dest_fd, e->id) < 0) {
			log_msg(LOG_ERR, "spool: cannot commit %s: %s", e->id,
				strerror(e->failed ? e->err : errno));
			recycle(sp, sp->tmp_fd, e->id);
			e->failed = 1;
		}
	}
}

static const char *entry_folder(const struct spool *sp, const struct spool_entry *e)
{
	return e->dest_fd == sp->notices_fd ? "notices" : "incoming";
}

/*
 * The committer's commit: every file of the batch copied into the
 * journal and one fdatasync of it, then the renames, which need no
 * flush of their own (journal.h).  Returns 0 once the batch is placed,
 * or -1 before anything was renamed (the caller then flushes the files
 * themselves).
 */
static int journal_batch(struct spool *sp, struct spool_entry *list)
{
	size_t octets = 0;
	int n = 0;

	for (struct spool_entry *e = list; e; e = e->next, n++)
		octets += e->failed ? 0 : e->size;
	if (journal_reserve(sp->journal, octets, n) < 0)
		return -1;
	for (struct spool_entry *e = list; e; e = e->next) {
		if (!e->failed && journal_add(sp->journal, entry_folder(sp, e), e->id, e->fd, e->size) < 0)
			return -1;
	}
	if (journal_sync(sp->journal) < 0)
		return -1;
	place_batch(sp, list, 1);
	return 0;
}

/*
 * The disk work of a commit: flushes a batch, renames each file into its
 * folder and flushes the folders; a message that could not be committed
 * gets failed set and its file removed.  Touches only the entries' files
 * and failed flags, so it may run on the committer thread.
 */
static void flush_batch(struct spool *sp, struct spool_entry *list)
{
	int n = 0;

	/* The committer's files are opened for reading too (spool_begin): the journal copies them. */
	if (sp->journal) {
		if (journal_batch(sp, list) == 0)
			return;
		log_msg(LOG_ERR, "spool: the journal cannot take a batch (%s); its files are flushed instead",
			strerror(errno));
	}
	for (struct spool_entry *e = list; e; e = e->next)
		n++;
	/*
	 * One flush for the whole batch: data and inodes of every tmp/ file.
	 * A small batch flushes its own files (the journal commit that the
	 * first one forces takes the others' inodes along); a large one the
	 * whole file system at once, which is then cheaper than a file each.
	 */
	int synced = 1;
	if (n > SMALL_BATCH) {
		synced = syncfs(sp->tmp_fd) == 0;
	} else {
		for (struct spool_entry *e = list; synced && e; e = e->next)
			synced = e->failed || fdatasync(e->fd) == 0;
	}
	if (!synced)
		log_msg(LOG_ERR, "spool: flushing the batch failed: %s", strerror(errno));
	place_batch(sp, list, synced);
	/* The renames are durable once incoming/ (and notices/, if used) are. */
	int notices = 0;
	for (struct spool_entry *e = list; e; e = e->next)
		notices |= e->dest_fd == sp->notices_fd;
	if (fsync(sp->incoming_fd) < 0 || (notices && fsync(sp->notices_fd) < 0)) {
		log_msg(LOG_ERR, "spool: fsync of incoming/ failed: %s", strerror(errno));
		for (struct spool_entry *e = list; e; e = e->next)
			e->failed = 1;
	}
}

/* Tells each waiter of a flushed batch how it went and lets go of the batch; returns how many committed. */
static int report_batch(struct spool_entry *list)
{
	int committed = 0;

	while (list) {
		struct spool_entry *e = list;
		list = e->next;
		if (!e->failed)
			committed++;
		if (e->done)
			e->done(e->ctx, !e->failed, e->id);
		free_entry(e);
	}
	return committed;
}

int spool_commit(struct spool *sp)
{
	struct spool_entry *list = take_pending(sp);

	flush_batch(sp, list);
	return report_batch(list);
}

static void checkpoint(struct spool *sp)
{
	if (journal_checkpoint(sp->journal) < 0)
		log_msg(LOG_ERR, "spool: checkpoint of the journal failed (its records stay): %s", strerror(errno));
}

/*
 * Waits for a batch (or the stop) with commit_lock held.  The journal's
 * records are checkpointed once the listener has been idle for
 * IDLE_CHECKPOINT_MS, when the flush costs nobody a wait.
 */
static void wait_for_batch(struct spool *sp)
{
	while (!sp->handed && !sp->stopping) {
		if (!sp->journal || !journal_oldest(sp->journal)) {
			pthread_cond_wait(&sp->commit_cond, &sp->commit_lock);
			continue;
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += IDLE_CHECKPOINT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		if (pthread_cond_timedwait(&sp->commit_cond, &sp->commit_lock, &until) == ETIMEDOUT && !sp->handed &&
		    !sp->stopping) {
			pthread_mutex_unlock(&sp->commit_lock);
			checkpoint(sp);
			pthread_mutex_lock(&sp->commit_lock);
		}
	}
}

/*
 * The committer thread: flushes one batch at a time for the listener.
 * The listener's loop hands it a batch and goes on serving every client
 * (reading the next messages, answering commands) while the disk works,
 * and what finishes meanwhile becomes the next batch; so a flush never
 * stops the loop, and batches grow with the load instead of the load
 * waiting for flushes.  A thread rather than a process: the batch is
 * open files of the listener's own, and nothing in it parses input.
 */
static void *committer_main(void *arg)
{
	struct spool *sp = arg;

	pthread_mutex_lock(&sp->commit_lock);
	for (;;) {
		wait_for_batch(sp);
		if (!sp->handed)
			break;
		struct spool_entry *batch = sp->handed;
		pthread_mutex_unlock(&sp->commit_lock);
		/* Under steady load the journal is checkpointed on time, between two batches. */
		long long oldest = sp->journal ? journal_oldest(sp->journal) : 0;
		if (oldest && clock_monotonic_ms() - oldest >= JOURNAL_CHECKPOINT_MS)
			checkpoint(sp);
		flush_batch(sp, batch);
		pthread_mutex_lock(&sp->commit_lock);
		sp->handed = NULL;
		sp->flushed = batch;
		uint64_t one = 1;
		if (write(sp->commit_event, &one, sizeof(one)) < 0)
			log_msg(LOG_ERR, "spool: cannot signal a finished commit: %s", strerror(errno));
	}
	pthread_mutex_unlock(&sp->commit_lock);
	return NULL;
}

/*
 * Puts back FOLDER/ID from the journal's record after a crash, unless
 * the spool still has it: a whole file (its length right) in any folder
 * a committed message can be in by now, or its emptied file in free/
 * (it was finished).  A file that is there but not whole (the crash took
 * its data) is replaced where it is.  Anything else is written to
 * FOLDER again: the sorter takes a post it had recorded already as
 * recorded (sorter.c, sort_one), and the start-up sweep a finished
 * notice as finished, so a file put back that was not needed any more
 * is only removed.  The checkpoint after the replay makes it all durable.
 */
/* The folders a committed file can be in, until it is finished (free/). */
static const char *const committed_in[] = { "incoming", "queue", "notices", "duplicate", "corrupt" };
#define N_COMMITTED_IN (sizeof(committed_in) / sizeof(committed_in[0]))

static int restore(const char *folder, const char *id, const void *data, size_t len, void *ctx)
{
	struct spool *sp = ctx;
	const char *into = folder;

	if (strchr(id, '/') || id[0] == '.' || (strcmp(folder, "incoming") != 0 && strcmp(folder, "notices") != 0)) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < N_COMMITTED_IN; i++) {
		struct spool_message msg;
		struct sbuf err = SBUF_INIT;
		int r = spool_read(sp, committed_in[i], id, &msg, &err), e = errno;
		spool_message_release(&msg);
		sbuf_release(&err);
		if (r == 0)
			return 0;
		if (e != ENOENT) {
			into = committed_in[i];
			break;
		}
	}
	if (into == folder && faccessat(sp->free_fd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	/* A dot name: a starting mlistd's sweep of tmp/ leaves it alone while mlistctl writes it. */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), ".%s.restore", id);
	int into_fd = openat(sp->dir_fd, into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = openat(sp->tmp_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* mlistctl run as root settles the journal too: the file is the folder's owner's, mlistd's account */
	struct stat owner;
	int ok = fd >= 0 && into_fd >= 0 &&
		 (geteuid() != 0 || (fstat(into_fd, &owner) == 0 && fchown(fd, owner.st_uid, owner.st_gid) == 0)) &&
		 write_all(fd, data, len, 0) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	ok = ok && renameat(sp->tmp_fd, tmp, into_fd, id) == 0;
	int e = errno;
	if (into_fd >= 0)
		close(into_fd);
	if (!ok) {
		unlinkat(sp->tmp_fd, tmp, 0);
		errno = e;
		return -1;
	}
	log_msg(LOG_WARNING, "spool: %s/%s put back from the journal (a crash took its file)", into, id);
	sp->restored++;
	return 0;
}

int spool_journal_settle(struct spool *sp, int *running, struct sbuf *err)
{
	*running = 0;
	struct journal *j = journal_open(sp->dir_fd, "journal", JOURNAL_EXISTING, restore, sp, err);
	/* None yet: mlistd never ran here, and the journal is its to make (as its account). */
	if (!j && errno == ENOENT) {
		sbuf_reset(err);
		return 0;
	}
	if (!j && errno == EWOULDBLOCK) {
		sbuf_reset(err);
		*running = 1;
		/* It may be putting files back right now (a start, another mlistctl): that ends with a checkpoint. */
		if (spool_journal_wait(sp) == 0)
			return 0;
		sbuf_addf(err, "the spool's journal is in use and its records stay (%s): try again", strerror(errno));
		return -1;
	}
	if (!j)
		return -1;
	int r = journal_checkpoint(j);
	if (r < 0)
		sbuf_addf(err, "cannot make what the spool's journal put back durable: %s", strerror(errno));
	journal_close(j);
	return r < 0 ? -1 : sp->restored;
}

int spool_journal_wait(struct spool *sp)
{
	uint64_t first = 0, now;
	int records = 1, seen = 0;

	for (long long until = clock_monotonic_ms() + 3 * JOURNAL_CHECKPOINT_MS;;) {
		/* A peek may catch the head half written: only a deadline ends the looking. */
		if (journal_peek(sp->dir_fd, "journal", &now, &records) == 0) {
			if (!seen++)
				first = now;
			if (!records || now != first)
				break;
		}
		if (clock_monotonic_ms() >= until) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(20 * 1000);
	}
	/* What was seen in the page cache, on disk too: the checkpoint may not have flushed it yet. */
	return journal_peek_flush(sp->dir_fd, "journal");
}

int spool_committer_start(struct spool *sp)
{
	struct sbuf why = SBUF_INIT;

	sp->journal = journal_open(sp->dir_fd, "journal", 0, restore, sp, &why);
	if (!sp->journal && errno == EWOULDBLOCK) {
		/* mlistctl holds it only while it settles it (spool_journal_settle); another mlistd, for ever */
		log_msg(LOG_WARNING, "spool: waiting for the spool's journal: mlistctl settles it, or another mlistd "
				     "runs on this spool");
		sbuf_reset(&why);
		sp->journal = journal_open(sp->dir_fd, "journal", JOURNAL_WAIT, restore, sp, &why);
	}
	if (!sp->journal) {
		log_msg(LOG_ERR, "spool: %s", why.buf);
		sbuf_release(&why);
		errno = EIO;
		return -1;
	}
	sbuf_release(&why);
	/* Always: a new generation also leaves behind what a torn batch wrote past its first record. */
	if (journal_checkpoint(sp->journal) < 0) {
		log_msg(LOG_ERR, "spool: cannot make what the journal put back durable: %s", strerror(errno));
		return -1;
	}
	if (sp->restored)
		spool_doorbell_ring(sp, SPOOL_BELL_SORT);
	sp->commit_event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sp->commit_event < 0)
		return -1;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&sp->commit_lock, NULL);
	pthread_cond_init(&sp->commit_cond, &attr);
	pthread_condattr_destroy(&attr);
	int err = pthread_create(&sp->committer, NULL, committer_main, sp);
	if (err) {
		close(sp->commit_event);
		sp->commit_event = -1;
		errno = err;
		return -1;
	}
	sp->has_committer = 1;
	return sp->commit_event;
}

int spool_commit_start(struct spool *sp)
{
	if (sp->in_flight || !sp->pending)
		return 0;
	sp->in_flight = take_pending(sp);
	pthread_mutex_lock(&sp->commit_lock);
	sp->handed = sp->in_flight;
	pthread_cond_signal(&sp->commit_cond);
	pthread_mutex_unlock(&sp->commit_lock);
	return 1;
}

int spool_commit_reap(struct spool *sp)
{
	uint64_t count;

	if (read(sp->commit_event, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_msg(LOG_ERR, "spool: cannot read the commit signal: %s", strerror(errno));
	pthread_mutex_lock(&sp->commit_lock);
	struct spool_entry *batch = sp->flushed;
	sp->flushed = NULL;
	pthread_mutex_unlock(&sp->commit_lock);
	if (!batch)
		return -1;
	sp->in_flight = NULL;
	return report_batch(batch);
}

/* Waits for the batch on the committer thread, if any, tells its waiters, and stops the thread. */
static void committer_stop(struct spool *sp)
{
	if (!sp->has_committer)
		return;
	pthread_mutex_lock(&sp->commit_lock);
	sp->stopping = 1;
	pthread_cond_signal(&sp->commit_cond);
	pthread_mutex_unlock(&sp->commit_lock);
	pthread_join(sp->committer, NULL);
	if (sp->flushed)
		report_batch(sp->flushed);
	sp->flushed = sp->in_flight = NULL;
	close(sp->commit_event);
	pthread_mutex_destroy(&sp->commit_lock);
	pthread_cond_destroy(&sp->commit_cond);
	sp->has_committer = 0;
}

/* Writes a whole message for folder to tmp/ and queues it for the next commit, which calls done. */
static int stage(struct spool *sp, const char *folder, const struct envelope *env, const void *data, size_t len,
		 struct sbuf *id_out, spool_done_fn done, void *ctx)
{
	struct spool_entry *e = spool_begin(sp, env);

	if (!e)
		return -1;
	if (strcmp(folder, "notices") == 0)
		e->dest_fd = sp->notices_fd;
	if (spool_write(e, data, len) < 0) {
		spool_abort(e);
		return -1;
	}
	sbuf_addstr(id_out, e->id);
	spool_finish(e, done, ctx);
	return 0;
}

int spool_stage(struct spool *sp, const char *folder, const struct envelope *env, const void *data, size_t len,
		struct sbuf *id_out)
{
	return stage(sp, folder, env, data, len, id_out, NULL, NULL);
}

void spool_unstage(struct spool *sp)
{
	while (sp->pending) {
		struct spool_entry *e = sp->pending;
		sp->pending = e->next;
		spool_abort(e);
	}
	sp->n_pending = 0;
}

static void put_done(void *ctx, int ok, const char *id)
{
	(void)id;
	*(int *)ctx = ok;
}

int spool_put(struct spool *sp, const struct envelope *env, const void *data, size_t len, struct sbuf *id_out)
{
	int ok = 0;

	/* Commits whatever else is staged along with it. */
	if (stage(sp, "incoming", env, data, len, id_out, put_done, &ok) < 0)
		return -1;
	spool_commit(sp);
	return ok ? 0 : -1;
}

/* Orders ids by their time stamp prefix, which is when they were accepted. */
static int by_id(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	double dx = strtod(x, NULL), dy = strtod(y, NULL);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x, y);
}

int spool_each(struct spool *sp, const char *folder, void (*fn)(const char *id, void *ctx), void *ctx)
{
	int fd = openat(sp->dir_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0;

	if (!d) {
		int missing = errno == ENOENT;
		if (fd >= 0)
			close(fd);
		return missing ? 0 : -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof(*ids), by_id);
	for (size_t i = 0; i < n; i++) {
		fn(ids[i], ctx);
		free(ids[i]);
	}
	free(ids);
	return 0;
}

/* Reads the whole file at folder fd / name into out. */
static int read_all(int folder, const char *name, struct sbuf *out)
{
	int fd = openat(folder, name, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		sbuf_add(out, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/* Parses the header lines of a spool file into msg; returns 0 or -1 with the reason. */
static int parse_header(struct spool_message *msg, struct sbuf *err)
{
	const char *p = msg->raw.buf, *end = msg->raw.buf + msg->raw.len;
	size_t magic = strlen(HEADER_MAGIC);
	char *stop;

	if (msg->raw.len < magic + LENGTH_DIGITS + 1 || memcmp(p, HEADER_MAGIC, magic) != 0) {
		sbuf_addstr(err, "not a spool file");
		return -1;
	}
	unsigned long long len = strtoull(p + magic, &stop, 10);
	if (stop != p + magic + LENGTH_DIGITS || *stop != '\n') {
		sbuf_addstr(err, "never committed (no length)");
		return -1;
	}
	p = stop + 1;
	while (p < end && *p != '\n') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		struct sbuf line = SBUF_INIT;
		sbuf_add(&line, p, (size_t)(eol - p));
		char *value = strchr(line.buf, ' ');
		if (value)
			*value++ = '\0';
		else
			value = line.buf + line.len;
		if (strcmp(line.buf, "from") == 0)
			sbuf_addstr(&msg->env.mail_from, value);
		else if (strcmp(line.buf, "rcpt") == 0)
			envelope_add_rcpt(&msg->env, value);
		else if (strcmp(line.buf, "client") == 0)
			snprintf(msg->env.client, sizeof(msg->env.client), "%s", value);
		else if (strcmp(line.buf, "helo") == 0)
			snprintf(msg->env.helo, sizeof(msg->env.helo), "%s", value);
		else if (strcmp(line.buf, "proto") == 0)
			msg->env.proto = strcmp(value, "lmtp") == 0 ? "lmtp" : strcmp(value, "imap") == 0 ? "imap" : "smtp";
		else if (strcmp(line.buf, "received") == 0)
			msg->received = strtoll(value, NULL, 10);
		else if (strcmp(line.buf, "default") == 0)
			snprintf(msg->env.default_group, sizeof(msg->env.default_group), "%s", value);
		else if (strcmp(line.buf, "imap") == 0)
			snprintf(msg->env.imap_key, sizeof(msg->env.imap_key), "%s", value);
		sbuf_release(&line);
		p = eol + 1;
	}
	if (p >= end || *p != '\n') {
		sbuf_addstr(err, "header not terminated");
		return -1;
	}
	msg->body_offset = (size_t)(p + 1 - msg->raw.buf);
	msg->body_len = msg->raw.len - msg->body_offset;
	if (msg->body_len != len) {
		sbuf_addf(err, "length %llu in the header, %zu in the file", len, msg->body_len);
		return -1;
	}
	return 0;
}

int spool_read(struct spool *sp, const char *folder, const char *id, struct spool_message *msg, struct sbuf *err)
{
	memset(msg, 0, sizeof(*msg));
	envelope_init(&msg->env);
	sbuf_init(&msg->raw);
	int fd = openat(sp->dir_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = fd < 0 ? -1 : read_all(fd, id, &msg->raw), e = errno;
	if (r < 0)
		sbuf_addf(err, "%s/%s: %s", folder, id, strerror(e));
	if (fd >= 0)
		close(fd);
	if (r == 0 && (r = parse_header(msg, err)) < 0)
		e = EINVAL;
	errno = e;
	return r;
}

int spool_read_sorted(struct spool *sp, const char *id, struct spool_message *msg, struct sbuf *err)
{
	static const char *const folders[] = { "queue", "incoming", "queue" };

	/* The move may happen between two looks: queue, incoming, then queue again. */
	for (int i = 0; i < 3; i++) {
		if (i) {
			spool_message_release(msg);
			sbuf_reset(err);
		}
		if (spool_read(sp, folders[i], id, msg, err) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

int spool_remove(struct spool *sp, const char *folder, const char *id)
{
	int fd = openat(sp->dir_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	int r = recycle(sp, fd, id);
	int err = errno;
	close(fd);
	errno = err;
	return r;
}

int spool_discard(struct spool *sp, const char *id)
{
	int found = 0;

	for (size_t i = 0; i < N_COMMITTED_IN; i++) {
		int fd = openat(sp->dir_fd, committed_in[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		int r = fd < 0 ? -1 : recycle(sp, fd, id);
		if (r == 0 && fsync(fd) < 0)
			r = -1;
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (r < 0 && e != ENOENT) {
			errno = e;
			return -1;
		}
		found += r == 0;
	}
	return found && fsync(sp->free_fd) < 0 ? -1 : found;
}

struct maildir_file {
	char *dir, *name;
	int ok;
};

struct maildir_batch {
	struct maildir_file *files;
	int n;
	int sync_fd; /* any folder on the file system, for syncfs */
};

struct maildir_batch *maildir_batch_new(void)
{
	struct maildir_batch *b = xcalloc(1, sizeof(*b));

	b->sync_fd = -1;
	return b;
}

int mkdir_private(const char *dir)
{
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Makes DIR and its tmp/, new/ and cur/ (mode 0700). */
static int make_maildir(const char *dir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	for (int i = 0; i < 3; i++) {
		struct sbuf p = SBUF_INIT;
		sbuf_addf(&p, "%s/%s", dir, subs[i]);
		int r = mkdir(p.buf, 0700);
		sbuf_release(&p);
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

int maildir_batch_add(struct maildir_batch *b, const char *dir, const char *name, const void *data, size_t len)
{
	struct sbuf path = SBUF_INIT;
	int fd = -1, ok = 0;

	if (make_maildir(dir) == 0) {
		sbuf_addf(&path, "%s/tmp/%s", dir, name);
		fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd >= 0) {
		ok = write_all(fd, data, len, 0) == 0;
		close(fd);
		if (!ok)
			unlink(path.buf);
	}
	sbuf_release(&path);
	if (!ok)
		return -1;
	if (b->sync_fd < 0)
		b->sync_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	b->files = xrealloc(b->files, (size_t)(b->n + 1) * sizeof(*b->files));
	b->files[b->n].dir = xstrdup(dir);
	b->files[b->n].name = xstrdup(name);
	b->files[b->n].ok = 0;
	return b->n++;
}

int maildir_batch_commit(struct maildir_batch *b)
{
	int failed = 0;

	if (b->n == 0)
		return 0;
	/* One flush for every file of the batch, then the renames, then each new/ folder once. */
	if (syncfs(b->sync_fd) < 0) {
		log_msg(LOG_ERR, "maildir: syncfs failed: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < b->n; i++) {
		struct maildir_file *f = &b->files[i];
		struct sbuf from = SBUF_INIT, to = SBUF_INIT;
		sbuf_addf(&from, "%s/tmp/%s", f->dir, f->name);
		sbuf_addf(&to, "%s/new/%s", f->dir, f->name);
		f->ok = rename(from.buf, to.buf) == 0;
		if (!f->ok) {
			log_msg(LOG_ERR, "maildir: cannot commit %s: %s", to.buf, strerror(errno));
			unlink(from.buf);
			failed = 1;
		}
		sbuf_release(&from);
		sbuf_release(&to);
	}
	for (int i = 0; i < b->n; i++) {
		struct maildir_file *f = &b->files[i];
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = b->files[j].ok && strcmp(b->files[j].dir, f->dir) == 0;
		if (!f->ok || seen)
			continue;
		/* The renames into this new/ are durable once it is flushed; if that fails, none of them counts. */
		struct sbuf newdir = SBUF_INIT;
		sbuf_addf(&newdir, "%s/new", f->dir);
		int dfd = open(newdir.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			log_msg(LOG_ERR, "maildir: cannot flush %s: %s", newdir.buf, strerror(errno));
			for (int j = i; j < b->n; j++) {
				if (strcmp(b->files[j].dir, f->dir) == 0)
					b->files[j].ok = 0;
			}
			failed = 1;
		}
		if (dfd >= 0)
			close(dfd);
		sbuf_release(&newdir);
	}
	return failed ? -1 : 0;
}

int maildir_batch_ok(const struct maildir_batch *b, int i)
{
	return i >= 0 && i < b->n && b->files[i].ok;
}

void maildir_batch_free(struct maildir_batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++) {
		free(b->files[i].dir);
		free(b->files[i].name);
	}
	free(b->files);
	if (b->sync_fd >= 0)
		close(b->sync_fd);
	free(b);
}

int maildir_has(const char *dir, const char *name)
{
	struct sbuf p = SBUF_INIT;
	struct stat st;
	int found;

	sbuf_addf(&p, "%s/new/%s", dir, name);
	found = stat(p.buf, &st) == 0;
	if (!found) {
		/* A read message is in cur/ as NAME:2,FLAGS. */
		sbuf_reset(&p);
		sbuf_addf(&p, "%s/cur", dir);
		DIR *d = opendir(p.buf);
		struct dirent *de;
		size_t n = strlen(name);
		while (d && !found && (de = readdir(d)))
			found = strncmp(de->d_name, name, n) == 0 && (de->d_name[n] == ':' || de->d_name[n] == '\0');
		if (d)
			closedir(d);
	}
	sbuf_release(&p);
	return found;
}

void spool_message_release(struct spool_message *msg)
{
	envelope_release(&msg->env);
	sbuf_release(&msg->raw);
}

int spool_move(struct spool *sp, char *const *ids, const char *const *dests, int n, int *ok)
{
	/* The destination folders of this batch, opened once each (there are few: queue, duplicate, corrupt). */
	const char *names[8];
	int fds[8], n_dirs = 0, failed = 0;

	for (int i = 0; i < n; i++) {
		if (!dests[i]) {
			/* Handled, nothing kept (mail to a service address, answered in the same transaction). */
			ok[i] = recycle(sp, sp->incoming_fd, ids[i]) == 0;
			failed |= !ok[i];
			continue;
		}
		int k = 0;
		while (k < n_dirs && strcmp(names[k], dests[i]) != 0)
			k++;
		if (k == n_dirs && n_dirs < 8) {
			names[n_dirs] = dests[i];
			fds[n_dirs++] = open_folder(sp->dir_fd, dests[i]);
		}
		ok[i] = k < n_dirs && fds[k] >= 0 && renameat(sp->incoming_fd, ids[i], fds[k], ids[i]) == 0;
		failed |= !ok[i];
	}
	/* Not flushed: see spool.h for why nothing is lost without it. */
	for (int k = 0; k < n_dirs; k++) {
		if (fds[k] >= 0)
			close(fds[k]);
	}
	return failed ? -1 : 0;
}

int spool_resort(struct spool *sp, const char *id)
{
	int queue = openat(sp->dir_fd, "queue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = queue < 0 ? -1 : renameat(queue, id, sp->incoming_fd, id);

	if (queue >= 0)
		close(queue);
	return r;
}

/* The doorbell's file name, NAME.wake. */
static void doorbell_name(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s.wake", name);
}

int spool_doorbell_open(struct spool *sp, const char *name)
{
	char file[128];

	doorbell_name(name, file, sizeof(file));
	if (mkfifoat(sp->dir_fd, file, 0600) < 0 && errno != EEXIST)
		return -1;
	/* Opened for writing too, so the FIFO never reads as ended while no ringer has it open. */
	return openat(sp->dir_fd, file, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

void spool_doorbell_answer(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

void spool_doorbell_ring(struct spool *sp, const char *name)
{
	char file[128];

	doorbell_name(name, file, sizeof(file));
	/* Without a listener the open fails (ENXIO), and a full FIFO has been rung already: both are fine. */
	int fd = openat(sp->dir_fd, file, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "r", 1) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "spool: cannot ring %s: %s", file, strerror(errno));
	close(fd);
}

int spool_rewrite_file(int dir_fd, const char *name, const void *data, size_t len)
{
	char tmp[300];
	int fd, e;

	/* a dot name: no spool folder lists it as mail, and a crash leaves it for nothing to read */
	if (snprintf(tmp, sizeof(tmp), ".%s.rewrite", name) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/* mlistctl run as root rewrites too (held assign, forget): the file stays its owner's, mlistd's account */
	struct stat old;
	if (geteuid() == 0 && fstatat(dir_fd, name, &old, 0) == 0 && fchown(fd, old.st_uid, old.st_gid) < 0)
		goto tempfail;
	if (write_all(fd, data, len, 0) < 0 || fsync(fd) < 0)
		goto tempfail;
	close(fd);
	fd = -1;
	/* an exchange, not a rename: a file moved away meanwhile (sorted, delivered) is not brought back */
	if (renameat2(dir_fd, tmp, dir_fd, name, RENAME_EXCHANGE) < 0)
		goto tempfail;
	unlinkat(dir_fd, tmp, 0);
	return fsync(dir_fd);
tempfail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dir_fd, tmp, 0);
	errno = e;
	return -1;
}

int spool_remove_file(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) < 0)
		return -1;
	return fsync(dir_fd);
}

int spool_install_file(const char *tmp, const char *path)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), e;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	/* a file system without RENAME_NOREPLACE: a hard link refuses an existing name as well */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0 &&
	    (errno != EINVAL || link(tmp, path) < 0 || unlink(tmp) < 0))
		return -1;
	/* the rename is durable once the folder is */
	char *slash = strrchr(path, '/');
	struct sbuf folder = SBUF_INIT;
	if (!slash)
		sbuf_addstr(&folder, ".");
	else
		sbuf_add(&folder, path, slash == path ? 1 : (size_t)(slash - path));
	int dfd = open(folder.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sbuf_release(&folder);
	int r = dfd < 0 || fsync(dfd) < 0 ? -1 : 0;
	e = errno;
	if (dfd >= 0)
		close(dfd);
	errno = e;
	return r;
}

int spool_replace_message(struct spool *sp, const char *folder, const char *id, struct spool_message *msg,
			  const void *data, size_t len)
{
	struct sbuf raw = SBUF_INIT;
	char length[LENGTH_DIGITS + 1];
	int fd = openat(sp->dir_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = -1, e;

	if (fd < 0)
		return -1;
	/* the same envelope lines, the new length, the new message */
	sbuf_add(&raw, msg->raw.buf, msg->body_offset);
	snprintf(length, sizeof(length), "%0*zu", LENGTH_DIGITS, len);
	memcpy(raw.buf + strlen(HEADER_MAGIC), length, LENGTH_DIGITS);
	sbuf_add(&raw, data, len);
	r = spool_rewrite_file(fd, id, raw.buf, raw.len);
	e = errno;
	close(fd);
	if (r == 0) {
		sbuf_release(&msg->raw);
		msg->raw = raw;
		msg->body_len = len;
	} else {
		sbuf_release(&raw);
	}
	errno = e;
	return r;
}
