/*
 * judge: store facts -> verdict; see judge.h.
 */
#include "judge.h"

#include "store.h"
#include "store_group.h"

int judge_post(struct store *st, long long group_id, const char *author, int loop, long long size, struct decision *d)
{
	struct author_standing who;
	struct post_facts facts = { .loop = loop, .size = size };

	/* The store gives only policies names.h knows, so the name always maps. */
	if (store_author_standing(st, group_id, author, &who) < 0 || policy_from_name(who.policy, &facts.policy) < 0)
		return -1;
	facts.member = who.member;
	facts.moderator = who.moderator;
	facts.max_size = who.max_size;
	facts.emergency = who.emergency;
	facts.new_member = who.new_member;
	*d = verdict_decide(&facts);
	return 0;
}
