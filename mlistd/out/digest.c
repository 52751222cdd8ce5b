/*
 * digest: building and queueing digests; see digest.h.
 */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "config.h"
#include "header_write.h"
#include "log.h"
#include "message_text.h"
#include "notice.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_digest.h"
#include "template.h"

/* A post of the digest, copied out of its row. */
struct post {
	char *spool_id, *message_id, *from, *from_addr, *subject, *group, *thread_subject; /* from: name, else address */
	long long date, thread;
};

struct posts {
	struct post *list;
	int n;
};

static int take_post(const struct digest_post *p, void *ctx)
{
	struct posts *ps = ctx;
	struct post *x;

	ps->list = xrealloc(ps->list, (size_t)(ps->n + 1) * sizeof(*ps->list));
	x = &ps->list[ps->n++];
	x->spool_id = xstrdup(p->spool_id);
	x->message_id = xstrdup(p->message_id);
	x->from = xstrdup(*p->from_name ? p->from_name : p->from_addr);
	x->from_addr = xstrdup(p->from_addr);
	x->subject = xstrdup(p->subject);
	x->group = xstrdup(p->group);
	x->thread_subject = xstrdup(p->thread_subject);
	x->date = p->date;
	x->thread = p->thread;
	return 0;
}

static void free_posts(struct posts *ps)
{
	for (int i = 0; i < ps->n; i++) {
		struct post *x = &ps->list[i];
		free(x->spool_id);
		free(x->message_id);
		free(x->from);
		free(x->from_addr);
		free(x->subject);
		free(x->group);
		free(x->thread_subject);
	}
	free(ps->list);
	memset(ps, 0, sizeof(*ps));
}

/* The table of contents: each thread's subject, then its posts, numbered through the digest. */
static void contents(const struct posts *ps, const char *group, struct sbuf *out)
{
	for (int i = 0; i < ps->n; i++) {
		const struct post *x = &ps->list[i];
		if (i == 0 || x->thread != ps->list[i - 1].thread) {
			sbuf_addf(out, "%s%s", i ? "\n" : "", *x->thread_subject ? x->thread_subject : "-");
			/* a project's post in its change line's digest says where it was written */
			if (strcmp(x->group, group) != 0)
				sbuf_addf(out, "  [%s]", x->group);
			sbuf_addch(out, '\n');
		}
		sbuf_addf(out, "  %2d. %s: %s\n", i + 1, x->from, *x->subject ? x->subject : "-");
	}
}

/*
 * Reads a post as it was accepted: from the spool while it is there, else
 * from the group's archive (a delivered post's spool file is gone; it is
 * archived before that).
 */
static int read_post(const struct digest_ctx *c, const struct post *x, struct sbuf *out)
{
	struct spool_message msg;
	struct sbuf err = SBUF_INIT;
	int r = 0;

	if (spool_read_sorted(c->sp, x->spool_id, &msg, &err) == 0)
		sbuf_add(out, msg.raw.buf + msg.body_offset, msg.body_len);
	else if (archive_read(c->cfg->spool, x->group, x->spool_id, out) < 0)
		r = -1;
	spool_message_release(&msg);
	sbuf_release(&err);
	return r;
}

/* Appends text with CRLF line ends and a final CRLF. */
static void add_crlf(struct sbuf *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			sbuf_addch(out, '\r');
		sbuf_addch(out, text[i]);
	}
	if (len && text[len - 1] != '\n')
		sbuf_addstr(out, "\r\n");
}

/* The RFC 1153 form of one post: a few of its fields, then its text. */
static void add_plain_post(const struct post *x, const char *msg, size_t len, struct sbuf *out)
{
	char date[64];
	struct tm tm;
	time_t when = (time_t)x->date;
	struct sbuf text = SBUF_INIT;

	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sbuf_addf(out, "Date: %s\r\nFrom: ", date);
	if (strcmp(x->from, x->from_addr) != 0)
		sbuf_addf(out, "%s ", x->from);
	sbuf_addf(out, "<%s>\r\nSubject: %s\r\nMessage-ID: <%s>\r\n\r\n", x->from_addr, x->subject, x->message_id);
	if (!message_text(msg, len, &text)) {
		/* no text to show: what it is, and where the whole post is */
		sbuf_addf(out, "[%s]\r\n", text.buf);
	} else {
		add_crlf(out, text.buf, text.len);
	}
	sbuf_release(&text);
}

/* What a digest says about itself, before its posts, and its footer. */
struct issue {
	const char *group;
	long long group_id, number;
	struct sbuf subject, intro, footer;
};

/* The group's footer, placeholders filled, or the config's: once, at the digest's end. */
static void issue_footer(const struct digest_ctx *c, const struct digest_group *g, struct issue *is)
{
	if (!g->footer && c->cfg->copies.footer)
		sbuf_addstr(&is->footer, c->cfg->copies.footer);
	else if (g->footer && *g->footer)
		notice_fill(c->cfg, g->name, g->title, g->footer, &is->footer);
}

/* The whole digest message for format, from posts. */
static int compose(const struct digest_ctx *c, const struct issue *is, const struct posts *ps, const char *format,
		   struct sbuf *out)
{
	char token[33], date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *footer = is->footer.len ? is->footer.buf : NULL;
	int mime = strcmp(format, "mime") == 0;

	if (notice_token(token) < 0)
		return -1;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sbuf_addf(out, "From: %s-request@%s\r\nTo: %s@%s\r\nSubject: ", is->group, c->cfg->domain, is->group,
		  c->cfg->domain);
	header_add_text(out, is->subject.buf);
	sbuf_addf(out, "\r\nDate: %s\r\nMessage-ID: <digest.%s.%lld.%s.%s@%s>\r\nMIME-Version: 1.0\r\n", date, is->group,
		  is->number, format, token, c->cfg->domain);
	if (mime) {
		sbuf_addf(out, "Content-Type: multipart/mixed; boundary=\"mlist-%s\"\r\n\r\n"
			  "--mlist-%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
			  token, token);
		add_crlf(out, is->intro.buf, is->intro.len);
		sbuf_addf(out, "\r\n--mlist-%s\r\nContent-Type: multipart/digest; boundary=\"mlist-digest-%s\"\r\n", token,
			  token);
	} else {
		sbuf_addstr(out, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
		add_crlf(out, is->intro.buf, is->intro.len);
		/* RFC 1153: 70 dashes after the preamble, 30 between messages */
		sbuf_addstr(out, "\r\n----------------------------------------------------------------------\r\n\r\n");
	}
	for (int i = 0; i < ps->n; i++) {
		struct sbuf msg = SBUF_INIT;
		if (read_post(c, &ps->list[i], &msg) < 0) {
			log_msg(LOG_ERR, "digest: %s: post <%s> is neither in the spool nor in the archive; left out",
				is->group, ps->list[i].message_id);
			sbuf_release(&msg);
			continue;
		}
		if (mime) {
			/* message/rfc822 is multipart/digest's default type: each part is the post, whole */
			sbuf_addf(out, "\r\n--mlist-digest-%s\r\n\r\n", token);
			sbuf_add(out, msg.buf, msg.len);
		} else {
			add_plain_post(&ps->list[i], msg.buf, msg.len, out);
			sbuf_addstr(out, "\r\n------------------------------\r\n\r\n");
		}
		sbuf_release(&msg);
	}
	if (mime) {
		sbuf_addf(out, "\r\n--mlist-digest-%s--\r\n", token);
		if (footer) {
			sbuf_addf(out, "\r\n--mlist-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
				  "Content-Transfer-Encoding: 8bit\r\n\r\n", token);
			add_crlf(out, footer, strlen(footer));
		}
		sbuf_addf(out, "\r\n--mlist-%s--\r\n", token);
	} else {
		sbuf_addf(out, "End of %s digest %lld\r\n******************************\r\n", is->group, is->number);
		if (footer) {
			sbuf_addstr(out, "\r\n");
			add_crlf(out, footer, strlen(footer));
		}
	}
	return 0;
}

/* The digest's subject and first part, in the group's language. */
static int introduce(const struct digest_ctx *c, struct issue *is, const struct posts *ps)
{
	char number[24], count[24], date[16];
	time_t now = (time_t)c->now;
	struct tm tm;
	struct sbuf toc = SBUF_INIT;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(number, sizeof(number), "%lld", is->number);
	snprintf(count, sizeof(count), "%d", ps->n);
	contents(ps, is->group, &toc);
	struct template_var vars[] = { { "number", number }, { "date", date }, { "count", count },
				       { "contents", toc.buf ? toc.buf : "" } };
	sbuf_reset(&is->subject);
	sbuf_reset(&is->intro);
	int r = notice_render(c->cfg, c->st, is->group, TEXT_DIGEST, vars, 4, &is->subject, &is->intro);
	sbuf_release(&toc);
	return r;
}

/* The digest members of a group, by kind of digest: follow (0, 1) x format (mime, text). */
struct readers {
	struct reader {
		long long member;
		char *address;
		int follow, mime;
	} *list;
	int n, kinds[2][2];
};

static int take_reader(const struct digest_member *m, void *ctx)
{
	struct readers *rs = ctx;
	struct reader *x;

	rs->list = xrealloc(rs->list, (size_t)(rs->n + 1) * sizeof(*rs->list));
	x = &rs->list[rs->n++];
	x->member = m->member;
	x->address = xstrdup(m->address);
	x->follow = m->follow_line;
	x->mime = strcmp(m->format, "mime") == 0;
	rs->kinds[x->follow][x->mime]++;
	return 0;
}

static void free_readers(struct readers *rs)
{
	for (int i = 0; i < rs->n; i++)
		free(rs->list[i].address);
	free(rs->list);
	memset(rs, 0, sizeof(*rs));
}

/* The most recent digest.hour:00 local time at or before now. */
static long long last_mark(const struct config *cfg, long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	int passed = tm.tm_hour >= cfg->digest.hour;
	tm.tm_hour = cfg->digest.hour;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (!passed)
		tm.tm_mday--;
	return (long long)mktime(&tm);
}

/* Builds and queues the digests of one group in the caller's transaction; returns how many, or -1. */
static int build(const struct digest_ctx *c, const struct digest_group *g, const struct readers *rs, long long upto,
		 struct sbuf *note)
{
	struct issue is = { g->name, g->id, g->number + 1, SBUF_INIT, SBUF_INIT, SBUF_INIT };
	int built = 0, r = 0;

	issue_footer(c, g, &is);
	for (int follow = 0; follow < 2 && r == 0; follow++) {
		if (!rs->kinds[follow][0] && !rs->kinds[follow][1])
			continue;
		struct posts ps = { NULL, 0 };
		if (store_digest_posts(c->st, g->id, follow, g->upto, upto, take_post, &ps) < 0 ||
		    (ps.n && introduce(c, &is, &ps) < 0))
			r = -1;
		for (int mime = 0; mime < 2 && r == 0 && ps.n; mime++) {
			if (!rs->kinds[follow][mime])
				continue;
			struct sbuf text = SBUF_INIT, id = SBUF_INIT, from = SBUF_INIT, mid = SBUF_INIT;
			struct envelope env;
			envelope_init(&env);
			sbuf_addf(&from, "%s-bounces@%s", g->name, c->cfg->domain);
			sbuf_addstr(&env.mail_from, from.buf);
			envelope_add_rcpt(&env, from.buf);
			long long message = -1;
			if (compose(c, &is, &ps, mime ? "mime" : "text", &text) == 0 &&
			    spool_stage(c->sp, "notices", &env, text.buf, text.len, &id) == 0) {
				sbuf_addf(&mid, "digest.%s.%lld.%s.%s@%s", g->name, is.number, mime ? "mime" : "text", id.buf,
					  c->cfg->domain);
				message = store_digest_message(c->st, g->id, id.buf, mid.buf, is.subject.buf, (long long)time(NULL));
			}
			for (int i = 0; i < rs->n && message >= 0; i++) {
				const struct reader *x = &rs->list[i];
				if (x->follow == follow && x->mime == mime &&
				    store_digest_queue(c->st, message, g->id, x->member, x->address, (long long)time(NULL)) < 0)
					message = -1;
			}
			if (message < 0) {
				r = -1;
			} else {
				built++;
				sbuf_addf(note, "%sdigest: %s digest %lld (%s%s): %d post(s) for %d member(s)",
					  note->len ? "\n" : "", g->name, is.number, mime ? "mime" : "text",
					  follow ? ", with its projects" : "", ps.n, rs->kinds[follow][mime]);
			}
			envelope_release(&env);
			sbuf_release(&text);
			sbuf_release(&id);
			sbuf_release(&from);
			sbuf_release(&mid);
		}
		free_posts(&ps);
	}
	if (r == 0 && store_digest_advance(c->st, g->id, upto, built > 0, c->now) < 0)
		r = -1;
	sbuf_release(&is.subject);
	sbuf_release(&is.intro);
	sbuf_release(&is.footer);
	return r < 0 ? -1 : built;
}

struct names {
	char **list;
	int n;
};

/* The looks of one digest_run. */
struct run {
	const struct digest_ctx *c;
	int force, built, failed;
	struct sbuf *note;
};

/* A group's digest state, copied out of its row. */
struct state {
	struct digest_group g;
	char *name, *title, *kind, *footer;
};

static int take_state(const struct digest_group *g, void *ctx)
{
	struct state *s = ctx;

	s->g = *g;
	s->g.name = s->name = xstrdup(g->name);
	s->g.title = s->title = xstrdup(g->title);
	s->g.kind = s->kind = xstrdup(g->kind);
	s->g.footer = s->footer = g->footer ? xstrdup(g->footer) : NULL;
	return 0;
}

static void free_state(struct state *s)
{
	free(s->name);
	free(s->title);
	free(s->kind);
	free(s->footer);
}

/*
 * One group's look, in a transaction of its own.  Its state is read in
 * that transaction: read before it, another process (mlistctl digest send
 * beside mlistd-deliver) could have built a digest from it meanwhile.
 */
static void run_group(struct run *run, const char *name)
{
	const struct digest_ctx *c = run->c;
	struct readers rs = { NULL, 0, { { 0, 0 }, { 0, 0 } } };
	struct sbuf note = SBUF_INIT;
	struct state st = { 0 };
	const struct digest_group *g = &st.g;
	long long posts = 0, octets = 0, upto;
	int r = 0;

	if (store_begin(c->st) < 0 || store_digest_groups(c->st, name, take_state, &st) < 0 || !st.name) {
		log_msg(LOG_ERR, "digest: %s: %s", name, store_error(c->st));
		notice_rollback(c->st, c->sp);
		run->failed = 1;
		free_state(&st);
		return;
	}
	if (store_digest_members(c->st, g->id, take_reader, &rs) < 0 || (upto = store_digest_last_placement(c->st)) < 0 ||
	    store_digest_pending(c->st, g->id, rs.kinds[1][0] + rs.kinds[1][1] > 0, g->upto, &posts, &octets) < 0) {
		r = -1;
	} else if (!rs.n || !posts) {
		/*
		 * Nobody to send it to, or nothing to send: what is there now is
		 * nobody's digest, and a day's digest hour that finds nothing is
		 * that day's digest done (a post at 07:05 waits for tomorrow).
		 */
		long long looked = g->last_built < last_mark(c->cfg, c->now) ? c->now : 0;
		if (upto > g->upto || looked)
			r = store_digest_advance(c->st, g->id, upto, 0, looked);
	} else if (run->force || octets >= c->cfg->digest.max_size || g->last_built < last_mark(c->cfg, c->now)) {
		int n = build(c, g, &rs, upto, &note);
		r = n < 0 ? -1 : 0;
		run->built += n > 0 ? n : 0;
	}
	if (r == 0 && notice_commit(c->st, c->sp) == 0) {
		if (note.len)
			sbuf_addf(run->note, "%s%s", run->note->len ? "\n" : "", note.buf);
	} else {
		log_msg(LOG_ERR, "digest: %s: %s", g->name, store_error(c->st));
		notice_rollback(c->st, c->sp);
		run->failed = 1;
	}
	free_readers(&rs);
	free_state(&st);
	sbuf_release(&note);
}

/* The archive-off groups' posts no digest needs any more, collected before any is removed. */
struct prune {
	struct prune_row {
		long long group, placement;
		char *name, *spool_id;
		int archived;
	} *rows;
	int n;
};

static int take_prunable(const struct prunable *p, void *ctx)
{
	struct prune *pr = ctx;

	pr->rows = xrealloc(pr->rows, (size_t)(pr->n + 1) * sizeof(*pr->rows));
	pr->rows[pr->n++] = (struct prune_row){ p->group, p->placement, xstrdup(p->name), xstrdup(p->spool_id),
						p->archived };
	return 0;
}

/*
 * Removes from the archives of groups with archive off the posts every
 * digest has passed.  A group stops at a post not archived yet (the
 * keeper would write it after the removal).  The files go first, then
 * the mark: a crash between removes them again, which is harmless.
 */
static int prune_archives(const struct digest_ctx *c)
{
	struct prune pr = { NULL, 0 };
	int r = store_digest_prunable(c->st, take_prunable, &pr);

	for (int i = 0; i < pr.n && r == 0;) {
		long long group = pr.rows[i].group, done = 0;
		int j = i;
		for (; j < pr.n && pr.rows[j].group == group && pr.rows[j].archived; j++) {
			if (archive_remove(c->cfg->spool, pr.rows[j].name, pr.rows[j].spool_id) < 0)
				break;
			done = pr.rows[j].placement;
		}
		if (done && store_digest_pruned(c->st, group, done) < 0)
			r = -1;
		while (j < pr.n && pr.rows[j].group == group)
			j++;
		i = j;
	}
	for (int i = 0; i < pr.n; i++) {
		free(pr.rows[i].name);
		free(pr.rows[i].spool_id);
	}
	free(pr.rows);
	return r;
}

static int take_name(const struct digest_group *g, void *ctx)
{
	struct names *n = ctx;

	n->list = xrealloc(n->list, (size_t)(n->n + 1) * sizeof(char *));
	n->list[n->n++] = xstrdup(g->name);
	return 0;
}

int digest_run(const struct digest_ctx *c, const char *group, int force, struct sbuf *note)
{
	struct run run = { c, force, 0, 0, note };
	struct names n = { NULL, 0 };

	/* The names first: a transaction begun while the read of them is open could not take the write lock. */
	int r = store_digest_groups(c->st, group, take_name, &n);
	for (int i = 0; i < n.n; i++) {
		if (r == 0)
			run_group(&run, n.list[i]);
		free(n.list[i]);
	}
	free(n.list);
	if (r < 0)
		return -1;
	if (prune_archives(c) < 0)
		log_msg(LOG_ERR, "digest: cannot let go of posts in archives that are off: %s", store_error(c->st));
	return run.failed ? -1 : run.built;
}

struct preview {
	const struct digest_ctx *c;
	const char *format;
	int follow, posts;
	struct sbuf *out;
};

static int preview_group(const struct digest_group *g, void *ctx)
{
	struct preview *p = ctx;
	struct issue is = { g->name, g->id, g->number + 1, SBUF_INIT, SBUF_INIT, SBUF_INIT };
	struct posts ps = { NULL, 0 };
	long long upto = store_digest_last_placement(p->c->st);
	int r = -1;

	issue_footer(p->c, g, &is);
	if (upto >= 0 && store_digest_posts(p->c->st, g->id, p->follow, g->upto, upto, take_post, &ps) == 0 &&
	    introduce(p->c, &is, &ps) == 0 && compose(p->c, &is, &ps, p->format, p->out) == 0) {
		p->posts = ps.n;
		r = 0;
	}
	free_posts(&ps);
	sbuf_release(&is.subject);
	sbuf_release(&is.intro);
	sbuf_release(&is.footer);
	return r;
}

int digest_preview(const struct digest_ctx *c, const char *group, const char *format, int follow, struct sbuf *out)
{
	struct preview p = { c, format, follow, 0, out };

	if (store_digest_groups(c->st, group, preview_group, &p) < 0)
		return -1;
	return p.posts;
}
