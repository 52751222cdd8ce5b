/*
 * test_message_text: the text a person reads of a message: a plain body,
 * quoted-printable Latin-1 turned into UTF-8, the text/plain part of a
 * multipart/alternative, and a message with no text at all.
 */
#include <string.h>

#include "check.h"
#include "message_text.h"
#include "sbuf.h"

static int text_of(const char *msg, struct sbuf *out)
{
	sbuf_reset(out);
	return message_text(msg, strlen(msg), out);
}

static void text_in_its_forms(void)
{
	struct sbuf out = SBUF_INIT;

	CHECK(text_of("From: a@b\r\nSubject: x\r\n\r\nGewoon tekst.\r\n", &out) == 1);
	CHECK(strcmp(out.buf, "Gewoon tekst.\r\n") == 0);
	CHECK(text_of("From: a@b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		      "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 =\r\nen meer\r\n", &out) == 1);
	CHECK(strcmp(out.buf, "Caf\xc3\xa9 en meer\r\n") == 0);
	CHECK(text_of("From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
		      "--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: base64\r\n\r\nVGVrc3Qg4oKs\r\n--b--\r\n", &out) == 1);
	CHECK(strcmp(out.buf, "Tekst \xe2\x82\xac") == 0);
	CHECK(text_of("From: a@b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n", &out) == 0);
	CHECK(strcmp(out.buf, "image/png") == 0);
	sbuf_release(&out);
}

static const struct check_case cases[] = {
	{ "text_in_its_forms", text_in_its_forms },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
