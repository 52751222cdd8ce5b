/*
 * helper: common start and end of mlistd's helper processes; see helper.h.
 */
#include "helper.h"

#include <signal.h>
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
	/*
	 * mlistd made and migrated the store before it started this process,
	 * so a helper only opens it: one whose build wants another schema
	 * version is refused (and logged by mlistd) rather than migrating the
	 * store under the mlistd that runs it.
	 */
	if (!(h->cfg = config_load(config_path, &err)) ||
	    !(h->st = store_open(h->cfg->store, STORE_READ_WRITE, &err)) ||
	    !(h->sp = spool_attach(h->cfg->spool, &err)))
		fatal("%s", err.buf);
	sbuf_release(&err);
}

void helper_end(struct helper *h)
{
	spool_close(h->sp);
	store_close(h->st);
	config_free(h->cfg);
}
