/*
 * record: the one way a post enters its groups.  Each place joins a
 * thread (a reply's) or starts one, and everyone who gets a copy is
 * queued for delivery, in the caller's store transaction, so the queue of
 * a post is complete or absent.  The sorter records a post that passes
 * its verdict; the held-post lifecycle records one a moderator approves.
 */
#ifndef MLIST_RECORD_H
#define MLIST_RECORD_H

struct sbuf;
struct store;

/* Where a post goes: up to this many groups. */
#define MAX_PLACES 16

struct places {
	long long group[MAX_PLACES];  /* group row ids */
	long long thread[MAX_PLACES]; /* the thread it joins there; 0: start a new thread */
	char names[MAX_PLACES][65];   /* the groups' names, for the logs */
	char how[MAX_PLACES][16];     /* how it was sorted there: thread, address, tag, rule, default, moderator */
	int n;
};

/* Adds a place (once per group; beyond MAX_PLACES it is dropped). */
void places_add(struct places *pl, long long group, long long thread, const char *name, const char *how);
/* The names as "a, b, c" into out. */
void places_names(const struct places *pl, struct sbuf *out);

/* The recorded post being placed. */
struct record_post {
	long long message;      /* its row in the store */
	const char *message_id; /* without <> */
	const char *subject;    /* as decoded, for a new thread's subject */
	const char *author;     /* From address, for the author's own-copy choice ("" if none) */
	long long when;         /* unix time, for the threads' activity and the queue */
};

/* Places post into pl's groups and queues its copies; returns the number of copies queued, or -1. */
long long record_post(struct store *st, const struct record_post *post, const struct places *pl);

#endif
