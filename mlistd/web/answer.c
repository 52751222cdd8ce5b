/*
 * answer: what a page writes into its answer besides the body (headers,
 * cookies, a redirect, an error page) and how it reads its form; see
 * web.h.  Below the pages and session.c, which use it, and server.c,
 * which sends what they wrote.
 */
#include <string.h>
#include <syslog.h>

#include "html.h"
#include "log.h"
#include "store.h"
#include "web.h"
#include "words.h"

void web_header(struct web_request *rq, const char *name, const char *value)
{
	if (rq->n_headers == WEB_MAX_HEADERS)
		return;
	rq->headers[rq->n_headers][0] = xstrdup(name);
	rq->headers[rq->n_headers][1] = xstrdup(value);
	rq->n_headers++;
}

void web_redirect(struct web_request *rq, const char *location)
{
	rq->status = 303;
	web_header(rq, "Location", location);
	sbuf_reset(&rq->out);
}

void web_error(struct web_request *rq, int status, const char *message)
{
	rq->status = status;
	rq->content_type = "text/html; charset=utf-8";
	sbuf_reset(&rq->out);
	html_page_start(&rq->out, rq->words, message, rq->logged_in ? rq->person.address : NULL,
			rq->logged_in ? rq->person.csrf : NULL);
	sbuf_addstr(&rq->out, "<p><a href=\"/\">");
	html_str(&rq->out, rq->words->my_groups);
	sbuf_addstr(&rq->out, "</a></p>\n");
	html_page_end(&rq->out);
}

void web_store_failed(struct web_request *rq)
{
	log_msg(LOG_ERR, "web: store: %s", store_error(rq->w->st));
	web_error(rq, 500, "500");
}

int web_form(struct web_request *rq, const char *name, struct sbuf *out)
{
	return web_field(rq->body ? rq->body : "", rq->body_len, name, out);
}

int web_csrf_ok(struct web_request *rq)
{
	struct sbuf got = SBUF_INIT;
	int ok = rq->post && rq->logged_in && web_form(rq, "csrf", &got) == 1 && *rq->person.csrf &&
		 strcmp(got.buf, rq->person.csrf) == 0;

	sbuf_release(&got);
	if (!ok)
		web_error(rq, 403, rq->words->forbidden);
	return ok;
}

void web_cookie(struct web_request *rq, const char *name, const char *value, long long max_age)
{
	struct sbuf c = SBUF_INIT;

	sbuf_addf(&c, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s", name, value, max_age,
		  rq->w->secure ? "; Secure" : "");
	web_header(rq, "Set-Cookie", c.buf);
	sbuf_release(&c);
}
