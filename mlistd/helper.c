/*
 * helper: common start and end of mlistd's helper processes; see helper.h.
 */
#define _GNU_SOURCE
#include "helper.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"

static volatile sig_atomic_t reload_asked; /* a SIGHUP came since the last helper_reload */
static sigset_t waiting_mask;              /* the signal mask while in helper_poll: SIGHUP let through */

static void on_sighup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

/* The command line: -c FILE, --foreground, --mailbox NAME.  Exits 2 with the usage on anything else. */
static void take_options(struct helper *h, const char *name, int argc, char **argv, int *foreground)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	h->config_path = config_default_path();
	while ((opt = getopt_long(argc, argv, "c:fm:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': h->config_path = optarg; break;
		case 'f': *foreground = 1; break;
		case 'm': h->mailbox = optarg; break;
		default:
			fprintf(stderr, "usage: %s -c FILE [--mailbox USER@HOST/FOLDER] [--foreground] (started by mlistd)\n",
				name);
			exit(2);
		}
	}
}

void helper_start(struct helper *h, const char *name, int argc, char **argv)
{
	struct sbuf err = SBUF_INIT;
	struct sigaction sa = { .sa_handler = on_sighup };
	sigset_t hup;
	int foreground = 0;

	memset(h, 0, sizeof(*h));
	take_options(h, name, argc, argv, &foreground);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	/* Ctrl-C in a terminal reaches the whole process group: mlistd stops its helpers in order itself. */
	signal(SIGINT, SIG_IGN);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, &waiting_mask);
	sigdelset(&waiting_mask, SIGHUP);
	sigaction(SIGHUP, &sa, NULL);
	log_init(name, foreground);
	if (geteuid() == 0)
		fatal("%s does not run as root; mlistd starts it after switching accounts", name);
	/*
	 * mlistd made and migrated the store before it started this process,
	 * so a helper only opens it: one whose build wants another schema
	 * version is refused (and logged by mlistd) rather than migrating the
	 * store under the mlistd that runs it.
	 */
	if (!(h->cfg = config_load(h->config_path, &err)) ||
	    !(h->st = store_open(h->cfg->store, STORE_READ_WRITE, &err)) ||
	    !(h->sp = spool_attach(h->cfg->spool, &err)))
		fatal("%s", err.buf);
	sbuf_release(&err);
}

int helper_poll(struct pollfd *fds, int n, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };

	return ppoll(fds, (nfds_t)n, timeout_ms < 0 ? NULL : &ts, &waiting_mask);
}

int helper_reload_asked(void)
{
	return reload_asked;
}

int helper_reload(struct helper *h)
{
	struct sbuf err = SBUF_INIT;

	if (!reload_asked)
		return 0;
	reload_asked = 0;
	struct config *fresh = config_load(h->config_path, &err);
	if (!fresh) {
		log_msg(LOG_ERR, "reload refused, keeping the running config: %s", err.buf);
		sbuf_release(&err);
		return 0;
	}
	config_free(h->cfg);
	h->cfg = fresh;
	log_msg(LOG_INFO, "reloaded %s", h->config_path);
	return 1;
}

void helper_lock(struct helper *h, const char *name)
{
	int r = spool_lock(h->sp, name, 0);

	if (r == 1) {
		log_msg(LOG_INFO, "waiting for another %s to end (%s/%s.lock)", name, h->cfg->spool, name);
		r = spool_lock(h->sp, name, 1);
	}
	if (r < 0)
		fatal("%s/%s.lock: %s", h->cfg->spool, name, strerror(errno));
}

void helper_end(struct helper *h)
{
	spool_close(h->sp);
	store_close(h->st);
	config_free(h->cfg);
}
