/*
 * content: a post's attachments and HTML; see content.h.
 */
#define _GNU_SOURCE
#include "content.h"

#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "header.h"
#include "html_text.h"
#include "mime.h"
#include "sbuf.h"

/*
 * What no group passes on: programs and scripts that run when opened,
 * and Office documents with macros (the usual carriers of malware in
 * mail, as in Microsoft's own list of blocked Outlook attachments).
 */
static const char *const refused_extensions[] = {
	"exe", "com", "scr", "pif", "bat", "cmd", "cpl", "msi", "msp", "dll", "js", "jse", "vbs", "vbe", "wsf",
	"wsh", "hta", "ps1", "psm1", "lnk", "jar", "reg", "iso", "img", "vhd", "docm", "dotm", "xlsm", "xltm",
	"xlam", "pptm", "potm", "ppsm", "sldm", NULL,
};
static const char *const refused_types[] = {
	"application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
	"application/x-executable", "application/x-ms-installer", "application/x-msi", "application/javascript",
	"application/x-javascript", "text/javascript", "application/x-sh", "application/x-bat",
	"application/hta", "application/x-ms-shortcut", "application/java-archive",
	"application/vnd.ms-word.document.macroenabled.12", "application/vnd.ms-excel.sheet.macroenabled.12",
	"application/vnd.ms-powerpoint.presentation.macroenabled.12", NULL,
};
/* A zip larger than this is not opened to read its names: reading it would cost more than the rule is worth. */
#define ZIP_LOOK_LIMIT (16u << 20)

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Whether a file name ends in a refused extension (trailing dots and blanks do not hide it). */
static int refused_name(const char *name)
{
	size_t n = strlen(name);

	while (n && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	const char *dot = memrchr(name, '.', n);
	char ext[16];
	if (!dot || (size_t)(name + n - dot - 1) >= sizeof(ext))
		return 0;
	snprintf(ext, sizeof(ext), "%.*s", (int)(name + n - dot - 1), dot + 1);
	return in_list(ext, refused_extensions);
}

/* The first refused name inside a zip part, into out; 1 if one was found. */
static int refused_in_zip(const struct mailmime *part, char *out, size_t size)
{
	struct sbuf data = SBUF_INIT;
	int found = 0;

	mime_decoded(part, &data);
	zip_error_t err;
	zip_error_init(&err);
	zip_source_t *src = data.len && data.len <= ZIP_LOOK_LIMIT ? zip_source_buffer_create(data.buf, data.len, 0, &err)
								   : NULL;
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &err) : NULL;
	if (!z && src)
		zip_source_free(src);
	zip_int64_t n = z ? zip_get_num_entries(z, 0) : 0;
	for (zip_int64_t i = 0; i < n && !found; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_GUESS);
		if (name && refused_name(name)) {
			snprintf(out, size, "%s", name);
			found = 1;
		}
	}
	if (z)
		zip_discard(z);
	zip_error_fini(&err);
	sbuf_release(&data);
	return found;
}

struct scan {
	struct content_facts *f;
	int plain, html; /* text parts of the post itself */
};

static void scan_part(struct scan *s, const struct mailmime *part, int depth)
{
	char type[128], inner[128];

	if (depth > 50)
		return;
	if (part->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(part->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			scan_part(s, clist_content(it), depth + 1);
		return;
	}
	mime_type_name(part, type, sizeof(type));
	char *name = mime_filename(part);
	if (!*s->f->refused) {
		if (in_list(type, refused_types) || (name && refused_name(name)))
			snprintf(s->f->refused, sizeof(s->f->refused), "%s (%s)", name ? name : "a part", type);
		else if ((strcmp(type, "application/zip") == 0 || strcmp(type, "application/x-zip-compressed") == 0 ||
			  (name && strlen(name) > 4 && strcasecmp(name + strlen(name) - 4, ".zip") == 0)) &&
			 refused_in_zip(part, inner, sizeof(inner)))
			snprintf(s->f->refused, sizeof(s->f->refused), "%s in %s", inner, name ? name : "a zip file");
	}
	free(name);
	if (part->mm_type == MAILMIME_MESSAGE) {
		s->f->attachments++;
		/* a forwarded message's own attachments are looked at for refused kinds, not counted */
		struct scan inside = { &(struct content_facts){ 0 }, 0, 0 };
		if (part->mm_data.mm_message.mm_msg_mime && !*s->f->refused) {
			scan_part(&inside, part->mm_data.mm_message.mm_msg_mime, depth + 1);
			memcpy(s->f->refused, inside.f->refused, sizeof(s->f->refused));
		}
		return;
	}
	if (mime_is_attachment(part))
		s->f->attachments++;
	else if (strcmp(type, "text/html") == 0)
		s->html++;
	else if (strcmp(type, "text/plain") == 0)
		s->plain++;
}

void content_scan(const char *msg, size_t len, struct content_facts *f)
{
	struct mime m;
	struct scan s = { f, 0, 0 };

	memset(f, 0, sizeof(*f));
	if (mime_open(msg, len, &m))
		scan_part(&s, m.root, 0);
	f->html_only = s.html && !s.plain;
	mime_close(&m);
}

/* One part's replacement: octets [start, end) of the message become text. */
struct edit {
	size_t start, end;
	struct sbuf text; /* the new part: its MIME fields, an empty line, the body */
};

struct rewrite {
	const struct mime *m;
	int strip, html;
	struct edit *edits;
	int n;
	int whole; /* the part replaced is the post itself (its only edit) */
};

/* A text part's MIME fields and body, quoted-printable (what was removed may be named in 8-bit). */
static void text_part(struct sbuf *out, const char *text, size_t len)
{
	MMAPString *qp = mmap_string_new("");
	int col = 0;

	mailmime_quoted_printable_write_mem(qp, &col, 1, text, len);
	sbuf_addstr(out, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	sbuf_add(out, qp->str, qp->len);
	mmap_string_free(qp);
}

/* The line that stands where an attachment was (Dutch first: the members read Dutch). */
static void removed_note(const struct mailmime *part, struct sbuf *out)
{
	char type[128];
	struct sbuf data = SBUF_INIT;
	char *name = mime_filename(part);

	mime_type_name(part, type, sizeof(type));
	if (part->mm_type == MAILMIME_SINGLE)
		mime_decoded(part, &data);
	sbuf_addf(out, "[Bijlage verwijderd door de lijst / attachment removed by the list: %s (%s, %zu kB)]\r\n",
		  name ? name : "zonder naam / unnamed", type, (data.len + 1023) / 1024);
	free(name);
	sbuf_release(&data);
}

static void add_edit(struct rewrite *r, const struct mailmime *part, const struct sbuf *body)
{
	r->edits = xrealloc(r->edits, (size_t)(r->n + 1) * sizeof(*r->edits));
	struct edit *e = &r->edits[r->n++];
	r->whole = part == r->m->root;
	/* the post's own part starts in the minimal header: it has no place of its own to splice */
	e->start = r->whole ? 0 : mime_offset(r->m, part->mm_mime_start);
	e->end = r->whole ? 0 : e->start + part->mm_length;
	sbuf_init(&e->text);
	text_part(&e->text, body->buf, body->len);
}

static void plan(struct rewrite *r, const struct mailmime *part, int html_only, int depth)
{
	char type[128];
	struct sbuf body = SBUF_INIT;

	if (depth > 50)
		return;
	if (part->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(part->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			plan(r, clist_content(it), html_only, depth + 1);
		return;
	}
	mime_type_name(part, type, sizeof(type));
	if (r->strip && mime_is_attachment(part)) {
		removed_note(part, &body);
		add_edit(r, part, &body);
	} else if (r->html && html_only && strcmp(type, "text/html") == 0 && !mime_is_attachment(part)) {
		struct sbuf html = SBUF_INIT;
		mime_text(part, &html);
		html_text(html.buf, html.len, &body);
		sbuf_release(&html);
		add_edit(r, part, &body);
	}
	sbuf_release(&body);
}

/* The message's header without its own MIME fields (the new part brings its own). */
static void header_without_mime(const char *msg, size_t len, struct sbuf *out)
{
	struct header h;

	header_read(msg, len, &h);
	if (!header_find(&h, "MIME-Version"))
		sbuf_addstr(out, "MIME-Version: 1.0\r\n");
	for (size_t i = 0; i < h.n; i++) {
		const struct header_field *f = &h.fields[i];
		if (header_is(f, "Content-Type") || header_is(f, "Content-Transfer-Encoding") ||
		    header_is(f, "Content-Disposition"))
			continue;
		if (f->name_len == 0 && (f->len == 0 || f->start[0] == '\r' || f->start[0] == '\n'))
			continue; /* the empty line: written after the new fields */
		sbuf_add(out, f->start, f->len);
	}
	header_release(&h);
}

int content_rewrite(const char *msg, size_t len, int strip, int html, struct sbuf *out)
{
	struct mime m;
	struct content_facts f;
	struct rewrite r = { &m, strip, html, NULL, 0, 0 };

	if (!strip && !html)
		return 0;
	content_scan(msg, len, &f);
	if (!(strip && f.attachments) && !(html && f.html_only))
		return 0;
	if (mime_open(msg, len, &m))
		plan(&r, m.root, f.html_only, 0);
	if (r.n && r.whole) {
		/* the post itself is the part replaced: the header's own MIME fields describe the new text */
		header_without_mime(msg, len, out);
		sbuf_add(out, r.edits[0].text.buf, r.edits[0].text.len);
	} else if (r.n) {
		size_t at = 0;
		for (int i = 0; i < r.n; i++) {
			sbuf_add(out, msg + at, r.edits[i].start - at);
			sbuf_add(out, r.edits[i].text.buf, r.edits[i].text.len);
			at = r.edits[i].end;
		}
		sbuf_add(out, msg + at, len - at);
	}
	for (int i = 0; i < r.n; i++)
		sbuf_release(&r.edits[i].text);
	free(r.edits);
	int changed = r.n > 0;
	mime_close(&m);
	return changed;
}
