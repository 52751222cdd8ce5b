/*
 * list_address: what an address of ours means.  For the domain mlist
 * serves, GROUP@ posts to the group, GROUP-request@ takes commands,
 * GROUP-owner@ reaches its moderators, GROUP-bounces@ and
 * GROUP-bounces+TAG@ take bounces (the tag is the recipient, with VERP) and GROUP-confirm+TOKEN@ confirms a held post or a subscription.
 * Matching is case-insensitive.  Whether the group exists is the store's
 * business; this only takes the address apart.
 */
#ifndef MLIST_LIST_ADDRESS_H
#define MLIST_LIST_ADDRESS_H

enum list_role { ROLE_POST, ROLE_REQUEST, ROLE_OWNER, ROLE_BOUNCES, ROLE_CONFIRM };

struct list_address {
	char group[65];      /* the group's name, lower-case */
	enum list_role role; /* which of its addresses */
	char ext[200];       /* the part after '+' (bounces, confirm), else "" */
};

/* Returns 0 and fills out if addr is of one of those forms in domain, else -1. */
int list_address_parse(const char *addr, const char *domain, struct list_address *out);

#endif
