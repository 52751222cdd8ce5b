/*
 * web_token: the secrets of the web archive's links.
 *
 * A login link and a session cookie carry 128 random bits; the store
 * keeps only their SHA-256 (web_token_hash), so reading the store opens
 * no session.  An unsubscribe link (RFC 8058) needs no row at all: it is
 * "MEMBER-GROUP-MAC", the MAC an HMAC-SHA-256 under the key in
 * web.secret_file over the member's address and the group's name, so it
 * cannot be made for anyone else, and stops working once the address or
 * the group is gone (a member id given again to a new person names
 * another address).  mlistd-deliver writes the links into copies and
 * mlistd-web checks them: both load the same key.
 */
#ifndef MLIST_WEB_TOKEN_H
#define MLIST_WEB_TOKEN_H

#include <stddef.h>

struct sbuf;

#define WEB_KEY_SIZE 32

/*
 * Reads the key from path, making it first (32 random octets, mode 0600,
 * written whole before it appears under its name) when there is none.
 * Returns 0, or -1 with the reason in err.
 */
int web_key_load(const char *path, unsigned char key[WEB_KEY_SIZE], struct sbuf *err);

/* out gets the SHA-256 of text in hex (64 digits). */
void web_token_hash(const char *text, char out[65]);

/* out gets the unsubscribe token of the member (id, address) in the group (id, name). */
void web_unsubscribe_token(const unsigned char key[WEB_KEY_SIZE], long long member_id, long long group_id,
			   const char *address, const char *group, struct sbuf *out);
/*
 * Splits a token into its member and group ids.  Returns 0, or -1 if it
 * is not of the form (the MAC is checked by web_unsubscribe_valid).
 */
int web_unsubscribe_parse(const char *token, long long *member_id, long long *group_id);
/* Whether token is the one for (member, group) as they are now: 1 or 0 (compared in constant time). */
int web_unsubscribe_valid(const unsigned char key[WEB_KEY_SIZE], const char *token, long long member_id,
			  long long group_id, const char *address, const char *group);

#endif
