/*
 * helper: common start and end of mlistd's helper processes; see helper.h.
 */
#include "helper.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"

void helper_start(struct helper *h, const char *name, const char *config_path, int foreground)
{
	struct sbuf err = SBUF_INIT;

	umask(077);
	signal(SIGPIPE, SIG_IGN);
	log_init(name, foreground);
	if (geteuid() == 0)
		fatal("%s does not run as root; mlistd starts it after switching accounts", name);
	if (!(h->cfg = config_load(config_path, &err)) || !(h->st = store_open(h->cfg->store, &err)) ||
	    !(h->sp = spool_attach(h->cfg->spool, &err)))
		fatal("%s", err.buf);
	sbuf_release(&err);
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
