/*
 * test_verdict: the posting verdict as a table of cases: every policy,
 * for a stranger, a member, a moderator and a looped-back post, and a
 * post over the group's own size limit, the emergency switch, a new
 * member's first post, a sender past the posts per hour, a refused kind
 * of file, the header rules and attachments = hold.
 */
#include <stdio.h>

#include "check.h"
#include "verdict.h"

struct row {
	enum group_policy policy;
	int member, moderator, loop;
	long long size, max_size;
	int emergency, new_member;
	long long recent, max_per_hour;
	const char *refused_part;
	enum header_action header;
	int attachments, hold_attachments;
	enum verdict want;
	const char *reason; /* a word the reason must contain, or NULL for PASS */
};

static const struct row table[] = {
	/* open: anyone */
	{ POLICY_OPEN, 0, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 0, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* members: strangers wait for a moderator */
	{ POLICY_MEMBERS, 0, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "not a member" },
	{ POLICY_MEMBERS, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_MEMBERS, 0, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* moderated: everyone but the moderators waits */
	{ POLICY_MODERATED, 0, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "moderated" },
	{ POLICY_MODERATED, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "moderated" },
	{ POLICY_MODERATED, 1, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* announce: only moderators, everyone else refused */
	{ POLICY_ANNOUNCE, 0, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "moderators" },
	{ POLICY_ANNOUNCE, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "moderators" },
	{ POLICY_ANNOUNCE, 0, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* a loop is refused whoever seems to send it, under every policy */
	{ POLICY_OPEN, 0, 0, 1, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	{ POLICY_MEMBERS, 1, 0, 1, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	{ POLICY_MODERATED, 1, 1, 1, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	{ POLICY_ANNOUNCE, 0, 1, 1, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	/* the group's own size limit: over it a moderator looks first; a moderator's own post passes */
	{ POLICY_OPEN, 1, 0, 0, 1000, 999, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "larger" },
	{ POLICY_OPEN, 1, 0, 0, 1000, 1000, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_MEMBERS, 0, 1, 0, 5000, 999, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 0, 0, 1, 5000, 999, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	/* the emergency switch holds every post, the moderators' too (a loop is still refused) */
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 1, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "emergency" },
	{ POLICY_ANNOUNCE, 0, 1, 0, 1000, 0, 1, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "emergency" },
	{ POLICY_OPEN, 0, 1, 1, 1000, 0, 1, 0, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_REFUSE, "loop" },
	/* a new member waits until a moderator trusts them; a moderator never does */
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 1, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "new member" },
	{ POLICY_MEMBERS, 1, 0, 0, 1000, 0, 0, 1, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "new member" },
	{ POLICY_MEMBERS, 1, 1, 0, 1000, 0, 0, 1, 0, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* a sender past the posts per hour waits; a moderator does not; 0 is no limit */
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 19, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 20, 20, NULL, HEADER_NONE, 0, 0, VERDICT_HOLD, "in an hour" },
	{ POLICY_MEMBERS, 1, 1, 0, 1000, 0, 0, 0, 500, 20, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 500, 0, NULL, HEADER_NONE, 0, 0, VERDICT_PASS, NULL },
	/* a refused kind of file: refused, from a moderator too; a loop is still a loop */
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 0, 20, "x.exe (application/octet-stream)", HEADER_NONE, 1, 0, VERDICT_REFUSE, "x.exe" },
	{ POLICY_ANNOUNCE, 0, 1, 0, 1000, 0, 0, 0, 0, 20, "a.js in b.zip", HEADER_ACCEPT, 1, 0, VERDICT_REFUSE, "never passes" },
	{ POLICY_OPEN, 1, 0, 1, 1000, 0, 0, 0, 0, 20, "x.exe (application/octet-stream)", HEADER_NONE, 1, 0, VERDICT_REFUSE, "loop" },
	/* header rules: discard and hold over everything but the above; accept passes where the policy would hold */
	{ POLICY_OPEN, 1, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_DISCARD, 0, 0, VERDICT_DISCARD, "rule" },
	{ POLICY_OPEN, 1, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_HOLD, 0, 0, VERDICT_HOLD, "rule" },
	{ POLICY_MODERATED, 0, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_ACCEPT, 0, 0, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 1, 0, 0, 20, NULL, HEADER_ACCEPT, 0, 0, VERDICT_HOLD, "emergency" },
	/* attachments = hold: a post with one waits, a moderator's passes, one without passes */
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 1, 1, VERDICT_HOLD, "attachment" },
	{ POLICY_OPEN, 1, 1, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 1, 1, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 0, 1, VERDICT_PASS, NULL },
	{ POLICY_OPEN, 1, 0, 0, 1000, 0, 0, 0, 0, 20, NULL, HEADER_NONE, 3, 0, VERDICT_PASS, NULL },
};

static void the_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *r = &table[i];
		struct post_facts f = { r->policy,	 r->member,    r->moderator,  r->loop,
					r->size,	 r->max_size,  r->emergency,  r->new_member,
					r->recent,	 (int)r->max_per_hour, r->refused_part, r->header,
					"X-Spam-Flag matches ^YES", r->attachments, r->hold_attachments };
		struct decision d = verdict_decide(&f);
		char where[64];
		snprintf(where, sizeof(where), "row %zu", i);
		if (d.verdict != r->want || (r->reason ? !strstr(d.reason, r->reason) : *d.reason != '\0'))
			check_show(where);
		CHECK(d.verdict == r->want);
		CHECK(r->reason ? strstr(d.reason, r->reason) != NULL : *d.reason == '\0');
	}
}

static void policy_names(void)
{
	enum group_policy p;

	CHECK(policy_from_name("open", &p) == 0 && p == POLICY_OPEN);
	CHECK(policy_from_name("members", &p) == 0 && p == POLICY_MEMBERS);
	CHECK(policy_from_name("moderated", &p) == 0 && p == POLICY_MODERATED);
	CHECK(policy_from_name("announce", &p) == 0 && p == POLICY_ANNOUNCE);
	CHECK(policy_from_name("closed", &p) < 0);
	CHECK(policy_from_name("", &p) < 0);
}

static const struct check_case cases[] = {
	{ "the_table", the_table },
	{ "policy_names", policy_names },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
