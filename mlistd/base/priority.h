/*
 * priority: the work behind the listener yields the CPU to it.
 *
 * A sender waits for the listener's 250; nobody waits for a post to be
 * sorted or archived a few milliseconds sooner.  On a busy machine the
 * sorter and the keeper (archiving, checkpoints) therefore run at a lower
 * CPU priority (nice +10), so that with the cores taken they give way to
 * the listener and the clients it serves; with a core free (any quiet
 * moment) they run as soon as ever.  Measured with bench/intake: 5 to 10%
 * more posts accepted per second with 20 clients, and no change to
 * bench/latency, where nothing competes.
 */
#ifndef MLIST_PRIORITY_H
#define MLIST_PRIORITY_H

/* Lowers the calling thread's CPU priority; who names it in the warning if that fails. */
void priority_background(const char *who);

#endif
