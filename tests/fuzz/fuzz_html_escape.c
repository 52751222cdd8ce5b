/*
 * fuzz_html_escape: the one way text reaches a web page (web/html.h), on
 * arbitrary bytes.  Whatever goes in, what comes out can open no tag,
 * end no attribute and start no entity but the five it writes itself,
 * holds no control character but a line break or a tab, and is UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "sbuf.h"

/* Whether s[0..len) is UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 3, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		if (n > len - i)
			return 0;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		/* C1 controls are dropped like C0 ones. */
		if (cp >= 0x80 && cp <= 0x9f)
			return 0;
		i += n;
	}
	return 1;
}

static void check(const struct sbuf *out)
{
	static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	const unsigned char *s = (const unsigned char *)(out->buf ? out->buf : "");
	size_t len = out->len;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '<' || c == '>' || c == '"' || c == '\'')
			abort();
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			abort();
		if (c == '&') {
			size_t k;
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
				size_t n = strlen(entities[k]);
				if (n <= len - i && memcmp(s + i, entities[k], n) == 0)
					break;
			}
			if (k == sizeof(entities) / sizeof(entities[0]))
				abort();
		}
	}
	if (!valid_utf8(s, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT, str = SBUF_INIT;
	char *copy = malloc(size + 1);

	html_escape(&out, (const char *)data, size);
	check(&out);
	if (copy) {
		memcpy(copy, data, size);
		copy[size] = '\0';
		html_str(&str, copy);
		check(&str);
		/* Up to the first NUL the two are the same text. */
		size_t n = strlen(copy);
		struct sbuf prefix = SBUF_INIT;
		html_escape(&prefix, copy, n);
		if (prefix.len != str.len || (prefix.len && memcmp(prefix.buf, str.buf, str.len) != 0))
			abort();
		sbuf_release(&prefix);
		free(copy);
	}
	sbuf_release(&out);
	sbuf_release(&str);
	return 0;
}
