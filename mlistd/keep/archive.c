/*
 * archive: per-group maildir archive and mbox export.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbuf.h"
#include "spool.h"

char *archive_dir(const char *spool, const char *group)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s/archive", spool);
	sbuf_addf(&sb, "/%s", group);
	return sbuf_detach(&sb);
}

int archive_add(struct maildir_batch *b, const char *spool, const char *group, const char *spool_id,
		const char *msg, size_t len)
{
	struct sbuf top = SBUF_INIT;
	char *dir = archive_dir(spool, group);

	/* The archive/ folder itself, then the group's maildir inside it. */
	sbuf_addf(&top, "%s/archive", spool);
	mkdir_private(top.buf);
	int r = maildir_batch_add(b, dir, spool_id, msg, len);
	sbuf_release(&top);
	free(dir);
	return r;
}

/* Appends the whole file at path to out. */
static int read_whole(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t got;

	if (!f)
		return -1;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(out, buf, got);
	int failed = ferror(f);
	fclose(f);
	return failed ? -1 : 0;
}

/*
 * Calls fn with the path of each file the group's archive holds for
 * spool_id: new/ID, and cur/ID:FLAGS where a mail reader moved it.  Stops
 * at the first fn that returns nonzero, and returns that (0 if none did).
 */
static int each_copy(const char *spool, const char *group, const char *spool_id,
		     int (*fn)(const char *path, void *ctx), void *ctx)
{
	char *dir = archive_dir(spool, group);
	struct sbuf path = SBUF_INIT;
	int r;

	sbuf_addf(&path, "%s/new/%s", dir, spool_id);
	r = fn(path.buf, ctx);
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/cur", dir);
	DIR *d = r ? NULL : opendir(path.buf);
	struct dirent *de;
	size_t n = strlen(spool_id);
	while (d && r == 0 && (de = readdir(d))) {
		if (strncmp(de->d_name, spool_id, n) != 0 || (de->d_name[n] != ':' && de->d_name[n] != '\0'))
			continue;
		struct sbuf file = SBUF_INIT;
		sbuf_addf(&file, "%s/%s", path.buf, de->d_name);
		r = fn(file.buf, ctx);
		sbuf_release(&file);
	}
	if (d)
		closedir(d);
	sbuf_release(&path);
	free(dir);
	return r;
}

/* each_copy's reader: 1 once a copy was read. */
static int read_copy(const char *path, void *ctx)
{
	return read_whole(path, ctx) == 0;
}

int archive_read(const char *spool, const char *group, const char *spool_id, struct sbuf *out)
{
	if (each_copy(spool, group, spool_id, read_copy, out) == 1)
		return 0;
	errno = ENOENT;
	return -1;
}

/* each_copy's remover: -1 when a copy cannot go. */
static int remove_copy(const char *path, void *ctx)
{
	(void)ctx;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int archive_remove(const char *spool, const char *group, const char *spool_id)
{
	return each_copy(spool, group, spool_id, remove_copy, NULL) < 0 ? -1 : 0;
}

int archive_delete(const char *spool, const char *group)
{
	static const char *const subs[] = { "new", "cur", "tmp" };
	char *dir = archive_dir(spool, group);
	int r = 0;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		struct sbuf path = SBUF_INIT;
		sbuf_addf(&path, "%s/%s", dir, subs[i]);
		DIR *d = opendir(path.buf);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			struct sbuf file = SBUF_INIT;
			sbuf_addf(&file, "%s/%s", path.buf, de->d_name);
			if (unlink(file.buf) < 0 && errno != ENOENT)
				r = -1;
			sbuf_release(&file);
		}
		if (d)
			closedir(d);
		if (rmdir(path.buf) < 0 && errno != ENOENT)
			r = -1;
		sbuf_release(&path);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		r = -1;
	free(dir);
	return r;
}

/* Orders archive file names by the spool id's time stamp (the order of acceptance). */
static int by_time(const void *a, const void *b)
{
	double x = strtod(*(char *const *)a, NULL), y = strtod(*(char *const *)b, NULL);

	return x < y ? -1 : x > y ? 1 : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects "new/NAME" and "cur/NAME" paths under dir. */
static void collect(const char *dir, const char *sub, char ***names, size_t *n)
{
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "%s/%s", dir, sub);
	DIR *d = opendir(path.buf);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		struct sbuf name = SBUF_INIT;
		sbuf_addf(&name, "%s/%s", sub, de->d_name);
		(*names)[(*n)++] = sbuf_detach(&name);
	}
	if (d)
		closedir(d);
	sbuf_release(&path);
}

/* Writes one message in mboxrd form. */
static void write_mbox_message(FILE *out, const char *data, size_t len, const char *name)
{
	double t = strtod(name + 4, NULL); /* after "new/" or "cur/" */
	time_t when = (time_t)t;
	char date[64];
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(out, "From mlist@localhost %s\n", date);
	size_t i = 0;
	while (i < len) {
		const char *line = data + i;
		const char *eol = memchr(line, '\n', len - i);
		size_t n = eol ? (size_t)(eol - line) : len - i;
		size_t text = n && line[n - 1] == '\r' ? n - 1 : n;
		/* mboxrd: any run of '>' followed by "From " gets one more '>' */
		size_t k = 0;
		while (k < text && line[k] == '>')
			k++;
		if (text - k >= 5 && memcmp(line + k, "From ", 5) == 0)
			fputc('>', out);
		fwrite(line, 1, text, out);
		fputc('\n', out);
		i += n + (eol ? 1 : 0);
	}
	fputc('\n', out);
}

long archive_export(const char *spool, const char *group, FILE *out)
{
	char *dir = archive_dir(spool, group);
	char **names = NULL;
	size_t n = 0;
	long count = 0;

	collect(dir, "new", &names, &n);
	collect(dir, "cur", &names, &n);
	if (n)
		qsort(names, n, sizeof(*names), by_time);
	for (size_t i = 0; i < n; i++) {
		struct sbuf path = SBUF_INIT, data = SBUF_INIT;
		sbuf_addf(&path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path.buf, "rb");
		char buf[65536];
		size_t got;
		while (f && (got = fread(buf, 1, sizeof(buf), f)) > 0)
			sbuf_add(&data, buf, got);
		if (f) {
			fclose(f);
			write_mbox_message(out, data.buf, data.len, names[i]);
			count++;
		}
		sbuf_release(&path);
		sbuf_release(&data);
		free(names[i]);
	}
	free(names);
	free(dir);
	return count;
}
