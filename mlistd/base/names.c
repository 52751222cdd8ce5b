/*
 * names: group-name rules and vocabularies; see names.h.
 */
#include "names.h"

#include <string.h>

#include "sbuf.h"

const char *const group_kinds[] = { "change-line", "project", "general", NULL };
const char *const group_policies[] = { "open", "members", "moderated", "announce", NULL };
const char *const attachment_policies[] = { "allow", "hold", "strip", NULL };
const char *const html_policies[] = { "keep", "text", NULL };
const char *const header_actions[] = { "hold", "discard", "accept", NULL };
const char *const member_modes[] = { "each", "digest", "nomail", NULL };
const char *const domain_mailboxes[] = { "postmaster", "abuse", NULL };

/* Suffixes that turn GROUP@ into one of its service addresses. */
static const char *const reserved_suffixes[] = { "-request", "-owner", "-bounces", "-confirm", NULL };

int group_name_check(const char *name, struct sbuf *why)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64) {
		sbuf_addstr(why, "a group name is 1 to 64 characters long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 (c == '-' && i > 0 && i + 1 < len);
		if (!ok) {
			sbuf_addstr(why, "a group name has lower-case letters, digits and inner hyphens only");
			return -1;
		}
	}
	if (name_in(name, domain_mailboxes)) {
		sbuf_addf(why, "a group may not be called '%s' (every mail domain has that mailbox)", name);
		return -1;
	}
	for (int i = 0; reserved_suffixes[i]; i++) {
		size_t n = strlen(reserved_suffixes[i]);
		if (len >= n && strcmp(name + len - n, reserved_suffixes[i]) == 0) {
			sbuf_addf(why, "a group name may not end in '%s' (mlist uses that suffix)",
				    reserved_suffixes[i]);
			return -1;
		}
	}
	return 0;
}

int name_in(const char *word, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(word, *list) == 0)
			return 1;
	}
	return 0;
}

char *name_choices(const char *const *list)
{
	struct sbuf sb = SBUF_INIT;

	for (int i = 0; list[i]; i++)
		sbuf_addf(&sb, "%s%s", i == 0 ? "" : list[i + 1] ? ", " : " or ", list[i]);
	return sbuf_detach(&sb);
}

/* Length of the UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	/* overlong forms, UTF-16 surrogates and code points past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

int display_name_check(const char *name, size_t len, struct sbuf *why)
{
	const unsigned char *s = (const unsigned char *)name;

	if (len > 200) {
		sbuf_addstr(why, "the name is longer than 200 octets");
		return -1;
	}
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(s + i, len - i);
		if (n == 0) {
			sbuf_addstr(why, "the name is not valid UTF-8");
			return -1;
		}
		if (n == 1 && (s[i] < 0x20 || s[i] == 0x7F)) {
			sbuf_addstr(why, "the name contains a control character");
			return -1;
		}
		i += n;
	}
	return 0;
}

char *imap_mailbox_name(const char *url, const char *user)
{
	const char *rest = strstr(url, "://");
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s@%s", user, rest ? rest + 3 : url);
	return sbuf_detach(&sb);
}
