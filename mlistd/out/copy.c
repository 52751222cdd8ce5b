/*
 * copy: composing the outgoing copy; see copy.h.
 */
#define _GNU_SOURCE
#include "copy.h"

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "config.h"
#include "sbuf.h"

/* Header fields mlist sets itself: any the message brings are dropped. */
static const char *const replaced_fields[] = {
	"List-Id", "List-Post", "List-Help", "List-Subscribe", "List-Unsubscribe",
	"List-Unsubscribe-Post", "List-Archive", "List-Owner", "Precedence", "X-Loop", "Return-Path", NULL,
};

/* One header field as it stands in the message, folding lines included. */
struct field {
	const char *start; /* "Name: value\r\n ..." */
	size_t len;
	size_t name_len;   /* length of the name before the colon */
};

static int field_is(const struct field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->start, name, f->name_len) == 0;
}

/* The field's value after "Name:", unfolded and trimmed; the caller frees it. */
static char *field_value(const struct field *f)
{
	struct sbuf v = SBUF_INIT;

	for (size_t i = f->name_len + 1; i < f->len; i++) {
		char c = f->start[i];
		if (c == '\r' || c == '\n')
			continue;
		if ((c == ' ' || c == '\t') && (v.len == 0 || v.buf[v.len - 1] == ' '))
			continue;
		sbuf_addch(&v, c == '\t' ? ' ' : c);
	}
	while (v.len && v.buf[v.len - 1] == ' ')
		v.buf[--v.len] = '\0';
	return sbuf_detach(&v);
}

/*
 * Splits the header into fields; returns how many (at most max) and sets
 * *body to where the body starts.  Lines without a colon are kept as
 * fields of their own (name_len 0), so nothing the author wrote is lost.
 */
static size_t split_header(const char *msg, size_t len, struct field *fields, size_t max, size_t *body)
{
	size_t n = 0, i = 0;

	while (i < len) {
		const char *line = msg + i;
		const char *eol = memchr(line, '\n', len - i);
		size_t line_len = eol ? (size_t)(eol - line) + 1 : len - i;
		if (line_len <= 2 && (line[0] == '\n' || (line[0] == '\r' && line_len == 2))) {
			i += line_len; /* the empty line */
			break;
		}
		if ((line[0] == ' ' || line[0] == '\t') && n > 0) {
			fields[n - 1].len += line_len; /* a folded continuation */
		} else if (n < max) {
			const char *colon = memchr(line, ':', line_len);
			fields[n].start = line;
			fields[n].len = line_len;
			fields[n].name_len = colon ? (size_t)(colon - line) : 0;
			n++;
		}
		i += line_len;
	}
	*body = i;
	return n;
}

/* Adds a raw field, making sure it ends with CRLF. */
static void add_raw(struct sbuf *out, const char *p, size_t len)
{
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	sbuf_add(out, p, len);
	sbuf_addstr(out, "\r\n");
}

static int is_ascii(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

/* Length of the UTF-8 character starting at s. */
static size_t utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;

	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

void copy_phrase(struct sbuf *out, const char *text)
{
	if (is_ascii(text)) {
		/* A quoted string is always a valid phrase; escape what needs it. */
		sbuf_addch(out, '"');
		for (const char *p = text; *p; p++) {
			if (*p == '"' || *p == '\\')
				sbuf_addch(out, '\\');
			if (*p != '\r' && *p != '\n')
				sbuf_addch(out, *p);
		}
		sbuf_addch(out, '"');
		return;
	}
	/* RFC 2047 B-encoding, in words of at most 45 octets of text, never splitting a character. */
	const char *p = text;
	int first = 1;
	while (*p) {
		size_t n = 0;
		while (p[n] && n + utf8_len(p + n) <= 45)
			n += utf8_len(p + n);
		if (n == 0)
			n = strlen(p);
		gnutls_datum_t in = { (unsigned char *)p, (unsigned)n }, enc = { NULL, 0 };
		if (gnutls_base64_encode2(&in, &enc) < 0)
			break;
		sbuf_addf(out, "%s=?utf-8?b?%.*s?=", first ? "" : " ", (int)enc.size, (const char *)enc.data);
		gnutls_free(enc.data);
		first = 0;
		p += n;
	}
}

/* How the footer can go in without breaking the MIME structure. */
enum footer_way { FOOTER_APPEND, FOOTER_PART, FOOTER_WRAP };

/* Looks at Content-Type and Content-Transfer-Encoding; boundary gets the multipart boundary if any. */
static enum footer_way footer_way(const char *ctype, const char *cte, const char *footer, struct sbuf *boundary)
{
	struct mailmime_content *content = NULL;
	size_t idx = 0;
	enum footer_way way = FOOTER_WRAP;

	if (cte && strcasecmp(cte, "7bit") && strcasecmp(cte, "8bit"))
		return FOOTER_WRAP; /* base64 or quoted-printable text cannot just be appended to */
	if (!ctype)
		return is_ascii(footer) ? FOOTER_APPEND : FOOTER_WRAP; /* plain us-ascii text */
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
		int charset_fits = is_ascii(footer) ||
				   (charset && (strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0));
		if (charset_fits)
			way = FOOTER_APPEND;
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

static int is_content_field(const struct field *f)
{
	return f->name_len > 8 && strncasecmp(f->start, "Content-", 8) == 0;
}

void copy_compose(const struct copy_params *p, const char *msg, size_t len, struct sbuf *out)
{
	const struct config *cfg = p->cfg;
	const char *domain = cfg->domain, *footer = cfg->copies.footer;
	struct field fields[512];
	size_t body_off, n = split_header(msg, len, fields, sizeof(fields) / sizeof(fields[0]), &body_off);
	char *ctype = NULL, *cte = NULL;
	int has_subject = 0, has_reply_to = 0, munge = cfg->copies.dmarc == DMARC_MUNGE;
	struct sbuf boundary = SBUF_INIT, tag = SBUF_INIT;

	sbuf_addf(&tag, "[%s]", p->group);
	for (size_t i = 0; i < n; i++) {
		if (field_is(&fields[i], "Content-Type") && !ctype)
			ctype = field_value(&fields[i]);
		else if (field_is(&fields[i], "Content-Transfer-Encoding") && !cte)
			cte = field_value(&fields[i]);
		else if (field_is(&fields[i], "Reply-To"))
			has_reply_to = 1;
	}
	enum footer_way way = footer ? footer_way(ctype, cte, footer, &boundary) : FOOTER_APPEND;

	/* The list's own fields first: they describe the copy as a whole. */
	sbuf_addf(out, "List-Id: ");
	if (*p->group_title) {
		copy_phrase(out, p->group_title);
		sbuf_addch(out, ' ');
	}
	sbuf_addf(out, "<%s.%s>\r\n", p->group, domain);
	sbuf_addf(out, "List-Post: <mailto:%s@%s>\r\n", p->group, domain);
	sbuf_addf(out, "List-Help: <mailto:%s-request@%s?subject=help>\r\n", p->group, domain);
	sbuf_addf(out, "List-Subscribe: <mailto:%s-request@%s?subject=subscribe>\r\n", p->group, domain);
	sbuf_addf(out, "List-Unsubscribe: <mailto:%s-request@%s?subject=unsubscribe>\r\n", p->group, domain);
	if (cfg->copies.archive_url)
		sbuf_addf(out, "List-Archive: <%s/%s/>\r\n", cfg->copies.archive_url, p->group);
	sbuf_addstr(out, "Precedence: list\r\n");
	sbuf_addf(out, "X-Loop: %s@%s\r\n", p->group, domain);
	if (p->message_id)
		sbuf_addf(out, "Message-ID: <%s>\r\n", p->message_id);

	for (size_t i = 0; i < n; i++) {
		const struct field *f = &fields[i];
		int dropped = 0;
		for (int k = 0; replaced_fields[k]; k++)
			dropped |= field_is(f, replaced_fields[k]);
		if (dropped || (way == FOOTER_WRAP && footer && (is_content_field(f) || field_is(f, "MIME-Version"))))
			continue;
		if (field_is(f, "Subject")) {
			has_subject = 1;
			if (cfg->copies.subject_prefix && !strcasestr(p->subject, tag.buf)) {
				const char *v = f->start + f->name_len + 1, *end = f->start + f->len;
				while (v < end && (*v == ' ' || *v == '\t'))
					v++;
				sbuf_addf(out, "Subject: %s ", tag.buf);
				add_raw(out, v, f->len - (size_t)(v - f->start));
				continue;
			}
		}
		if (field_is(f, "From") && munge) {
			struct sbuf name = SBUF_INIT;
			const char *at = strchr(p->from_addr, '@');
			if (*p->from_name)
				sbuf_addf(&name, "%s via %s", p->from_name, p->group);
			else
				sbuf_addf(&name, "%.*s via %s", at ? (int)(at - p->from_addr) : (int)strlen(p->from_addr),
					  p->from_addr, p->group);
			sbuf_addstr(out, "From: ");
			copy_phrase(out, name.buf);
			sbuf_addf(out, " <%s@%s>\r\n", p->group, domain);
			if (!has_reply_to && *p->from_addr)
				sbuf_addf(out, "Reply-To: <%s>\r\n", p->from_addr);
			sbuf_release(&name);
			continue;
		}
		add_raw(out, f->start, f->len);
	}
	if (!has_subject && cfg->copies.subject_prefix)
		sbuf_addf(out, "Subject: %s\r\n", tag.buf);

	const char *body = msg + body_off;
	size_t body_len = len - body_off;
	if (!footer) {
		sbuf_addstr(out, "\r\n");
		sbuf_add(out, body, body_len);
	} else if (way == FOOTER_APPEND) {
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
		for (size_t i = 0; i < n; i++) {
			if (is_content_field(&fields[i]))
				add_raw(out, fields[i].start, fields[i].len);
		}
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
	free(cte);
	sbuf_release(&boundary);
	sbuf_release(&tag);
}
