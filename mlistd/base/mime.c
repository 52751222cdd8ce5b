/*
 * mime: libetpan's MIME parse of a message; see mime.h.
 */
#include "mime.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"

int mime_open(const char *msg, size_t len, struct mime *m)
{
	struct header h;
	size_t idx = 0;

	memset(m, 0, sizeof(*m));
	sbuf_init(&m->parsed);
	header_read(msg, len, &h);
	const struct header_field *ct = header_find(&h, "Content-Type"), *cte = header_find(&h, "Content-Transfer-Encoding");
	char *encoding = cte ? header_value(cte) : NULL;
	m->type = ct ? header_value(ct) : NULL;
	m->header_len = h.length;
	sbuf_addstr(&m->parsed, "MIME-Version: 1.0\r\n");
	if (m->type)
		sbuf_addf(&m->parsed, "Content-Type: %s\r\n", m->type);
	if (encoding)
		sbuf_addf(&m->parsed, "Content-Transfer-Encoding: %s\r\n", encoding);
	sbuf_addstr(&m->parsed, "\r\n");
	m->prefix_len = m->parsed.len;
	sbuf_add(&m->parsed, msg + h.length, len - h.length);
	free(encoding);
	header_release(&h);
	if (mailmime_parse(m->parsed.buf, m->parsed.len, &idx, &m->top) != MAILIMF_NO_ERROR) {
		m->top = NULL;
		return 0;
	}
	if (m->top->mm_type == MAILMIME_MESSAGE)
		m->root = m->top->mm_data.mm_message.mm_msg_mime;
	return m->root != NULL;
}

void mime_close(struct mime *m)
{
	if (m->top)
		mailmime_free(m->top);
	free(m->type);
	sbuf_release(&m->parsed);
	memset(m, 0, sizeof(*m));
}

size_t mime_offset(const struct mime *m, const char *p)
{
	return (size_t)(p - m->parsed.buf) - m->prefix_len + m->header_len;
}

int mime_is(const struct mailmime *part, const char *type, const char *subtype)
{
	char name[128], want[128];

	if (part->mm_type != MAILMIME_SINGLE)
		return 0;
	mime_type_name(part, name, sizeof(name));
	snprintf(want, sizeof(want), "%s/%s", type, subtype);
	return strcasecmp(name, want) == 0;
}

void mime_type_name(const struct mailmime *part, char *out, size_t size)
{
	const struct mailmime_content *ct = part->mm_content_type;
	const char *type = "text", *subtype = ct && ct->ct_subtype ? ct->ct_subtype : "plain";

	if (ct && ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		static const char *const discrete[] = { "", "text", "image", "audio", "video", "application" };
		int t = ct->ct_type->tp_data.tp_discrete_type->dt_type;
		type = t >= 1 && t <= 5 ? discrete[t] : ct->ct_type->tp_data.tp_discrete_type->dt_extension;
	} else if (ct && ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		int t = ct->ct_type->tp_data.tp_composite_type->ct_type;
		type = t == MAILMIME_COMPOSITE_TYPE_MESSAGE     ? "message"
		       : t == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart"
								: ct->ct_type->tp_data.tp_composite_type->ct_token;
	}
	snprintf(out, size, "%s/%s", type ? type : "application", subtype);
	for (char *c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
}

/* The disposition of a part, or NULL. */
static const struct mailmime_disposition *disposition(const struct mailmime *part)
{
	if (!part->mm_mime_fields)
		return NULL;
	for (clistiter *it = clist_begin(part->mm_mime_fields->fld_list); it; it = clist_next(it)) {
		const struct mailmime_field *f = clist_content(it);
		if (f->fld_type == MAILMIME_FIELD_DISPOSITION)
			return f->fld_data.fld_disposition;
	}
	return NULL;
}

/* An RFC 2231 extended value (charset'language'percent-encoded) as UTF-8; caller frees. */
static char *extended_value(const char *v)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	struct sbuf raw = SBUF_INIT;
	char charset[64] = "utf-8", *converted = NULL;
	size_t converted_len = 0;

	if (q2 && q1 > v && (size_t)(q1 - v) < sizeof(charset))
		snprintf(charset, sizeof(charset), "%.*s", (int)(q1 - v), v);
	for (const char *p = q2 ? q2 + 1 : v; *p; p++) {
		unsigned hex;
		if (*p == '%' && sscanf(p + 1, "%2x", &hex) == 1 && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			sbuf_addch(&raw, (char)hex);
			p += 2;
		} else {
			sbuf_addch(&raw, *p);
		}
	}
	if (strcasecmp(charset, "utf-8") != 0 && strcasecmp(charset, "us-ascii") != 0 &&
	    charconv_buffer("utf-8", charset, raw.buf, raw.len, &converted, &converted_len) == MAIL_CHARCONV_NO_ERROR) {
		sbuf_reset(&raw);
		sbuf_add(&raw, converted, converted_len);
		charconv_buffer_free(converted);
	}
	return sbuf_detach(&raw);
}

/* A name parameter's value: plain (RFC 2047 words decoded, as mail programs write them) or RFC 2231 "NAME*". */
static char *name_value(const char *param, const char *value, const char *want)
{
	size_t n = strlen(want);

	if (!param || !value || !*value || strncasecmp(param, want, n) != 0)
		return NULL;
	if (param[n] == '\0')
		return header_decode(value);
	/* "filename*" or its first piece "filename*0*" / "filename*0" (a name cut in pieces keeps its first) */
	if (strcasecmp(param + n, "*") == 0 || strcasecmp(param + n, "*0*") == 0)
		return extended_value(value);
	if (strcasecmp(param + n, "*0") == 0)
		return xstrdup(value);
	return NULL;
}

char *mime_filename(const struct mailmime *part)
{
	const struct mailmime_disposition *d = disposition(part);
	char *name = NULL;

	for (clistiter *it = d ? clist_begin(d->dsp_parms) : NULL; it && !name; it = clist_next(it)) {
		const struct mailmime_disposition_parm *p = clist_content(it);
		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
			name = name_value("filename", p->pa_data.pa_filename, "filename");
		else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && p->pa_data.pa_parameter)
			name = name_value(p->pa_data.pa_parameter->pa_name, p->pa_data.pa_parameter->pa_value, "filename");
	}
	for (clistiter *it = part->mm_content_type && !name ? clist_begin(part->mm_content_type->ct_parameters) : NULL;
	     it && !name; it = clist_next(it)) {
		const struct mailmime_parameter *p = clist_content(it);
		name = name_value(p->pa_name, p->pa_value, "name");
	}
	return name;
}

int mime_disposition_attachment(const struct mailmime *part)
{
	const struct mailmime_disposition *d = disposition(part);

	return d && d->dsp_type && d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
}

void mime_decoded(const struct mailmime *part, struct sbuf *out)
{
	const struct mailmime_data *data = part->mm_data.mm_single;
	size_t idx = 0, decoded_len = 0;
	char *decoded = NULL;

	if (part->mm_type != MAILMIME_SINGLE || !data)
		return;
	if (data->dt_encoded && mailmime_part_parse(data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length, &idx,
						     data->dt_encoding, &decoded, &decoded_len) == MAILIMF_NO_ERROR) {
		sbuf_add(out, decoded, decoded_len);
		mmap_string_unref(decoded);
		return;
	}
	sbuf_add(out, data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length);
}

void mime_text(const struct mailmime *part, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	char *converted = NULL;
	size_t converted_len = 0;

	mime_decoded(part, &raw);
	const char *charset = part->mm_content_type ? mailmime_content_charset_get(part->mm_content_type) : "us-ascii";
	if (charset && strcasecmp(charset, "utf-8") != 0 && strcasecmp(charset, "us-ascii") != 0 &&
	    charconv_buffer("utf-8", charset, raw.buf, raw.len, &converted, &converted_len) == MAIL_CHARCONV_NO_ERROR) {
		sbuf_add(out, converted, converted_len);
		charconv_buffer_free(converted);
	} else {
		sbuf_add(out, raw.buf, raw.len);
	}
	sbuf_release(&raw);
}

int mime_is_attachment(const struct mailmime *part)
{
	/* A signature belongs to the text it signs: neither stripped nor listed. */
	static const char *const signatures[] = { "application/pgp-signature", "application/pkcs7-signature",
						  "application/x-pkcs7-signature", "application/pgp-encrypted" };
	char type[128];

	if (part->mm_type == MAILMIME_MULTIPLE)
		return 0;
	if (part->mm_type == MAILMIME_MESSAGE)
		return 1;
	mime_type_name(part, type, sizeof(type));
	for (size_t i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
		if (strcmp(type, signatures[i]) == 0)
			return 0;
	char *name = mime_filename(part);
	int named = name != NULL;
	free(name);
	return named || mime_disposition_attachment(part) || strncmp(type, "text/", 5) != 0;
}
