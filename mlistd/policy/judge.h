/*
 * judge: the verdict (verdict.h) for a post in one group, with the facts
 * gathered from the store: the group's policy and whether the author is
 * a member or a moderator there.  The sorter judges every post this way,
 * and the held-post lifecycle judges an unsorted post once a moderator
 * assigns it a group.
 */
#ifndef MLIST_JUDGE_H
#define MLIST_JUDGE_H

#include "verdict.h"

struct store;

/* What is known of the post itself. */
struct judged_post {
	const char *author;
	int loop;            /* it came from this server */
	long long size;      /* octets */
	long long now;       /* when it was taken: the hour its sender's rate counts back from */
	int max_per_hour;    /* limits.max_posts_per_hour */
};

/* Judges post p in group group_id.  Returns 0, or -1 on a store failure. */
int judge_post(struct store *st, long long group_id, const struct judged_post *p, struct decision *d);

#endif
