/*
 * erase: the person's address and names out of stored posts; see erase.h.
 */
#define _GNU_SOURCE
#include "erase.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sbuf.h"
#include "spool.h"

#define SPOOL_MAGIC "MLIST-SPOOL 1 "
#define LENGTH_DIGITS 12
#define NAME_PSEUDONYM "removed member"

/* Whether c may be part of an address next to a match (so the match is only part of a longer one). */
static int address_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr(".-_+%", c);
}

/* Whether c is part of a word (bytes of UTF-8 letters count as such). */
static int word_char(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Whether text at i..i+len is a whole address or a whole run of words, not part of a longer one. */
static int whole(const char *s, size_t n, size_t i, size_t len, int is_address)
{
	unsigned char before = i ? (unsigned char)s[i - 1] : ' ';
	unsigned char after = i + len < n ? (unsigned char)s[i + len] : ' ';

	if (is_address) {
		/* "jan@x.org." ends a sentence; "jan@x.org.uk" is another address */
		int dot_ends = after == '.' && !(i + len + 1 < n && isalnum((unsigned char)s[i + len + 1]));
		return !address_char(before) && (!address_char(after) || dot_ends);
	}
	return !word_char(before) && !word_char(after);
}

/* Whether in holds address anywhere, in any case. */
static int mentions(const char *in, size_t n, const char *address)
{
	size_t alen = strlen(address);

	for (size_t i = 0; i + alen <= n; i++)
		if (strncasecmp(in + i, address, alen) == 0)
			return 1;
	return 0;
}

/*
 * Copies in to out with the person replaced; returns how many
 * replacements.  Names are replaced only in a file that names the
 * address too: a short name ("Jan") would otherwise be cut out of every
 * post of everyone.
 */
static int pseudonymise(const char *in, size_t n, const struct erase_person *p, struct sbuf *out)
{
	size_t alen = strlen(p->address);
	int count = 0;

	if (!mentions(in, n, p->address))
		return 0;

	for (size_t i = 0; i < n;) {
		size_t take = 0;
		const char *with = NULL;
		if (i + alen <= n && strncasecmp(in + i, p->address, alen) == 0 && whole(in, n, i, alen, 1)) {
			take = alen;
			with = p->pseudonym;
		}
		for (int k = 0; !with && k < p->n_names; k++) {
			size_t len = strlen(p->names[k]);
			if (len && i + len <= n && strncasecmp(in + i, p->names[k], len) == 0 && whole(in, n, i, len, 0)) {
				take = len;
				with = NAME_PSEUDONYM;
			}
		}
		if (with) {
			sbuf_addstr(out, with);
			i += take;
			count++;
		} else {
			sbuf_addch(out, in[i++]);
		}
	}
	return count;
}

/* Writes the message's length into a spool file's first line again (a rewrite changed it). */
static void fix_length(struct sbuf *f)
{
	size_t magic = strlen(SPOOL_MAGIC);
	char *end = f->len > magic ? memmem(f->buf, f->len, "\n\n", 2) : NULL;
	char digits[LENGTH_DIGITS + 1];

	if (!end || memcmp(f->buf, SPOOL_MAGIC, magic) != 0 || f->len < magic + LENGTH_DIGITS + 1 ||
	    f->buf[magic + LENGTH_DIGITS] != '\n' || f->buf[magic] == '?')
		return; /* not a committed spool file: nothing trusts its length anyway */
	snprintf(digits, sizeof(digits), "%0*zu", LENGTH_DIGITS, f->len - (size_t)(end + 2 - f->buf));
	memcpy(f->buf + magic, digits, LENGTH_DIGITS);
}

/* Whether a spool file's header has a "rcpt" line for address. */
static int addressed_to(const struct sbuf *f, const char *address)
{
	const char *p = f->buf, *end = memmem(f->buf, f->len, "\n\n", 2);
	size_t alen = strlen(address);

	while (end && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end + 1 - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) == 5 + alen && strncmp(p, "rcpt ", 5) == 0 && strncasecmp(p + 5, address, alen) == 0)
			return 1;
		p = eol + 1;
	}
	return 0;
}

/* Reads the whole of NAME in the folder dir_fd into out. */
static int read_whole(int dir_fd, const char *name, struct sbuf *out)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		sbuf_add(out, buf, (size_t)r);
	}
	close(fd);
	return 0;
}

enum kind { POST, SPOOL_FILE, NOTICE };

/* Sweeps one file; a file gone meanwhile (delivered, sorted on) is no failure. */
static void sweep_file(int dir_fd, const char *path, const char *name, enum kind kind, const struct erase_person *p,
		       struct erase_counts *n, struct sbuf *err)
{
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	int r = 0;

	if (read_whole(dir_fd, name, &in) < 0) {
		r = errno == ENOENT ? 0 : -1;
	} else if (kind == NOTICE && addressed_to(&in, p->address)) {
		r = spool_remove_file(dir_fd, name);
		n->removed += r == 0;
	} else if (pseudonymise(in.buf, in.len, p, &out) > 0) {
		if (kind != POST)
			fix_length(&out);
		r = spool_rewrite_file(dir_fd, name, out.buf, out.len);
		n->rewritten += r == 0;
	}
	if (r < 0 && errno != ENOENT) {
		sbuf_addf(err, "%s%s/%s: %s", err->len ? "\n" : "", path, name, strerror(errno));
		n->failed++;
	}
	sbuf_release(&in);
	sbuf_release(&out);
}

/* Sweeps every file of the folder at path (none there: nothing to do). */
static void sweep_folder(const char *path, enum kind kind, const struct erase_person *p, struct erase_counts *n,
			 struct sbuf *err)
{
	int dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dir_fd < 0 ? NULL : fdopendir(dup(dir_fd));
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			sweep_file(dir_fd, path, de->d_name, kind, p, n, err);
	if (d)
		closedir(d);
	if (dir_fd >= 0)
		close(dir_fd);
}

int erase_person_files(const char *spool, const struct erase_person *p, struct erase_counts *n, struct sbuf *err)
{
	/* incoming before queue before the archive: the way a post moves, so one moved meanwhile is met again */
	static const char *const folders[] = { "incoming", "queue", "duplicate", "corrupt" };
	struct sbuf path = SBUF_INIT;

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		sbuf_reset(&path);
		sbuf_addf(&path, "%s/%s", spool, folders[i]);
		sweep_folder(path.buf, SPOOL_FILE, p, n, err);
	}
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/notices", spool);
	sweep_folder(path.buf, NOTICE, p, n, err);
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/archive", spool);
	DIR *groups = opendir(path.buf);
	struct dirent *g;
	while (groups && (g = readdir(groups))) {
		if (g->d_name[0] == '.')
			continue;
		for (int k = 0; k < 2; k++) {
			sbuf_reset(&path);
			sbuf_addf(&path, "%s/archive/%s/%s", spool, g->d_name, k ? "cur" : "new");
			sweep_folder(path.buf, POST, p, n, err);
		}
	}
	if (groups)
		closedir(groups);
	sbuf_release(&path);
	return n->failed ? -1 : 0;
}
