/*
 * mlistd-sort: the sorter process, started and watched by mlistd.
 *
 *   mlistd-sort -c FILE [--foreground]
 *
 * Standard input is a pipe from mlistd: a byte on it means "messages were
 * committed to spool/incoming" (as does its doorbell, rung by the IMAP
 * pollers and by mlistd-deliver's start-up sweep); its end means stop.  Once a batch is
 * sorted and queued it rings delivery's doorbell (spool.h), so copies go
 * out at once.  SIGHUP re-reads the config (sort rules, moderation
 * settings) before the next batch.
 *
 * Why a process and not a thread of mlistd: the sorter waits on the
 * store (another writer, a long transaction of mlistctl) and parses
 * hostile headers with libetpan.  In a process of its own neither a
 * lock nor a crash can ever reach the SMTP listener, which only accepts,
 * spools and group-commits; mlistd starts the sorter again if it dies,
 * and sorting is idempotent (see sorter.h), so nothing is lost or sorted
 * twice.  It costs one process and a pipe hop (microseconds) per batch.
 */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "helper.h"
#include "log.h"
#include "priority.h"
#include "sorter.h"
#include "store.h"
#include "spool.h"

#define RETRY_MS 1000 /* after a failed batch (store locked, say), try again this soon */

/*
 * Waits up to wait_ms for a byte from mlistd or the sorter's doorbell;
 * returns 0 when mlistd's pipe ended (stop), else 1.
 */
static int wait_for_work(int fd, int doorbell, int wait_ms)
{
	struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { doorbell, POLLIN, 0 } };
	char buf[256];

	if (helper_poll(pfd, doorbell >= 0 ? 2 : 1, wait_ms) <= 0)
		return 1; /* timed out, or SIGHUP came: look again */
	if (doorbell >= 0 && (pfd[1].revents & POLLIN))
		spool_doorbell_answer(doorbell);
	if (!(pfd[0].revents & (POLLIN | POLLHUP)))
		return 1;
	ssize_t n = read(fd, buf, sizeof(buf));
	return !(n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR));
}

int main(int argc, char **argv)
{
	struct helper h;

	/*
	 * Each post's parse and SQLite's statements take a few hundred KiB
	 * and give them back; glibc's defaults then shrink the heap with brk
	 * and grow it again for the next post, half the sort stage's time
	 * under bench/latency.  Keep up to 8 MiB at the top instead.
	 */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	helper_start(&h, "mlistd-sort", argc, argv);
	/* An orphan of an earlier mlistd finishes its batch first: two sorters would race for the same files. */
	helper_lock(&h, "mlistd-sort");
	priority_background("mlistd-sort");
	/*
	 * A batch's commit is not flushed on its own: the next flushed commit
	 * (delivery's, at the latest after the copies are sent) makes it
	 * durable with everything before it, and a crash of the machine in
	 * between only has the batch sorted again from incoming/ (spool.h).
	 * A kill of any process loses nothing either way.
	 */
	store_set_sync(h.st, 0);
	store_checkpoint_by_hand(h.st); /* mlistd-deliver checkpoints when idle (store.h) */
	struct sorter *so = sorter_new(h.cfg, h.st, h.sp);
	int doorbell = spool_doorbell_open(h.sp, SPOOL_BELL_SORT), running = 1;
	while (running) {
		if (helper_reload(&h))
			sorter_set_config(so, h.cfg);
		/* What was committed before a crash or a stop is taken up first. */
		int sorted = sorter_run(so);
		if (sorted > 0)
			spool_doorbell_ring(h.sp, SPOOL_BELL_DELIVER);
		running = wait_for_work(STDIN_FILENO, doorbell, sorted < 0 ? RETRY_MS : -1);
	}
	if (doorbell >= 0)
		close(doorbell);
	sorter_free(so);
	helper_end(&h);
	return 0;
}
