/*
 * test_address: which addresses members may have, and why others are refused.
 */
#include <stdio.h>
#include <stdlib.h>

#include "address.h"
#include "check.h"
#include "sbuf.h"

static int accepted(const char *addr)
{
	struct sbuf why = SBUF_INIT;
	int ok = address_check(addr, &why) == 0;

	if (!ok)
		fprintf(stderr, "  refused %s: %s\n", addr, why.buf);
	sbuf_release(&why);
	return ok;
}

/* Checks that addr is refused with a reason containing want. */
static int refused(const char *addr, const char *want)
{
	struct sbuf why = SBUF_INIT;
	int ok = address_check(addr, &why) < 0 && strstr(why.buf, want);

	if (!ok)
		fprintf(stderr, "  %s: wanted refusal \"%s\", got \"%s\"\n", addr, want, why.buf);
	sbuf_release(&why);
	return ok;
}

static void plain_addresses(void)
{
	CHECK(accepted("jan@example.org"));
	CHECK(accepted("j.de.vries@gemeente-oss.nl"));
	CHECK(accepted("Jan.Jansen+lists@Example.ORG"));
	CHECK(accepted("o'brien@mail.example.co.uk"));
	CHECK(accepted("x_y-z{1}@a1.b2.example"));
}

static void quoted_local_part(void)
{
	CHECK(accepted("\"jan jansen\"@example.org"));
	CHECK(refused("\"jan\"x\"@example.org", "stray quote"));
	CHECK(refused("\"jan@example.org", "unterminated"));
}

static void structure(void)
{
	CHECK(refused("", "empty"));
	CHECK(refused("jan.example.org", "no '@'"));
	CHECK(refused("@example.org", "nothing before"));
	CHECK(refused("jan@", "no domain"));
	CHECK(refused("jan@localhost", "at least one dot"));
	CHECK(refused("jan..jansen@example.org", "misplaced dot"));
	CHECK(refused(".jan@example.org", "misplaced dot"));
	CHECK(refused("jan.@example.org", "misplaced dot"));
	CHECK(refused("jan@example..org", "not a valid host name"));
	CHECK(refused("jan@-example.org", "not a valid host name"));
	CHECK(refused("jan@example-.org", "not a valid host name"));
	CHECK(refused("jan@exa_mple.org", "not allowed in the domain"));
	CHECK(refused("jan@[127.0.0.1]", "not allowed in the domain"));
	CHECK(refused("jan(comment)@example.org", "not allowed in the local part"));
	CHECK(refused("a@b@example.org", "not allowed in the local part"));
}

static void display_names_and_lists(void)
{
	CHECK(refused("Jan <jan@example.org>", "character ' ' not allowed in the local part"));
	CHECK(refused("<jan@example.org>", "not allowed in the local part"));
	CHECK(refused("jan@example.org,piet@example.org", "character '@' not allowed in the local part"));
	CHECK(refused("jan@example.org piet@example.org", "not allowed"));
}

static void junk_bytes(void)
{
	CHECK(refused("jan\r\n@example.org", "control"));
	CHECK(refused("jan\t@example.org", "control character"));
	CHECK(refused("jan @example.org", "character ' ' not allowed"));
	CHECK(refused("jan@exa mple.org", "character ' ' not allowed in the domain"));
	CHECK(refused("j\xc3\xa1n@example.org", "non-ASCII"));
	CHECK(refused("jan@ex\xffmple.org", "non-ASCII"));
}

static void lengths(void)
{
	char local[80], domain[300];

	memset(local, 'a', 64);
	local[64] = '\0';
	char addr[400];
	snprintf(addr, sizeof(addr), "%s@example.org", local);
	CHECK(accepted(addr));
	snprintf(addr, sizeof(addr), "a%s@example.org", local);
	CHECK(refused(addr, "local part longer than 64"));

	memset(domain, 'b', 63);
	snprintf(addr, sizeof(addr), "jan@%.63s.org", domain);
	CHECK(accepted(addr));
	snprintf(addr, sizeof(addr), "jan@b%.63s.org", domain);
	CHECK(refused(addr, "not a valid host name"));

	/* four 63-letter labels make a 259-character address */
	snprintf(addr, sizeof(addr), "j@%.63s.%.63s.%.63s.%.63s", domain, domain, domain, domain);
	CHECK(refused(addr, "longer than 254"));
}

static void normalize_lowers_domain_only(void)
{
	char *n = address_normalize("Jan.Jansen@Example.ORG");

	CHECK(strcmp(n, "Jan.Jansen@example.org") == 0);
	free(n);
}

static const struct check_case cases[] = {
	{ "plain_addresses", plain_addresses },
	{ "quoted_local_part", quoted_local_part },
	{ "structure", structure },
	{ "display_names_and_lists", display_names_and_lists },
	{ "junk_bytes", junk_bytes },
	{ "lengths", lengths },
	{ "normalize_lowers_domain_only", normalize_lowers_domain_only },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
