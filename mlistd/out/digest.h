/*
 * digest: the digests of digest-mode members.  Once a day, at the first
 * look after digest.hour (local time), each group with posts waiting and
 * digest members gets a digest; a group whose posts pass digest.max_size
 * octets gets one at once.  A day without posts sends nothing.
 *
 * A digest is made per kind of reader: MIME (multipart/mixed: the table
 * of contents, a multipart/digest with each post whole as message/rfc822,
 * the footer) or plain text (RFC 1153); and for a change line, one for
 * members who follow the line, with its projects' posts too (each post
 * once), and one for those who do not.  Each is staged in spool/notices
 * and queued for its members in one store transaction with the move of
 * the group's cursor (store_digest.h), so a crash leaves either the
 * whole digest queued or nothing: no post goes in two digests, none is
 * left out.  Delivery then sends it like a post (the queue's retries,
 * bounces, one copy per person), with the group's List-* headers.
 *
 * A group with archive off keeps its posts in its archive only until no
 * digest can need them (a digest reads a delivered post from there).
 */
#ifndef MLIST_DIGEST_H
#define MLIST_DIGEST_H

struct config;
struct sbuf;
struct spool;
struct store;

struct digest_ctx {
	const struct config *cfg;
	struct store *st; /* not in a transaction: digest_run makes one per digest */
	struct spool *sp;
	long long now;    /* clock_now(): the digest schedule's time (the queue and the Date keep the real one) */
};

/*
 * Builds and queues the digests that are due, of group (NULL: every
 * group); with force, of every group that has posts waiting and digest
 * members, due or not.  note gets a line per digest.  Returns how many
 * were queued, or -1 (the store failed; what was built before stays).
 * Then the archives that are off let go of what no digest needs.
 */
int digest_run(const struct digest_ctx *c, const char *group, int force, struct sbuf *note);

/*
 * Writes group's next digest as a member with format ("mime", "text")
 * who follows the line (or not) would get it, recording nothing.
 * Returns the number of posts in it, or -1.
 */
int digest_preview(const struct digest_ctx *c, const char *group, const char *format, int follow, struct sbuf *out);

#endif
