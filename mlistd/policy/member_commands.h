/*
 * member_commands: a member's own settings by mail to GROUP-request@
 * ("status", "set digest", "set follow-line on"; command_parse.h).
 * status answers the sender's address with its own subscriptions, never
 * anyone else's.  A set command sent from the subscribed address itself
 * (the envelope sender is the From address) is carried out at once; one
 * that is not waits for a reply from that address to a single-use
 * confirmation token.  Runs inside the sorter's transaction.
 */
#ifndef MLIST_MEMBER_COMMANDS_H
#define MLIST_MEMBER_COMMANDS_H

struct command_mail;
struct config;
struct sbuf;
struct spool;
struct store;

/* "status": the sender's subscriptions and settings, to the sender. */
int member_status(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		  struct sbuf *note);
/* "set ...": change is "mode=digest" or "follow-line=on" (command_parse.h). */
int member_set(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
	       const char *change, struct sbuf *note);
/* Carries out a change whose token address confirmed, and tells address. */
int member_set_confirmed(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
			 const char *address, const char *change, struct sbuf *note);

#endif
