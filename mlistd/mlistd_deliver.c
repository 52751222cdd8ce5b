/*
 * mlistd-deliver: the delivery process, started and watched by mlistd.
 *
 *   mlistd-deliver -c FILE [--foreground]
 *
 * Standard input is a pipe from mlistd: a byte on it means new copies are
 * queued; its end means stop.  Everything else (what to send, to whom,
 * what was sent) is in the store, so it can be stopped or killed at any
 * moment and started again.  Only one runs at a time: it first takes
 * SPOOL/mlistd-deliver.lock, waiting while an older one (whose mlistd
 * was killed) finishes its round.  See deliver.h.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "helper.h"

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
	struct helper h;
	helper_start(&h, "mlistd-deliver", path, foreground);
	/* Two deliverers would both send the same pending copies. */
	helper_lock(&h, "mlistd-deliver");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	deliver_loop(&h, STDIN_FILENO);
	curl_global_cleanup();
	helper_end(&h);
	return 0;
}
