/*
 * fuzz_web_route: the web archive's reading of a request target and of a
 * form (web/route.h) on arbitrary bytes.  The input up to its first NUL
 * is a request target; what follows that NUL (or, with none, the whole
 * input) is a form.  Whatever the reader lets through must hold what the
 * pages rely on: an argument is non-empty and free of control
 * characters, a thread's id is positive, and a form value holds no NUL
 * and no control character but a line break or a tab.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "route.h"
#include "sbuf.h"

static int has_control(const char *s, size_t len, int allow_breaks)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (allow_breaks && (c == '\n' || c == '\r' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "q", "csrf", "page", "address", "" };
	char *target = malloc(size + 1);
	struct web_route r;

	if (!target)
		return 0;
	memcpy(target, data, size);
	target[size] = '\0';
	if (web_route_parse(target, &r) == 0) {
		if (r.arg && (strlen(r.arg) == 0 || has_control(r.arg, strlen(r.arg), 0)))
			abort();
		if (r.page == PAGE_THREAD && r.id <= 0)
			abort();
		if (r.page == PAGE_ATTACHMENT && (r.id <= 0 || r.n <= 0))
			abort();
		if (!r.query)
			abort();
	}
	web_route_free(&r);
	free(target);

	const char *form = (const char *)data;
	size_t form_len = size;
	const char *nul = memchr(data, '\0', size);
	if (nul) {
		form = nul + 1;
		form_len = size - (size_t)(form - (const char *)data);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sbuf value = SBUF_INIT;
		int found = web_field(form, form_len, names[i], &value);
		if (found < -1 || found > 1)
			abort();
		if (found == 0 && value.len != 0)
			abort();
		if (found == 1 && (memchr(value.buf ? value.buf : "", '\0', value.len) ||
				   has_control(value.buf, value.len, 1)))
			abort();
		sbuf_release(&value);
	}
	return 0;
}
