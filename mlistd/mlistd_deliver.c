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
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "helper.h"

int main(int argc, char **argv)
{
	struct helper h;

	helper_start(&h, "mlistd-deliver", argc, argv);
	/* Two deliverers would both send the same pending copies. */
	helper_lock(&h, "mlistd-deliver");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	deliver_loop(&h, STDIN_FILENO);
	curl_global_cleanup();
	helper_end(&h);
	return 0;
}
