/*
 * header: a tolerant reader of RFC 5322 header fields; see header.h.
 */
#include "header.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbuf.h"

/* Whether c may stand in a field name (RFC 5322 ftext: printable US-ASCII but the colon). */
static int is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* Length of the line at p (its line end included), within left octets. */
static size_t line_length(const char *p, size_t left)
{
	const char *eol = memchr(p, '\n', left);

	return eol ? (size_t)(eol - p) + 1 : left;
}

/* Whether the line of n octets at p is the empty line that ends the header. */
static int is_empty_line(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Reads the name of a field line: sets name_len and value_start, or leaves name_len 0 for no field. */
static void read_name(struct header_field *f)
{
	size_t i = 0;

	while (i < f->len && is_ftext((unsigned char)f->start[i]))
		i++;
	size_t name = i;
	/* Obsolete syntax (RFC 5322 4.5.1): blanks between the name and the colon. */
	while (i < f->len && (f->start[i] == ' ' || f->start[i] == '\t'))
		i++;
	if (name > 0 && i < f->len && f->start[i] == ':') {
		f->name_len = name;
		f->value_start = i + 1;
	}
}

void header_read(const char *msg, size_t len, struct header *h)
{
	size_t i = 0, room = 0, named = 0;

	memset(h, 0, sizeof(*h));
	while (i < len) {
		const char *line = msg + i;
		size_t n = line_length(line, len - i);
		i += n;
		if (is_empty_line(line, n))
			break;
		if ((line[0] == ' ' || line[0] == '\t') && h->n > 0) {
			h->fields[h->n - 1].len += n; /* a folded continuation of the line before */
			continue;
		}
		if (h->n == room) {
			room = room ? 2 * room : 32;
			h->fields = xrealloc(h->fields, room * sizeof(*h->fields));
		}
		struct header_field *f = &h->fields[h->n++];
		memset(f, 0, sizeof(*f));
		f->start = line;
		f->len = n;
		read_name(f);
		named += f->name_len > 0;
	}
	h->length = i;
	if (named == 0 && h->n > 0) {
		/* Not one field: this is no header but text without one, all of it body (RFC 5322 allows that). */
		h->n = 0;
		h->length = 0;
	}
}

void header_release(struct header *h)
{
	free(h->fields);
	memset(h, 0, sizeof(*h));
}

int header_is(const struct header_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && strncasecmp(f->start, name, n) == 0;
}

const struct header_field *header_find(const struct header *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++) {
		if (header_is(&h->fields[i], name))
			return &h->fields[i];
	}
	return NULL;
}

char *header_value(const struct header_field *f)
{
	struct sbuf v = SBUF_INIT;

	for (size_t i = f->value_start; f->name_len && i < f->len; i++) {
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

/* Whether s is valid UTF-8 (plain ASCII is). */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		int more = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2 : (*s & 0xF8) == 0xF0 ? 3 : -1;
		if (more < 0 || (more == 1 && *s < 0xC2))
			return 0;
		s++;
		for (; more > 0; more--, s++) {
			if ((*s & 0xC0) != 0x80)
				return 0;
		}
	}
	return 1;
}

char *header_decode(const char *raw)
{
	const char *from = valid_utf8((const unsigned char *)raw) ? "utf-8" : "windows-1252";
	size_t idx = 0;
	char *out = NULL;

	if (mailmime_encoded_phrase_parse(from, raw, strlen(raw), &idx, "utf-8", &out) == MAILIMF_NO_ERROR && out) {
		char *copy = xstrdup(out);
		free(out);
		return copy;
	}
	free(out);
	/* Not even a phrase libetpan can read: the text itself, in UTF-8. */
	out = NULL;
	if (strcmp(from, "utf-8") != 0 && charconv("utf-8", from, raw, strlen(raw), &out) == MAIL_CHARCONV_NO_ERROR) {
		char *copy = xstrdup(out);
		free(out); /* charconv's result is malloc'd (charconv_buffer_free is for charconv_buffer's) */
		return copy;
	}
	return xstrdup(raw);
}

char *header_text(const struct header_field *f)
{
	char *raw = header_value(f);
	char *text = header_decode(raw);

	free(raw);
	return text;
}

size_t header_skip_cfws(const char *s, size_t i)
{
	for (;;) {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			i++;
		if (s[i] != '(')
			return i;
		size_t j = i + 1;
		int depth = 1;
		for (; s[j] && depth > 0; j++) {
			if (s[j] == '\\' && s[j + 1])
				j++;
			else if (s[j] == '(')
				depth++;
			else if (s[j] == ')')
				depth--;
		}
		if (depth > 0)
			return i; /* an unclosed comment is no comment */
		i = j;
	}
}

size_t header_mbox_from(const char *msg, size_t len)
{
	if (len < 5 || memcmp(msg, "From ", 5) != 0)
		return 0;
	size_t n = line_length(msg, len);
	/* "From :" would be an obsolete From field, not an mbox line. */
	size_t i = 5;
	while (i < n && (msg[i] == ' ' || msg[i] == '\t'))
		i++;
	return i < n && msg[i] == ':' ? 0 : n;
}
