/*
 * command_parse: the command in a mail to GROUP-request@, as a person
 * writes it: the subject (after "Re:") or one of the first lines of the
 * text, whichever comes first.  Quoted lines ("> ...") and everything
 * from the signature ("-- ") on are not read, so a reply that quotes a
 * help text is not taken for its commands.  Words are case-insensitive.
 *
 *   subscribe | unsubscribe | help | who | status
 *   set each|digest|nomail          (also: set mode each|digest|nomail)
 *   set follow-line on|off
 */
#ifndef MLIST_COMMAND_PARSE_H
#define MLIST_COMMAND_PARSE_H

#include <stddef.h>

enum command_verb {
	COMMAND_NONE,        /* nothing recognised: the sender gets help */
	COMMAND_SUBSCRIBE,
	COMMAND_UNSUBSCRIBE,
	COMMAND_HELP,
	COMMAND_WHO,
	COMMAND_STATUS,
	COMMAND_SET,         /* change holds what */
	COMMAND_SET_INVALID, /* "set" with something it does not know: help */
};

struct command {
	enum command_verb verb;
	char change[32];     /* COMMAND_SET: "mode=each|digest|nomail" or "follow-line=on|off" */
};

/* Reads the command from message text[0..len). */
void command_parse(const char *text, size_t len, struct command *c);

#endif
