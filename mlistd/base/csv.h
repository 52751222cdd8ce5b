/*
 * csv: a reader for the comma-separated files administrators import
 * member lists from (RFC 4180, as spreadsheets write it).
 *
 * It takes the whole file in memory, skips a UTF-8 byte-order mark,
 * accepts LF, CRLF and CR line ends, quoted fields with "" escapes and
 * line breaks inside quotes, and skips blank lines.  Unquoted fields are
 * trimmed of surrounding blanks.  Each record carries the line number it
 * started on, so errors can name it.
 */
#ifndef MLIST_CSV_H
#define MLIST_CSV_H

#include <stddef.h>

#include "sbuf.h"

#define CSV_MAX_FIELDS 16

struct csv_reader {
	const char *data; /* the file's bytes (not owned) */
	size_t len;       /* their number */
	size_t pos;       /* where the next record starts */
	unsigned line;    /* line number at pos, from 1 */
};

struct csv_record {
	struct sbuf field[CSV_MAX_FIELDS]; /* the fields' text */
	int n;                               /* fields in this record (extra ones are dropped) */
	unsigned line;                       /* line the record starts on */
};

void csv_init(struct csv_reader *r, const char *data, size_t len);
void csv_record_init(struct csv_record *rec);
void csv_record_release(struct csv_record *rec);
/*
 * Reads the next record into rec.  Returns 1 for a record, 0 at the end,
 * -1 for a malformed one (with the reason in why); after -1 the reader
 * has skipped to the next line, so reading can go on.
 */
int csv_next(struct csv_reader *r, struct csv_record *rec, struct sbuf *why);

#endif
