/*
 * message: header facts via libetpan; see message.h.
 */
#define _GNU_SOURCE
#include "message.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sbuf.h"

/* Decodes RFC 2047 encoded words to UTF-8; undecodable text is kept as it is. */
static char *decode_words(const char *raw)
{
	size_t idx = 0;
	char *out = NULL;

	if (mailmime_encoded_phrase_parse("iso-8859-1", raw, strlen(raw), &idx, "utf-8", &out) == MAILIMF_NO_ERROR &&
	    out) {
		char *copy = xstrdup(out);
		free(out);
		return copy;
	}
	return xstrdup(raw);
}

static void add_parent(struct message_info *info, const char *id)
{
	for (int i = 0; i < info->n_parents; i++) {
		if (strcmp(info->parents[i], id) == 0)
			return;
	}
	info->parents = xrealloc(info->parents, (size_t)(info->n_parents + 1) * sizeof(char *));
	info->parents[info->n_parents++] = xstrdup(id);
}

static long long to_unix_time(const struct mailimf_date_time *dt)
{
	struct tm tm = { 0 };

	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	/* dt_zone is +hhmm: subtract it to get UTC */
	int zone = dt->dt_zone;
	long offset = (long)(zone / 100) * 3600 + (long)(zone % 100) * 60;
	return (long long)t - offset;
}

/* The length of the header: up to and including the empty line, or all of data. */
static size_t header_length(const char *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')))
			return i + 1;
	}
	return len;
}

void message_parse(const char *data, size_t len, struct message_info *info)
{
	struct mailimf_fields *fields = NULL;
	size_t idx = 0;
	clistiter *it;

	memset(info, 0, sizeof(*info));
	info->header_len = header_length(data, len);
	if (mailimf_envelope_and_optional_fields_parse(data, info->header_len, &idx, &fields) != MAILIMF_NO_ERROR)
		fields = NULL;
	char **references = NULL;
	int n_references = 0;
	for (it = fields ? clist_begin(fields->fld_list) : NULL; it; it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);
		switch (f->fld_type) {
		case MAILIMF_FIELD_MESSAGE_ID:
			if (!info->message_id && f->fld_data.fld_message_id->mid_value)
				info->message_id = xstrdup(f->fld_data.fld_message_id->mid_value);
			break;
		case MAILIMF_FIELD_IN_REPLY_TO:
			for (clistiter *i = clist_begin(f->fld_data.fld_in_reply_to->mid_list); i; i = clist_next(i))
				add_parent(info, clist_content(i));
			break;
		case MAILIMF_FIELD_REFERENCES:
			for (clistiter *i = clist_begin(f->fld_data.fld_references->mid_list); i; i = clist_next(i)) {
				references = xrealloc(references, (size_t)(n_references + 1) * sizeof(char *));
				references[n_references++] = clist_content(i);
			}
			break;
		case MAILIMF_FIELD_SUBJECT:
			if (!info->subject)
				info->subject = decode_words(f->fld_data.fld_subject->sbj_value);
			break;
		case MAILIMF_FIELD_FROM: {
			struct mailimf_mailbox_list *mbl = f->fld_data.fld_from->frm_mb_list;
			clistiter *first = mbl ? clist_begin(mbl->mb_list) : NULL;
			if (!info->from_addr && first) {
				struct mailimf_mailbox *mb = clist_content(first);
				info->from_addr = xstrdup(mb->mb_addr_spec ? mb->mb_addr_spec : "");
				info->from_name = mb->mb_display_name ? decode_words(mb->mb_display_name) : xstrdup("");
			}
			break;
		}
		case MAILIMF_FIELD_ORIG_DATE:
			if (!info->date)
				info->date = to_unix_time(f->fld_data.fld_orig_date->dt_date_time);
			break;
		default:
			break;
		}
	}
	/* References lists the oldest first; the nearest ancestor is the best guess of the thread. */
	for (int i = n_references - 1; i >= 0; i--)
		add_parent(info, references[i]);
	free(references);
	if (fields)
		mailimf_fields_free(fields);
	if (!info->subject)
		info->subject = xstrdup("");
	if (!info->from_addr)
		info->from_addr = xstrdup("");
	if (!info->from_name)
		info->from_name = xstrdup("");
}

void message_info_release(struct message_info *info)
{
	free(info->message_id);
	for (int i = 0; i < info->n_parents; i++)
		free(info->parents[i]);
	free(info->parents);
	free(info->subject);
	free(info->from_addr);
	free(info->from_name);
	memset(info, 0, sizeof(*info));
}

char *message_header(const char *data, size_t len, const char *name)
{
	size_t hlen = header_length(data, len), nlen = strlen(name);
	struct sbuf value = SBUF_INIT;
	int found = 0;

	for (size_t i = 0; i < hlen;) {
		const char *line = data + i;
		const char *eol = memchr(line, '\n', hlen - i);
		size_t n = eol ? (size_t)(eol - line) + 1 : hlen - i;
		if (found) {
			if (line[0] != ' ' && line[0] != '\t')
				break;
			sbuf_add(&value, line, n);
		} else if (n > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			found = 1;
			sbuf_add(&value, line + nlen + 1, n - nlen - 1);
		}
		i += n;
	}
	if (!found)
		return NULL;
	/* unfold: line breaks go, surrounding blanks shrink to one space */
	struct sbuf out = SBUF_INIT;
	for (size_t i = 0; i < value.len; i++) {
		char c = value.buf[i];
		if (c == '\r' || c == '\n')
			continue;
		if ((c == ' ' || c == '\t') && (out.len == 0 || out.buf[out.len - 1] == ' '))
			continue;
		sbuf_addch(&out, c == '\t' ? ' ' : c);
	}
	while (out.len && out.buf[out.len - 1] == ' ')
		out.buf[--out.len] = '\0';
	sbuf_release(&value);
	return sbuf_detach(&out);
}

char *message_base_subject(const char *subject)
{
	static const char *const prefixes[] = { "re:", "fwd:", "fw:", "aw:", "antw:", "wg:", NULL };
	const char *p = subject;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		int again = 0;
		for (int i = 0; prefixes[i]; i++) {
			size_t n = strlen(prefixes[i]);
			if (strncasecmp(p, prefixes[i], n) == 0) {
				p += n;
				again = 1;
			}
		}
		if (*p == '[') {
			const char *close = strchr(p, ']');
			if (close) {
				p = close + 1;
				again = 1;
			}
		}
		if (!again)
			break;
	}
	return xstrdup(p);
}

int message_from_us(const char *data, size_t len, const char *domain)
{
	char *list_id = message_header(data, len, "List-Id");
	char *x_loop = message_header(data, len, "X-Loop");
	struct sbuf ours = SBUF_INIT;

	sbuf_addf(&ours, ".%s>", domain);
	int r = (list_id && strcasestr(list_id, ours.buf)) || (x_loop && strcasestr(x_loop, domain));
	free(list_id);
	free(x_loop);
	sbuf_release(&ours);
	return r;
}
