/*
 * test_journal: the listener's commit record (spool/journal.h): what was
 * flushed comes back after a crash, in order and byte for byte; nothing
 * comes back after a checkpoint, and no mail stays in the file; a torn
 * record ends the replay; a batch larger than the journal grows it; a
 * file that is not a journal is never overwritten; one user at a time,
 * and a peek from outside sees a checkpoint.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "journal.h"
#include "sbuf.h"

/* What a replay handed back. */
struct seen {
	int n;
	char folder[4][16], id[4][64];
	struct sbuf data[4];
	int fail; /* the callback's answer */
};

static int collect(const char *folder, const char *id, const void *data, size_t len, void *ctx)
{
	struct seen *s = ctx;

	if (s->fail)
		return -1;
	if (s->n < 4) {
		snprintf(s->folder[s->n], sizeof(s->folder[0]), "%s", folder);
		snprintf(s->id[s->n], sizeof(s->id[0]), "%s", id);
		sbuf_init(&s->data[s->n]);
		sbuf_add(&s->data[s->n], data, len);
	}
	s->n++;
	return 0;
}

static void seen_release(struct seen *s)
{
	for (int i = 0; i < s->n && i < 4; i++)
		sbuf_release(&s->data[i]);
}

static int open_dir(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY);
}

/* A file holding text, open for reading, as the spool's tmp/ files are. */
static int file_with(const char *dir, const char *name, const char *text)
{
	return open(check_write_file(dir, name, text), O_RDONLY);
}

/* The whole journal file. */
static void read_journal(const char *dir, struct sbuf *out)
{
	char path[512], buf[65536];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/journal", dir);
	int fd = open(path, O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_add(out, buf, (size_t)n);
	if (fd >= 0)
		close(fd);
}

static struct journal *reopen(int dir_fd, struct seen *s, struct sbuf *err)
{
	return journal_open(dir_fd, "journal", JOURNAL_WAIT, collect, s, err);
}

/* Adds one record per text, each from a file of its own, and flushes them. */
static int add_all(struct journal *j, const char *dir, const char *const *texts, int n)
{
	size_t octets = 0;

	for (int i = 0; i < n; i++)
		octets += strlen(texts[i]);
	if (journal_reserve(j, octets, n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char name[32], id[32];
		snprintf(name, sizeof(name), "file%d", i);
		snprintf(id, sizeof(id), "1796000000.00000%d.1.%d", i, i);
		int fd = file_with(dir, name, texts[i]);
		int r = journal_add(j, i == 1 ? "notices" : "incoming", id, fd, strlen(texts[i]));
		close(fd);
		if (r < 0)
			return -1;
	}
	return journal_sync(j);
}

static const char *const posts[] = { "MLIST-SPOOL 1 first post\n", "a notice\n", "MLIST-SPOOL 1 third\n" };

static void replays_what_was_flushed_in_order(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT;
	struct journal *j = reopen(dir_fd, &s, &err);

	CHECK(j && s.n == 0 && !journal_oldest(j));
	CHECK(add_all(j, dir, posts, 3) == 0 && journal_oldest(j) > 0);
	journal_close(j); /* a crash: no checkpoint */
	j = reopen(dir_fd, &s, &err);
	CHECK(j);
	CHECK(s.n == 3);
	for (int i = 0; i < 3; i++) {
		CHECK(s.data[i].len == strlen(posts[i]) && memcmp(s.data[i].buf, posts[i], s.data[i].len) == 0);
		CHECK(strcmp(s.folder[i], i == 1 ? "notices" : "incoming") == 0);
	}
	CHECK(strcmp(s.id[2], "1796000000.000002.1.2") == 0);
	/* Replayed records wait for the caller's checkpoint. */
	CHECK(journal_oldest(j) > 0);
	journal_close(j);
	seen_release(&s);
	sbuf_release(&err);
	close(dir_fd);
}

static void checkpoint_leaves_nothing_to_replay_and_no_mail(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT, file = SBUF_INIT;
	struct journal *j = reopen(dir_fd, &s, &err);

	CHECK(j && add_all(j, dir, posts, 3) == 0);
	read_journal(dir, &file);
	CHECK(memmem(file.buf, file.len, "third", 5) != NULL);
	CHECK(journal_checkpoint(j) == 0 && !journal_oldest(j));
	sbuf_reset(&file);
	read_journal(dir, &file);
	CHECK(memmem(file.buf, file.len, "first post", 10) == NULL && memmem(file.buf, file.len, "third", 5) == NULL);
	CHECK_CONTAINS(file.buf, "MLIST-JOURNAL 1 generation 00000000000000000002\n");
	/* The next records, of the new generation, are found again; nothing from before the checkpoint. */
	const char *later[] = { "later\n" };
	CHECK(add_all(j, dir, later, 1) == 0);
	journal_close(j);
	j = reopen(dir_fd, &s, &err);
	CHECK(j && s.n == 1 && strcmp(s.data[0].buf, "later\n") == 0);
	journal_close(j);
	seen_release(&s);
	sbuf_release(&err);
	sbuf_release(&file);
	close(dir_fd);
}

static void torn_record_ends_the_replay(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT, file = SBUF_INIT;
	struct journal *j = reopen(dir_fd, &s, &err);

	CHECK(j && add_all(j, dir, posts, 3) == 0);
	journal_close(j);
	read_journal(dir, &file);
	char *notice = memmem(file.buf, file.len, "a notice", 8);
	CHECK(notice);
	char path[512];
	snprintf(path, sizeof(path), "%s/journal", dir);
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "A", 1, notice - file.buf) == 1);
	close(fd);
	j = reopen(dir_fd, &s, &err);
	CHECK(j && s.n == 1 && strcmp(s.data[0].buf, posts[0]) == 0);
	journal_close(j);
	seen_release(&s);
	sbuf_release(&err);
	sbuf_release(&file);
	close(dir_fd);
}

static void grows_for_a_batch_larger_than_itself(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT, big = SBUF_INIT;
	struct journal *j = reopen(dir_fd, &s, &err);
	struct stat st;
	char path[512];

	for (int i = 0; i < 3 * 1024 * 1024 / 64; i++)
		sbuf_addstr(&big, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n");
	const char *texts[] = { big.buf };
	snprintf(path, sizeof(path), "%s/journal", dir);
	CHECK(j && stat(path, &st) == 0 && st.st_size == 1 << 20);
	CHECK(add_all(j, dir, texts, 1) == 0);
	CHECK(stat(path, &st) == 0 && st.st_size == 4 << 20);
	journal_close(j);
	j = reopen(dir_fd, &s, &err);
	CHECK(j && s.n == 1 && s.data[0].len == big.len && memcmp(s.data[0].buf, big.buf, big.len) == 0);
	/* Larger than the journal may ever be: the caller commits it without. */
	CHECK(journal_reserve(j, (size_t)65 << 20, 1) < 0 && errno == EFBIG);
	journal_close(j);
	seen_release(&s);
	sbuf_release(&err);
	sbuf_release(&big);
	close(dir_fd);
}

static void a_file_that_is_not_a_journal_is_left_alone(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT, file = SBUF_INIT;

	check_write_file(dir, "journal", "someone else's file\n");
	CHECK(reopen(dir_fd, &s, &err) == NULL);
	CHECK_CONTAINS(err.buf, "is not one mlist wrote");
	read_journal(dir, &file);
	CHECK(strcmp(file.buf, "someone else's file\n") == 0);
	sbuf_release(&err);
	sbuf_release(&file);
	close(dir_fd);
}

static void a_record_that_cannot_be_put_back_stops_the_start(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT;
	struct journal *j = reopen(dir_fd, &s, &err);

	CHECK(j && add_all(j, dir, posts, 3) == 0);
	journal_close(j);
	s.fail = 1;
	errno = ENOSPC;
	CHECK(reopen(dir_fd, &s, &err) == NULL);
	CHECK_CONTAINS(err.buf, "cannot put back incoming/1796000000.000000.1.0 from the spool's journal");
	/* Nothing was lost by trying: the records are all still there. */
	s.fail = 0;
	j = reopen(dir_fd, &s, &err);
	CHECK(j && s.n == 3);
	journal_close(j);
	seen_release(&s);
	sbuf_release(&err);
	close(dir_fd);
}

static void one_user_at_a_time_and_a_peek_sees_the_checkpoint(void)
{
	const char *dir = check_tmpdir();
	int dir_fd = open_dir(dir);
	struct seen s = { 0 };
	struct sbuf err = SBUF_INIT;
	uint64_t first, now;
	int records;
	struct journal *j = reopen(dir_fd, &s, &err);

	CHECK(j != NULL);
	/* flock is per open file: a second open, even in this process, is another user */
	errno = 0;
	CHECK(journal_open(dir_fd, "journal", 0, collect, &s, &err) == NULL && errno == EWOULDBLOCK);
	CHECK(strstr(err.buf, "in use") != NULL);
	CHECK(journal_peek(dir_fd, "journal", &first, &records) == 0 && records == 0);
	CHECK(add_all(j, dir, posts, 3) == 0);
	CHECK(journal_peek(dir_fd, "journal", &now, &records) == 0 && records == 1 && now == first);
	CHECK(journal_checkpoint(j) == 0);
	CHECK(journal_peek(dir_fd, "journal", &now, &records) == 0 && records == 0 && now == first + 1);
	journal_close(j);
	sbuf_reset(&err);
	j = journal_open(dir_fd, "journal", 0, collect, &s, &err);
	CHECK(j != NULL && s.n == 0);
	journal_close(j);
	errno = 0;
	CHECK(journal_peek(dir_fd, "missing", &now, &records) < 0 && errno == ENOENT);
	/* mlistctl never makes one */
	errno = 0;
	CHECK(journal_open(dir_fd, "missing", JOURNAL_EXISTING, collect, &s, &err) == NULL && errno == ENOENT);
	CHECK(faccessat(dir_fd, "missing", F_OK, 0) < 0);
	seen_release(&s);
	sbuf_release(&err);
	close(dir_fd);
}

static const struct check_case cases[] = {
	{ "replays_what_was_flushed_in_order", replays_what_was_flushed_in_order },
	{ "checkpoint_leaves_nothing_to_replay_and_no_mail", checkpoint_leaves_nothing_to_replay_and_no_mail },
	{ "torn_record_ends_the_replay", torn_record_ends_the_replay },
	{ "grows_for_a_batch_larger_than_itself", grows_for_a_batch_larger_than_itself },
	{ "a_file_that_is_not_a_journal_is_left_alone", a_file_that_is_not_a_journal_is_left_alone },
	{ "a_record_that_cannot_be_put_back_stops_the_start", a_record_that_cannot_be_put_back_stops_the_start },
	{ "one_user_at_a_time_and_a_peek_sees_the_checkpoint", one_user_at_a_time_and_a_peek_sees_the_checkpoint },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
