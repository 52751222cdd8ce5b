/*
 * html_text: an HTML body as plain text for a group that takes no HTML
 * (content policy html = text).  libxml2's HTML parser reads the markup
 * (it copes with tag soup as browsers do); the text keeps the structure a
 * reader needs: paragraphs, headings and table rows on lines of their
 * own, line breaks, list items as "- ", a link as "text <url>" when the
 * url is not the text itself; scripts, styles and the head left out, and
 * runs of blanks made one as a browser shows them.
 */
#ifndef MLIST_HTML_TEXT_H
#define MLIST_HTML_TEXT_H

#include <stddef.h>

struct sbuf;

/* Appends the text of the UTF-8 HTML html[0..len) to out, lines ending in CRLF. */
void html_text(const char *html, size_t len, struct sbuf *out);

#endif
