/*
 * address: addr-spec checks; libetpan does the RFC 5322 parse, this file
 * adds the rules that make an address deliverable for a list.
 */
#include "address.h"

#include <libetpan/libetpan.h>
#include <string.h>

#include "sbuf.h"

/* RFC 5322 atext: the characters of an unquoted local part besides '.'. */
static int is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int check_dot_atom_local(const char *s, size_t len, struct sbuf *why)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i + 1 == len || s[i + 1] == '.') {
				sbuf_addstr(why, "misplaced dot in the local part");
				return -1;
			}
		} else if (!is_atext((unsigned char)s[i])) {
			sbuf_addf(why, "character '%c' not allowed in the local part", s[i]);
			return -1;
		}
	}
	return 0;
}

/* A quoted local part: printable ASCII between quotes, with \-escapes. */
static int check_quoted_local(const char *s, size_t len, struct sbuf *why)
{
	if (len < 3 || s[len - 1] != '"') {
		sbuf_addstr(why, "unterminated quoted local part");
		return -1;
	}
	for (size_t i = 1; i + 1 < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"') {
			sbuf_addstr(why, "stray quote in the local part");
			return -1;
		}
	}
	return 0;
}

static int check_domain(const char *d, struct sbuf *why)
{
	size_t label = 0, labels = 1;

	if (!*d) {
		sbuf_addstr(why, "no domain after '@'");
		return -1;
	}
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-' || p[-(long)label] == '-') {
				sbuf_addstr(why, "the domain is not a valid host name");
				return -1;
			}
			if (*p == '\0')
				break;
			labels++;
			label = 0;
		} else if (!is_label_char((unsigned char)*p)) {
			sbuf_addf(why, "character '%c' not allowed in the domain", *p);
			return -1;
		} else {
			label++;
		}
	}
	if (labels < 2) {
		sbuf_addstr(why, "the domain needs at least one dot");
		return -1;
	}
	return 0;
}

/* libetpan's view: does the whole string parse as one mailbox without a display name? */
static int parses_as_addr_spec(const char *addr)
{
	size_t len = strlen(addr), at = 0;
	struct mailimf_mailbox *mb = NULL;
	int ok = mailimf_mailbox_parse(addr, len, &at, &mb) == MAILIMF_NO_ERROR &&
		 at == len && mb->mb_display_name == NULL;

	if (mb)
		mailimf_mailbox_free(mb);
	return ok;
}

int address_check(const char *addr, struct sbuf *why)
{
	size_t len = strlen(addr);

	if (len == 0) {
		sbuf_addstr(why, "empty address");
		return -1;
	}
	if (len > 254) {
		sbuf_addstr(why, "address longer than 254 characters");
		return -1;
	}
	for (const char *p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* Spaces are checked by part: a quoted local part may hold them. */
		if (c < ' ' || c >= 0x7f) {
			sbuf_addstr(why, c >= 0x7f ? "non-ASCII character in the address"
						     : "control character in the address");
			return -1;
		}
	}
	const char *at = strrchr(addr, '@');
	if (!at) {
		sbuf_addstr(why, "no '@' in the address");
		return -1;
	}
	size_t local = (size_t)(at - addr);
	if (local == 0) {
		sbuf_addstr(why, "nothing before '@'");
		return -1;
	}
	if (local > 64) {
		sbuf_addstr(why, "local part longer than 64 characters");
		return -1;
	}
	int r = addr[0] == '"' ? check_quoted_local(addr, local, why)
			       : check_dot_atom_local(addr, local, why);
	if (r < 0 || check_domain(at + 1, why) < 0)
		return -1;
	if (!parses_as_addr_spec(addr)) {
		sbuf_addstr(why, "not an RFC 5322 address");
		return -1;
	}
	return 0;
}

char *address_normalize(const char *addr)
{
	char *copy = xstrdup(addr);
	char *at = strrchr(copy, '@');

	for (char *p = at ? at + 1 : copy + strlen(copy); *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return copy;
}
