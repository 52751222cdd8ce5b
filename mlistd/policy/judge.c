/*
 * judge: store facts -> verdict; see judge.h.
 */
#include "judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "message.h"
#include "names.h"
#include "store.h"
#include "store_group.h"

/* The index of name in names, or fallback for "" (the config's). */
static int setting(const char *name, const char *const *names, int fallback)
{
	for (int i = 0; *name && names[i]; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return fallback;
}

int judge_post(struct store *st, const struct config *cfg, long long group_id, const struct judged_post *p,
	       struct decision *d, struct group_content *gc)
{
	struct author_standing who;
	struct post_facts facts = { .loop = p->loop, .size = p->size, .max_per_hour = p->max_per_hour,
				    .header_action = p->header_action, .header_reason = p->header_reason };

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
	struct group_content content = {
		(enum attachment_policy)setting(who.attachments, attachment_policies, cfg->content.attachments),
		(enum html_policy)setting(who.html, html_policies, cfg->content.html),
	};
	if (p->content) {
		facts.refused_part = *p->content->refused ? p->content->refused : NULL;
		facts.attachments = p->content->attachments;
		facts.hold_attachments = content.attachments == ATTACHMENTS_HOLD;
	}
	if (gc)
		*gc = content;
	*d = verdict_decide(&facts);
	return 0;
}

enum header_action judge_header_rules(const struct config *cfg, const char *msg, size_t len, char *why, size_t size)
{
	for (size_t i = 0; i < cfg->content.n_header_rules; i++) {
		const struct config_header_rule *r = &cfg->content.header_rules[i];
		char *value = message_header(msg, len, r->header);
		int hit = value && regexec(&r->match.re, value, 0, NULL, 0) == 0;
		free(value);
		if (hit) {
			snprintf(why, size, "%s matches %s", r->header, r->match.pattern);
			return (enum header_action)(HEADER_HOLD + r->action);
		}
	}
	return HEADER_NONE;
}
