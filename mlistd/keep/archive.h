/*
 * archive: every distributed post, kept per group as a maildir under the
 * spool (spool/archive/GROUP/), and exported as an mbox.
 *
 * Each post is stored once per group under its spool id, so archiving it
 * again after a crash replaces the file instead of adding a second one.
 */
#ifndef MLIST_ARCHIVE_H
#define MLIST_ARCHIVE_H

#include <stddef.h>
#include <stdio.h>

struct maildir_batch;
struct sbuf;

/* The archive maildir of a group; the caller frees it. */
char *archive_dir(const char *spool, const char *group);
/* Adds a post to a batch for the group's archive (committed with the batch). */
int archive_add(struct maildir_batch *b, const char *spool, const char *group, const char *spool_id,
		const char *msg, size_t len);
/*
 * Reads the post archived for group under spool_id (new/, or cur/ where a
 * mail reader moved it) into out.  Returns 0, or -1 (errno ENOENT when
 * it is not there).
 */
int archive_read(const char *spool, const char *group, const char *spool_id, struct sbuf *out);
/* Removes the post archived for group under spool_id (new/ or cur/); 0 also when it is not there, else -1. */
int archive_remove(const char *spool, const char *group, const char *spool_id);
/* Removes the group's whole archive (its maildir); 0 also when there is none, else -1 (errno set). */
int archive_delete(const char *spool, const char *group);
/*
 * Writes the group's archive to out as an mbox (mboxrd: "From " lines in
 * bodies are quoted with '>'), oldest first.  Returns the number of
 * messages, or -1 (errno set).
 */
long archive_export(const char *spool, const char *group, FILE *out);

#endif
