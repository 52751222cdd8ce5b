/*
 * store_stats: the figures of `mlistctl stats`, counted in one read
 * transaction so that they belong together.
 */
#ifndef MLIST_STORE_STATS_H
#define MLIST_STORE_STATS_H

struct store;

#define STATS_DAYS 7 /* posts are counted for this many days */

struct store_stats {
	long long groups;                  /* all groups */
	long long change_lines, projects, general; /* of each kind */
	long long members;                 /* people, whatever groups they are in */
	long long subscriptions;           /* (person, group) pairs */
	long long disabled;                /* people whose copies stopped after bounces (member enable) */
	long long held;                    /* posts waiting for a moderator */
	long long queued_copies;           /* copies of posts and digests waiting to be sent */
	long long queued_posts;            /* the posts and digests those are of */
	long long queued_notices;          /* mlist's own mail waiting to be sent */
	long long queue_oldest;            /* when the oldest waiting copy or notice was queued; 0: none waits */
	long long bounces;                 /* bounces recorded since the first day */
	long long permanent_bounces;       /* of which permanent (the only ones that count toward disabling) */
	long long posts[STATS_DAYS];       /* posts received each day, [0] the first day (mail to service addresses
					      and digests are not posts) */
};

/*
 * Fills out, the days being the STATS_DAYS days of 86,400 seconds from
 * first_day (unix time; the caller chooses the start of a day).
 * Returns 0 or -1.
 */
int store_stats(struct store *st, long long first_day, struct store_stats *out);

#endif
