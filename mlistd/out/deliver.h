/*
 * deliver: the delivery loop of mlistd-deliver, the process mlistd starts
 * to send copies.  It runs in a process of its own, with its own store
 * connection: a slow smarthost never holds up the SMTP listener, a crash
 * in the SMTP client (libcurl) cannot take the listener down (mlistd
 * starts it again), and the listener does not carry the client's
 * libraries.  It sends every due copy (archiving, releasing finished
 * spool files and checkpoints run beside it in the keeper's thread,
 * keeper.h): each (message, group) copy is composed once and handed to the
 * transport in jobs (SMTP transactions), and the outcomes of the jobs
 * that end together are recorded in one store transaction as soon as
 * they end, before another job starts.  4xx is retried with exponential
 * back-off until the configured lifetime, then given up as a bounce; 5xx
 * is a bounce at once.  After a crash it resumes from the queue: a copy
 * recorded as sent is never sent again, and only the jobs open at the
 * crash (at most delivery.connections) can be sent twice.  At start-up it
 * removes the spool files of finished work that a crash left behind.
 */
#ifndef MLIST_DELIVER_H
#define MLIST_DELIVER_H

struct helper;

/*
 * Delivers until wake_fd (a pipe from mlistd; a byte means "new copies
 * are queued") reaches its end, then returns after the current round.
 * Its doorbell wakes it too.  After a SIGHUP it takes the reloaded
 * config (helper.h), with a new transport (a new smarthost, say).
 */
void deliver_loop(struct helper *h, int wake_fd);

#endif
