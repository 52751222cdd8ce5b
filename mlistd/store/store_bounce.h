/*
 * store_bounce: what bounced, and what it did to a member's standing.
 * Every bounce is recorded with its kind, RFC 3463 status and diagnostic
 * (for `mlistctl member export`); only permanent ones count.  A count
 * starts over when the member's last counted bounce is older than the
 * reset time, so that a few failures spread over months never add up to
 * disabling someone; reaching the limit disables delivery to the person,
 * until `mlistctl member enable`.
 */
#ifndef MLIST_STORE_BOUNCE_H
#define MLIST_STORE_BOUNCE_H

#include "dsn.h"

struct store;

struct bounce_record {
	long long member;        /* members.id */
	long long group_id;      /* the group whose copy bounced, 0 if not known */
	long long message;       /* messages.id of the copy, 0 if not known */
	enum bounce_kind kind;   /* never BOUNCE_NONE */
	const char *status;      /* "5.1.1" */
	const char *diagnostic;  /* what the MTA said */
	long long now;
	long long disable_after; /* counted bounces that disable */
	long long reset_after;   /* seconds without a counted bounce after which the count starts over */
};

/* Records b in the caller's transaction.  Returns 1 when it disabled the member just now, 0, or -1. */
int store_bounce_record(struct store *st, const struct bounce_record *b);
/* The id of the person at addr, 0 when there is none, -1 on error. */
long long store_bounce_member(struct store *st, const char *addr);

/* A recorded bounce; strings valid during a callback only. */
struct bounce_row {
	long long at;
	const char *kind, *status, *diagnostic;
	const char *group; /* "" if not known (or the group is gone) */
};
/* Calls fn for every bounce recorded for the person at addr, oldest first. */
int store_person_bounces(struct store *st, const char *addr, int (*fn)(const struct bounce_row *b, void *ctx),
			 void *ctx);
/*
 * Delivers to the person at addr again, their count started over; they
 * must get group's copies (subscribed, or following its change line: the
 * owner who enables them is that group's).  Returns 1 if they were
 * disabled, 0 if not, -1 on error.
 */
int store_person_enable(struct store *st, const char *group, const char *addr);

#endif
