/*
 * commands: mail to a group's service addresses.
 *
 * GROUP-request@ takes the commands of command_parse.h: subscribe,
 * unsubscribe, help, and a member's own status and settings
 * (member_commands.h); "who" is refused, because rosters are private.  Subscribing and unsubscribing
 * are double opt-in: a confirmation goes to the address itself, and only a
 * reply to its GROUP-confirm+TOKEN@ address completes it, so nobody can
 * subscribe or unsubscribe someone else.  A group with policy announce, or
 * a config with moderation.self_subscribe = false, takes no
 * self-subscriptions: the request goes to its moderators instead.
 * GROUP-owner@ forwards to the group's moderators, who also hear of each
 * confirmed subscribe and unsubscribe unless the group turned that off.
 * Every answer is a text of texts.h, in the group's language.
 *
 * Nothing is answered that could start a mail loop: mail carrying our own
 * List-Id or X-Loop, automatic mail (Auto-Submitted other than no,
 * Precedence bulk/junk/list), and bounces (null sender, MAILER-DAEMON)
 * are logged and left alone.  Runs inside the sorter's transaction.
 */
#ifndef MLIST_COMMANDS_H
#define MLIST_COMMANDS_H

#include <stddef.h>

struct config;
struct store;
struct spool;
struct sbuf;

/* What the sorter knows of the message, for every handler here. */
struct command_mail {
	const char *group;       /* the group whose address it was sent to */
	const char *sender;      /* its author (From), else the envelope sender */
	const char *envelope_from;
	const char *text;        /* the whole message */
	size_t len;
};

/* Whether the message must not be answered (a loop, automatic mail or a bounce); why says which. */
int commands_unanswerable(const struct config *cfg, const struct command_mail *m, const char **why);
/* GROUP-request@. */
int commands_request(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		     struct sbuf *note);
/* GROUP-owner@. */
int commands_owner(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		   struct sbuf *note);
/* A reply to GROUP-confirm+TOKEN@ whose token confirms a subscription change. */
int commands_confirm(const struct config *cfg, struct store *st, struct spool *sp, const struct command_mail *m,
		     const char *token, struct sbuf *note);

#endif
