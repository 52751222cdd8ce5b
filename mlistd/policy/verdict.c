/*
 * verdict: PASS / HOLD / REFUSE from facts; see verdict.h for the rules.
 */
#include "verdict.h"

#include <string.h>

#include "names.h"

struct decision verdict_decide(const struct post_facts *f)
{
	if (f->loop)
		return (struct decision){ VERDICT_REFUSE, "it came from this list server: a mail loop" };
	if (f->emergency)
		return (struct decision){ VERDICT_HOLD, "the group's emergency switch is on: every post waits" };
	if (f->moderator)
		return (struct decision){ VERDICT_PASS, NULL };
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
		return (struct decision){ VERDICT_PASS, NULL };
	case POLICY_OPEN:
		break;
	}
	return (struct decision){ VERDICT_PASS, NULL };
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
