/*
 * verdict: the one decision on a post for one of its groups, PASS,
 * HOLD(reason) or REFUSE(reason), made from facts alone: no SQL, no I/O,
 * no clock.  The sorter gathers the facts (the store says what the
 * group's policy is and who the author is to it; the message says whether
 * it looped back); the held-post lifecycle asks again when a moderator
 * assigns an unsorted post to a group.  So every path that lets a post
 * into a group decides the same way, and the rules are one table of
 * cases in tests/unit/test_verdict.c.
 *
 * The rules, first match wins:
 *   a post that carries this server's own List-Id or X-Loop is a loop: REFUSE
 *   the group's emergency switch is on: HOLD (moderators' posts too)
 *   a part of a kind no group passes on (an executable, a script, a
 *     macro-enabled Office file; content.h): REFUSE, moderators' too, as a
 *     phished moderator's mailbox is the worst case
 *   a header rule matches (config content.header_rules, first one wins):
 *     discard: DISCARD (dropped, nobody told: spam); hold: HOLD; accept: PASS
 *   a moderator of the group posts: PASS (under every policy)
 *   the group holds attachments (attachments = hold) and the post has one: HOLD
 *   a post larger than the group's own size limit: HOLD
 *   a new member the moderators have not trusted yet: HOLD
 *   a sender past the group's posts per hour: HOLD
 *   announce: only moderators post: REFUSE
 *   moderated: HOLD
 *   members: a subscriber (any mode) PASSes, anyone else is HELD
 *   open: PASS
 */
#ifndef MLIST_VERDICT_H
#define MLIST_VERDICT_H

enum verdict { VERDICT_PASS, VERDICT_HOLD, VERDICT_REFUSE, VERDICT_DISCARD };

/* What a header rule does with a post it matches (config content.header_rules). */
enum header_action { HEADER_NONE, HEADER_HOLD, HEADER_DISCARD, HEADER_ACCEPT };

/* A group's posting policy (names.h has their names, in this order). */
enum group_policy { POLICY_OPEN, POLICY_MEMBERS, POLICY_MODERATED, POLICY_ANNOUNCE };

/* What is known about one post for one group. */
struct post_facts {
	enum group_policy policy;
	int member;     /* the author is subscribed to the group (in any mode) */
	int moderator;  /* the author moderates the group */
	int loop;       /* the post came from this list server (its List-Id or X-Loop) */
	long long size;     /* the post's octets */
	long long max_size; /* the group's own limit, 0 for none */
	int emergency;      /* the group's emergency switch is on */
	int new_member;     /* the author is a member still under first-post moderation */
	long long recent;   /* the author's posts to the group in the last hour, this one not counted */
	int max_per_hour;   /* how many an hour may bring before the next waits; 0: no limit */
	const char *refused_part; /* a part no group passes on, "NAME (TYPE)", or NULL */
	enum header_action header_action; /* what the first matching header rule says */
	const char *header_reason;        /* that rule, for the reason: "X-Spam-Flag matches ^YES" */
	int attachments;          /* the post's attachments */
	int hold_attachments;     /* the group's attachments = hold */
};

struct decision {
	enum verdict verdict;
	char reason[300];   /* for HOLD, REFUSE and DISCARD: a sentence for the moderator and the author; "" for PASS */
};

struct decision verdict_decide(const struct post_facts *f);

/* The reason of a post held for its sender's rate: the moderators are told of the first only (held.h). */
#define RATE_REASON "the sender posted more than the group takes in an hour"

/* The policy named name ("open", ...); returns 0, or -1 for an unknown name. */
int policy_from_name(const char *name, enum group_policy *out);

#endif
