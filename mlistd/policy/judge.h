/*
 * judge: the verdict (verdict.h) for a post in one group, with the facts
 * gathered from the store: the group's policy and whether the author is
 * a member or a moderator there.  The sorter judges every post this way,
 * and the held-post lifecycle judges an unsorted post once a moderator
 * assigns it a group.
 */
#ifndef MLIST_JUDGE_H
#define MLIST_JUDGE_H

#include "content.h"
#include "verdict.h"

struct config;
struct store;

/* What is known of the post itself. */
struct judged_post {
	const char *author;
	int loop;            /* it came from this server */
	long long size;      /* octets */
	long long now;       /* when it was taken: the hour its sender's rate counts back from */
	int max_per_hour;    /* limits.max_posts_per_hour */
	const struct content_facts *content; /* what it carries (content.h), or NULL when not looked at */
	enum header_action header_action;    /* what the first matching content.header_rules rule says */
	const char *header_reason;           /* that rule, "FIELD matches PATTERN" */
};

/* A group's content policy, its own or else the config's. */
struct group_content {
	enum attachment_policy attachments;
	enum html_policy html;
};

/*
 * Judges post p in group group_id; *gc (unless NULL) gets the group's
 * content policy, for the rewrite of what passes.  Returns 0, or -1 on a
 * store failure.
 */
int judge_post(struct store *st, const struct config *cfg, long long group_id, const struct judged_post *p,
	       struct decision *d, struct group_content *gc);

/* The first content.header_rules rule that matches msg[0..len): its action, and "FIELD matches PATTERN" in why. */
enum header_action judge_header_rules(const struct config *cfg, const char *msg, size_t len, char *why, size_t size);

#endif
