/*
 * address: checking and normalising e-mail addresses of members and
 * moderators.
 *
 * An address is accepted when libetpan parses it as a complete RFC 5322
 * mailbox with no display name, and it is a plain addr-spec a list server
 * can deliver to: a dot-atom or quoted local part of at most 64 octets, a
 * domain name of at least two labels (no address literals), 254 octets in
 * all, ASCII only.  The domain is case-insensitive and is stored lower-case;
 * the local part is kept as written.
 */
#ifndef MLIST_ADDRESS_H
#define MLIST_ADDRESS_H

struct sbuf;

/* Returns 0 if addr is acceptable, else -1 with a short reason in why. */
int address_check(const char *addr, struct sbuf *why);

/* Returns a newly allocated copy of a checked address with its domain lower-cased. */
char *address_normalize(const char *addr);

#endif
