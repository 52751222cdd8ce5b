/*
 * sorter: takes each committed message from spool/incoming, reads its
 * header (libetpan), records it in the store with the group(s) and thread
 * it belongs to, and moves it on to spool/queue where the next stage
 * (delivery) finds it.
 *
 * The group is decided in this order: a reply to a known message joins
 * that message's thread(s); else the group addresses it was sent to; else
 * a [group] tag in the subject; else the config's header rules; else it is
 * recorded as unsorted, for a moderator.  A message without a Message-ID
 * is given one.  A batch is recorded in one transaction; a crash before
 * the move leaves the file in incoming/, and sorting it again only moves
 * it (the store knows its spool id), so every message is sorted once.
 *
 * It runs in mlistd-sort, a process of its own (see mlistd_sort.c), never
 * on the SMTP listener's loop: a store locked by someone else makes
 * sorting wait, never an SMTP reply.
 */
#ifndef MLIST_SORTER_H
#define MLIST_SORTER_H

struct config;
struct spool;
struct store;
struct sorter;

struct sorter *sorter_new(const struct config *cfg, struct store *st, struct spool *sp);
void sorter_set_config(struct sorter *so, const struct config *cfg);
/* Sorts everything in spool/incoming.  Returns how many messages it took, or -1 if the store failed (they wait). */
int sorter_run(struct sorter *so);
void sorter_free(struct sorter *so);

#endif
