/*
 * server: mlistd-web's HTTP server.  It answers requests one at a time
 * inside the caller's loop: the caller polls web_server_fd (readable:
 * something to do) with web_server_timeout, then calls web_server_run.
 * Every answer carries a Content-Security-Policy that allows nothing but
 * our own stylesheet and forms (no script at all), nosniff, no referrer,
 * no framing, and is never cached.
 */
#ifndef MLIST_WEB_SERVER_H
#define MLIST_WEB_SERVER_H

#include "web.h"

struct web_server;

/* Listens on the config's web.listen (TLS with its certificate and key); NULL with the reason logged. */
struct web_server *web_server_start(struct web *w);
int web_server_fd(struct web_server *srv);
/* Milliseconds until libmicrohttpd has something to do by itself (a timeout), or -1. */
int web_server_timeout(struct web_server *srv);
void web_server_run(struct web_server *srv);
void web_server_stop(struct web_server *srv);

#endif
