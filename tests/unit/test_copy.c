/*
 * test_copy: the outgoing copy, piece by piece: list headers replacing
 * the ones a message brings, the subject prefix, phrases in headers, the
 * footer ways, DMARC munging.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "copy.h"
#include "header_write.h"
#include "sbuf.h"

static struct config cfg;

static void compose(const char *msg, struct sbuf *out)
{
	struct copy_params p = { &cfg, "pga", "PGA Jeugd", "1@example.org", "jan@example.org", 0, 0, NULL };

	copy_compose(&p, msg, strlen(msg), out);
}

static void reset_config(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.domain = "lists.example.org";
	cfg.copies.subject_prefix = 1;
}

static int count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void replaces_list_headers_of_another_list(void)
{
	struct sbuf out = SBUF_INIT;

	reset_config();
	compose("List-Id: <other.example.com>\r\nPrecedence: bulk\r\nSubject: Hoi\r\n\r\nbody\r\n", &out);
	CHECK(count(out.buf, "List-Id:") == 1);
	CHECK_CONTAINS(out.buf, "List-Id: \"PGA Jeugd\" <pga.lists.example.org>\r\n");
	CHECK(!strstr(out.buf, "other.example.com"));
	CHECK(count(out.buf, "Precedence:") == 1);
	CHECK_CONTAINS(out.buf, "Precedence: list\r\n");
	CHECK_CONTAINS(out.buf, "Subject: [pga] Hoi\r\n");
	CHECK_CONTAINS(out.buf, "\r\n\r\nbody\r\n");
	sbuf_release(&out);
}

static void subject_prefix_once(void)
{
	struct sbuf out = SBUF_INIT;

	reset_config();
	compose("Subject: Re: [PGA] Hoi\r\n\r\nx\r\n", &out);
	CHECK_CONTAINS(out.buf, "Subject: Re: [PGA] Hoi\r\n");
	sbuf_reset(&out);
	/* an encoded subject is prefixed outside the encoded word */
	compose("Subject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nx\r\n", &out);
	CHECK_CONTAINS(out.buf, "Subject: [pga] =?utf-8?q?Caf=C3=A9?=\r\n");
	sbuf_reset(&out);
	compose("From: a@b.c\r\n\r\nx\r\n", &out);
	CHECK_CONTAINS(out.buf, "Subject: [pga]\r\n");
	sbuf_release(&out);
}

static void phrases(void)
{
	struct sbuf out = SBUF_INIT;

	header_add_phrase(&out, "Jan \"JJ\" Jansen");
	CHECK(strcmp(out.buf, "\"Jan \\\"JJ\\\" Jansen\"") == 0);
	sbuf_reset(&out);
	header_add_phrase(&out, "Jos\xc3\xa9");
	CHECK(strcmp(out.buf, "=?utf-8?b?Sm9zw6k=?=") == 0);
	sbuf_reset(&out);
	/* long text becomes several encoded words, none over 75 characters */
	header_add_phrase(&out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	CHECK(count(out.buf, "=?utf-8?b?") == 2);
	for (char *w = strtok(out.buf, " "); w; w = strtok(NULL, " "))
		CHECK(strlen(w) <= 75);
	sbuf_release(&out);
}

static void munged_from(void)
{
	struct sbuf out = SBUF_INIT;

	reset_config();
	cfg.copies.dmarc = DMARC_MUNGE;
	compose("From: Jan <jan@example.org>\r\nReply-To: team@example.org\r\n\r\nx\r\n", &out);
	CHECK_CONTAINS(out.buf, "From: \"Jan via pga\" <pga@lists.example.org>\r\n");
	CHECK(count(out.buf, "Reply-To:") == 1); /* the author's own Reply-To stays */
	CHECK_CONTAINS(out.buf, "Reply-To: team@example.org\r\n");
	sbuf_release(&out);
}

static void footer_ways(void)
{
	struct sbuf out = SBUF_INIT;

	reset_config();
	cfg.copies.footer = "-- \nvoet";
	compose("Subject: a\r\n\r\ntekst zonder regeleinde", &out);
	CHECK_CONTAINS(out.buf, "\r\n\r\ntekst zonder regeleinde\r\n-- \r\nvoet\r\n");
	sbuf_reset(&out);
	/* base64 text cannot be appended to: wrapped */
	compose("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\ndGVrc3Q=\r\n", &out);
	CHECK_CONTAINS(out.buf, "Content-Type: multipart/mixed; boundary=\"=_mlist_");
	CHECK_CONTAINS(out.buf, "\r\nContent-Transfer-Encoding: base64\r\n\r\ndGVrc3Q=\r\n--=_mlist_");
	sbuf_reset(&out);
	/* a multipart/mixed without its closing delimiter is left as it came */
	compose("Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\nx\r\n", &out);
	CHECK(!strstr(out.buf, "voet"));
	CHECK_CONTAINS(out.buf, "--B\r\n\r\nx\r\n");
	sbuf_release(&out);
}

static void generated_message_id(void)
{
	struct sbuf out = SBUF_INIT;
	struct copy_params p = { &cfg, "pga", "", "mlist.1.2@lists.example.org", "", 0, 0, NULL };

	reset_config();
	copy_compose(&p, "Subject: x\r\n\r\n", 14, &out);
	CHECK_CONTAINS(out.buf, "Message-ID: <mlist.1.2@lists.example.org>\r\n");
	CHECK_CONTAINS(out.buf, "List-Id: <pga.lists.example.org>\r\n");
	sbuf_release(&out);
}

/* A line over 998 octets (IMAP takes what a mailbox holds) is folded at a blank. */
static void overlong_line_folded(void)
{
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;

	reset_config();
	sbuf_addstr(&in, "Subject: x\r\nReferences:");
	for (int i = 0; i < 100; i++)
		sbuf_addf(&in, " <ref%03d.abcdefghij@example.org>", i);
	sbuf_addstr(&in, "\r\nX-Unbreakable: ");
	for (int i = 0; i < 1100; i++)
		sbuf_addch(&in, 'a');
	sbuf_addstr(&in, "\r\n\r\nbody\r\n");
	compose(in.buf, &out);
	size_t longest = 0;
	for (const char *l = out.buf; *l;) {
		const char *end = strstr(l, "\r\n");
		size_t n = end ? (size_t)(end - l) : strlen(l);
		if (strncmp(l, "X-Unbreakable", 13) != 0 && n > longest)
			longest = n;
		l += end ? n + 2 : n;
	}
	CHECK(longest <= 998);
	CHECK(count(out.buf, "<ref0") == 100);
	CHECK(count(out.buf, "\r\n <ref") >= 3); /* folded where there was a blank */
	CHECK_CONTAINS(out.buf, "X-Unbreakable: aaaa"); /* no blank to fold at: left whole */
	sbuf_release(&in);
	sbuf_release(&out);
}

/* Unique fields once, the first; obsolete blanks gone; lines that are no field left out. */
static void one_of_each_unique_field(void)
{
	struct sbuf out = SBUF_INIT;

	reset_config();
	compose("From jan@example.org Mon Nov 23 10:00:00 2026\r\nSubject  : Een\r\nno field here\r\n"
		"Subject: Twee\r\nFrom: a@example.org\r\nFrom: b@example.org\r\nMessage-ID: <x@y>\r\n"
		"X-Tag: one\r\nX-Tag: two\r\n\r\nbody\r\n", &out);
	CHECK(count(out.buf, "Subject:") == 1);
	CHECK_CONTAINS(out.buf, "Subject: [pga] Een\r\n");
	CHECK(count(out.buf, "From:") == 1);
	CHECK_CONTAINS(out.buf, "From: a@example.org\r\n");
	CHECK(count(out.buf, "Message-ID:") == 1);
	CHECK_CONTAINS(out.buf, "Message-ID: <1@example.org>\r\n");
	CHECK(count(out.buf, "X-Tag:") == 2); /* a field that may repeat stays as often as it came */
	CHECK(!strstr(out.buf, "no field here"));
	CHECK(!strstr(out.buf, "From jan@"));
	sbuf_release(&out);
}

static const struct check_case cases[] = {
	{ "overlong_line_folded", overlong_line_folded },
	{ "one_of_each_unique_field", one_of_each_unique_field },
	{ "replaces_list_headers_of_another_list", replaces_list_headers_of_another_list },
	{ "subject_prefix_once", subject_prefix_once },
	{ "phrases", phrases },
	{ "munged_from", munged_from },
	{ "footer_ways", footer_ways },
	{ "generated_message_id", generated_message_id },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
