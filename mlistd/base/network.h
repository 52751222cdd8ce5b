/*
 * network: IP networks written as "ADDRESS/PREFIX" (or a single address),
 * IPv4 or IPv6, and whether a client's address lies in one of them.
 *
 * Used for the config's list of clients excused from the bare-LF rule:
 * parsed once when the config is read, so a typo is a config error with
 * its file and line, and matched for every new SMTP client.
 */
#ifndef MLIST_NETWORK_H
#define MLIST_NETWORK_H

#include <stddef.h>

struct network {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* the network's address, 4 or 16 octets used */
	int prefix;              /* leading bits that must match: 0..32 or 0..128 */
};

/* Parses "192.0.2.0/24", "::1" and the like into net.  Returns 0, or -1 if malformed. */
int network_parse(const char *text, struct network *net);
/* Whether the numeric address text (as inet_ntop writes it) lies in one of the n networks. */
int network_contains(const struct network *nets, size_t n, const char *address);

#endif
