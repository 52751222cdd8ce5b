/*
 * verdict: PASS / HOLD / REFUSE from facts; see verdict.h for the rules.
 */
#include "verdict.h"

#include <stdio.h>
#include <string.h>

#include "names.h"

/* A decision whose reason names a fact. */
static struct decision because(enum verdict v, const char *fmt, const char *what)
{
	struct decision d = { v, "" };

	snprintf(d.reason, sizeof(d.reason), fmt, what);
	return d;
}

struct decision verdict_decide(const struct post_facts *f)
{
	if (f->loop)
		return (struct decision){ VERDICT_REFUSE, "it came from this list server: a mail loop" };
	if (f->emergency)
		return (struct decision){ VERDICT_HOLD, "the group's emergency switch is on: every post waits" };
	if (f->refused_part)
		return because(VERDICT_REFUSE, "it carries %s, a kind of file this list never passes on", f->refused_part);
	if (f->header_action == HEADER_DISCARD)
		return because(VERDICT_DISCARD, "a header rule discards it (%s)", f->header_reason);
	if (f->header_action == HEADER_HOLD)
		return because(VERDICT_HOLD, "a header rule holds it (%s)", f->header_reason);
	if (f->header_action == HEADER_ACCEPT || f->moderator)
		return (struct decision){ VERDICT_PASS, "" };
	if (f->hold_attachments && f->attachments)
		return (struct decision){ VERDICT_HOLD, "the post has an attachment, and this group's moderators look at those first" };
	if (f->max_size && f->size > f->max_size)
		return (struct decision){ VERDICT_HOLD, "the post is larger than this group takes" };
	if (f->new_member)
		return (struct decision){ VERDICT_HOLD, "a new member's first post waits for a moderator" };
	if (f->max_per_hour && f->recent >= f->max_per_hour)
		return (struct decision){ VERDICT_HOLD, RATE_REASON };
	switch (f->policy) {
	case POLICY_ANNOUNCE:
		return (struct decision){ VERDICT_REFUSE, "only the group's moderators post to it" };
	case POLICY_MODERATED:
		return (struct decision){ VERDICT_HOLD, "every post to this group is moderated" };
	case POLICY_MEMBERS:
		if (!f->member)
			return (struct decision){ VERDICT_HOLD, "the sender is not a member" };
		return (struct decision){ VERDICT_PASS, "" };
	case POLICY_OPEN:
		break;
	}
	return (struct decision){ VERDICT_PASS, "" };
}

int policy_from_name(const char *name, enum group_policy *out)
{
	for (int i = 0; group_policies[i]; i++) {
		if (strcmp(name, group_policies[i]) == 0) {
			*out = (enum group_policy)i;
			return 0;
		}
	}
	return -1;
}
