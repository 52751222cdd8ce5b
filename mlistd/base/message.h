/*
 * message: what mlist needs to know of a message's header, read with
 * libetpan's RFC 5322 parser: Message-ID, In-Reply-To, References,
 * Subject and the From name (RFC 2047 encoded words decoded to UTF-8),
 * the From address and the Date.  Header fields libetpan cannot parse are
 * treated as absent, never as an error: broken mail is still taken.
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
