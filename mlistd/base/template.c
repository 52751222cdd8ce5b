/*
 * template: placeholders filled and checked; see template.h.
 */
#include "template.h"

#include <ctype.h>
#include <string.h>

#include "sbuf.h"

/* The length of the placeholder's name when p starts one ("{name}"), else 0. */
static size_t placeholder(const char *p)
{
	size_t n = 0;

	if (*p != '{')
		return 0;
	while (isalnum((unsigned char)p[1 + n]) || p[1 + n] == '_')
		n++;
	return n > 0 && p[1 + n] == '}' ? n : 0;
}

static const char *value_of(const char *name, size_t len, const struct template_var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	}
	return "";
}

void template_render(const char *text, const struct template_var *vars, size_t n, struct sbuf *out)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol + 1 : p + strlen(p);
		size_t start = out->len;
		int placeholders = 0, filled = 0;

		for (const char *q = p; q < end;) {
			size_t len = placeholder(q);
			if (len) {
				const char *v = value_of(q + 1, len, vars, n);
				placeholders++;
				filled += *v != '\0';
				sbuf_addstr(out, v);
				q += len + 2;
			} else {
				sbuf_addch(out, *q++);
			}
		}
		if (placeholders && !filled) {
			out->len = start;
			if (out->buf)
				out->buf[start] = '\0';
		}
		p = end;
	}
}

int template_check(const char *text, const char *const *names, struct sbuf *bad)
{
	int line = 1;

	for (const char *p = text; *p; p++) {
		size_t len = placeholder(p);
		if (*p == '\n')
			line++;
		if (!len)
			continue;
		int known = 0;
		for (int i = 0; names[i] && !known; i++)
			known = strlen(names[i]) == len && memcmp(names[i], p + 1, len) == 0;
		if (!known) {
			sbuf_add(bad, p + 1, len);
			return line;
		}
		p += len + 1;
	}
	return 0;
}
