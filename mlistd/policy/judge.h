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

/*
 * Judges a post of size octets by author in group group_id (loop: it came
 * from this server).  Returns 0, or -1 on a store failure.
 */
int judge_post(struct store *st, long long group_id, const char *author, int loop, long long size, struct decision *d);

#endif
