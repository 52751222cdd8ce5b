/*
 * names: the rules for group names and the fixed vocabularies of group
 * kinds, posting policies and delivery modes.  One place, so the CLI,
 * the store and the mail listener agree on them.
 */
#ifndef MLIST_NAMES_H
#define MLIST_NAMES_H

#include <stddef.h>

struct sbuf;

/*
 * A group name is also the local part of its addresses, so it is 1-64
 * lower-case letters, digits and inner hyphens, and does not end in a
 * suffix that mlist gives a meaning (-request, -owner, -bounces, -confirm)
 * nor is a mailbox every mail domain has (postmaster, abuse).
 * Returns 0 if acceptable, else -1 with the reason in why.
 */
int group_name_check(const char *name, struct sbuf *why);

extern const char *const group_kinds[];    /* "change-line", "project", "general" */
extern const char *const group_policies[]; /* "open", "members", "moderated", "announce" */
extern const char *const attachment_policies[]; /* "allow", "hold", "strip" (content.h) */
extern const char *const html_policies[];       /* "keep", "text" */
extern const char *const header_actions[];      /* "hold", "discard", "accept": verdict.h's HEADER_HOLD... in order */
extern const char *const member_modes[];   /* "each", "digest", "nomail" */
extern const char *const domain_mailboxes[]; /* "postmaster", "abuse": every mail domain's, no group's */

/*
 * A person's display name: valid UTF-8 of at most 200 octets without
 * control characters (it ends up in mail headers).  Returns 0, or -1
 * with the reason in why.
 */
int display_name_check(const char *name, size_t len, struct sbuf *why);

/* The name an IMAP mailbox is known by in the store and the logs: user@host/folder; the caller frees it. */
char *imap_mailbox_name(const char *url, const char *user);

/* 1 if word is one of the NULL-terminated list's entries, else 0. */
int name_in(const char *word, const char *const *list);
/* The list as "a, b or c" for messages; the caller frees it. */
char *name_choices(const char *const *list);

#endif
