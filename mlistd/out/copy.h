/*
 * copy: the copy of a post that a group's members receive.
 *
 * From the message as it was accepted it makes the message as it goes
 * out: RFC 2369/2919 list headers (List-Id, List-Post, List-Help,
 * List-Subscribe, List-Unsubscribe, List-Archive when configured, and
 * with a web archive Archived-At (RFC 5064) and per-recipient fields),
 * Precedence: list and X-Loop; a "[group]" subject prefix that is never
 * added twice; the config's DMARC treatment of From; the Message-ID mlist
 * gave a message that had none; and the footer, added so that the MIME
 * structure stays valid: appended to a plain text body, added as a part
 * to a multipart/mixed one, and otherwise (a signed message among them)
 * the original is wrapped whole as the first part of a multipart/mixed,
 * so a signature still verifies.  To and Cc stay as the author wrote
 * them: a copy never names another subscriber.  List headers the message
 * already had (a post forwarded from another list) are replaced.
 *
 * The header is read by header.h's tolerant reader and written so that
 * every reader downstream can parse it: one of each unique field (the
 * first), one Message-ID, names without obsolete blanks before the
 * colon, 8-bit text and names RFC 2047-encoded as UTF-8 once, address
 * fields mlist cannot pass on as they are written again from what they
 * say, a From and a Date always (the envelope sender, said so in a
 * comment, when the message names no author), lines no longer than 998
 * octets, and lines that are no field left out (the archive keeps the
 * message as it came).
 */
#ifndef MLIST_COPY_H
#define MLIST_COPY_H

#include <stddef.h>

struct config;
struct sbuf;

/* Where replies go: as the author's message says, to the group, or to the author. */
enum reply_to_mode { REPLY_TO_AS_SENT, REPLY_TO_GROUP, REPLY_TO_AUTHOR };

/* A group's own look (its settings); NULL fields are the config's. */
struct copy_look {
	const char *tag;    /* the subject prefix, "" for none; NULL: "[group]" when copies.subject_prefix */
	const char *footer; /* the footer, placeholders filled, "" for none; NULL: copies.footer */
	enum reply_to_mode reply_to;
};

struct copy_params {
	const struct config *cfg;
	const char *group;         /* the group's name */
	const char *group_title;   /* its title, may be "" */
	const char *message_id;    /* the message's id as mlist knows it (its own, or the one mlist gave it) */
	const char *envelope_from; /* the envelope sender, "" for none: the author when From says none */
	long long received;        /* when mlist took the message: the Date of one that has none */
	int digest;                /* a digest (mlist's own, with its footer in it): no prefix, footer or DMARC change */
	const struct copy_look *look; /* the group's settings, or NULL for the config's */
};

/* Who one copy goes to, for the fields that differ per recipient. */
struct copy_recipient {
	long long member_id, group_id;
	const char *address, *group;
};

/*
 * With a web archive (web.url): the fields of one recipient's copy, put
 * before the shared text -- List-Unsubscribe with their own one-click
 * link (RFC 8058, key: web_token.h) beside the mailto one, and
 * List-Unsubscribe-Post.  Such copies go one recipient per transaction.
 */
void copy_personal_fields(const struct config *cfg, const unsigned char *key, const struct copy_recipient *r,
			  struct sbuf *out);

/* Appends the outgoing copy of msg[0..len) to out (CRLF line ends). */
void copy_compose(const struct copy_params *p, const char *msg, size_t len, struct sbuf *out);

#endif
