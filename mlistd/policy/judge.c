/*
 * judge: store facts -> verdict; see judge.h.
 */
#include "judge.h"

#include "store.h"
#include "store_group.h"

int judge_post(struct store *st, long long group_id, const struct judged_post *p, struct decision *d)
{
	struct author_standing who;
	struct post_facts facts = { .loop = p->loop, .size = p->size, .max_per_hour = p->max_per_hour };

	/* The store gives only policies names.h knows, so the name always maps. */
	if (store_author_standing(st, group_id, p->author, p->now - 3600, p->max_per_hour, &who) < 0 ||
	    policy_from_name(who.policy, &facts.policy) < 0)
		return -1;
	facts.member = who.member;
	facts.moderator = who.moderator;
	facts.max_size = who.max_size;
	facts.emergency = who.emergency;
	facts.new_member = who.new_member;
	/* the post being judged is placed nowhere yet: the count is of the earlier ones */
	facts.recent = who.recent;
	*d = verdict_decide(&facts);
	return 0;
}
