/*
 * retention: posts leave a group's archive and threads, by hand (mlistctl
 * archive purge GROUP --before DATE) or when they are older than the
 * group's keep_days (mlistd-deliver looks every hour).  The archive files
 * go before the store's records are committed: a crash between leaves a
 * record of a post that is gone, never a kept post nobody knows of.
 */
#ifndef MLIST_RETENTION_H
#define MLIST_RETENTION_H

struct config;
struct sbuf;
struct store;

/*
 * Purges group's posts taken before `before` in a transaction of its own.
 * Returns how many, or -1 with the reason in err.
 */
long long retention_purge(const struct config *cfg, struct store *st, const char *group, long long before,
			  struct sbuf *err);

/* Purges every group with keep_days by now; note gets a line per group that lost posts.  Returns 0, or -1. */
int retention_run(const struct config *cfg, struct store *st, long long now, struct sbuf *note);

#endif
