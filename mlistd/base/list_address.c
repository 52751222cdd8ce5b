/*
 * list_address: taking GROUP[-role][+ext]@DOMAIN apart.
 */
#include "list_address.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "sbuf.h"

/* Roles marked by a suffix. */
static const struct {
	const char *suffix;
	enum list_role role;
} suffixes[] = {
	{ "-request", ROLE_REQUEST },
	{ "-owner", ROLE_OWNER },
	{ "-bounces", ROLE_BOUNCES },
	{ "-confirm", ROLE_CONFIRM },
};

int list_address_parse(const char *addr, const char *domain, struct list_address *out)
{
	const char *at = strrchr(addr, '@');
	char local[sizeof(out->group) + sizeof(out->ext) + 16];

	memset(out, 0, sizeof(*out));
	if (!at || strcasecmp(at + 1, domain) != 0 || (size_t)(at - addr) >= sizeof(local) || at == addr)
		return -1;
	size_t len = (size_t)(at - addr);
	for (size_t i = 0; i < len; i++) {
		char c = addr[i];
		local[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	local[len] = '\0';

	/* The mailboxes every mail domain has (RFC 5321 4.5.1, RFC 2142): no group's. */
	for (int i = 0; domain_mailboxes[i]; i++) {
		if (strcmp(local, domain_mailboxes[i]) == 0) {
			out->role = ROLE_ADMIN;
			snprintf(out->ext, sizeof(out->ext), "%s", domain_mailboxes[i]);
			return 0;
		}
	}
	char *plus = strchr(local, '+');
	if (plus) {
		if (strlen(plus + 1) == 0 || strlen(plus + 1) >= sizeof(out->ext))
			return -1;
		snprintf(out->ext, sizeof(out->ext), "%s", plus + 1);
		*plus = '\0';
		len = strlen(local);
	}
	out->role = ROLE_POST;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i].suffix);
		if (len > n && strcmp(local + len - n, suffixes[i].suffix) == 0) {
			out->role = suffixes[i].role;
			local[len - n] = '\0';
			break;
		}
	}
	/* "+ext" belongs to bounces (VERP, optional) and confirm (the token, required) addresses only. */
	if (plus && out->role != ROLE_BOUNCES && out->role != ROLE_CONFIRM)
		return -1;
	if (!plus && out->role == ROLE_CONFIRM)
		return -1;
	struct sbuf why = SBUF_INIT;
	int bad = group_name_check(local, &why) < 0 || strlen(local) >= sizeof(out->group);
	sbuf_release(&why);
	if (bad)
		return -1;
	snprintf(out->group, sizeof(out->group), "%s", local);
	return 0;
}

void list_address_bounces(struct sbuf *out, const char *group, const char *rcpt, const char *domain)
{
	sbuf_addf(out, "%s-bounces", group);
	if (rcpt) {
		sbuf_addch(out, '+');
		for (const char *p = rcpt; *p; p++)
			sbuf_addch(out, *p == '@' ? '=' : *p);
	}
	sbuf_addf(out, "@%s", domain);
}

int list_address_verp_member(const char *ext, char *out, size_t size)
{
	/* The last '=' stood for the '@': a domain has none, a local part may. */
	const char *eq = strrchr(ext, '=');

	if (!eq || eq == ext || !eq[1] || strlen(ext) >= size)
		return -1;
	snprintf(out, size, "%.*s@%s", (int)(eq - ext), ext, eq + 1);
	return 0;
}
