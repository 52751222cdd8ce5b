/*
 * cmd_stats: mlistctl stats [--json] -- an overview: groups, members,
 * posts per day over the last 7 days (UTC), the queue and its oldest
 * entry, held posts, disabled addresses, bounces of the last 7 days,
 * each configured IMAP mailbox's state, and the disk used by the spool's
 * working folders, the archive and the store with its -wal (sizes of
 * the files, in octets).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "json_out.h"
#include "names.h"
#include "sbuf.h"
#include "store.h"
#include "store_imap.h"
#include "store_stats.h"

#define DAY 86400

/* The spool's working folders (spool/README.md): what "spool" counts; the archive is counted apart. */
static const char *const working_folders[] = { "tmp", "incoming", "queue", "notices", "free", "duplicate", "corrupt" };

/* The sum of the sizes of the regular files under the folder at (at, name), symbolic links not followed. */
static long long folder_size(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	long long sum = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode))
			sum += (long long)st.st_size;
		else if (S_ISDIR(st.st_mode))
			sum += folder_size(dirfd(d), de->d_name);
	}
	closedir(d);
	return sum;
}

/* The size of one file, 0 if it is not there. */
static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : 0;
}

/* Disk used, in octets. */
struct disk_use {
	long long spool, archive, store;
};

static void measure_disk(const struct config *cfg, struct disk_use *du)
{
	/* the -shm is only sqlite's index of the -wal, rebuilt at will: not counted */
	static const char *const store_suffixes[] = { "", "-wal" };
	int fd = open(cfg->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(du, 0, sizeof(*du));
	for (size_t i = 0; fd >= 0 && i < sizeof(working_folders) / sizeof(working_folders[0]); i++)
		du->spool += folder_size(fd, working_folders[i]);
	if (fd >= 0) {
		du->archive = folder_size(fd, "archive");
		close(fd);
	}
	for (size_t i = 0; i < sizeof(store_suffixes) / sizeof(store_suffixes[0]); i++) {
		struct sbuf path = SBUF_INIT;
		sbuf_addf(&path, "%s%s", cfg->store, store_suffixes[i]);
		du->store += file_size(path.buf);
		sbuf_release(&path);
	}
}

/* An amount of octets for people: "812 B", "12.5 KiB", "3.2 MiB". */
static void human_size(char *buf, size_t size, long long n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, size, "%lld B", n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* What the IMAP part of the output needs from each mailbox's status callback. */
struct imap_out {
	struct cli *c;
	int count;
};

static int print_imap(const struct imap_status_row *r, void *ctx)
{
	struct imap_out *io = ctx;
	FILE *out = io->c->out;

	if (io->c->json) {
		fputs(io->count ? ",\n    " : "\n    ", out);
		imap_status_json(out, r);
	} else {
		fprintf(out, "  %-40s last poll ", r->mailbox);
		if (r->last_poll)
			write_utc(out, r->last_poll, "%Y-%m-%d %H:%M UTC");
		else
			fputs("never", out);
		fprintf(out, ", last UID %lld, %lld taken", r->last_uid, r->taken);
		if (*r->last_error)
			fprintf(out, ", last error: %s", r->last_error);
		fputc('\n', out);
	}
	io->count++;
	return 0;
}

/* Each configured mailbox's state, through print_imap.  0, or -1 (store error). */
static int each_mailbox(struct cli *c, struct imap_out *io)
{
	for (size_t i = 0; i < c->cfg->n_imap; i++) {
		char *name = imap_mailbox_name(c->cfg->imap[i].url, c->cfg->imap[i].user);
		int r = store_imap_status(c->store, name, print_imap, io);
		free(name);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int print_json(struct cli *c, const struct store_stats *s, long long first_day, const struct disk_use *du)
{
	FILE *out = c->out;
	struct imap_out io = { c, 0 };

	fprintf(out, "{\n  \"groups\": {\"total\": %lld, \"change_line\": %lld, \"project\": %lld, \"general\": %lld},\n",
		s->groups, s->change_lines, s->projects, s->general);
	fprintf(out, "  \"members\": %lld,\n  \"subscriptions\": %lld,\n  \"disabled\": %lld,\n  \"held\": %lld,\n",
		s->members, s->subscriptions, s->disabled, s->held);
	fprintf(out, "  \"queue\": {\"copies\": %lld, \"posts\": %lld, \"notices\": %lld, \"oldest\": ",
		s->queued_copies, s->queued_posts, s->queued_notices);
	if (s->queue_oldest)
		json_time(out, s->queue_oldest);
	else
		fputs("null", out);
	fputs("},\n  \"bounces\": {\"since\": ", out);
	json_time(out, first_day);
	fprintf(out, ", \"total\": %lld, \"permanent\": %lld},\n  \"posts_per_day\": [", s->bounces,
		s->permanent_bounces);
	for (int i = 0; i < STATS_DAYS; i++) {
		fputs(i ? ", {\"date\": " : "{\"date\": ", out);
		write_utc(out, first_day + (long long)i * DAY, "\"%Y-%m-%d\"");
		fprintf(out, ", \"posts\": %lld}", s->posts[i]);
	}
	fputs("],\n  \"imap\": [", out);
	if (each_mailbox(c, &io) < 0)
		return -1;
	fputs(io.count ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"disk\": {\"spool\": %lld, \"archive\": %lld, \"store\": %lld}\n}\n", du->spool, du->archive,
		du->store);
	return 0;
}

/* One line of the human output: a label, a right-aligned figure, and what it means. */
static void line(FILE *out, const char *label, const char *figure, const char *detail)
{
	fprintf(out, "%-22s %10s%s%s\n", label, figure, *detail ? "  " : "", detail);
}

static void line_n(FILE *out, const char *label, long long n, const char *detail)
{
	char figure[32];

	snprintf(figure, sizeof(figure), "%lld", n);
	line(out, label, figure, detail);
}

static int print_text(struct cli *c, const struct store_stats *s, long long first_day, const struct disk_use *du)
{
	FILE *out = c->out;
	struct imap_out io = { c, 0 };
	struct sbuf d = SBUF_INIT;
	char when[64], figure[32];

	sbuf_addf(&d, "%lld change line%s, %lld project%s, %lld general", s->change_lines, s->change_lines == 1 ? "" : "s",
		  s->projects, s->projects == 1 ? "" : "s", s->general);
	line_n(out, "groups", s->groups, d.buf);
	sbuf_reset(&d);
	sbuf_addf(&d, "%lld subscription%s", s->subscriptions, s->subscriptions == 1 ? "" : "s");
	line_n(out, "members", s->members, d.buf);
	line_n(out, "disabled addresses", s->disabled, "after bounces (mlistctl member enable)");
	line_n(out, "held posts", s->held, "");
	sbuf_reset(&d);
	sbuf_addf(&d, "of %lld post%s and digest%s", s->queued_posts, s->queued_posts == 1 ? "" : "s",
		  s->queued_posts == 1 ? "" : "s");
	line_n(out, "queued copies", s->queued_copies, d.buf);
	line_n(out, "queued notices", s->queued_notices, "");
	if (s->queue_oldest) {
		time_t t = (time_t)s->queue_oldest;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	} else {
		snprintf(when, sizeof(when), "nothing waits");
	}
	line(out, "oldest in the queue", "", when);
	sbuf_reset(&d);
	sbuf_addf(&d, "%lld permanent", s->permanent_bounces);
	line_n(out, "bounces, last 7 days", s->bounces, d.buf);
	fputs("posts per day (UTC)\n", out);
	for (int i = 0; i < STATS_DAYS; i++) {
		time_t t = (time_t)(first_day + (long long)i * DAY);
		struct tm tm;
		char label[32];
		gmtime_r(&t, &tm);
		strftime(label, sizeof(label), "  %Y-%m-%d", &tm);
		line_n(out, label, s->posts[i], "");
	}
	if (c->cfg->n_imap) {
		fputs("imap mailboxes\n", out);
		if (each_mailbox(c, &io) < 0) {
			sbuf_release(&d);
			return -1;
		}
	}
	fputs("disk used\n", out);
	human_size(figure, sizeof(figure), du->spool);
	line(out, "  spool", figure, "tmp, incoming, queue, notices, free, duplicate, corrupt");
	human_size(figure, sizeof(figure), du->archive);
	line(out, "  archive", figure, "");
	human_size(figure, sizeof(figure), du->store);
	line(out, "  store", figure, "with its -wal");
	sbuf_release(&d);
	return 0;
}

int cmd_stats(struct cli *c)
{
	long long now = (long long)time(NULL);
	long long first_day = now - now % DAY - (STATS_DAYS - 1) * DAY;
	struct store_stats s;
	struct disk_use du;

	if (store_stats(c->store, first_day, &s) < 0)
		return cli_store_fail(c);
	measure_disk(c->cfg, &du);
	if ((c->json ? print_json(c, &s, first_day, &du) : print_text(c, &s, first_day, &du)) < 0)
		return cli_store_fail(c);
	return 0;
}
