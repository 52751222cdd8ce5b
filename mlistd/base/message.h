/*
 * message: what mlist needs to know of a message's header: Message-ID,
 * In-Reply-To, References, Subject and the From name (RFC 2047 encoded
 * words decoded to UTF-8), the From address and the Date.  The fields are
 * found by header.h's tolerant reader; libetpan reads each value (msg-id
 * lists, mailboxes, dates), and where it cannot, the value is read as a
 * person would (the address in <...>), never as an error: broken mail is
 * still taken.
 */
#ifndef MLIST_MESSAGE_H
#define MLIST_MESSAGE_H

#include <stddef.h>

struct message_info {
	char *message_id;   /* without angle brackets, or NULL */
	char **parents;     /* In-Reply-To ids, then References ids newest first */
	int n_parents;
	char *subject;      /* decoded UTF-8, "" if none */
	char *from_addr;    /* addr-spec of the first From mailbox, "" if none */
	char *from_name;    /* its display name, decoded, "" if none */
	long long date;     /* Date: as unix time, 0 if none or unreadable */
	size_t header_len;  /* octets of the header, up to the empty line */
};

/* Parses the header of data[0..len).  Always fills info (fields may be empty). */
void message_parse(const char *data, size_t len, struct message_info *info);
void message_info_release(struct message_info *info);

/* The mailboxes of an address field (From, To, Cc, Reply-To, Sender). */
struct message_mailboxes {
	struct message_mailbox {
		char *name;  /* display name decoded to UTF-8, "" if none */
		char *addr;  /* addr-spec */
	} *list;
	int n;
	int exact;   /* the value is plain US-ASCII RFC 5322 that says just these (and groups): fit to pass on as it is */
};

/*
 * Reads an address field's unfolded value: by libetpan where it can read
 * all of it, otherwise as a person would (each comma-separated piece's
 * address in <...>, or its word with an @), never failing.  Group names
 * are left out, their members kept.
 */
void message_mailboxes_read(const char *value, struct message_mailboxes *m);
void message_mailboxes_release(struct message_mailboxes *m);

/*
 * Returns the value of the first header field called name (case-insensitive),
 * unfolded, or NULL; the caller frees it.
 */
char *message_header(const char *data, size_t len, const char *name);

/* The subject without "Re:", "Fwd:", "AW:" and "[tag]" prefixes, for thread titles; caller frees. */
char *message_base_subject(const char *subject);

/*
 * Whether the message came from this list server: a List-Id of a group at
 * domain, or an X-Loop naming domain.  Such mail looped back (an
 * auto-forward of a copy, say) and is never posted or answered again.
 */
int message_from_us(const char *data, size_t len, const char *domain);

#endif
