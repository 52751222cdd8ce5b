/*
 * bounce: what mlist does when mail to a member fails, however it hears
 * of it: a copy refused at once by the smarthost (mlistd-deliver), or a
 * delivery status notification sent back later to GROUP-bounces@ or,
 * with VERP, GROUP-bounces+MEMBER@ (the sorter, through service.h).
 *
 * Every failure is recorded; a permanent one (5.x.x) counts toward
 * disabling the member (store_bounce.h), a transient one (4.x.x,
 * delayed) never does, and a policy refusal (5.7.x: DMARC, spam,
 * blocked) never does either but is reported to the group's
 * moderators: counting those would disable innocent members for what a
 * sender's domain or the list did.  A member disabled just now is told
 * (they may still read other mail) and so are the group's moderators.
 * Bounce mail that is no DSN, or a DSN about no member, is held for a
 * moderator as "unrecognised bounce", never dropped unread.  Runs in the
 * caller's store transaction; its notices are staged in it.
 */
#ifndef MLIST_BOUNCE_H
#define MLIST_BOUNCE_H

#include <stddef.h>

struct bounce_record;
struct config;
struct list_address;
struct sbuf;
struct spool;
struct store;

struct bounce_ctx {
	const struct config *cfg;
	struct store *st;  /* in a transaction the caller began */
	struct spool *sp;  /* where notices are staged */
	long long now;
};

/*
 * Records failure b of mail to addr (a copy of group's): b's kind,
 * status and diagnostic are set by the caller, its limits here.  note
 * gets a line for the log.  Returns 0, or -1 on a store failure.
 */
int bounce_count(const struct bounce_ctx *c, struct bounce_record *b, const char *addr, const char *group,
		 struct sbuf *note);

/* Bounce mail as the sorter read it. */
struct bounce_mail {
	long long message;  /* its row in the store, to hold it by */
	const char *text;   /* the whole message */
	size_t len;
	const char *from_addr, *from_name, *subject;
};

/*
 * Reads bounce mail to la (a GROUP-bounces address).  Returns 0 when it
 * is dealt with (its spool file is not needed), 1 when it is held for a
 * moderator (the file stays), -1 on a store failure.
 */
int bounce_mail(const struct bounce_ctx *c, const struct list_address *la, const struct bounce_mail *m,
		struct sbuf *note);

#endif
