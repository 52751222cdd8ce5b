/*
 * content: what a post carries, for the group's content policy, and the
 * post rewritten to fit it.
 *
 * content_scan finds the facts the verdict needs (verdict.h): how many
 * attachments, the first part of a kind no group ever passes on
 * (executables, scripts, macro-enabled Office documents, by Content-Type
 * and by file name, names inside a zip file included), and whether the
 * text is HTML with no plain alternative.  An attachment is any part
 * that is not the text of the post: a part with a file name, or said to
 * be an attachment, or of a type other than text; the signature of a
 * signed post is none.
 *
 * content_rewrite makes the copy a group with attachments = strip or
 * html = text gets: each attachment replaced by a short text that names
 * what was removed (so readers know to ask), and HTML without a plain
 * alternative replaced by its text (html_text.h).  The sorter rewrites
 * the spool file before the post is recorded, so the archive, digests
 * and a moderator's copy never hold what was taken out.
 */
#ifndef MLIST_CONTENT_H
#define MLIST_CONTENT_H

#include <stddef.h>

struct sbuf;

/* A group's content settings (names.h has their names, in this order). */
enum attachment_policy { ATTACHMENTS_ALLOW, ATTACHMENTS_HOLD, ATTACHMENTS_STRIP };
enum html_policy { HTML_KEEP, HTML_TEXT };

struct content_facts {
	int attachments;     /* parts that are attachments */
	char refused[200];   /* the first refused part, as "NAME (TYPE)", or "" */
	int html_only;       /* the text is HTML, with no text/plain beside it */
};

void content_scan(const char *msg, size_t len, struct content_facts *f);

/*
 * Appends msg[0..len) rewritten to out: attachments removed when strip,
 * HTML-only text made plain when html_text.  Returns 1, or 0 when
 * nothing needed changing (out untouched).
 */
int content_rewrite(const char *msg, size_t len, int strip, int html_text, struct sbuf *out);

#endif
