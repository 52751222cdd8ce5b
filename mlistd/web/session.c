/*
 * session: logging in without a password, and staying logged in.
 *
 * A person asks for a link at /login; the answer is the same page for
 * any address, and it is given before the address is even looked up:
 * the lookup and the mail happen after the answer went out
 * (web_login_mails), so neither the words nor the time of the answer
 * tell whether an address is a member.  The link (/login/TOKEN) works
 * for 15 minutes and once.  Opening it shows a button, and only its POST
 * uses the link up: mail scanners that fetch every link in a message
 * would otherwise spend it before the person clicks.
 *
 * Both forms carry a double-submit token, also set as a cookie, so no
 * other site can post them (login CSRF: logging someone in as yourself).
 * A session is a cookie of 128 random bits; the store keeps only their
 * SHA-256, and each session has its own form token (csrf) for the forms
 * of a logged-in person.
 *
 * Asking for links is limited in memory: 3 per address and 10 per client
 * in 15 minutes.  A restart forgets the counts, which costs an attacker
 * little: each link still goes only to the address's own mailbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "address.h"
#include "config.h"
#include "html.h"
#include "log.h"
#include "notice.h"
#include "spool.h"
#include "store.h"
#include "texts.h"
#include "template.h"
#include "web.h"
#include "words.h"

#define LINK_SECONDS (15 * 60)
#define SESSION_SECONDS (30LL * 24 * 3600)
#define LIMIT_WINDOW (15 * 60)
#define LIMIT_PER_ADDRESS 3
#define LIMIT_PER_CLIENT 10
#define MAX_WAITING 1000 /* login mails still to write; more asks are answered 429 */
#define MAX_ASKS 20000   /* asks remembered at all: a flood from many clients is refused whole, not counted */
#define FORM_FIELD "form"

/* One ask for a link, kept LIMIT_WINDOW seconds: by address ("a:...") and by client ("c:..."). */
struct web_ask {
	long long when;
	char *key;
};

struct web_limits {
	struct web_ask *asks;
	size_t n, cap;
};

struct web_login_wait {
	char **addresses;
	size_t n;
};

int web_session_start(struct web *w)
{
	w->limits = xcalloc(1, sizeof(*w->limits));
	w->logins = xcalloc(1, sizeof(*w->logins));
	return 0;
}

void web_session_stop(struct web *w)
{
	if (w->limits) {
		for (size_t i = 0; i < w->limits->n; i++)
			free(w->limits->asks[i].key);
		free(w->limits->asks);
		free(w->limits);
	}
	if (w->logins) {
		for (size_t i = 0; i < w->logins->n; i++)
			free(w->logins->addresses[i]);
		free(w->logins->addresses);
		free(w->logins);
	}
	w->limits = NULL;
	w->logins = NULL;
}

/* Forgets asks older than the window (they are in time order). */
static void limits_expire(struct web_limits *l, long long now)
{
	size_t old = 0;

	while (old < l->n && l->asks[old].when <= now - LIMIT_WINDOW)
		free(l->asks[old++].key);
	if (old == 0)
		return;
	memmove(l->asks, l->asks + old, (l->n - old) * sizeof(*l->asks));
	l->n -= old;
}

static size_t limits_count(const struct web_limits *l, const char *key)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strcmp(l->asks[i].key, key) == 0;
	return n;
}

static void limits_add(struct web_limits *l, long long now, const char *key)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->asks = xrealloc(l->asks, l->cap * sizeof(*l->asks));
	}
	l->asks[l->n].when = now;
	l->asks[l->n].key = xstrdup(key);
	l->n++;
}

/*
 * Whether one more ask from client for address is within the limits; if
 * so it is counted.  Every ask counts against the client, refused or not.
 */
static int limits_allow(struct web_limits *l, long long now, const char *client, const char *address)
{
	struct sbuf by_client = SBUF_INIT, by_address = SBUF_INIT;
	int ok;

	limits_expire(l, now);
	if (l->n >= MAX_ASKS)
		return 0;
	sbuf_addf(&by_client, "c:%s", client);
	sbuf_addf(&by_address, "a:%s", address);
	ok = limits_count(l, by_client.buf) < LIMIT_PER_CLIENT && limits_count(l, by_address.buf) < LIMIT_PER_ADDRESS;
	if (limits_count(l, by_client.buf) < LIMIT_PER_CLIENT * 2)
		limits_add(l, now, by_client.buf);
	if (ok)
		limits_add(l, now, by_address.buf);
	sbuf_release(&by_client);
	sbuf_release(&by_address);
	return ok;
}

/* A token as we make them: 32 hex digits. */
static int is_token(const char *s)
{
	return s && strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

int web_session_find(struct web_request *rq)
{
	char hash[65];
	int r;

	rq->logged_in = 0;
	if (!is_token(rq->session))
		return 0;
	web_token_hash(rq->session, hash);
	r = store_web_session_get(rq->w->st, hash, rq->now, &rq->person);
	if (r < 0)
		return -1;
	rq->logged_in = r == 1;
	return 0;
}

/* Whether a login form's token is there and is the one in its cookie. */
static int form_ok(struct web_request *rq)
{
	struct sbuf got = SBUF_INIT;
	int ok = web_form(rq, FORM_FIELD, &got) == 1 && is_token(got.buf) && is_token(rq->form_cookie) &&
		 strcmp(got.buf, rq->form_cookie) == 0;

	sbuf_release(&got);
	if (!ok)
		web_error(rq, 403, rq->words->forbidden);
	return ok;
}

/* Sets a fresh form token as a cookie and writes it as the form's hidden field. */
static int form_token(struct web_request *rq, struct sbuf *out)
{
	char token[33];

	if (notice_token(token) < 0)
		return -1;
	web_cookie(rq, WEB_FORM_COOKIE, token, LINK_SECONDS);
	sbuf_addf(out, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", FORM_FIELD, token);
	return 0;
}

static void note(struct web_request *rq, const char *text)
{
	sbuf_addstr(&rq->out, "<p class=\"note\">");
	html_str(&rq->out, text);
	sbuf_addstr(&rq->out, "</p>\n");
}

static void login_form(struct web_request *rq)
{
	const struct web_words *w = rq->words;

	html_page_start(&rq->out, w, w->login, NULL, NULL);
	sbuf_addstr(&rq->out, "<p>");
	html_str(&rq->out, w->login_intro);
	sbuf_addstr(&rq->out, "</p>\n<form method=\"post\" action=\"/login\">");
	if (form_token(rq, &rq->out) < 0) {
		web_error(rq, 500, "500");
		return;
	}
	sbuf_addf(&rq->out, "<p><label>%s<br><input type=\"email\" name=\"address\" required autocomplete=\"email\" "
		  "size=\"40\"></label></p>\n<p><button type=\"submit\">%s</button></p>\n</form>\n", w->address,
		  w->send_link);
	html_page_end(&rq->out);
}

/* Queues address for a login mail (web_login_mails); refuses when too many wait. */
static int queue_login(struct web *w, const char *address)
{
	struct web_login_wait *q = w->logins;

	if (q->n >= MAX_WAITING)
		return -1;
	q->addresses = xrealloc(q->addresses, (q->n + 1) * sizeof(*q->addresses));
	q->addresses[q->n++] = xstrdup(address);
	return 0;
}

void page_login(struct web_request *rq)
{
	const struct web_words *w = rq->words;
	struct sbuf given = SBUF_INIT;
	char *address = NULL;

	if (!rq->post) {
		if (rq->logged_in)
			web_redirect(rq, "/");
		else
			login_form(rq);
		return;
	}
	if (!form_ok(rq))
		return;
	if (web_form(rq, "address", &given) != 1 || !(address = address_normalize(given.buf))) {
		web_error(rq, 400, w->bad_request);
		goto out;
	}
	if (!limits_allow(rq->w->limits, rq->now, rq->client, address) || queue_login(rq->w, address) < 0) {
		log_msg(LOG_NOTICE, "web: too many login links asked for by %s", rq->client);
		web_error(rq, 429, w->too_many);
		web_header(rq, "Retry-After", "900");
		goto out;
	}
	web_cookie(rq, WEB_FORM_COOKIE, "", 0);
	html_page_start(&rq->out, w, w->login, NULL, NULL);
	note(rq, w->link_sent);
	html_page_end(&rq->out);
out:
	free(address);
	sbuf_release(&given);
}

/* One login mail: the link is stored (hashed) and its mail queued in one transaction. */
static void login_mail(struct web *w, const char *address)
{
	const struct config *cfg = w->cfg;
	char token[33], hash[65], minutes[16];
	long long now = (long long)time(NULL);
	struct sbuf from = SBUF_INIT, link = SBUF_INIT;
	char *group = NULL;
	int r;

	if (notice_token(token) < 0 || store_begin(w->st) < 0)
		goto failed;
	web_token_hash(token, hash);
	r = store_web_login_add(w->st, address, hash, now, now + LINK_SECONDS, &group);
	if (r == 1) {
		snprintf(minutes, sizeof(minutes), "%d", LINK_SECONDS / 60);
		sbuf_addf(&from, "%s-request@%s", group, cfg->domain);
		sbuf_addf(&link, "%slogin/%s", cfg->web.url, token);
		struct template_var vars[] = { { "address", address }, { "link", link.buf }, { "minutes", minutes } };
		r = notice_text(cfg, w->st, w->sp, group, from.buf, NULL, address, TEXT_WEB_LOGIN, vars, 3);
	}
	if (r < 0) {
		notice_rollback(w->st, w->sp);
		goto failed;
	}
	if (notice_commit(w->st, w->sp) < 0)
		goto failed;
	if (group) {
		log_msg(LOG_INFO, "web: login link sent to %s", address);
		spool_doorbell_ring(w->sp, SPOOL_BELL_DELIVER);
	}
	goto out;
failed:
	log_msg(LOG_ERR, "web: login link for %s: %s", address, store_error(w->st));
out:
	free(group);
	sbuf_release(&from);
	sbuf_release(&link);
}

void web_login_mails(struct web *w)
{
	struct web_login_wait *q = w->logins;

	for (size_t i = 0; i < q->n; i++) {
		login_mail(w, q->addresses[i]);
		free(q->addresses[i]);
	}
	q->n = 0;
}

/* Opens a session for the link's person, uses the link up, sets the cookie. */
static void open_session(struct web_request *rq, const char *link_hash)
{
	struct web_person p = { 0 };
	char session[33], csrf[33], hash[65];
	struct store *st = rq->w->st;
	int r;

	if (notice_token(session) < 0 || notice_token(csrf) < 0 || store_begin(st) < 0) {
		web_store_failed(rq);
		return;
	}
	web_token_hash(session, hash);
	r = store_web_login_get(st, link_hash, rq->now, 1, &p);
	if (r == 1)
		r = store_web_session_add(st, hash, p.id, csrf, rq->now, rq->now + SESSION_SECONDS) < 0 ? -1 : 1;
	if (r < 0 || store_commit(st) < 0) {
		store_rollback(st);
		web_store_failed(rq);
	} else if (r == 0) {
		web_error(rq, 410, rq->words->link_dead);
	} else {
		log_msg(LOG_INFO, "web: %s logged in from %s", p.address, rq->client);
		web_cookie(rq, WEB_SESSION_COOKIE, session, SESSION_SECONDS);
		web_cookie(rq, WEB_FORM_COOKIE, "", 0);
		web_redirect(rq, "/");
	}
	web_person_free(&p);
}

void page_login_link(struct web_request *rq)
{
	const struct web_words *w = rq->words;
	struct web_person p = { 0 };
	char hash[65];
	int r;

	if (!is_token(rq->route.arg)) {
		web_error(rq, 410, w->link_dead);
		return;
	}
	web_token_hash(rq->route.arg, hash);
	if (rq->post) {
		if (form_ok(rq))
			open_session(rq, hash);
		return;
	}
	r = store_web_login_get(rq->w->st, hash, rq->now, 0, &p);
	if (r < 0) {
		web_store_failed(rq);
	} else if (r == 0) {
		web_error(rq, 410, w->link_dead);
	} else {
		html_page_start(&rq->out, w, w->login, NULL, NULL);
		sbuf_addstr(&rq->out, "<p>");
		html_str(&rq->out, w->link_confirm);
		sbuf_addf(&rq->out, "</p>\n<form method=\"post\" action=\"/login/%s\">", rq->route.arg);
		if (form_token(rq, &rq->out) < 0) {
			web_error(rq, 500, "500");
		} else {
			sbuf_addf(&rq->out, "<p><button type=\"submit\">%s</button></p>\n</form>\n", w->link_button);
			html_page_end(&rq->out);
		}
	}
	web_person_free(&p);
}

void page_logout(struct web_request *rq)
{
	char hash[65];

	if (!rq->post || !rq->logged_in) {
		web_redirect(rq, rq->logged_in ? "/" : "/login");
		return;
	}
	if (!web_csrf_ok(rq))
		return;
	web_token_hash(rq->session, hash);
	if (store_web_session_end(rq->w->st, hash) < 0) {
		web_store_failed(rq);
		return;
	}
	web_cookie(rq, WEB_SESSION_COOKIE, "", 0);
	web_redirect(rq, "/login");
}
