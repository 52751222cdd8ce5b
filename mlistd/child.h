/*
 * child: the helper processes mlistd starts beside itself and watches:
 * mlistd-sort (sorting what the listener spooled), mlistd-deliver
 * (sending copies) and one mlistd-imap per polled mailbox.
 * They run as mlistd's account, in processes of their own, so a crash in
 * one of them (libcurl, libetpan's IMAP parser) never takes the SMTP
 * listener down.
 *
 * Each child gets a pipe on its standard input.  A secret (an IMAP
 * password, read by mlistd while it was still root) is written as its
 * first line; later bytes mean "there is work"; the end of the pipe means
 * "stop".  A child that dies is started again, except one that keeps
 * dying right after starting, which waits for the next SIGHUP.  A child
 * gets SIGTERM when mlistd dies (even by kill -9), so no helper of an old
 * mlistd goes on beside the helpers of a new one.
 */
#ifndef MLIST_CHILD_H
#define MLIST_CHILD_H

#include <sys/types.h>

struct child;

/*
 * Starts NAME (an executable beside mlistd) with args (NULL-terminated,
 * after argv[0]).  secret may be NULL.
 */
struct child *child_start(const char *name, const char *const *args, const char *secret);
/* Tells the child there is work. */
void child_wake(struct child *c);
/* Sends the child a signal (SIGHUP: reload), if it runs. */
void child_signal(struct child *c, int sig);
/* After SIGCHLD: reaps it if it ended and starts it again unless it keeps failing; retry: even then. */
void child_check(struct child *c, int retry);
/* Ends it: the pipe is closed, it finishes what it is doing; after timeout_s it is killed. */
void child_stop(struct child *c, int timeout_s);

#endif
