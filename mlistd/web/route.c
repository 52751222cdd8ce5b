/*
 * route: request targets and forms; see route.h.
 */
#include "route.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

/* RFC 3986 pchar, besides %XX: unreserved, sub-delims, ':' and '@'. */
static int path_char(unsigned char c)
{
	return isalnum(c) || strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether s starts a well-formed escape, "%" and two hex digits. */
static int escape_at(const char *s)
{
	return s[0] == '%' && s[1] && hex((unsigned char)s[1]) >= 0 && s[2] && hex((unsigned char)s[2]) >= 0;
}

int web_decode(const char *s, size_t len, int form, struct sbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			int a = hex((unsigned char)s[i + 1]), b = hex((unsigned char)s[i + 2]);
			if (a < 0 || b < 0)
				return -1;
			c = (unsigned char)(a * 16 + b);
			i += 2;
		} else if (c == '+' && form) {
			c = ' ';
		}
		if ((c < 0x20 && !(form && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
			return -1;
		sbuf_addch(out, (char)c);
	}
	return 0;
}

/* A decimal id: 1 to 18 digits, no sign, no leading zero. */
static int read_id(const char *s, long long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18 || s[0] == '0' || strspn(s, "0123456789") != n)
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

void web_route_free(struct web_route *r)
{
	free(r->arg);
	free(r->query);
	memset(r, 0, sizeof(*r));
}

/* The decoded segment s[0..len) into r->arg; -1 if it does not decode or is empty. */
static int take_arg(struct web_route *r, const char *s, size_t len)
{
	struct sbuf b = SBUF_INIT;

	if (len == 0 || web_decode(s, len, 0, &b) < 0 || b.len == 0 || strlen(b.buf) != b.len) {
		sbuf_release(&b);
		return -1;
	}
	r->arg = sbuf_detach(&b);
	return 0;
}

static const struct {
	const char *path;
	enum web_page page;
} fixed[] = {
	{ "/", PAGE_HOME },
	{ "/style.css", PAGE_STYLE },
	{ "/login", PAGE_LOGIN },
	{ "/logout", PAGE_LOGOUT },
	{ "/search", PAGE_SEARCH },
	{ "/settings", PAGE_SETTINGS },
};

/* Pages with one argument: the prefix, then one segment. */
static const struct {
	const char *prefix;
	enum web_page page;
} with_arg[] = {
	{ "/login/", PAGE_LOGIN_LINK },
	{ "/g/", PAGE_GROUP },
	{ "/t/", PAGE_THREAD },
	{ "/m/", PAGE_POST },
	{ "/a/", PAGE_ATTACHMENT },
	{ "/unsubscribe/", PAGE_UNSUBSCRIBE },
};

int web_route_parse(const char *target, struct web_route *r)
{
	memset(r, 0, sizeof(*r));
	if (target[0] != '/')
		return -1;
	size_t path_len = strcspn(target, "?");
	for (size_t i = 0; i < path_len; i++) {
		unsigned char c = (unsigned char)target[i];
		if (c == '%' ? !escape_at(target + i) : c != '/' && !path_char(c))
			return -1;
	}
	const char *query = target[path_len] == '?' ? target + path_len + 1 : "";
	for (const char *q = query; *q; q++)
		if (*q == '%' ? !escape_at(q) : *q != '/' && *q != '?' && !path_char((unsigned char)*q))
			return -1;
	r->query = strdup(query);
	if (!r->query)
		return -1;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strlen(fixed[i].path) == path_len && memcmp(target, fixed[i].path, path_len) == 0) {
			r->page = fixed[i].page;
			return 0;
		}
	for (size_t i = 0; i < sizeof(with_arg) / sizeof(with_arg[0]); i++) {
		size_t pl = strlen(with_arg[i].prefix);
		if (path_len <= pl || memcmp(target, with_arg[i].prefix, pl) != 0)
			continue;
		const char *seg = target + pl;
		size_t seg_len = path_len - pl;
		const char *slash = memchr(seg, '/', seg_len);
		if (with_arg[i].page == PAGE_ATTACHMENT) {
			/* /a/ID/N */
			if (!slash || memchr(slash + 1, '/', path_len - (size_t)(slash + 1 - target)))
				return 0;
			if (take_arg(r, seg, (size_t)(slash - seg)) < 0 || read_id(r->arg, &r->id) < 0)
				return 0;
			free(r->arg);
			r->arg = NULL;
			if (take_arg(r, slash + 1, path_len - (size_t)(slash + 1 - target)) < 0 ||
			    read_id(r->arg, &r->n) < 0) {
				free(r->arg);
				r->arg = NULL;
				return 0;
			}
			free(r->arg);
			r->arg = NULL;
			r->page = PAGE_ATTACHMENT;
			return 0;
		}
		/* A Message-ID may hold '/', escaped as %2F in our links; a bare one is no page. */
		if (slash || take_arg(r, seg, seg_len) < 0)
			return 0;
		if (with_arg[i].page == PAGE_THREAD && read_id(r->arg, &r->id) < 0) {
			free(r->arg);
			r->arg = NULL;
			return 0;
		}
		r->page = with_arg[i].page;
		return 0;
	}
	return 0;
}

int web_field(const char *form, size_t len, const char *name, struct sbuf *out)
{
	size_t name_len = strlen(name);
	const char *end = form + len;
	int found = 0;

	for (const char *p = form; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pair_end = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pair_end - p));
		const char *key_end = eq ? eq : pair_end;
		struct sbuf key = SBUF_INIT;
		if (web_decode(p, (size_t)(key_end - p), 1, &key) < 0) {
			sbuf_release(&key);
			return -1;
		}
		if (!found && key.len == name_len && memcmp(key.buf, name, name_len) == 0) {
			const char *v = eq ? eq + 1 : pair_end;
			if (web_decode(v, (size_t)(pair_end - v), 1, out) < 0) {
				sbuf_release(&key);
				return -1;
			}
			found = 1;
		}
		sbuf_release(&key);
		p = amp ? amp + 1 : end;
	}
	return found;
}
