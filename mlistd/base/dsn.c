/*
 * dsn: delivery status notifications and SMTP replies read; see dsn.h.
 */
#include "dsn.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "sbuf.h"

/*
 * Reads an RFC 3463 status code at s ("5.1.1", maybe followed by a
 * comment) into status; returns its length, or 0 when s holds none.
 */
static size_t read_status(const char *s, char status[16])
{
	size_t i = 0;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	size_t start = i;
	if (s[i] != '2' && s[i] != '4' && s[i] != '5')
		return 0;
	i++;
	for (int part = 0; part < 2; part++) {
		if (s[i] != '.' || !isdigit((unsigned char)s[i + 1]))
			return 0;
		i++;
		for (int digits = 0; isdigit((unsigned char)s[i]); digits++, i++) {
			if (digits == 3)
				return 0; /* RFC 3463: subject and detail have at most three digits */
		}
	}
	if (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '(' && s[i] != ';')
		return 0;
	snprintf(status, 16, "%.*s", (int)(i - start), s + start);
	return i;
}

enum bounce_kind dsn_kind(const char *action, const char *status)
{
	if (strcasecmp(action, "delivered") == 0 || strcasecmp(action, "relayed") == 0 ||
	    strcasecmp(action, "expanded") == 0 || status[0] == '2')
		return BOUNCE_NONE;
	if (strcasecmp(action, "delayed") == 0 || status[0] == '4')
		return BOUNCE_TRANSIENT;
	if (strncmp(status, "5.7.", 4) == 0)
		return BOUNCE_POLICY;
	return BOUNCE_PERMANENT;
}

const char *dsn_kind_name(enum bounce_kind kind)
{
	static const char *const names[] = { "none", "transient", "permanent", "policy" };

	return names[kind];
}

void dsn_status_of_reply(int code, const char *text, char status[16])
{
	char enhanced[16];

	if (read_status(text, enhanced) && enhanced[0] == '0' + code / 100)
		snprintf(status, 16, "%s", enhanced);
	else
		snprintf(status, 16, "%d.0.0", code / 100);
}

/* The address of a recipient field ("rfc822; jan@example.org"), without its type and angle brackets. */
static char *recipient_address(const struct header *h, const char *name)
{
	const struct header_field *f = header_find(h, name);
	char *value = f ? header_value(f) : xstrdup("");
	const char *semi = strchr(value, ';'), *p = semi ? semi + 1 : value;
	struct sbuf addr = SBUF_INIT;

	while (*p == ' ' || *p == '<')
		p++;
	sbuf_addstr(&addr, p);
	while (addr.len && (addr.buf[addr.len - 1] == '>' || addr.buf[addr.len - 1] == ' '))
		addr.buf[--addr.len] = '\0';
	free(value);
	return sbuf_detach(&addr);
}

/* A field's unfolded value, "" when the block has none. */
static char *field_or_empty(const struct header *h, const char *name)
{
	const struct header_field *f = header_find(h, name);

	return f ? header_value(f) : xstrdup("");
}

/* Adds the recipient block h to d, if it is one (it names a recipient or an action). */
static void add_recipient(struct dsn *d, const struct header *h)
{
	if (!header_find(h, "Final-Recipient") && !header_find(h, "Original-Recipient") && !header_find(h, "Action"))
		return;
	d->rcpt = xrealloc(d->rcpt, (size_t)(d->n + 1) * sizeof(*d->rcpt));
	struct dsn_recipient *r = &d->rcpt[d->n++];
	memset(r, 0, sizeof(*r));
	r->final_recipient = recipient_address(h, "Final-Recipient");
	r->original_recipient = recipient_address(h, "Original-Recipient");
	r->action = field_or_empty(h, "Action");
	for (char *p = r->action; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	r->diagnostic = field_or_empty(h, "Diagnostic-Code");
	char *status = field_or_empty(h, "Status");
	if (!read_status(status, r->status))
		snprintf(r->status, sizeof(r->status), "%s", strcmp(r->action, "delayed") == 0 ? "4.0.0" : "5.0.0");
	free(status);
	r->kind = dsn_kind(r->action, r->status);
}

/* Reads the blocks of a message/delivery-status body: the report's own, then one per recipient. */
static void read_status_body(const char *p, size_t len, struct dsn *d)
{
	while (len > 0) {
		/* blank lines between blocks */
		while (len > 0 && (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		struct header h;
		header_read(p, len, &h);
		if (h.n == 0 || h.length == 0) {
			header_release(&h);
			return;
		}
		add_recipient(d, &h);
		p += h.length;
		len -= h.length;
		header_release(&h);
	}
}

static int is_status_part(const struct mailmime *m)
{
	const struct mailmime_content *ct = m->mm_content_type;

	return m->mm_type == MAILMIME_SINGLE && ct && ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	       ct->ct_type->tp_data.tp_composite_type->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE &&
	       (strcasecmp(ct->ct_subtype, "delivery-status") == 0 ||
		strcasecmp(ct->ct_subtype, "global-delivery-status") == 0);
}

/*
 * Finds the status part among the report's parts and reads it.  Only
 * multipart levels are searched: a returned message (message/rfc822) is
 * the copy that bounced, and a report inside it is not this one.
 */
static void find_status(const struct mailmime *m, struct dsn *d)
{
	if (is_status_part(m)) {
		const struct mailmime_data *data = m->mm_data.mm_single;
		const char *text = data->dt_data.dt_text.dt_data;
		size_t len = data->dt_data.dt_text.dt_length, idx = 0, decoded_len = 0;
		char *decoded = NULL;
		if (data->dt_encoded && mailmime_part_parse(text, len, &idx, data->dt_encoding, &decoded, &decoded_len) ==
						MAILIMF_NO_ERROR) {
			read_status_body(decoded, decoded_len, d);
			mmap_string_unref(decoded);
		} else {
			read_status_body(text, len, d);
		}
	} else if (m->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it && d->n == 0; it = clist_next(it))
			find_status(clist_content(it), d);
	}
}

int dsn_read(const char *msg, size_t len, struct dsn *d)
{
	struct header h;
	struct sbuf mime = SBUF_INIT;
	struct mailmime *m = NULL;
	size_t idx = 0;

	memset(d, 0, sizeof(*d));
	header_read(msg, len, &h);
	const struct header_field *ct = header_find(&h, "Content-Type");
	if (ct) {
		/* libetpan's MIME parser is given only what it needs: a header it cannot stumble on. */
		char *value = header_value(ct);
		sbuf_addf(&mime, "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n", value);
		sbuf_add(&mime, msg + h.length, len - h.length);
		free(value);
		if (mailmime_parse(mime.buf, mime.len, &idx, &m) == MAILIMF_NO_ERROR && m) {
			if (m->mm_type == MAILMIME_MESSAGE && m->mm_data.mm_message.mm_msg_mime)
				find_status(m->mm_data.mm_message.mm_msg_mime, d);
			mailmime_free(m);
		}
	}
	header_release(&h);
	sbuf_release(&mime);
	return d->n > 0 ? 0 : -1;
}

void dsn_release(struct dsn *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->rcpt[i].final_recipient);
		free(d->rcpt[i].original_recipient);
		free(d->rcpt[i].action);
		free(d->rcpt[i].diagnostic);
	}
	free(d->rcpt);
	memset(d, 0, sizeof(*d));
}
