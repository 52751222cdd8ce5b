/*
 * journal: one pre-written file as the listener's commit record; see
 * journal.h for why and for the layout.
 */
#define _GNU_SOURCE
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "write_all.h"

#define HEAD_SIZE 4096
#define HEAD_MAGIC "MLIST-JOURNAL 1 generation "
#define RECORD_MAGIC "MLREC 1\n"
#define JOURNAL_FIRST (1 << 20)
#define JOURNAL_MAX (64 << 20)
#define CHUNK 65536

struct journal_record_head {
	char magic[8];           /* RECORD_MAGIC */
	uint64_t generation;     /* the journal's when it was written */
	uint64_t length;         /* of the file that follows */
	char folder[16];         /* where the file was committed to */
	char id[64];             /* its spool id */
	unsigned char sum[32];   /* SHA-256 of generation, length, folder, id and the file */
};

struct journal {
	int fd;
	int dir_fd;              /* the spool folder: syncfs goes through it */
	size_t size;             /* of the file */
	size_t pos;              /* where the next record goes */
	uint64_t generation;
	long long oldest;        /* when the first record since the last checkpoint was added (ms); 0: none */
	long long last_checkpoint;
	char chunk[CHUNK];
};

static size_t record_size(size_t len)
{
	return (sizeof(struct journal_record_head) + len + 7) & ~(size_t)7;
}

/* The journal's next size: twice, up to JOURNAL_MAX. */
static size_t grown(size_t size)
{
	return size * 2 < JOURNAL_MAX ? size * 2 : JOURNAL_MAX;
}

/* Writes zeros over [from, to). */
static int zero_range(struct journal *j, size_t from, size_t to)
{
	memset(j->chunk, 0, sizeof(j->chunk));
	while (from < to) {
		size_t n = to - from < sizeof(j->chunk) ? to - from : sizeof(j->chunk);
		if (write_all(j->fd, j->chunk, n, (off_t)from) < 0)
			return -1;
		from += n;
	}
	return 0;
}

static int write_head(struct journal *j)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "%s%020" PRIu64 "\n", HEAD_MAGIC, j->generation);

	return write_all(j->fd, head, (size_t)n, 0);
}

/* The record's SHA-256 over its fields and the file, which sum_file feeds. */
static int sum_start(gnutls_hash_hd_t *h, const struct journal_record_head *r)
{
	if (gnutls_hash_init(h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	gnutls_hash(*h, &r->generation, sizeof(r->generation));
	gnutls_hash(*h, &r->length, sizeof(r->length));
	gnutls_hash(*h, r->folder, sizeof(r->folder));
	gnutls_hash(*h, r->id, sizeof(r->id));
	return 0;
}

/* Reads and checks the record at pos; returns its file in data, or -1 where the records end. */
static int read_record(struct journal *j, struct journal_record_head *r, struct sbuf *data)
{
	if (j->pos + sizeof(*r) > j->size || pread(j->fd, r, sizeof(*r), (off_t)j->pos) != (ssize_t)sizeof(*r))
		return -1;
	if (memcmp(r->magic, RECORD_MAGIC, sizeof(r->magic)) != 0 || r->generation != j->generation ||
	    r->length > j->size - j->pos - sizeof(*r) || !memchr(r->folder, 0, sizeof(r->folder)) ||
	    !memchr(r->id, 0, sizeof(r->id)))
		return -1;
	sbuf_reset(data);
	sbuf_grow(data, (size_t)r->length);
	if (pread(j->fd, data->buf, (size_t)r->length, (off_t)(j->pos + sizeof(*r))) != (ssize_t)r->length)
		return -1;
	data->len = (size_t)r->length;
	gnutls_hash_hd_t h;
	unsigned char sum[32];
	if (sum_start(&h, r) < 0)
		return -1;
	gnutls_hash(h, data->buf, data->len);
	gnutls_hash_deinit(h, sum);
	return memcmp(sum, r->sum, sizeof(sum)) == 0 ? 0 : -1;
}

/*
 * The journal's user holds an exclusive flock on it for as long as it has
 * it open: mlistd while it runs, mlistctl while it settles it
 * (spool_journal_settle).  Waits for it, or fails with EWOULDBLOCK.
 */
static int lock(int fd, int wait)
{
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Whether fd is still the file DIR_FD/NAME names (another process may have renamed or replaced it). */
static int still_named(int fd, int dir_fd, const char *name)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Makes the file: the head and JOURNAL_FIRST octets of zeros, flushed, and
 * its name in the folder.  Returns 0, or -1 (errno set; EAGAIN: another
 * process made it meanwhile, open that one).
 */
static int make(struct journal *j, const char *name, int wait)
{
	char tmp[256];

	/* Made whole under another name first: a crash while it is written leaves no half journal in its place. */
	snprintf(tmp, sizeof(tmp), ".%s.new", name);
	j->fd = openat(j->dir_fd, tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0)
		return -1;
	j->size = JOURNAL_FIRST;
	j->generation = 1;
	/* Locked before it is emptied, and still the new file once locked: another process may be making it too. */
	int err = lock(j->fd, wait) < 0 ? errno : !still_named(j->fd, j->dir_fd, tmp) ? EAGAIN : 0;
	if (err) {
		close(j->fd);
		j->fd = -1;
		errno = err;
		return -1;
	}
	if (ftruncate(j->fd, 0) < 0 || zero_range(j, 0, j->size) < 0 || write_head(j) < 0 || fsync(j->fd) < 0 ||
	    renameat2(j->dir_fd, tmp, j->dir_fd, name, RENAME_NOREPLACE) < 0 || fsync(j->dir_fd) < 0) {
		err = errno == EEXIST ? EAGAIN : errno;
		close(j->fd);
		j->fd = -1;
		unlinkat(j->dir_fd, tmp, 0);
		errno = err;
		return -1;
	}
	return 0;
}

/* Reads the head of the journal open as j->fd: its generation and size.  Returns 0, or -1 if it is not ours. */
static int read_head(struct journal *j)
{
	struct stat st;
	char head[sizeof(HEAD_MAGIC) + 21];

	if (fstat(j->fd, &st) < 0)
		return -1;
	ssize_t n = pread(j->fd, head, sizeof(head) - 1, 0);
	head[n > 0 ? n : 0] = '\0';
	char *end = NULL;
	if (n != (ssize_t)sizeof(head) - 1 || strncmp(head, HEAD_MAGIC, strlen(HEAD_MAGIC)) != 0 ||
	    (j->generation = strtoull(head + strlen(HEAD_MAGIC), &end, 10), *end != '\n') ||
	    st.st_size < JOURNAL_FIRST || st.st_size > JOURNAL_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* A crash while it grew may leave a tail that is not whole: records are only read below size. */
	j->size = (size_t)st.st_size & ~(size_t)(HEAD_SIZE - 1);
	return 0;
}

struct journal *journal_open(int dir_fd, const char *name, int flags, journal_replay_fn fn, void *ctx,
			     struct sbuf *err)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	int wait = flags & JOURNAL_WAIT, locked = 0, e;

	j->dir_fd = dir_fd;
	j->pos = HEAD_SIZE;
	j->last_checkpoint = clock_monotonic_ms();
	for (;;) {
		j->fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (j->fd < 0 && errno == ENOENT && !(flags & JOURNAL_EXISTING)) {
			if (make(j, name, wait) == 0)
				return j;
			if (errno == EAGAIN)
				continue;
			e = errno;
			sbuf_addf(err, "cannot make the spool's journal %s: %s", name, strerror(e));
			free(j);
			errno = e;
			return NULL;
		}
		if (j->fd < 0 || lock(j->fd, wait) < 0)
			break;
		/* Locked, and still the journal: one made meanwhile may have taken the name (make). */
		if ((locked = still_named(j->fd, dir_fd, name)))
			break;
		close(j->fd);
	}
	if (!locked) {
		e = errno;
		if (e == EWOULDBLOCK)
			sbuf_addf(err, "the spool's journal %s is in use (by mlistd, or by mlistctl settling it)", name);
		else
			sbuf_addf(err, "cannot open the spool's journal %s: %s", name, strerror(e));
		journal_close(j);
		errno = e;
		return NULL;
	}
	/* A journal whose head is not ours is never overwritten: it may hold the only copy of accepted mail. */
	if (read_head(j) < 0) {
		sbuf_addf(err, "the spool's journal %s is not one mlist wrote; move it away to start", name);
		journal_close(j);
		errno = EINVAL;
		return NULL;
	}
	struct journal_record_head r;
	struct sbuf data = SBUF_INIT;
	int replayed = 0;
	while (read_record(j, &r, &data) == 0) {
		if (fn(r.folder, r.id, data.buf, data.len, ctx) != 0) {
			sbuf_addf(err, "cannot put back %s/%s from the spool's journal: %s", r.folder, r.id, strerror(errno));
			sbuf_release(&data);
			journal_close(j);
			return NULL;
		}
		j->pos += record_size((size_t)r.length);
		replayed++;
	}
	sbuf_release(&data);
	if (replayed)
		j->oldest = j->last_checkpoint;
	return j;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

long long journal_oldest(const struct journal *j)
{
	return j->oldest;
}

int journal_checkpoint(struct journal *j)
{
	/* First the files the records stand for; only then may the records go. */
	if (syncfs(j->dir_fd) < 0)
		return -1;
	long long now = clock_monotonic_ms();
	/* Full sooner than a checkpoint was due: twice the room, so that full load checkpoints on time, not on size. */
	size_t size = j->size;
	if (j->pos + CHUNK > j->size && now - j->last_checkpoint < JOURNAL_CHECKPOINT_MS)
		size = grown(size);
	j->generation++;
	if (zero_range(j, HEAD_SIZE, j->pos) < 0 || zero_range(j, j->size, size) < 0 || write_head(j) < 0 ||
	    fdatasync(j->fd) < 0) {
		/*
		 * The head may be either generation: every record's file is durable
		 * already, so both are right.  But no record may be added until a
		 * checkpoint succeeds (the records behind pos may be zeros now):
		 * the journal counts as full, so journal_reserve checkpoints first.
		 */
		j->pos = j->size;
		return -1;
	}
	j->size = size;
	j->pos = HEAD_SIZE;
	j->oldest = 0;
	j->last_checkpoint = now;
	return 0;
}

int journal_reserve(struct journal *j, size_t octets, int records)
{
	/* Each record is at most its head, its file and 7 octets of padding. */
	size_t need = octets + (size_t)records * (sizeof(struct journal_record_head) + 7);

	if (need > JOURNAL_MAX - HEAD_SIZE) {
		errno = EFBIG;
		return -1;
	}
	if (j->pos + need > j->size && journal_checkpoint(j) < 0)
		return -1;
	/* One batch larger than the whole journal: it grows to take it. */
	while (j->pos + need > j->size) {
		size_t size = grown(j->size);
		if (zero_range(j, j->size, size) < 0 || fdatasync(j->fd) < 0)
			return -1;
		j->size = size;
	}
	return 0;
}

int journal_add(struct journal *j, const char *folder, const char *id, int fd, size_t len)
{
	struct journal_record_head r;
	gnutls_hash_hd_t h;
	off_t at = (off_t)(j->pos + sizeof(r));

	memset(&r, 0, sizeof(r));
	if (strlen(folder) >= sizeof(r.folder) || strlen(id) >= sizeof(r.id) || j->pos + record_size(len) > j->size) {
		errno = EINVAL;
		return -1;
	}
	memcpy(r.magic, RECORD_MAGIC, sizeof(r.magic));
	r.generation = j->generation;
	r.length = len;
	strcpy(r.folder, folder);
	strcpy(r.id, id);
	if (sum_start(&h, &r) < 0) {
		errno = EIO;
		return -1;
	}
	for (size_t done = 0; done < len;) {
		size_t want = len - done < sizeof(j->chunk) ? len - done : sizeof(j->chunk);
		ssize_t got = pread(fd, j->chunk, want, (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || write_all(j->fd, j->chunk, (size_t)got, at + (off_t)done) < 0) {
			if (got == 0)
				errno = EIO; /* shorter than its header says */
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
		gnutls_hash(h, j->chunk, (size_t)got);
		done += (size_t)got;
	}
	gnutls_hash_deinit(h, r.sum);
	if (write_all(j->fd, &r, sizeof(r), (off_t)j->pos) < 0)
		return -1;
	j->pos += record_size(len);
	if (!j->oldest)
		j->oldest = clock_monotonic_ms();
	return 0;
}

int journal_sync(struct journal *j)
{
	return fdatasync(j->fd);
}

int journal_peek(int dir_fd, const char *name, uint64_t *generation, int *records)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	struct journal_record_head r;
	struct sbuf data = SBUF_INIT;
	int ok;

	j->pos = HEAD_SIZE;
	j->fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ok = j->fd >= 0 && read_head(j) == 0;
	if (ok) {
		*generation = j->generation;
		*records = read_record(j, &r, &data) == 0;
	}
	int e = errno;
	sbuf_release(&data);
	journal_close(j);
	errno = e;
	return ok ? 0 : -1;
}

int journal_peek_flush(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r = fd < 0 || fdatasync(fd) < 0 ? -1 : 0, e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return r;
}
