/*
 * list_address: what an address of ours means.  For the domain mlist
 * serves, GROUP@ posts to the group, GROUP-request@ takes commands,
 * GROUP-owner@ reaches its moderators, GROUP-bounces@ and
 * GROUP-bounces+TAG@ take bounces (the tag is the recipient, with VERP)
 * and GROUP-confirm+TOKEN@ confirms a held post or a subscription.
 * postmaster@ and abuse@, which every mail domain has, are the admins'
 * (ROLE_ADMIN), and no group may take those names.
 * Matching is case-insensitive.  Whether the group exists is the store's
 * business; this only takes the address apart.
 */
#ifndef MLIST_LIST_ADDRESS_H
#define MLIST_LIST_ADDRESS_H

#include <stddef.h>

enum list_role { ROLE_POST, ROLE_REQUEST, ROLE_OWNER, ROLE_BOUNCES, ROLE_CONFIRM, ROLE_ADMIN };

struct list_address {
	char group[65];      /* the group's name, lower-case; "" for ROLE_ADMIN */
	enum list_role role; /* which of its addresses */
	char ext[200];       /* the part after '+' (bounces, confirm); for ROLE_ADMIN the mailbox; else "" */
};

/* Returns 0 and fills out if addr is of one of those forms in domain, else -1. */
int list_address_parse(const char *addr, const char *domain, struct list_address *out);

struct sbuf;
/*
 * The bounce address of group's copies to rcpt: GROUP-bounces@DOMAIN,
 * or with VERP (rcpt not NULL) GROUP-bounces+LOCAL=HOST@DOMAIN, so that
 * a bounce names the member whatever it says.  Appended to out.
 */
void list_address_bounces(struct sbuf *out, const char *group, const char *rcpt, const char *domain);
/* The member a VERP tag (the ext of a bounces address) names, into out; 0, or -1 when ext is none. */
int list_address_verp_member(const char *ext, char *out, size_t size);

#endif
