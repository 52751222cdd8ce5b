/*
 * web: the web archive's request, as the pages see it.
 *
 * server.c reads a request (libmicrohttpd), checks its target (route.h),
 * finds the person behind its session cookie and hands it to one page
 * function; the page writes its answer into the request (status, body,
 * headers) and server.c sends it with the security headers every answer
 * has.  Pages never touch HTTP themselves, and they reach the store only
 * through store_web.h, which decides who may read what.
 */
#ifndef MLIST_WEB_H
#define MLIST_WEB_H

#include <stddef.h>

#include "route.h"
#include "sbuf.h"
#include "store_web.h"
#include "web_token.h"

struct config;
struct spool;
struct store;
struct web_words;
struct web_limits;

/* What the web archive keeps while it runs. */
struct web {
	const struct config *cfg;
	struct store *st;
	struct spool *sp;
	unsigned char key[WEB_KEY_SIZE]; /* of the unsubscribe links (web_token.h) */
	int secure;                      /* the public url is https: cookies get Secure */
	struct web_limits *limits;       /* login rate limits (session.c) */
	struct web_login_wait *logins;   /* login mails still to write (session.c) */
};

#define WEB_MAX_HEADERS 4
#define WEB_SESSION_COOKIE "mlist_session"
#define WEB_FORM_COOKIE "mlist_form" /* the login forms' double-submit token */

struct web_request {
	struct web *w;
	int post;                  /* method POST (else GET or HEAD) */
	struct web_route route;
	const char *body;          /* a POST's form, body_len octets */
	size_t body_len;
	const char *session;       /* the session cookie, or NULL */
	const char *form_cookie;   /* the login form's cookie (double-submit), or NULL */
	const char *client;        /* the client's address, for rate limits */
	int logged_in;
	struct web_person person;  /* when logged_in */
	const struct web_words *words;
	long long now;

	/* The answer. */
	int status;                /* 200 unless a page says otherwise */
	const char *content_type;  /* text/html unless a page says otherwise */
	struct sbuf out;
	char *headers[WEB_MAX_HEADERS][2]; /* more headers (name, value), owned */
	size_t n_headers;
};

/* Adds a header to the answer (copied). */
void web_header(struct web_request *rq, const char *name, const char *value);
/* A 303 to location (a path of ours). */
void web_redirect(struct web_request *rq, const char *location);
/* A plain page with a title and one sentence, status as given (404, 400, ...). */
void web_error(struct web_request *rq, int status, const char *message);
/* Whether a POST's csrf field is the session's token (else answers 403 and returns 0). */
int web_csrf_ok(struct web_request *rq);
/* The form field name of a POST's body into out: 1, 0 (not there), -1 (malformed). */
int web_form(struct web_request *rq, const char *name, struct sbuf *out);
/* A store failure: logged, and a 500 for the person. */
void web_store_failed(struct web_request *rq);
/* Sets a cookie: HttpOnly, SameSite=Lax, Path=/, Secure over https; max_age 0 removes it. */
void web_cookie(struct web_request *rq, const char *name, const char *value, long long max_age);

/* session.c */
int web_session_start(struct web *w);
void web_session_stop(struct web *w);
/* Finds the person behind rq->session (rq->logged_in).  -1 on a store failure. */
int web_session_find(struct web_request *rq);
/* Writes the login mails asked for since the last call (after the answers went out). */
void web_login_mails(struct web *w);
void page_login(struct web_request *rq);
void page_login_link(struct web_request *rq);
void page_logout(struct web_request *rq);

/* page_groups.c */
void page_home(struct web_request *rq);
void page_group(struct web_request *rq);
/* page_thread.c */
void page_thread(struct web_request *rq);
void page_post(struct web_request *rq);
void page_attachment(struct web_request *rq);
/* page_search.c */
void page_search(struct web_request *rq);
/* page_settings.c */
void page_settings(struct web_request *rq);
void page_unsubscribe(struct web_request *rq);

#endif
