/*
 * mime: a message's MIME structure, parsed by libetpan, for everything
 * that looks inside a post's parts (its readable text, the content
 * policy's attachments and HTML).
 *
 * libetpan's MIME parser is given only what it needs: a minimal header
 * made of the message's own Content-Type and Content-Transfer-Encoding
 * (as header.h's tolerant reader found them) and the message's body, so
 * that no header line it cannot read stops it.  mime_offset maps a place
 * in what it parsed back to the message.
 */
#ifndef MLIST_MIME_H
#define MLIST_MIME_H

#include <stddef.h>

#include "sbuf.h"

struct mailmime;

struct mime {
	struct sbuf parsed;     /* the minimal header and the message's body */
	struct mailmime *top;   /* what libetpan made of it (freed by mime_close) */
	struct mailmime *root;  /* the message's own structure: a single part or a multipart; NULL if unreadable */
	size_t header_len;      /* octets of the message's header */
	size_t prefix_len;      /* octets of the minimal header in parsed */
	char *type;             /* the message's Content-Type value, or NULL for none */
};

/* Parses msg[0..len).  Returns 1, or 0 when libetpan could not (m->root NULL; m->type still set). */
int mime_open(const char *msg, size_t len, struct mime *m);
void mime_close(struct mime *m);

/* The message offset of p, a place in m->parsed past the minimal header. */
size_t mime_offset(const struct mime *m, const char *p);

/* Whether part is a single part of type/subtype (case-insensitive; no Content-Type is text/plain). */
int mime_is(const struct mailmime *part, const char *type, const char *subtype);
/* Its "type/subtype", lower case, into out (at least 128 octets). */
void mime_type_name(const struct mailmime *part, char *out, size_t size);
/*
 * Its file name as UTF-8 (Content-Disposition filename, else Content-Type
 * name; RFC 2231 and RFC 2047 forms decoded), or NULL.  The caller frees it.
 */
char *mime_filename(const struct mailmime *part);
/* Whether its Content-Disposition says attachment. */
int mime_disposition_attachment(const struct mailmime *part);
/*
 * Whether part is an attachment: a forwarded message, or a single part
 * that has a file name, says attachment, or is not text -- except a
 * signature (PGP, S/MIME), which belongs to the text it signs.  The
 * content policy strips these and the web archive lists them.
 */
int mime_is_attachment(const struct mailmime *part);
/* A single part's content with the transfer encoding undone. */
void mime_decoded(const struct mailmime *part, struct sbuf *out);
/* The same, with its charset turned into UTF-8 (for text parts). */
void mime_text(const struct mailmime *part, struct sbuf *out);

#endif
