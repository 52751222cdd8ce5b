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

#include "header.h"
#include "header_write.h"
#include "sbuf.h"

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

/* The ids in "<...>" of a value libetpan cannot read as a list of msg-ids: what a person would see in it. */
static void loose_ids(const char *value, void (*add)(void *ctx, const char *id), void *ctx)
{
	for (const char *p = strchr(value, '<'); p; p = strchr(p + 1, '<')) {
		const char *close = strchr(p + 1, '>');
		size_t n = close ? (size_t)(close - p - 1) : 0;
		if (n == 0 || memchr(p + 1, ' ', n) || memchr(p + 1, '<', n))
			continue;
		char *id = xstrdup(p + 1);
		id[n] = '\0';
		add(ctx, id);
		free(id);
	}
}

/* Calls add for each msg-id of a Message-ID, In-Reply-To or References value. */
static void each_id(const struct header_field *f, void (*add)(void *ctx, const char *id), void *ctx)
{
	char *value = header_value(f);
	clist *ids = NULL;
	size_t idx = 0;

	if (mailimf_msg_id_list_parse(value, strlen(value), &idx, &ids) == MAILIMF_NO_ERROR && ids) {
		for (clistiter *it = clist_begin(ids); it; it = clist_next(it)) {
			add(ctx, clist_content(it));
			mailimf_msg_id_free(clist_content(it));
		}
		clist_free(ids);
	} else {
		loose_ids(value, add, ctx);
	}
	free(value);
}

static void take_message_id(void *ctx, const char *id)
{
	struct message_info *info = ctx;

	if (!info->message_id)
		info->message_id = xstrdup(id);
}

static void take_parent(void *ctx, const char *id)
{
	add_parent(ctx, id);
}

/* The references, kept to be added nearest first once all are known. */
struct id_list {
	char **ids;
	int n;
};

static void take_reference(void *ctx, const char *id)
{
	struct id_list *l = ctx;

	l->ids = xrealloc(l->ids, (size_t)(l->n + 1) * sizeof(char *));
	l->ids[l->n++] = xstrdup(id);
}

static void add_mailbox(struct message_mailboxes *m, const char *name, const char *addr)
{
	m->list = xrealloc(m->list, (size_t)(m->n + 1) * sizeof(*m->list));
	m->list[m->n].name = name && *name ? header_decode(name) : xstrdup("");
	m->list[m->n].addr = xstrdup(addr);
	m->n++;
}

/*
 * libetpan's reading of a mailbox, if it is one a person would agree
 * with: libetpan joins the words of "Jan Jansen jan@x" into one address,
 * so only an address that stands in the value as it is counts.
 */
static int take_parsed(struct message_mailboxes *m, const struct mailimf_mailbox *mb, const char *value)
{
	if (!mb->mb_addr_spec || !strchr(mb->mb_addr_spec, '@') || !strstr(value, mb->mb_addr_spec))
		return 0;
	add_mailbox(m, mb->mb_display_name, mb->mb_addr_spec);
	return 1;
}

/* libetpan's reading of the whole value; 0 when it cannot read all of it as addresses a person would see. */
static int read_parsed(const char *value, struct message_mailboxes *m)
{
	struct mailimf_address_list *list = NULL;
	size_t idx = 0, len = strlen(value);
	int ok = mailimf_address_list_parse(value, len, &idx, &list) == MAILIMF_NO_ERROR && list;

	ok = ok && header_skip_cfws(value, idx) == len;
	for (clistiter *it = ok ? clist_begin(list->ad_list) : NULL; it && ok; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			ok = take_parsed(m, a->ad_data.ad_mailbox, value);
		} else if (a->ad_data.ad_group->grp_mb_list) {
			clist *members = a->ad_data.ad_group->grp_mb_list->mb_list;
			for (clistiter *g = clist_begin(members); g && ok; g = clist_next(g))
				ok = take_parsed(m, clist_content(g), value);
		}
	}
	if (list)
		mailimf_address_list_free(list);
	return ok;
}

/* Takes comments "(...)" and blanks out of an address (RFC 5322 obsolete syntax allows them around its dots). */
static void without_comments(char *addr)
{
	char *to = addr;
	int depth = 0;

	for (char *p = addr; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t')
			*to++ = *p;
	}
	*to = '\0';
}

/* One comma-separated piece read as a person would: the address in <...> and the text before it as the name, or a word with an @. */
static void read_loose_piece(char *piece, struct message_mailboxes *m)
{
	char *lt = strchr(piece, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt && gt && memchr(lt, '@', (size_t)(gt - lt))) {
		*gt = '\0';
		without_comments(lt + 1);
		char *name = piece, *end = lt;
		while (name < end && (*name == ' ' || *name == '"'))
			name++;
		while (end > name && (end[-1] == ' ' || end[-1] == '"'))
			end--;
		*end = '\0';
		add_mailbox(m, name, lt + 1);
		return;
	}
	char *save = NULL;
	for (char *word = strtok_r(piece, " \t;<>()\"", &save); word; word = strtok_r(NULL, " \t;<>()\"", &save)) {
		if (strchr(word, '@') && word[0] != '@') {
			add_mailbox(m, NULL, word);
			return;
		}
	}
}

/* The value split at commas outside quotes and angle brackets, each piece read loosely. */
static void read_loose(const char *value, struct message_mailboxes *m)
{
	char *copy = xstrdup(value), *piece = copy;
	int quoted = 0, angle = 0;

	for (char *p = copy;; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '<' && !quoted)
			angle = 1;
		else if (*p == '>' && !quoted)
			angle = 0;
		if (*p == '\0' || (*p == ',' && !quoted && !angle)) {
			int last = *p == '\0';
			*p = '\0';
			read_loose_piece(piece, m);
			if (last)
				break;
			piece = p + 1;
		}
	}
	free(copy);
}

void message_mailboxes_read(const char *value, struct message_mailboxes *m)
{
	memset(m, 0, sizeof(*m));
	if (read_parsed(value, m)) {
		m->exact = header_is_ascii(value);
		return;
	}
	message_mailboxes_release(m);
	read_loose(value, m);
}

void message_mailboxes_release(struct message_mailboxes *m)
{
	for (int i = 0; i < m->n; i++) {
		free(m->list[i].name);
		free(m->list[i].addr);
	}
	free(m->list);
	memset(m, 0, sizeof(*m));
}

/* The author: the first mailbox of From. */
static void read_from(const struct header_field *f, struct message_info *info)
{
	char *value = header_value(f);
	struct message_mailboxes m;

	message_mailboxes_read(value, &m);
	if (m.n > 0) {
		info->from_addr = xstrdup(m.list[0].addr);
		info->from_name = xstrdup(m.list[0].name);
	}
	message_mailboxes_release(&m);
	free(value);
}

void message_parse(const char *data, size_t len, struct message_info *info)
{
	struct header h;
	struct id_list references = { NULL, 0 };
	const struct header_field *f;

	memset(info, 0, sizeof(*info));
	header_read(data, len, &h);
	info->header_len = h.length;
	if ((f = header_find(&h, "Message-ID")))
		each_id(f, take_message_id, info);
	if ((f = header_find(&h, "In-Reply-To")))
		each_id(f, take_parent, info);
	if ((f = header_find(&h, "References")))
		each_id(f, take_reference, &references);
	/* References lists the oldest first; the nearest ancestor is the best guess of the thread. */
	for (int i = references.n - 1; i >= 0; i--) {
		add_parent(info, references.ids[i]);
		free(references.ids[i]);
	}
	free(references.ids);
	if ((f = header_find(&h, "Subject")))
		info->subject = header_text(f);
	if ((f = header_find(&h, "From")))
		read_from(f, info);
	if ((f = header_find(&h, "Date"))) {
		char *value = header_value(f);
		struct mailimf_date_time *dt = NULL;
		size_t idx = 0;
		if (mailimf_date_time_parse(value, strlen(value), &idx, &dt) == MAILIMF_NO_ERROR && dt) {
			info->date = to_unix_time(dt);
			mailimf_date_time_free(dt);
		}
		free(value);
	}
	header_release(&h);
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
	struct header h;

	header_read(data, len, &h);
	const struct header_field *f = header_find(&h, name);
	char *value = f ? header_value(f) : NULL;
	header_release(&h);
	return value;
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
