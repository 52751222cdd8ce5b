/*
 * header: the one reader of a message's header, for all of mlist (the
 * sorter's facts, the copy, the loop and automatic-mail checks).
 *
 * It finds every field by RFC 5322's field syntax, the obsolete forms of
 * its section 4.5 included: blanks between a name and its colon
 * ("Subject   : Hello"), folded continuation lines, 8-bit text.  A line
 * that is no field (no colon, or a name with characters a name cannot
 * have) is kept where it stands, as it is, and never hides the fields
 * after it, which is where libetpan's own header parser gives up.  A
 * leading mbox "From " line is recognised, so that intake drops it.
 * Lines without a single field among them are no header: text that came
 * without one, which is all body.
 * What is inside the fields (addresses, dates, MIME parameters) is still
 * libetpan's to parse; this module hands it each field's value.
 */
#ifndef MLIST_HEADER_H
#define MLIST_HEADER_H

#include <stddef.h>

/* One field (or one line that is no field) as it stands in the message. */
struct header_field {
	const char *start;   /* its first octet: the name, or the line that is no field */
	size_t len;          /* up to and including the line end of its last (folded) line */
	size_t name_len;     /* octets of the name, blanks before the colon left out; 0: no field */
	size_t value_start;  /* offset of the value (just after the colon) from start */
};

struct header {
	struct header_field *fields; /* in order; owned, freed by header_release */
	size_t n;
	size_t length;               /* octets of the header including the empty line (or all of a message without one) */
};

/* Reads the header of msg[0..len) into h.  Never fails: at worst every line is "no field". */
void header_read(const char *msg, size_t len, struct header *h);
void header_release(struct header *h);

/* Whether f is a field called name (case-insensitive; obsolete blanks before the colon do not count). */
int header_is(const struct header_field *f, const char *name);
/* The first field called name, or NULL. */
const struct header_field *header_find(const struct header *h, const char *name);
/* Its value unfolded: line breaks gone, runs of blanks one space, trimmed.  The caller frees it. */
char *header_value(const struct header_field *f);
/*
 * Its value as UTF-8 text for a person: RFC 2047 encoded words decoded,
 * 8-bit text taken as UTF-8 where it is valid UTF-8 and as windows-1252
 * where not (mail in the wild has both).  The caller frees it.
 */
char *header_text(const struct header_field *f);
/* The same decoding for a piece of a field (a display name, say). */
char *header_decode(const char *raw);

/*
 * Where s[i..] goes on after blanks and comments ("(...)", nested, with
 * quoted pairs): RFC 5322's CFWS, which may stand after any structured
 * value ("Date: ... +0100 (CET)", "From: jan@x (Jan)").
 */
size_t header_skip_cfws(const char *s, size_t i);

/*
 * The length of a leading mbox "From " line of msg (its line end
 * included), or 0: the envelope line of an mbox archive or of formail,
 * which is no header field and must not reach a copy.
 */
size_t header_mbox_from(const char *msg, size_t len);

#endif
