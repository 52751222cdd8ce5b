/*
 * store_message: messages, threads and which group(s) each message was
 * sorted into.  A message is recorded once (its spool id and its
 * Message-ID are unique), so sorting the same spool file again after a
 * crash changes nothing.
 */
#ifndef MLIST_STORE_MESSAGE_H
#define MLIST_STORE_MESSAGE_H

struct store;

/* A message as the sorter records it. */
struct message_record {
	const char *message_id;    /* without <> */
	int generated_id;          /* 1 if mlist made it up */
	const char *spool_id;
	const char *state;         /* "queued", "unsorted" or "service" */
	const char *envelope_from;
	const char *from_addr, *from_name, *subject;
	long long date, received, size;
	const char *imap_key;      /* where an IMAP poller took it from, or NULL */
};

/* One thread; strings valid during a callback only. */
struct thread_row {
	long long id;
	const char *group;    /* the group's name */
	const char *root;     /* Message-ID of the first message */
	const char *subject;
	long long started, last_activity, messages;
};

/* One group a message is in (from message_groups); valid during a callback only. */
struct placement_row {
	long long group_id, thread_id;
	const char *group;      /* the group's name */
	const char *sorted_by;  /* "thread", "address", "tag" or "rule" */
};

typedef int (*thread_fn)(const struct thread_row *t, void *ctx);
typedef int (*placement_fn)(const struct placement_row *p, void *ctx);

/* 1 if a message taken from this IMAP mailbox/UIDVALIDITY/UID is recorded, 0 if not, -1 on error. */
int store_message_imap_known(struct store *st, const char *imap_key);
/* 1 if a message with this Message-ID is recorded, 0 if not, -1 on error. */
int store_message_known(struct store *st, const char *message_id);
/* Records a message; returns its row id or -1. */
long long store_message_add(struct store *st, const struct message_record *m);
/* Calls fn for every group and thread the message with this Message-ID is in. */
int store_message_placements(struct store *st, const char *message_id, placement_fn fn, void *ctx);
/* Starts a thread in a group with msg as its first message; returns the thread id or -1. */
long long store_thread_start(struct store *st, long long group_id, const char *root, const char *subject, long long when);
/* Puts a recorded message into a group's thread and counts it there. */
int store_message_place(struct store *st, long long message, long long group_id, long long thread,
			const char *sorted_by, long long when);
/* Calls fn for every thread of a group, newest activity first. */
int store_thread_each(struct store *st, const char *group, thread_fn fn, void *ctx);

/*
 * Removes the message with this Message-ID from the store, its thread
 * counts with it (a thread left empty goes).  Refused while it is held or
 * copies of it wait to be sent.
 */
int store_message_remove(struct store *st, const char *message_id);

/*
 * Takes group group_id's posts taken before `before` out of its threads
 * (a post in no other group goes from the store altogether), except what
 * is held or still being sent; fn gets the spool id of each (its archive
 * file's name).  Returns how many, or -1.
 */
long long store_message_purge(struct store *st, long long group_id, long long before,
			      int (*fn)(const char *spool_id, void *ctx), void *ctx);

/* The stored facts of one message; strings valid during a callback only. */
struct message_row {
	const char *message_id, *spool_id, *state, *envelope_from, *from_addr, *from_name, *subject;
	int generated_id;
	long long date, received, size;
};
typedef int (*message_fn)(const struct message_row *m, void *ctx);
/* Calls fn for the message with this Message-ID (with or without <>); refuses an unknown one. */
int store_message_get(struct store *st, const char *message_id, message_fn fn, void *ctx);

#endif
