/*
 * membership: what follows when a person joins or leaves a group by
 * their own hand (a confirmed mail command, the web archive's settings
 * page or its one-click unsubscribe): the welcome or goodbye from
 * GROUP-request@, and the moderators' notice when the group wants it.
 * One owner, so every way of leaving says and tells the same.
 */
#ifndef MLIST_MEMBERSHIP_H
#define MLIST_MEMBERSHIP_H

struct config;
struct spool;
struct store;

/*
 * Takes address out of group in the caller's transaction (nothing to do
 * when it was not subscribed), sends the goodbye, and tells the
 * moderators when something changed and the group has owner notices.
 * Returns 1 (left), 0 (was not subscribed; goodbye sent all the same,
 * as the person asked), -1.
 */
int membership_leave(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
		     const char *address);

/* The joining side: subscribes (mode each) unless subscribed, welcome, moderators told.  1, 0 or -1 likewise. */
int membership_join(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
		    const char *address);

#endif
