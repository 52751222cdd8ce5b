/*
 * url: writing a value into a URL (RFC 3986): the copies' Archived-At
 * and the web archive's own links name posts by Message-ID and carry
 * search words, and any octet outside the unreserved set is written
 * %XX, so a value can never end the path or start a query.
 */
#ifndef MLIST_URL_H
#define MLIST_URL_H

struct sbuf;

/* Appends s with every octet but ALPHA / DIGIT / "-" / "." / "_" / "~" / "@" percent-encoded. */
void url_escape(struct sbuf *out, const char *s);

#endif
