/*
 * header_write: header values for people to read; see header_write.h.
 */
#include "header_write.h"

#include <gnutls/gnutls.h>
#include <string.h>

#include "sbuf.h"

int header_is_ascii(const char *s)
{
	return !header_has_8bit(s, strlen(s));
}

int header_has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	}
	return 0;
}

size_t header_column(const struct sbuf *out)
{
	size_t i = out->len;

	while (i > 0 && out->buf[i - 1] != '\n')
		i--;
	return out->len - i;
}

/* Length of the UTF-8 character starting at s. */
static size_t utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;

	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Appends UTF-8 text as RFC 2047 B-encoded words of at most 45 octets, never splitting a character, folded. */
static void add_encoded_words(struct sbuf *out, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = 0;
		while (p[n] && n + utf8_len(p + n) <= 45)
			n += utf8_len(p + n);
		if (n == 0)
			n = strlen(p);
		gnutls_datum_t in = { (unsigned char *)p, (unsigned)n }, enc = { NULL, 0 };
		if (gnutls_base64_encode2(&in, &enc) < 0)
			break;
		if (p != text)
			sbuf_addstr(out, header_column(out) + 12 + enc.size > HEADER_FOLD_COLUMN ? "\r\n " : " ");
		sbuf_addf(out, "=?utf-8?b?%.*s?=", (int)enc.size, (const char *)enc.data);
		gnutls_free(enc.data);
		p += n;
	}
}

void header_add_text(struct sbuf *out, const char *text)
{
	if (header_is_ascii(text))
		sbuf_addstr(out, text);
	else
		add_encoded_words(out, text);
}

void header_add_phrase(struct sbuf *out, const char *text)
{
	if (!header_is_ascii(text)) {
		add_encoded_words(out, text);
		return;
	}
	/* A quoted string is always a valid phrase; escape what needs it. */
	sbuf_addch(out, '"');
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			sbuf_addch(out, '\\');
		if (*p != '\r' && *p != '\n')
			sbuf_addch(out, *p);
	}
	sbuf_addch(out, '"');
}
