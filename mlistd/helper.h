/*
 * helper: what every process mlistd starts beside itself (mlistd-deliver,
 * mlistd-imap, mlistd-sort) does first and last: refuse root, set the
 * umask, open logging, load the config, open the store and attach to the
 * spool.  Any failure is fatal: mlistd logs the exit and starts the
 * helper again.
 *
 * Reloading: mlistd passes SIGHUP on to its helpers.  A helper keeps
 * SIGHUP blocked except while it waits in helper_poll, so the signal
 * only ever interrupts a wait, never work half done; helper_reload then
 * re-reads the config (keeping the old one if the new one has an error).
 */
#ifndef MLIST_HELPER_H
#define MLIST_HELPER_H

struct config;
struct pollfd;
struct spool;
struct store;

struct helper {
	const char *config_path; /* the file the config came from, for reloads */
	const char *mailbox;     /* mlistd-imap: --mailbox, the mailbox it polls (NULL for the others) */
	struct config *cfg;      /* the config in force; replaced by helper_reload */
	struct store *st;
	struct spool *sp;
};

/*
 * Takes the command line every helper has (-c FILE, --foreground, and
 * for mlistd-imap --mailbox NAME; exits 2 on anything else), then starts
 * as above.
 */
void helper_start(struct helper *h, const char *name, int argc, char **argv);
/*
 * Makes this the only process doing NAME's work: takes SPOOL/NAME.lock
 * (see spool_lock), waiting as long as another holds it, for instance an
 * old mlistd-deliver whose mlistd was killed and which still finishes
 * its round.  Held until the process ends.  Fatal if the lock cannot be
 * taken at all.
 */
void helper_lock(struct helper *h, const char *name);
void helper_end(struct helper *h);

/* poll(2) that SIGHUP interrupts (returning -1, EINTR); the only place a helper takes SIGHUP. */
int helper_poll(struct pollfd *fds, int n, int timeout_ms);
/* Whether a SIGHUP came that helper_reload has not taken yet. */
int helper_reload_asked(void);
/* After a SIGHUP: loads the config afresh into h->cfg (the old one is freed).  Returns 1 if it did, else 0. */
int helper_reload(struct helper *h);

#endif
