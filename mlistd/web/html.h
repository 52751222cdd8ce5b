/*
 * html: the one way anything reaches a web page.  html_escape is the
 * only function that writes text from mail, the store or a request into
 * HTML: it escapes the five characters HTML gives meaning to (so text
 * can never open a tag, end an attribute or start an entity), drops
 * control characters and replaces bytes that are not UTF-8, so a broken
 * subject cannot make the browser guess.  Everything else on a page is
 * written by mlist's own code as literal markup.
 *
 * The page frame holds no script and no inline style: the stylesheet is
 * /style.css, and the Content-Security-Policy (server.c) allows nothing
 * else.
 */
#ifndef MLIST_WEB_HTML_H
#define MLIST_WEB_HTML_H

#include <stddef.h>

struct sbuf;
struct web_words;

void html_escape(struct sbuf *out, const char *s, size_t len);
/* html_escape of a C string (html_text.h is the other thing: HTML made plain text). */
void html_str(struct sbuf *out, const char *s);
/* A date (UTC seconds) as "2026-12-06 14:05" (local time of the server). */
void html_date(struct sbuf *out, long long when);
/* A size as "12 kB". */
void html_size(struct sbuf *out, long long bytes);

/*
 * The start of a page: doctype, head with title, and the top bar (the
 * person's address and the logout button when logged_in, whose form
 * carries csrf).
 */
void html_page_start(struct sbuf *out, const struct web_words *w, const char *title, const char *address,
		     const char *csrf);
void html_page_end(struct sbuf *out);
/* A hidden form field with the CSRF token. */
void html_csrf(struct sbuf *out, const char *csrf);

/* The stylesheet served as /style.css. */
extern const char html_style[];

#endif
