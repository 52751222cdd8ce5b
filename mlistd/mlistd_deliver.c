/*
 * mlistd-deliver: the delivery process, started and watched by mlistd.
 *
 *   mlistd-deliver -c FILE [--foreground]
 *
 * Standard input is a pipe from mlistd: a byte on it means new copies are
 * queued; its end means stop.  Everything else (what to send, to whom,
 * what was sent) is in the store, so it can be stopped or killed at any
 * moment and started again.  See deliver.h.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "log.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = config_default_path();
	int foreground = 0, opt;

	while ((opt = getopt_long(argc, argv, "c:f", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		default:
			fputs("usage: mlistd-deliver -c FILE [--foreground] (started by mlistd)\n", stderr);
			return 2;
		}
	}
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	log_init("mlistd-deliver", foreground);
	if (geteuid() == 0)
		fatal("mlistd-deliver does not run as root; mlistd starts it after switching accounts");

	struct sbuf err = SBUF_INIT;
	struct config *cfg = config_load(path, &err);
	if (!cfg)
		fatal("%s", err.buf);
	struct store *st = store_open(cfg->store, &err);
	if (!st)
		fatal("%s", err.buf);
	struct spool *sp = spool_attach(cfg->spool, &err);
	if (!sp)
		fatal("%s", err.buf);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	deliver_loop(cfg, st, sp, STDIN_FILENO);
	curl_global_cleanup();
	spool_close(sp);
	store_close(st);
	config_free(cfg);
	sbuf_release(&err);
	return 0;
}
