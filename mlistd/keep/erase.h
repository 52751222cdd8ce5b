/*
 * erase: takes a forgotten person out of every stored copy of a post
 * (mlistctl member forget), after the store has forgotten them.
 *
 * In the archive (spool/archive/GROUP/{new,cur}/) and in the spool's
 * incoming/, queue/, duplicate/ and corrupt/, their address (any case)
 * becomes the pseudonym the store gave them and each of their display
 * names becomes "removed member" (only in a file that names the
 * address too: a short name alone would be cut out of everyone's
 * posts), in headers and body alike (a reply
 * quoting "Jan <jan@x> wrote" is someone else's post: it stays, without
 * them).  A notice in notices/ to them is removed (the store gave it up);
 * a notice to someone else that names them is rewritten.  Each file is
 * replaced crash-safe (spool_rewrite_file); a spool file keeps a correct
 * length in its header.  outbox/ is left alone: it stands for the
 * recipients' mailboxes, mail already delivered.
 *
 * Failure: a file that cannot be read or replaced is counted and named
 * in err, and the sweep goes on; running it again finishes the job.
 */
#ifndef MLIST_ERASE_H
#define MLIST_ERASE_H

struct sbuf;

/* Whom to erase: the address, every display name known for it, and what replaces the address. */
struct erase_person {
	const char *address;
	char **names;          /* display names, any order */
	int n_names;
	const char *pseudonym; /* removed-member-XXXXXXXX@invalid */
};

/* What a sweep did, in files. */
struct erase_counts {
	int rewritten; /* posts and spool files now without the person */
	int removed;   /* notices to them */
	int failed;    /* files that could not be read or replaced (named in err) */
};

/* Sweeps the spool at spool for p; fills n.  Returns 0, or -1 if any file failed (reasons in err). */
int erase_person_files(const char *spool, const struct erase_person *p, struct erase_counts *n, struct sbuf *err);

#endif
