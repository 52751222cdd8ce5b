/*
 * privileges: mlistd never serves as root.  Started as root (to bind
 * port 25, say), it hands the spool and the store to the account named by
 * the config's `user` setting and switches to that account for good;
 * started as root without `user`, it refuses to run.
 */
#ifndef MLIST_PRIVILEGES_H
#define MLIST_PRIVILEGES_H

struct config;

/* Does nothing unless running as root.  Returns 0, or -1 after logging why. */
int privileges_drop(const struct config *cfg);

#endif
