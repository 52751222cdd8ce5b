/*
 * helper: what every process mlistd starts beside itself (mlistd-deliver,
 * mlistd-imap) does first and last: refuse root, set the umask, open
 * logging, load the config, open the store and attach to the spool.  Any
 * failure is fatal: mlistd logs the exit and starts the helper again.
 */
#ifndef MLIST_HELPER_H
#define MLIST_HELPER_H

struct config;
struct spool;
struct store;

struct helper {
	struct config *cfg;
	struct store *st;
	struct spool *sp;
};

void helper_start(struct helper *h, const char *name, const char *config_path, int foreground);
/*
 * Makes this the only process doing NAME's work: takes SPOOL/NAME.lock
 * (see spool_lock), waiting as long as another holds it, for instance an
 * old mlistd-deliver whose mlistd was killed and which still finishes
 * its round.  Held until the process ends.  Fatal if the lock cannot be
 * taken at all.
 */
void helper_lock(struct helper *h, const char *name);
void helper_end(struct helper *h);

#endif
