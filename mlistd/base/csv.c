/*
 * csv: RFC 4180 reader; see csv.h.
 */
#include "csv.h"

#include <string.h>

void csv_init(struct csv_reader *r, const char *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
}

void csv_record_init(struct csv_record *rec)
{
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		sbuf_init(&rec->field[i]);
	rec->n = 0;
	rec->line = 0;
}

void csv_record_release(struct csv_record *rec)
{
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		sbuf_release(&rec->field[i]);
	rec->n = 0;
}

/* Consumes one line end (LF, CRLF or CR) at r->pos if there is one. */
static int take_eol(struct csv_reader *r)
{
	if (r->pos < r->len && r->data[r->pos] == '\r') {
		r->pos++;
		if (r->pos < r->len && r->data[r->pos] == '\n')
			r->pos++;
	} else if (r->pos < r->len && r->data[r->pos] == '\n') {
		r->pos++;
	} else {
		return 0;
	}
	r->line++;
	return 1;
}

static int at_eol(const struct csv_reader *r)
{
	return r->pos >= r->len || r->data[r->pos] == '\n' || r->data[r->pos] == '\r';
}

static void trim(struct sbuf *sb)
{
	size_t start = 0;

	while (sb->len && (sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\t'))
		sb->buf[--sb->len] = '\0';
	while (start < sb->len && (sb->buf[start] == ' ' || sb->buf[start] == '\t'))
		start++;
	if (start) {
		memmove(sb->buf, sb->buf + start, sb->len - start + 1);
		sb->len -= start;
	}
}

/* Reads a quoted field starting at the opening quote into out. */
static int read_quoted(struct csv_reader *r, struct sbuf *out, struct sbuf *why)
{
	unsigned start_line = r->line;

	r->pos++; /* the opening quote */
	for (;;) {
		if (r->pos >= r->len) {
			sbuf_addf(why, "a quoted field opened on line %u is never closed", start_line);
			return -1;
		}
		char c = r->data[r->pos];
		if (c == '"') {
			if (r->pos + 1 < r->len && r->data[r->pos + 1] == '"') {
				sbuf_addch(out, '"');
				r->pos += 2;
				continue;
			}
			r->pos++;
			break;
		}
		if (c == '\r' || c == '\n') {
			sbuf_addch(out, '\n');
			take_eol(r);
			continue;
		}
		sbuf_addch(out, c);
		r->pos++;
	}
	/* Only blanks may stand between a closing quote and the next comma or line end. */
	while (r->pos < r->len && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t'))
		r->pos++;
	if (!at_eol(r) && r->data[r->pos] != ',') {
		sbuf_addstr(why, "text after a closing quote");
		return -1;
	}
	return 0;
}

/* Skips to just past the end of the current line, after a malformed record. */
static void skip_line(struct csv_reader *r)
{
	while (!at_eol(r))
		r->pos++;
	take_eol(r);
}

int csv_next(struct csv_reader *r, struct csv_record *rec, struct sbuf *why)
{
	while (r->pos < r->len && take_eol(r))
		; /* blank lines */
	if (r->pos >= r->len)
		return 0;
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		sbuf_reset(&rec->field[i]);
	rec->n = 0;
	rec->line = r->line;
	for (;;) {
		struct sbuf scratch = SBUF_INIT;
		struct sbuf *out = rec->n < CSV_MAX_FIELDS ? &rec->field[rec->n] : &scratch;
		while (r->pos < r->len && (r->data[r->pos] == ' ' || r->data[r->pos] == '\t'))
			r->pos++;
		if (r->pos < r->len && r->data[r->pos] == '"') {
			if (read_quoted(r, out, why) < 0) {
				sbuf_release(&scratch);
				skip_line(r);
				return -1;
			}
		} else {
			while (!at_eol(r) && r->data[r->pos] != ',')
				sbuf_addch(out, r->data[r->pos++]);
			trim(out);
		}
		sbuf_release(&scratch);
		if (rec->n < CSV_MAX_FIELDS)
			rec->n++;
		if (r->pos < r->len && r->data[r->pos] == ',') {
			r->pos++;
			continue;
		}
		take_eol(r);
		return 1;
	}
}
