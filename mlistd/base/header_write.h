/*
 * header_write: writing header field values people read, for every
 * message mlist writes (the copies, its notices): US-ASCII as it is,
 * anything else as RFC 2047 encoded words of UTF-8, folded so that no
 * line grows past 78 octets.  The reading side is header.h.
 */
#ifndef MLIST_HEADER_WRITE_H
#define MLIST_HEADER_WRITE_H

#include <stddef.h>

struct sbuf;

/* Where a header line should be folded, if it can (RFC 5322 2.1.1 asks for 78 octets). */
#define HEADER_FOLD_COLUMN 76

/* Whether s holds only US-ASCII. */
int header_is_ascii(const char *s);
/* Whether octets p[0..n) hold anything that is not US-ASCII. */
int header_has_8bit(const char *p, size_t n);
/* Octets on the last line of out so far. */
size_t header_column(const struct sbuf *out);
/* Appends unstructured text (RFC 5322 3.2.5, a Subject): as it is when US-ASCII, else encoded words. */
void header_add_text(struct sbuf *out, const char *text);
/* Appends text as an RFC 5322 phrase (a display name): a quoted string, or encoded words. */
void header_add_phrase(struct sbuf *out, const char *text);

#endif
