/*
 * copy: composing the outgoing copy; see copy.h.
 */
#define _GNU_SOURCE
#include "copy.h"

#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "config.h"
#include "header.h"
#include "header_write.h"
#include "message.h"
#include "sbuf.h"
#include "url.h"
#include "web_token.h"

/* Header fields mlist sets itself, and Bcc, which no copy may show: any the message brings are dropped. */
static const char *const replaced_fields[] = {
	"List-Id", "List-Post", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post",
	"List-Archive", "Archived-At", "List-Owner", "Precedence", "X-Loop", "Return-Path", "Message-ID", "Bcc", NULL,
};

/* Fields a message has at most once (RFC 5322 3.6, RFC 2045): a copy keeps the first of each. */
static const char *const unique_fields[] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "In-Reply-To", "References", "Subject",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", NULL,
};
#define N_UNIQUE (sizeof(unique_fields) / sizeof(unique_fields[0]) - 1)

/* Fields that hold addresses, rewritten when they are not plain RFC 5322 US-ASCII. */
static const char *const address_fields[] = { "From", "Sender", "Reply-To", "To", "Cc", NULL };

/* A line of a header may hold 998 octets (RFC 5322 2.1.1); one over is folded at a blank. */
#define MAX_LINE 998
/* Encoded words are folded onto a new line past this column. */

static int field_in(const struct header_field *f, const char *const *names)
{
	for (int k = 0; names[k]; k++) {
		if (header_is(f, names[k]))
			return k;
	}
	return -1;
}

/* Where name stands in unique_fields. */
static int unique_index(const char *name)
{
	int k = 0;

	while (strcasecmp(unique_fields[k], name) != 0)
		k++;
	return k;
}

static int is_content_field(const struct header_field *f)
{
	return f->name_len > 8 && strncasecmp(f->start, "Content-", 8) == 0;
}

/* Adds one line of a field (no line end), folded at blanks where it would be longer than a line may be. */
static void add_line(struct sbuf *out, const char *p, size_t n)
{
	size_t room;

	/* The room left on the line: the field's name may stand before p. */
	while (n > (room = MAX_LINE - (header_column(out) < MAX_LINE / 2 ? header_column(out) : MAX_LINE / 2))) {
		size_t cut = room;
		while (cut > 1 && p[cut] != ' ' && p[cut] != '\t')
			cut--;
		if (cut <= 1) {
			/* No blank to fold at within the room: the first one after it. */
			cut = room;
			while (cut < n && p[cut] != ' ' && p[cut] != '\t')
				cut++;
			if (cut == n)
				break;
		}
		sbuf_add(out, p, cut);
		sbuf_addstr(out, "\r\n");
		p += cut;
		n -= cut;
	}
	sbuf_add(out, p, n);
	sbuf_addstr(out, "\r\n");
}

/* Adds octets p[0..n) of a field, each of its lines ended by CRLF and none too long. */
static void add_lines(struct sbuf *out, const char *p, size_t n)
{
	while (n > 0) {
		const char *eol = memchr(p, '\n', n);
		size_t line = eol ? (size_t)(eol - p) + 1 : n, text = line;
		while (text > 0 && (p[text - 1] == '\n' || p[text - 1] == '\r'))
			text--;
		add_line(out, p, text);
		p += line;
		n -= line;
	}
}

/* Adds the field as the message has it, its name written without obsolete blanks before the colon. */
static void add_field(struct sbuf *out, const struct header_field *f)
{
	sbuf_add(out, f->start, f->name_len);
	sbuf_addch(out, ':');
	add_lines(out, f->start + f->value_start, f->len - f->value_start);
}

/* "Name: mailbox, mailbox" from mailboxes read by message_mailboxes_read, names encoded where they need it. */
static void add_mailboxes(struct sbuf *out, const char *name, const struct message_mailboxes *m)
{
	sbuf_addf(out, "%s: ", name);
	for (int i = 0; i < m->n; i++) {
		if (i > 0)
			sbuf_addstr(out, header_column(out) > HEADER_FOLD_COLUMN - 20 ? ",\r\n " : ", ");
		if (*m->list[i].name) {
			header_add_phrase(out, m->list[i].name);
			sbuf_addf(out, " <%s>", m->list[i].addr);
		} else {
			sbuf_addstr(out, m->list[i].addr);
		}
	}
	sbuf_addstr(out, "\r\n");
}

/* An address field: as it is when it is exact, else written again from what it says; dropped when it says nothing. */
static void add_address_field(struct sbuf *out, const struct header_field *f)
{
	char *value = header_value(f);
	struct sbuf name = SBUF_INIT;
	struct message_mailboxes m;

	sbuf_add(&name, f->start, f->name_len);
	message_mailboxes_read(value, &m);
	if (m.exact)
		add_field(out, f);
	else if (m.n > 0)
		add_mailboxes(out, name.buf, &m);
	message_mailboxes_release(&m);
	free(value);
	sbuf_release(&name);
}

/* A date as RFC 5322 writes it, in UTC; never the locale's names. */
static void add_date(struct sbuf *out, long long when)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	sbuf_addf(out, "Date: %s, %d %s %d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
		  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether a Date value is a date: libetpan reads all of it and every part is in range. */
static int date_readable(const struct header_field *f)
{
	char *value = header_value(f);
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0, len = strlen(value);
	int ok = mailimf_date_time_parse(value, len, &idx, &dt) == MAILIMF_NO_ERROR && dt;

	if (ok) {
		int zone = dt->dt_zone < 0 ? -dt->dt_zone : dt->dt_zone;
		ok = dt->dt_day >= 1 && dt->dt_day <= 31 && dt->dt_month >= 1 && dt->dt_month <= 12 && dt->dt_year >= 0 &&
		     dt->dt_hour < 24 && dt->dt_min < 60 && dt->dt_sec <= 60 && zone % 100 < 60 && zone < 2400;
		mailimf_date_time_free(dt);
	}
	ok = ok && header_skip_cfws(value, idx) == len;
	free(value);
	return ok;
}

/* The author as From (or, munged, as Reply-To) when the message names none mlist can read: the envelope sender, said so. */
static void add_fallback_author(struct sbuf *out, const struct copy_params *p, const char *field)
{
	if (*p->envelope_from)
		sbuf_addf(out, "%s: <%s> (the envelope sender: the message has no From to read)\r\n", field,
			  p->envelope_from);
	else
		sbuf_addf(out, "%s: <%s-owner@%s> (the message has no author to read)\r\n", field, p->group,
			  p->cfg->domain);
}

/*
 * From, or DMARC's munged From (the list as sender, named after the
 * author, with the author in Reply-To unless the message has one).
 */
static void add_from(struct sbuf *out, const struct copy_params *p, const struct header_field *f, int has_reply_to)
{
	struct message_mailboxes m = { NULL, 0, 0 };
	char *value = f ? header_value(f) : NULL;

	if (value)
		message_mailboxes_read(value, &m);
	if (p->cfg->copies.dmarc == DMARC_MUNGE && !p->digest) {
		const char *addr = m.n ? m.list[0].addr : p->envelope_from, *at = strchr(addr, '@');
		struct sbuf name = SBUF_INIT;
		if (m.n && *m.list[0].name)
			sbuf_addf(&name, "%s via %s", m.list[0].name, p->group);
		else if (*addr)
			sbuf_addf(&name, "%.*s via %s", at ? (int)(at - addr) : (int)strlen(addr), addr, p->group);
		else
			sbuf_addstr(&name, p->group);
		sbuf_addstr(out, "From: ");
		header_add_phrase(out, name.buf);
		sbuf_addf(out, " <%s@%s>\r\n", p->group, p->cfg->domain);
		if (!has_reply_to && m.n)
			sbuf_addf(out, "Reply-To: <%s>\r\n", addr);
		else if (!has_reply_to)
			add_fallback_author(out, p, "Reply-To");
		sbuf_release(&name);
	} else if (m.exact) {
		add_field(out, f);
	} else if (m.n > 0) {
		add_mailboxes(out, "From", &m);
	} else {
		add_fallback_author(out, p, "From");
	}
	message_mailboxes_release(&m);
	free(value);
}

/* Subject with the "[group]" tag in front unless the subject has it (after "Re:", say). */
static void add_subject(struct sbuf *out, const struct header_field *f, const char *tag)
{
	char *text = f ? header_text(f) : xstrdup("");
	int prefix = *tag && !strcasestr(text, tag);

	sbuf_addstr(out, "Subject:");
	if (prefix)
		sbuf_addf(out, " %s", tag);
	const char *v = f ? f->start + f->value_start : "", *end = f ? f->start + f->len : v;
	while (v < end && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++;
	if (v == end) {
		sbuf_addstr(out, "\r\n");
	} else if (!header_has_8bit(v, (size_t)(end - v))) {
		/* US-ASCII, encoded words included: passed on as the author's mailer wrote it. */
		sbuf_addch(out, ' ');
		add_lines(out, v, (size_t)(end - v));
	} else {
		sbuf_addch(out, ' ');
		header_add_text(out, text);
		sbuf_addstr(out, "\r\n");
	}
	free(text);
}

/* A field with 8-bit text that is no address, date or MIME field: taken as unstructured text and encoded. */
static void add_8bit_field(struct sbuf *out, const struct header_field *f)
{
	char *text = header_text(f);

	sbuf_add(out, f->start, f->name_len);
	sbuf_addstr(out, ": ");
	header_add_text(out, text);
	sbuf_addstr(out, "\r\n");
	free(text);
}

/* How the footer can go in without breaking the MIME structure. */
enum footer_way {
	FOOTER_APPEND,
	/*
	 * US-ASCII plain text (so labelled, or so meant by having no
	 * Content-Type) and a footer that is not: the copy is labelled UTF-8,
	 * which US-ASCII is part of, and the footer appended.
	 */
	FOOTER_APPEND_UTF8,
	FOOTER_PART,
	FOOTER_WRAP,
};

/*
 * Looks at Content-Type and Content-Transfer-Encoding (and at the body,
 * to see it is US-ASCII); boundary gets the multipart boundary if any,
 * params the other Content-Type parameters of text that is labelled
 * UTF-8 anew.
 */
static enum footer_way footer_way(const char *ctype, const char *cte, const char *footer, const char *body,
				  size_t body_len, struct sbuf *boundary, struct sbuf *params)
{
	struct mailmime_content *content = NULL;
	size_t idx = 0;
	enum footer_way way = FOOTER_WRAP;

	if (cte && strcasecmp(cte, "7bit") && strcasecmp(cte, "8bit"))
		return FOOTER_WRAP; /* base64 or quoted-printable text cannot just be appended to */
	if (!ctype) /* plain US-ASCII text (RFC 2045 5.2) */
		return header_is_ascii(footer) ? FOOTER_APPEND : header_has_8bit(body, body_len) ? FOOTER_WRAP : FOOTER_APPEND_UTF8;
	if (mailmime_content_parse(ctype, strlen(ctype), &idx, &content) != MAILIMF_NO_ERROR)
		return FOOTER_WRAP;
	const char *type = content->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
				   content->ct_type->tp_data.tp_discrete_type->dt_type == MAILMIME_DISCRETE_TYPE_TEXT
			   ? "text"
		   : content->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
				   content->ct_type->tp_data.tp_composite_type->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART
			   ? "multipart"
			   : "other";
	const char *charset = NULL, *bnd = NULL;
	for (clistiter *it = content->ct_parameters ? clist_begin(content->ct_parameters) : NULL; it;
	     it = clist_next(it)) {
		struct mailmime_parameter *param = clist_content(it);
		if (strcasecmp(param->pa_name, "charset") == 0)
			charset = param->pa_value;
		else if (strcasecmp(param->pa_name, "boundary") == 0)
			bnd = param->pa_value;
	}
	if (strcmp(type, "text") == 0 && strcasecmp(content->ct_subtype, "plain") == 0) {
		int charset_fits = header_is_ascii(footer) ||
				   (charset && (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0));
		if (charset_fits) {
			way = FOOTER_APPEND;
		} else if ((!charset || strcasecmp(charset, "us-ascii") == 0) && !header_has_8bit(body, body_len)) {
			way = FOOTER_APPEND_UTF8;
			for (clistiter *it = clist_begin(content->ct_parameters); it; it = clist_next(it)) {
				struct mailmime_parameter *param = clist_content(it);
				if (strcasecmp(param->pa_name, "charset") != 0)
					sbuf_addf(params, "; %s=\"%s\"", param->pa_name, param->pa_value);
			}
		}
	} else if (strcmp(type, "multipart") == 0 && strcasecmp(content->ct_subtype, "mixed") == 0 && bnd && *bnd) {
		sbuf_addstr(boundary, bnd);
		way = FOOTER_PART;
	}
	mailmime_content_free(content);
	return way;
}

/* The footer text with CRLF line ends and a final CRLF. */
static void footer_text(struct sbuf *out, const char *footer)
{
	for (const char *p = footer; *p; p++) {
		if (*p == '\n' && (p == footer || p[-1] != '\r'))
			sbuf_addch(out, '\r');
		sbuf_addch(out, *p);
	}
	if (out->len < 2 || out->buf[out->len - 1] != '\n')
		sbuf_addstr(out, "\r\n");
}

static void footer_part_header(struct sbuf *out)
{
	sbuf_addstr(out, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
			 "Content-Disposition: inline\r\n\r\n");
}

/* Finds the last "--boundary--" delimiter line in body; returns its offset or -1. */
static long closing_delimiter(const char *body, size_t len, const char *boundary)
{
	struct sbuf d = SBUF_INIT;
	long found = -1;

	sbuf_addf(&d, "--%s--", boundary);
	for (size_t i = 0; i + d.len <= len; i++) {
		if ((i == 0 || body[i - 1] == '\n') && memcmp(body + i, d.buf, d.len) == 0)
			found = (long)i;
	}
	sbuf_release(&d);
	return found;
}

static int forced_reply_to(const struct copy_params *p)
{
	return !p->digest && p->look && p->look->reply_to != REPLY_TO_AS_SENT;
}

/* The group's Reply-To: the group's address, or the author's (From, else the envelope sender). */
static void add_reply_to(struct sbuf *out, const struct copy_params *p, const struct header *h)
{
	if (p->look->reply_to == REPLY_TO_GROUP) {
		sbuf_addf(out, "Reply-To: <%s@%s>\r\n", p->group, p->cfg->domain);
		return;
	}
	const struct header_field *f = header_find(h, "From");
	struct message_mailboxes m = { NULL, 0, 0 };
	char *value = f ? header_value(f) : NULL;
	if (value)
		message_mailboxes_read(value, &m);
	if (m.n)
		sbuf_addf(out, "Reply-To: <%s>\r\n", m.list[0].addr);
	else if (*p->envelope_from)
		sbuf_addf(out, "Reply-To: <%s>\r\n", p->envelope_from);
	message_mailboxes_release(&m);
	free(value);
}

/* The subject prefix: the group's, else "[group]" when the config has prefixes; none on a digest. */
static void subject_tag(const struct copy_params *p, struct sbuf *tag)
{
	if (p->digest)
		return;
	if (p->look && p->look->tag)
		sbuf_addstr(tag, p->look->tag);
	else if (p->cfg->copies.subject_prefix)
		sbuf_addf(tag, "[%s]", p->group);
}

/*
 * Adds the message's own header fields, each unique one once; the MIME
 * fields of a wrapped message go to *inner, those of text labelled UTF-8
 * anew are left out.
 */
static void add_message_fields(struct sbuf *out, const struct copy_params *p, const struct header *h,
			       enum footer_way way, const struct header_field **inner, size_t *n_inner, const char *tag)
{
	/* A group that sends replies somewhere writes its own Reply-To (and DMARC's munging adds none). */
	int seen[N_UNIQUE] = { 0 }, has_reply_to = header_find(h, "Reply-To") != NULL || forced_reply_to(p);

	for (size_t i = 0; i < h->n; i++) {
		const struct header_field *f = &h->fields[i];
		/* A line that is no field would end the header for every reader after mlist: the archive keeps it. */
		if (!f->name_len || field_in(f, replaced_fields) >= 0 || (forced_reply_to(p) && header_is(f, "Reply-To")))
			continue;
		int u = field_in(f, unique_fields);
		if (u >= 0 && seen[u]++)
			continue;
		int mime = is_content_field(f) || header_is(f, "MIME-Version");
		if (way == FOOTER_WRAP && mime) {
			if (is_content_field(f))
				inner[(*n_inner)++] = f;
		} else if (way == FOOTER_APPEND_UTF8 && mime && !header_is(f, "Content-Disposition") &&
			   !header_is(f, "Content-ID") && !header_is(f, "Content-Description")) {
			continue; /* labelled anew */
		} else if (header_is(f, "Subject")) {
			add_subject(out, f, tag);
		} else if (header_is(f, "From")) {
			add_from(out, p, f, has_reply_to);
		} else if (field_in(f, address_fields) >= 0) {
			add_address_field(out, f);
		} else if (header_is(f, "Date")) {
			if (date_readable(f))
				add_field(out, f);
			else
				add_date(out, p->received);
		} else if (!is_content_field(f) && header_has_8bit(f->start + f->value_start, f->len - f->value_start)) {
			add_8bit_field(out, f);
		} else {
			add_field(out, f);
		}
	}
	/* RFC 5322 3.6: every message has a From and a Date; the copy gets them where the message lacks them. */
	if (!seen[unique_index("From")])
		add_from(out, p, NULL, has_reply_to);
	if (!seen[unique_index("Date")])
		add_date(out, p->received);
	if (!seen[unique_index("Subject")] && *tag)
		add_subject(out, NULL, tag);
	if (forced_reply_to(p))
		add_reply_to(out, p, h);
}

void copy_personal_fields(const struct config *cfg, const unsigned char *key, const struct copy_recipient *r,
			  struct sbuf *out)
{
	sbuf_addf(out, "List-Unsubscribe: <%sunsubscribe/", cfg->web.url);
	web_unsubscribe_token(key, r->member_id, r->group_id, r->address, r->group, out);
	sbuf_addf(out, ">,\r\n <mailto:%s-request@%s?subject=unsubscribe>\r\n", r->group, cfg->domain);
	sbuf_addstr(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

void copy_compose(const struct copy_params *p, const char *msg, size_t len, struct sbuf *out)
{
	const struct config *cfg = p->cfg;
	const char *domain = cfg->domain, *footer = p->digest ? NULL
					       : p->look && p->look->footer ? (*p->look->footer ? p->look->footer : NULL)
									   : cfg->copies.footer;
	struct header h;
	struct sbuf boundary = SBUF_INIT, tag = SBUF_INIT, params = SBUF_INIT;

	header_read(msg, len, &h);
	const char *body = msg + h.length;
	size_t body_len = len - h.length;
	const struct header_field *ct = header_find(&h, "Content-Type"), *cte = header_find(&h, "Content-Transfer-Encoding");
	char *ctype = ct ? header_value(ct) : NULL, *encoding = cte ? header_value(cte) : NULL;
	enum footer_way way = footer ? footer_way(ctype, encoding, footer, body, body_len, &boundary, &params)
				     : FOOTER_APPEND;
	const struct header_field **inner = xcalloc(h.n + 1, sizeof(*inner));
	size_t n_inner = 0;

	subject_tag(p, &tag);
	/* The list's own fields first: they describe the copy as a whole. */
	sbuf_addf(out, "List-Id: ");
	if (*p->group_title) {
		header_add_phrase(out, p->group_title);
		sbuf_addch(out, ' ');
	}
	sbuf_addf(out, "<%s.%s>\r\n", p->group, domain);
	sbuf_addf(out, "List-Post: <mailto:%s@%s>\r\n", p->group, domain);
	sbuf_addf(out, "List-Help: <mailto:%s-request@%s?subject=help>\r\n", p->group, domain);
	sbuf_addf(out, "List-Subscribe: <mailto:%s-request@%s?subject=subscribe>\r\n", p->group, domain);
	/* With a web archive each recipient's copy starts with their own one-click link (copy_personal_fields). */
	if (!cfg->web.url)
		sbuf_addf(out, "List-Unsubscribe: <mailto:%s-request@%s?subject=unsubscribe>\r\n", p->group, domain);
	if (cfg->web.url) {
		sbuf_addf(out, "List-Archive: <%sg/%s>\r\n", cfg->web.url, p->group);
		if (!p->digest) {
			/* RFC 5064: the post's own page (the archive checks on every request who may read it). */
			sbuf_addf(out, "Archived-At: <%sm/", cfg->web.url);
			url_escape(out, p->message_id);
			sbuf_addstr(out, ">\r\n");
		}
	} else if (cfg->copies.archive_url) {
		sbuf_addf(out, "List-Archive: <%s/%s/>\r\n", cfg->copies.archive_url, p->group);
	}
	sbuf_addstr(out, "Precedence: list\r\n");
	sbuf_addf(out, "X-Loop: %s@%s\r\n", p->group, domain);
	/* The one Message-ID: the message's own as mlist read it, or the one mlist gave it. */
	sbuf_addf(out, "Message-ID: <%s>\r\n", p->message_id);
	add_message_fields(out, p, &h, way, inner, &n_inner, tag.buf);
	if (way == FOOTER_APPEND_UTF8)
		sbuf_addf(out, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8%s\r\n"
			       "Content-Transfer-Encoding: 8bit\r\n", params.buf);
	if (!footer) {
		sbuf_addstr(out, "\r\n");
		sbuf_add(out, body, body_len);
	} else if (way == FOOTER_APPEND || way == FOOTER_APPEND_UTF8) {
		sbuf_addstr(out, "\r\n");
		sbuf_add(out, body, body_len);
		if (body_len && body[body_len - 1] != '\n')
			sbuf_addstr(out, "\r\n");
		footer_text(out, footer);
	} else if (way == FOOTER_PART) {
		long close = closing_delimiter(body, body_len, boundary.buf);
		sbuf_addstr(out, "\r\n");
		if (close < 0) {
			sbuf_add(out, body, body_len); /* broken MIME: leave it as it came */
		} else {
			sbuf_add(out, body, (size_t)close);
			sbuf_addf(out, "--%s\r\n", boundary.buf);
			footer_part_header(out);
			footer_text(out, footer);
			sbuf_add(out, body + close, body_len - (size_t)close);
		}
	} else {
		unsigned char rnd[12];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0x5a, sizeof(rnd));
		sbuf_reset(&boundary);
		sbuf_addstr(&boundary, "=_mlist_");
		for (size_t i = 0; i < sizeof(rnd); i++)
			sbuf_addf(&boundary, "%02x", rnd[i]);
		sbuf_addf(out, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary.buf);
		sbuf_addf(out, "This is a multi-part message in MIME format.\r\n--%s\r\n", boundary.buf);
		for (size_t i = 0; i < n_inner; i++)
			add_field(out, inner[i]);
		sbuf_addstr(out, "\r\n");
		sbuf_add(out, body, body_len);
		if (body_len && body[body_len - 1] != '\n')
			sbuf_addstr(out, "\r\n");
		sbuf_addf(out, "--%s\r\n", boundary.buf);
		footer_part_header(out);
		footer_text(out, footer);
		sbuf_addf(out, "--%s--\r\n", boundary.buf);
	}
	free(ctype);
	free(encoding);
	free(inner);
	header_release(&h);
	sbuf_release(&boundary);
	sbuf_release(&tag);
	sbuf_release(&params);
}
