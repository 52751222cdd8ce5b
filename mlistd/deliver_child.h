/*
 * deliver_child: mlistd's side of mlistd-deliver.  Starts the delivery
 * process with a pipe on its standard input, wakes it with a byte when
 * new copies are queued, starts it again if it dies (giving up after
 * repeated failures right at start-up, until the next SIGHUP), and on
 * shutdown closes the pipe and waits for it to finish its round.
 */
#ifndef MLIST_DELIVER_CHILD_H
#define MLIST_DELIVER_CHILD_H

#include <sys/types.h>

struct deliver_child;

/* Starts mlistd-deliver (found beside the mlistd executable) with the config at config_path. */
struct deliver_child *deliver_child_start(const char *config_path, int foreground);
void deliver_child_wake(struct deliver_child *c);
/* After SIGCHLD: reaps it and starts it again unless it keeps failing.  retry: start even then. */
void deliver_child_check(struct deliver_child *c, int retry);
/* Ends it: the pipe is closed, the current round finishes; after timeout_s it is killed. */
void deliver_child_stop(struct deliver_child *c, int timeout_s);
/* Its process id, 0 when none runs. */
pid_t deliver_child_pid(const struct deliver_child *c);

#endif
