/*
 * server: the web archive's HTTP side, on libmicrohttpd; see server.h.
 *
 * libmicrohttpd runs inside mlistd-web's own loop (MHD_USE_EPOLL, no
 * thread of its own): a page reads the store, and the store's handle
 * belongs to one thread.  A page is a few indexed queries, so one thread
 * answering in turn is fast enough (bench/web), and no request ever sees
 * another half done.
 *
 * The target is read raw: libmicrohttpd's own unescaping is switched
 * off (UNESCAPE_CALLBACK) and the URI as sent is taken from its log
 * callback, so route.c is the one reader of paths and queries.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "html.h"
#include "log.h"
#include "store.h"
#include "words.h"

#define MAX_BODY 8192 /* a form of ours is far smaller; more is refused unread */

struct web_server {
	struct MHD_Daemon *daemon;
	struct web *w;
	char *cert, *key; /* PEM, for libmicrohttpd's TLS */
};

/* One request while it arrives. */
struct pending {
	char *uri;
	struct sbuf body;
	int too_big;
	int started;
};

static void *take_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	(void)cls;
	(void)con;
	struct pending *p = xcalloc(1, sizeof(*p));
	p->uri = xstrdup(uri);
	return p;
}

static size_t keep_escaped(void *cls, struct MHD_Connection *con, char *s)
{
	(void)cls;
	(void)con;
	return strlen(s);
}

static void finished(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)con;
	(void)toe;
	struct pending *p = *con_cls;
	if (p) {
		free(p->uri);
		sbuf_release(&p->body);
		free(p);
	}
	*con_cls = NULL;
}

/* The client's address; a proxy on loopback (README's nginx) names the real one in X-Real-IP. */
static void client_address(struct MHD_Connection *con, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	int loopback = 0;

	snprintf(out, size, "?");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)size);
		loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)size);
		loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	const char *real = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Real-IP");
	if (loopback && real && *real && strlen(real) < size && strspn(real, "0123456789abcdefABCDEF.:") == strlen(real))
		snprintf(out, size, "%s", real);
}

/* The pages a person sees only when logged in. */
static int needs_login(enum web_page page)
{
	switch (page) {
	case PAGE_HOME:
	case PAGE_GROUP:
	case PAGE_THREAD:
	case PAGE_POST:
	case PAGE_ATTACHMENT:
	case PAGE_SEARCH:
	case PAGE_SETTINGS:
		return 1;
	default:
		return 0;
	}
}

static void dispatch(struct web_request *rq)
{
	if (needs_login(rq->route.page) && !rq->logged_in) {
		if (rq->post)
			web_error(rq, 403, rq->words->forbidden);
		else
			web_redirect(rq, "/login");
		return;
	}
	switch (rq->route.page) {
	case PAGE_STYLE:
		rq->content_type = "text/css; charset=utf-8";
		sbuf_addstr(&rq->out, html_style);
		break;
	case PAGE_LOGIN: page_login(rq); break;
	case PAGE_LOGIN_LINK: page_login_link(rq); break;
	case PAGE_LOGOUT: page_logout(rq); break;
	case PAGE_HOME: page_home(rq); break;
	case PAGE_GROUP: page_group(rq); break;
	case PAGE_THREAD: page_thread(rq); break;
	case PAGE_POST: page_post(rq); break;
	case PAGE_ATTACHMENT: page_attachment(rq); break;
	case PAGE_SEARCH: page_search(rq); break;
	case PAGE_SETTINGS: page_settings(rq); break;
	case PAGE_UNSUBSCRIBE: page_unsubscribe(rq); break;
	case PAGE_NONE: web_error(rq, 404, rq->words->not_found); break;
	}
}

/* Every answer, error or not, carries these. */
static void security_headers(struct MHD_Response *resp, enum web_page page)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cache-Control", page == PAGE_STYLE ? "max-age=3600" : "no-store");
}

static enum MHD_Result answer(struct MHD_Connection *con, struct web_request *rq)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(rq->out.len, rq->out.len ? rq->out.buf : "",
								   MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	security_headers(resp, rq->route.page);
	if (rq->status != 303)
		MHD_add_response_header(resp, "Content-Type", rq->content_type);
	for (size_t i = 0; i < rq->n_headers; i++)
		MHD_add_response_header(resp, rq->headers[i][0], rq->headers[i][1]);
	r = MHD_queue_response(con, (unsigned)rq->status, resp);
	MHD_destroy_response(resp);
	return r;
}

static void request_free(struct web_request *rq)
{
	web_route_free(&rq->route);
	web_person_free(&rq->person);
	sbuf_release(&rq->out);
	for (size_t i = 0; i < rq->n_headers; i++) {
		free(rq->headers[i][0]);
		free(rq->headers[i][1]);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct web_server *srv = cls;
	struct pending *p = *con_cls;
	(void)url;
	(void)version;

	if (!p)
		return MHD_NO;
	int post = strcmp(method, "POST") == 0;
	/*
	 * The first call only says a request has begun: answering in it
	 * makes libmicrohttpd close the connection afterwards (it cannot
	 * know the body was read), so even a GET is answered in the next
	 * call and the client's connection is kept for its next page.
	 */
	if (!p->started) {
		p->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (p->body.len + *upload_data_size > MAX_BODY)
			p->too_big = 1;
		else
			sbuf_add(&p->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct web_request rq = { .w = srv->w, .post = post, .status = 200,
				  .content_type = "text/html; charset=utf-8", .out = SBUF_INIT };
	char client[INET6_ADDRSTRLEN + 1];
	client_address(con, client, sizeof(client));
	rq.client = client;
	rq.now = (long long)time(NULL);
	rq.words = web_words(srv->w->cfg->language);
	rq.body = p->body.buf;
	rq.body_len = p->body.len;
	rq.session = MHD_lookup_connection_value(con, MHD_COOKIE_KIND, WEB_SESSION_COOKIE);
	rq.form_cookie = MHD_lookup_connection_value(con, MHD_COOKIE_KIND, WEB_FORM_COOKIE);

	if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		web_error(&rq, 405, "405");
		web_header(&rq, "Allow", "GET, HEAD, POST");
	} else if (p->too_big) {
		web_error(&rq, 413, rq.words->bad_request);
	} else if (web_route_parse(p->uri, &rq.route) < 0) {
		web_error(&rq, 400, rq.words->bad_request);
	} else if (web_session_find(&rq) < 0) {
		web_store_failed(&rq);
	} else {
		if (rq.logged_in)
			rq.words = web_words(*rq.person.language ? rq.person.language : srv->w->cfg->language);
		dispatch(&rq);
	}
	enum MHD_Result r = answer(con, &rq);
	request_free(&rq);
	return r;
}

/* Reads a PEM file whole (certificate, key): NULL with the reason logged. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	struct sbuf b = SBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f) {
		log_msg(LOG_ERR, "web: %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	if (b.len == 0)
		sbuf_addstr(&b, "");
	return sbuf_detach(&b);
}

struct web_server *web_server_start(struct web *w)
{
	const struct config_web *cw = &w->cfg->web;
	struct web_server *srv = xcalloc(1, sizeof(*srv));
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM }, *ai;
	char port[16];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	srv->w = w;
	snprintf(port, sizeof(port), "%d", cw->port);
	int gai = getaddrinfo(cw->address, port, &hints, &ai);
	if (gai != 0) {
		log_msg(LOG_ERR, "web: listen %s: %s", cw->listen, gai_strerror(gai));
		free(srv);
		return NULL;
	}
	if (cw->certificate) {
		srv->cert = read_pem(cw->certificate);
		srv->key = read_pem(cw->key);
		flags |= MHD_USE_TLS;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!cw->certificate || (srv->cert && srv->key))
		srv->daemon = MHD_start_daemon(flags, (uint16_t)cw->port, NULL, NULL, on_request, srv,
			MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			MHD_OPTION_URI_LOG_CALLBACK, take_uri, NULL,
			MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
			MHD_OPTION_NOTIFY_COMPLETED, finished, NULL,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
			cw->certificate ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert,
			MHD_OPTION_HTTPS_MEM_KEY, srv->key,
			MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!srv->daemon) {
		log_msg(LOG_ERR, "web: cannot serve on %s: %s", cw->listen, errno ? strerror(errno) : "libmicrohttpd refused");
		web_server_stop(srv);
		return NULL;
	}
	log_msg(LOG_INFO, "web: serving %s on %s%s", cw->url, cw->listen, cw->certificate ? " (https)" : "");
	return srv;
}

int web_server_fd(struct web_server *srv)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

int web_server_timeout(struct web_server *srv)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(srv->daemon, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void web_server_run(struct web_server *srv)
{
	MHD_run(srv->daemon);
}

void web_server_stop(struct web_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	free(srv->cert);
	free(srv->key);
	free(srv);
}
