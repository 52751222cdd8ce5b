/*
 * texts: every text mlist writes to a person, from template files
 * TEMPLATES/LANG/NAME.txt (conf/templates/ ships "nl" and "en" complete;
 * a copy of each is built into the programs, used where the folder has
 * no file) and TEMPLATES/groups/GROUP/NAME.txt for one group's own.
 *
 * A template's first line is "Subject: ...", then an empty line, then
 * the body (UTF-8).  Its placeholders are those of its name (texts.c
 * lists them) plus the ones every text has: {group}, {group_title},
 * {domain}, {post_address}, {request_address}, {owner_address}.  Every
 * file is read and checked when the config is: an unknown placeholder,
 * a missing subject or an unknown name is an error with file and line.
 */
#ifndef MLIST_TEXTS_H
#define MLIST_TEXTS_H

#include <stddef.h>

struct sbuf;
struct template_var;

enum text_id {
	TEXT_HELD,                  /* to moderators: a post is held */
	TEXT_HELD_UNSORTED,         /* to moderators: a post that fits no group is held */
	TEXT_HELD_AUTHOR,           /* to the author: your post waits */
	TEXT_POST_REFUSED,          /* to the author: not accepted (refused or rejected by a moderator) */
	TEXT_POST_EXPIRED,          /* to the author: nobody decided in time */
	TEXT_BOUNCE_DISABLED,       /* to the member: copies to you stopped */
	TEXT_BOUNCE_DISABLED_MODERATORS,
	TEXT_BOUNCE_POLICY,         /* to moderators: a copy was refused for policy */
	TEXT_HELP,
	TEXT_ROSTER_PRIVATE,
	TEXT_ALREADY_SUBSCRIBED,
	TEXT_NOT_SUBSCRIBED,
	TEXT_SUBSCRIBE_TO_MODERATORS, /* to the asker: the group is closed, the moderators decide */
	TEXT_CONFIRM_SUBSCRIBE,
	TEXT_CONFIRM_UNSUBSCRIBE,
	TEXT_WELCOME,
	TEXT_GOODBYE,
	TEXT_STATUS,                /* the asker's own subscriptions and settings */
	TEXT_CONFIRM_SET,           /* a change of settings not sent from the address itself */
	TEXT_SET_DONE,
	TEXT_OWNER_SUBSCRIBED,      /* to moderators: someone joined by mail */
	TEXT_OWNER_UNSUBSCRIBED,
	TEXT_DIGEST,                /* a digest's subject and its first part: what it holds */
	TEXT_WEB_LOGIN,             /* the web archive's login link */
	TEXT_COUNT
};

struct texts;

/* Checks a group's footer: only the placeholders every text has.  Returns 0, or the line of the first other, named in bad. */
int texts_check_footer(const char *text, struct sbuf *bad);

/* The file name of a text without ".txt" ("held-author"). */
const char *texts_name(enum text_id id);

/*
 * Reads and checks every template under dir (a folder that does not exist
 * means the built-in ones only).  Returns the texts, or NULL with
 * "FILE:LINE: reason" in err.
 */
struct texts *texts_load(const char *dir, struct sbuf *err);
void texts_free(struct texts *t);

/* Whether texts exist in lang ("nl", "en", or one a folder under the templates adds). */
int texts_has_language(const struct texts *t, const char *lang);
/* The languages, comma-separated, for an error message. */
void texts_languages(const struct texts *t, struct sbuf *out);

/*
 * Renders text id for group (its own template when it has one, else
 * lang's) with vars: subject and body get the UTF-8 text.
 */
void texts_render(const struct texts *t, const char *lang, const char *group, enum text_id id,
		  const struct template_var *vars, size_t n, struct sbuf *subject, struct sbuf *body);

#endif
