/*
 * post_view: a post's text and attachments; see post_view.h.
 */
#include "post_view.h"

#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_text.h"
#include "mime.h"

struct walk {
	struct post_view *v;   /* what is collected */
	long long want;        /* the attachment whose content is wanted, or 0 */
	struct sbuf *content;  /* where it goes */
	struct post_attachment *found;
	long long seen;        /* attachments met so far */
};

/* The raw octets of a forwarded message part. */
static void message_octets(const struct mailmime *part, struct sbuf *out)
{
	const struct mailmime_data *d = part->mm_body;

	if (d && d->dt_type == MAILMIME_DATA_TEXT)
		sbuf_add(out, d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length);
}

static void add_attachment(struct walk *w, const struct mailmime *part)
{
	struct post_attachment a = { 0 };
	struct sbuf content = SBUF_INIT;

	w->seen++;
	a.name = mime_filename(part);
	mime_type_name(part, a.type, sizeof(a.type));
	if (part->mm_type == MAILMIME_MESSAGE)
		message_octets(part, &content);
	else
		mime_decoded(part, &content);
	a.size = content.len;
	if (!a.name || !*a.name) {
		free(a.name);
		struct sbuf name = SBUF_INIT;
		sbuf_addf(&name, "attachment-%lld%s", w->seen, part->mm_type == MAILMIME_MESSAGE ? ".eml" : "");
		a.name = sbuf_detach(&name);
	}
	if (w->want == w->seen && w->content) {
		sbuf_add(w->content, content.buf, content.len);
		*w->found = a;
	} else if (w->v) {
		w->v->attachments = xrealloc(w->v->attachments, (w->v->n_attachments + 1) * sizeof(a));
		w->v->attachments[w->v->n_attachments++] = a;
	} else {
		free(a.name);
	}
	sbuf_release(&content);
}

static void add_text(struct walk *w, const struct mailmime *part)
{
	struct sbuf raw = SBUF_INIT;
	struct sbuf *text = &w->v->text;

	if (text->len && text->buf[text->len - 1] != '\n')
		sbuf_addch(text, '\n');
	if (text->len)
		sbuf_addch(text, '\n');
	if (mime_is(part, "text", "html")) {
		mime_text(part, &raw);
		html_text(raw.buf ? raw.buf : "", raw.len, text);
		w->v->from_html = 1;
	} else {
		mime_text(part, text);
	}
	sbuf_release(&raw);
}

/* Of an alternative: its plain text part, else its first part. */
static const struct mailmime *pick_alternative(const struct mailmime *part)
{
	clistiter *it;

	for (it = clist_begin(part->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it)) {
		const struct mailmime *child = clist_content(it);
		if (mime_is(child, "text", "plain") && !mime_is_attachment(child))
			return child;
	}
	it = clist_begin(part->mm_data.mm_multipart.mm_mp_list);
	return it ? clist_content(it) : NULL;
}

static void walk(struct walk *w, const struct mailmime *part, int depth)
{
	char type[128];

	if (!part || depth > 32)
		return;
	if (mime_is_attachment(part)) {
		add_attachment(w, part);
		return;
	}
	if (part->mm_type == MAILMIME_SINGLE) {
		if (w->v && (mime_is(part, "text", "plain") || mime_is(part, "text", "html")))
			add_text(w, part);
		return;
	}
	if (part->mm_type != MAILMIME_MULTIPLE)
		return;
	mime_type_name(part, type, sizeof(type));
	if (strcmp(type, "multipart/alternative") == 0) {
		walk(w, pick_alternative(part), depth + 1);
		return;
	}
	for (clistiter *it = clist_begin(part->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
		walk(w, clist_content(it), depth + 1);
}

void post_view_read(const char *msg, size_t len, struct post_view *v)
{
	struct mime m;
	struct walk w = { .v = v };

	memset(v, 0, sizeof(*v));
	sbuf_init(&v->text);
	if (mime_open(msg, len, &m))
		walk(&w, m.root, 0);
	else
		sbuf_add(&v->text, msg + m.header_len, len - m.header_len);
	mime_close(&m);
	if (!v->text.buf)
		sbuf_addstr(&v->text, "");
}

void post_view_free(struct post_view *v)
{
	sbuf_release(&v->text);
	for (size_t i = 0; i < v->n_attachments; i++)
		free(v->attachments[i].name);
	free(v->attachments);
	memset(v, 0, sizeof(*v));
}

int post_view_attachment(const char *msg, size_t len, long long n, struct sbuf *out, struct post_attachment *a)
{
	struct mime m;
	struct walk w = { .want = n, .content = out, .found = a };

	memset(a, 0, sizeof(*a));
	if (n <= 0)
		return 0;
	if (mime_open(msg, len, &m))
		walk(&w, m.root, 0);
	mime_close(&m);
	return a->name != NULL;
}
