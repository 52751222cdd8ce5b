/*
 * evloop: epoll loop with an fd-indexed watcher table.
 *
 * Events carry the fd, not a pointer, and the table entry is checked when
 * each event is dispatched: a watcher removed earlier in the same round
 * (a session that closed) is skipped instead of being called after free.
 */
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "sbuf.h"

struct watcher {
	ev_fn fn;        /* NULL when the fd is not watched */
	void *ctx;
	unsigned events; /* what is being watched */
};

struct after_hook {
	ev_after_fn fn;
	void *ctx;
};

struct evloop {
	int epfd;
	struct watcher *watchers; /* indexed by fd */
	int n_watchers;           /* size of the table */
	struct after_hook after[4];
	int n_after;
	int stop;
};

struct evloop *evloop_new(void)
{
	struct evloop *loop = xcalloc(1, sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		fatal("epoll_create1: %s", strerror(errno));
	return loop;
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->watchers);
	free(loop);
}

int evloop_watch(struct evloop *loop, int fd, unsigned events, ev_fn fn, void *ctx)
{
	if (fd >= loop->n_watchers) {
		int n = loop->n_watchers ? loop->n_watchers : 64;
		while (n <= fd)
			n *= 2;
		loop->watchers = xrealloc(loop->watchers, (size_t)n * sizeof(*loop->watchers));
		memset(loop->watchers + loop->n_watchers, 0, (size_t)(n - loop->n_watchers) * sizeof(*loop->watchers));
		loop->n_watchers = n;
	}
	struct watcher *w = &loop->watchers[fd];
	struct epoll_event ev = { 0 };
	ev.events = (events & EV_READ ? EPOLLIN : 0) | (events & EV_WRITE ? EPOLLOUT : 0);
	ev.data.fd = fd;
	int op = w->fn ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if ((!w->fn || w->events != events) && epoll_ctl(loop->epfd, op, fd, &ev) < 0)
		return -1;
	w->fn = fn;
	w->ctx = ctx;
	w->events = events;
	return 0;
}

void evloop_unwatch(struct evloop *loop, int fd)
{
	if (fd < 0 || fd >= loop->n_watchers || !loop->watchers[fd].fn)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&loop->watchers[fd], 0, sizeof(loop->watchers[fd]));
}

void evloop_after(struct evloop *loop, ev_after_fn fn, void *ctx)
{
	if (loop->n_after == (int)(sizeof(loop->after) / sizeof(loop->after[0])))
		fatal("evloop: too many after-hooks");
	loop->after[loop->n_after].fn = fn;
	loop->after[loop->n_after++].ctx = ctx;
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = 1;
}

int evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event events[256];
	int n = epoll_wait(loop->epfd, events, (int)(sizeof(events) / sizeof(events[0])), timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		fatal("epoll_wait: %s", strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		int fd = events[i].data.fd;
		if (fd >= loop->n_watchers || !loop->watchers[fd].fn)
			continue;
		unsigned ready = 0;
		/* Errors and hang-ups are reported as readable: the read then says what happened. */
		if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			ready |= EV_READ;
		if (events[i].events & EPOLLOUT)
			ready |= EV_WRITE;
		struct watcher w = loop->watchers[fd];
		w.fn(loop, fd, ready & (w.events | EV_READ), w.ctx);
	}
	for (int i = 0; i < loop->n_after; i++)
		loop->after[i].fn(loop, loop->after[i].ctx);
	return n;
}

void evloop_run(struct evloop *loop)
{
	loop->stop = 0;
	while (!loop->stop)
		evloop_run_once(loop, -1);
}
