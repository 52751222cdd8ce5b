/*
 * message_text: a message's readable text; see message_text.h.
 */
#include "message_text.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "sbuf.h"

static int is_plain_text(const struct mailmime *m)
{
	const struct mailmime_content *ct = m->mm_content_type;

	/* No Content-Type is text/plain (RFC 2045 5.2). */
	return m->mm_type == MAILMIME_SINGLE &&
	       (!ct || (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
			ct->ct_type->tp_data.tp_discrete_type->dt_type == MAILMIME_DISCRETE_TYPE_TEXT &&
			strcasecmp(ct->ct_subtype, "plain") == 0));
}

/* The part's text in UTF-8, decoded. */
static void add_part(const struct mailmime *m, struct sbuf *out)
{
	const struct mailmime_data *data = m->mm_data.mm_single;
	const char *text = data->dt_data.dt_text.dt_data;
	size_t len = data->dt_data.dt_text.dt_length, idx = 0, decoded_len = 0;
	char *decoded = NULL, *converted = NULL;
	size_t converted_len = 0;

	if (data->dt_encoded &&
	    mailmime_part_parse(text, len, &idx, data->dt_encoding, &decoded, &decoded_len) == MAILIMF_NO_ERROR) {
		text = decoded;
		len = decoded_len;
	}
	const char *charset = m->mm_content_type ? mailmime_content_charset_get(m->mm_content_type) : "us-ascii";
	if (charset && strcasecmp(charset, "utf-8") != 0 && strcasecmp(charset, "us-ascii") != 0 &&
	    charconv_buffer("utf-8", charset, text, len, &converted, &converted_len) == MAIL_CHARCONV_NO_ERROR) {
		sbuf_add(out, converted, converted_len);
		charconv_buffer_free(converted);
	} else {
		sbuf_add(out, text, len);
	}
	if (decoded)
		mmap_string_unref(decoded);
}

/* The first text/plain part at the multipart levels (a forwarded message inside is not this one's text). */
static const struct mailmime *find_text(const struct mailmime *m)
{
	if (is_plain_text(m))
		return m;
	if (m->mm_type != MAILMIME_MULTIPLE)
		return NULL;
	for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it)) {
		const struct mailmime *found = find_text(clist_content(it));
		if (found)
			return found;
	}
	return NULL;
}

int message_text(const char *msg, size_t len, struct sbuf *out)
{
	struct header h;
	struct sbuf mime = SBUF_INIT;
	struct mailmime *m = NULL;
	size_t idx = 0;
	int found = 0;

	header_read(msg, len, &h);
	const struct header_field *ct = header_find(&h, "Content-Type"), *cte = header_find(&h, "Content-Transfer-Encoding");
	char *type = ct ? header_value(ct) : NULL, *encoding = cte ? header_value(cte) : NULL;
	/* libetpan's MIME parser is given only what it needs: a header it cannot stumble on. */
	sbuf_addstr(&mime, "MIME-Version: 1.0\r\n");
	if (type)
		sbuf_addf(&mime, "Content-Type: %s\r\n", type);
	if (encoding)
		sbuf_addf(&mime, "Content-Transfer-Encoding: %s\r\n", encoding);
	sbuf_addstr(&mime, "\r\n");
	sbuf_add(&mime, msg + h.length, len - h.length);
	if (mailmime_parse(mime.buf, mime.len, &idx, &m) == MAILIMF_NO_ERROR && m) {
		const struct mailmime *text = m->mm_type == MAILMIME_MESSAGE && m->mm_data.mm_message.mm_msg_mime
						      ? find_text(m->mm_data.mm_message.mm_msg_mime)
						      : NULL;
		if (text) {
			add_part(text, out);
			found = 1;
		}
		mailmime_free(m);
	}
	if (!found)
		sbuf_addstr(out, type ? type : "text/plain");
	free(type);
	free(encoding);
	header_release(&h);
	sbuf_release(&mime);
	return found;
}
