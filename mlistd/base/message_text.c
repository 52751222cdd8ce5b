/*
 * message_text: a message's readable text; see message_text.h.
 */
#include "message_text.h"

#include <libetpan/libetpan.h>

#include "mime.h"
#include "sbuf.h"

/* The first text/plain part at the multipart levels (a forwarded message inside is not this one's text). */
static const struct mailmime *find_text(const struct mailmime *m)
{
	if (mime_is(m, "text", "plain"))
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
	struct mime m;
	const struct mailmime *text = mime_open(msg, len, &m) ? find_text(m.root) : NULL;

	if (text)
		mime_text(text, out);
	else
		sbuf_addstr(out, m.type ? m.type : "text/plain");
	mime_close(&m);
	return text != NULL;
}
