/*
 * mlistd-web: the members' web archive, started and watched by mlistd
 * when the config has web.listen.
 *
 *   mlistd-web -c FILE [--foreground]
 *
 * One thread does everything in turn (see web/server.c): answer the
 * requests that are ready, then write the login mails they asked for,
 * then index a few posts for search.  Standard input is mlistd's pipe;
 * its end means stop.  SIGHUP re-reads the config (texts, the language,
 * the public url); the listening address and TLS files need a restart.
 *
 * Why a process of its own: it parses requests from anyone on the
 * network, so whatever goes wrong in it stays away from the listener
 * and the queue, and mlistd starts it again.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "helper.h"
#include "indexer.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "web.h"

#define INDEX_BATCH 50
#define INDEX_IDLE_MS 2000 /* how soon a newly archived post can be found */

int main(int argc, char **argv)
{
	struct helper h;
	struct sbuf err = SBUF_INIT;

	/*
	 * Every page builds its HTML and SQLite's rows on the heap and frees
	 * them when answered; with glibc's defaults that gives the memory
	 * back with brk and asks again on the next page (42% of the time
	 * under bench/web).  Keep the top of the heap instead: the process
	 * stays at its peak (about 13 MiB), which it reaches anyway.
	 */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	helper_start(&h, "mlistd-web", argc, argv);
	helper_lock(&h, "mlistd-web");
	if (!h.cfg->web.listen) {
		log_msg(LOG_ERR, "mlistd-web: the config has no web.listen");
		helper_end(&h);
		return 1;
	}
	struct web w = { .cfg = h.cfg, .st = h.st, .sp = h.sp };
	if (web_key_load(h.cfg->web.secret_file, w.key, &err) < 0) {
		log_msg(LOG_ERR, "mlistd-web: %s", err.buf);
		helper_end(&h);
		return 1;
	}
	sbuf_release(&err);
	w.secure = strncmp(h.cfg->web.url, "https://", 8) == 0;
	web_session_start(&w);
	struct web_server *srv = web_server_start(&w);
	if (!srv) {
		web_session_stop(&w);
		helper_end(&h);
		return 1;
	}
	int running = 1, backlog = 1;
	long long last_index = 0;
	while (running) {
		struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 }, { web_server_fd(srv), POLLIN, 0 } };
		int timeout = web_server_timeout(srv);
		int idle = backlog ? 0 : INDEX_IDLE_MS;
		if (timeout < 0 || timeout > idle)
			timeout = idle;
		int n = helper_poll(pfd, 2, timeout);
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			char buf[256];
			ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
			running = !(got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR));
		}
		web_server_run(srv);
		web_login_mails(&w);
		if (helper_reload(&h))
			w.cfg = h.cfg;
		/*
		 * A batch between answers: at once while posts wait to be
		 * indexed, else every INDEX_IDLE_MS whether requests come or not
		 * (a busy archive must not keep new posts out of search).
		 */
		long long now = clock_monotonic_ms();
		if (backlog || now - last_index >= INDEX_IDLE_MS) {
			int indexed = web_index_some(&w, INDEX_BATCH);
			backlog = indexed == INDEX_BATCH;
			last_index = now;
		}
	}
	web_server_stop(srv);
	web_session_stop(&w);
	helper_end(&h);
	return 0;
}
