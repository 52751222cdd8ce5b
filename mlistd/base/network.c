/*
 * network: "ADDRESS/PREFIX" parsing and matching; see network.h.
 */
#include "network.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a numeric address of either family into out; returns its family or -1. */
static int parse_address(const char *text, unsigned char out[16])
{
	if (inet_pton(AF_INET, text, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, out) == 1)
		return AF_INET6;
	return -1;
}

int network_parse(const char *text, struct network *net)
{
	char address[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);

	if (len == 0 || len >= sizeof(address))
		return -1;
	memcpy(address, text, len);
	address[len] = '\0';
	memset(net, 0, sizeof(*net));
	net->family = parse_address(address, net->addr);
	if (net->family < 0)
		return -1;
	int bits = net->family == AF_INET ? 32 : 128;
	net->prefix = bits;
	if (slash) {
		char *end;
		long prefix = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || prefix < 0 || prefix > bits)
			return -1;
		net->prefix = (int)prefix;
	}
	return 0;
}

/* Whether the first prefix bits of a and b are the same. */
static int same_prefix(const unsigned char *a, const unsigned char *b, int prefix)
{
	int whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int network_contains(const struct network *nets, size_t n, const char *address)
{
	unsigned char addr[16];
	int family = parse_address(address, addr);

	for (size_t i = 0; family > 0 && i < n; i++) {
		if (nets[i].family == family && same_prefix(nets[i].addr, addr, nets[i].prefix))
			return 1;
	}
	return 0;
}
