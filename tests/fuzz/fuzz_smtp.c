/*
 * fuzz_smtp: an SMTP or LMTP dialogue of arbitrary bytes against a real
 * session (over a socketpair), with a real store and spool in a temporary
 * folder.  The first byte picks SMTP or LMTP (bit 0) and whether the
 * client is one excused from the bare-LF rule (bit 1); the rest is what
 * the client sends.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "fuzz.h"
#include "network.h"
#include "sbuf.h"
#include "smtp_session.h"
#include "spool.h"
#include "store.h"
#include "store_group.h"

static struct session_host host; /* what the session sees of its listener */
static struct session *current;  /* the session of this input, until it ends */

static void ended(struct session_host *h, struct session *s)
{
	(void)h;
	if (s == current)
		current = NULL;
}

static void commit_round(struct evloop *loop, void *ctx)
{
	(void)loop;
	(void)ctx;
	if (spool_pending(host.spool))
		spool_commit(host.spool);
}

/* A server with one group, "g", at example.org, small limits so they are reached. */
static void set_up(void)
{
	char dir[] = "/tmp/mlist-fuzz-XXXXXX";
	struct sbuf path = SBUF_INIT, err = SBUF_INIT;
	static struct config cfg;
	static struct network trusted;

	if (!mkdtemp(dir))
		abort();
	cfg.domain = xstrdup("example.org");
	cfg.limits.max_message_size = 4096;
	cfg.limits.max_recipients = 3;
	cfg.limits.max_connections = 10;
	cfg.limits.max_connections_per_client = 10;
	cfg.limits.timeout = 300;
	cfg.limits.min_data_rate = 500;
	cfg.limits.stress_timeout = 10;
	if (network_parse("127.0.0.0/8", &trusted) < 0)
		abort();
	cfg.limits.bare_lf_networks = &trusted;
	cfg.limits.n_bare_lf_networks = 1;
	host.cfg = &cfg;
	host.ended = ended;
	sbuf_addf(&path, "%s/mlist.db", dir);
	host.store = store_open(path.buf, STORE_CREATE, &err);
	sbuf_reset(&path);
	sbuf_addf(&path, "%s/spool", dir);
	host.spool = spool_open(path.buf, &err);
	if (!host.store || !host.spool || store_group_add(host.store, "g", "project", "", "open") < 0)
		abort();
	host.loop = evloop_new();
	evloop_after(host.loop, commit_round, NULL);
	sbuf_release(&path);
	sbuf_release(&err);
}

static void drain(int fd)
{
	char buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Removes what the input got committed, so a long run does not fill the disk. */
static void remove_committed(const char *id, void *ctx)
{
	(void)ctx;
	char *path = spool_path(host.spool, "incoming", id);
	unlink(path);
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];

	if (!host.loop)
		set_up();
	if (size == 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	current = session_start(&host, sv[0], data[0] & 2 ? "127.0.0.1" : "192.0.2.1", data[0] & 1, NULL);
	size_t off = 1;
	for (int rounds = 0; rounds < 10000 && current; rounds++) {
		if (off < size) {
			ssize_t n = write(sv[1], data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		}
		drain(sv[1]);
		if (evloop_run_once(host.loop, 0) == 0 && off == size)
			break;
	}
	if (current)
		session_close(current);
	close(sv[1]);
	spool_each(host.spool, "incoming", remove_committed, NULL);
	return 0;
}
