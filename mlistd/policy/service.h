/*
 * service: mail to a group's service addresses, handed to the code that
 * answers it: GROUP-request@ (commands.h), GROUP-owner@ (forwarded to
 * the moderators), GROUP-confirm+TOKEN@ (a subscription confirmation, or
 * a moderator's decision on a held post: moderation.h), GROUP-bounces@
 * and GROUP-bounces+MEMBER@ (bounce.h).  Runs in the sorter's transaction.
 */
#ifndef MLIST_SERVICE_H
#define MLIST_SERVICE_H

#include <stddef.h>

struct config;
struct envelope;
struct sbuf;
struct spool;
struct store;

/* The message as the sorter read it. */
struct service_mail {
	const struct envelope *env; /* its envelope: the service addresses are among its recipients */
	long long message;          /* its row in the store */
	const char *from_addr, *from_name, *subject;
	const char *author;         /* From, else the envelope sender */
	const char *text;           /* the whole message */
	size_t len;
	int automatic;              /* auto-generated (never answered) */
};

/* Whether any recipient of env is a service address of domain. */
int service_addressed(const struct envelope *env, const char *domain);
/*
 * Answers the message for each of its service-address recipients; note
 * gets a line for each.  Returns 0 when it is answered (its spool file is
 * not needed any more), 1 when it was kept (held for a moderator: the
 * file stays), or -1 on a store failure.
 */
int service_answer(const struct config *cfg, struct store *st, struct spool *sp, const struct service_mail *m,
		   struct sbuf *note);

#endif
