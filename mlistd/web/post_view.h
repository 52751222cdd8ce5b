/*
 * post_view: what the web archive shows of a post, read from its
 * archived message by one walk over its MIME parts (base/mime.h): the
 * readable text and the attachments.  The thread page, attachment
 * downloads and the search index all use it, so a post's text and its
 * attachments' numbers are the same everywhere.
 *
 * The text is every text/plain part in order; an HTML part is made
 * plain text (html_text.h) and never shown as HTML; of a
 * multipart/alternative only the plain part is shown when there is one.
 * Attachments (mime_is_attachment) are numbered from 1 in the order of
 * the walk; a forwarded message is one attachment, served as it is.
 */
#ifndef MLIST_WEB_POST_VIEW_H
#define MLIST_WEB_POST_VIEW_H

#include <stddef.h>

#include "sbuf.h"

struct post_attachment {
	char *name;     /* its file name (UTF-8), or a made-up one ("attachment-N") */
	char type[128]; /* "type/subtype", lower case */
	size_t size;    /* decoded octets */
};

struct post_view {
	struct sbuf text;  /* UTF-8 as the message had it (not checked; html_escape makes it safe) */
	int from_html;     /* some of the text was HTML */
	struct post_attachment *attachments;
	size_t n_attachments;
};

/* Reads msg[0..len) (a whole message: header and body).  Never fails: an unreadable structure is its raw body as text. */
void post_view_read(const char *msg, size_t len, struct post_view *v);
void post_view_free(struct post_view *v);
/*
 * The n-th attachment's decoded content into out, and its name and type
 * into a (freed by the caller with free(a->name)).  Returns 1, or 0 when
 * the post has no such attachment.
 */
int post_view_attachment(const char *msg, size_t len, long long n, struct sbuf *out, struct post_attachment *a);

#endif
