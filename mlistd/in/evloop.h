/*
 * evloop: a small epoll event loop, in the spirit of Redis's ae.c.
 *
 * mlistd serves every SMTP/LMTP client from one thread: each socket is
 * watched for readability (and writability while replies are pending),
 * and the loop calls the watcher's function.  One slow client costs one
 * file descriptor and a few kilobytes, never a thread, so it cannot hold
 * up the others.  After each round of events the loop calls its "after"
 * hooks: the spool commits everything completed in that round with one
 * flush to disk (group commit) before any 250 goes out.
 */
#ifndef MLIST_EVLOOP_H
#define MLIST_EVLOOP_H

#define EV_READ 1u
#define EV_WRITE 2u

struct evloop;

/* Called with the fd and the events (EV_READ, EV_WRITE) that are ready. */
typedef void (*ev_fn)(struct evloop *loop, int fd, unsigned events, void *ctx);
/* Called once after every round of events. */
typedef void (*ev_after_fn)(struct evloop *loop, void *ctx);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);

/* Watches fd for events (replacing an earlier watch of the same fd); returns 0 or -1. */
int evloop_watch(struct evloop *loop, int fd, unsigned events, ev_fn fn, void *ctx);
/* Stops watching fd; events already collected for it are dropped.  Call before close(fd). */
void evloop_unwatch(struct evloop *loop, int fd);
/* Adds a hook run after each round of events, in the order added (at most 4). */
void evloop_after(struct evloop *loop, ev_after_fn fn, void *ctx);

/*
 * Waits up to timeout_ms (-1: no limit) for events, handles them and runs
 * the after-hooks once.  Returns the number of events handled.
 */
int evloop_run_once(struct evloop *loop, int timeout_ms);
/* Runs until evloop_stop. */
void evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);


#endif
