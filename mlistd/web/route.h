/*
 * route: the web archive's strict reading of a request target and of a
 * form.  Everything a browser sends passes here first: the path must be
 * one of the pages below, made of RFC 3986 path characters only, with
 * well-formed %XX escapes; decoded, no part may hold a control character.
 * Anything else is a 400 or a 404 before a page or the store sees it.
 */
#ifndef MLIST_WEB_ROUTE_H
#define MLIST_WEB_ROUTE_H

#include <stddef.h>

struct sbuf;

enum web_page {
	PAGE_NONE,        /* no such page: 404 */
	PAGE_HOME,        /* /               my groups */
	PAGE_STYLE,       /* /style.css */
	PAGE_LOGIN,       /* /login          ask for a link */
	PAGE_LOGIN_LINK,  /* /login/TOKEN    the link from the mail */
	PAGE_LOGOUT,      /* /logout */
	PAGE_GROUP,       /* /g/NAME         a group's threads */
	PAGE_THREAD,      /* /t/ID           a thread */
	PAGE_POST,        /* /m/MESSAGE-ID   a post: to its place in its thread */
	PAGE_ATTACHMENT,  /* /a/ID/N         a post's N-th attachment */
	PAGE_SEARCH,      /* /search?q=... */
	PAGE_SETTINGS,    /* /settings */
	PAGE_UNSUBSCRIBE, /* /unsubscribe/TOKEN  one-click (RFC 8058) */
};

struct web_route {
	enum web_page page;
	char *arg;     /* the decoded NAME, TOKEN or MESSAGE-ID (freed by web_route_free), or NULL */
	long long id;  /* ID */
	long long n;   /* N */
	char *query;   /* the raw query after '?', or "" */
};

/*
 * Reads a request target ("/path?query").  Returns 0 (r->page may be
 * PAGE_NONE), or -1 when it is malformed.
 */
int web_route_parse(const char *target, struct web_route *r);
void web_route_free(struct web_route *r);

/*
 * Appends s[0..len) decoded to out: %XX, and in a form '+' as a blank.
 * Returns 0, or -1 for a broken escape, or a decoded control character
 * other than a line break or tab (form) -- or any (not form).
 */
int web_decode(const char *s, size_t len, int form, struct sbuf *out);
/*
 * The value of field name in an application/x-www-form-urlencoded text
 * (a query or a POST body), decoded into out.  Returns 1, 0 when it is
 * not there, -1 when the text is malformed.
 */
int web_field(const char *form, size_t len, const char *name, struct sbuf *out);

#endif
