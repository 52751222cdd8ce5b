/*
 * test_command_parse: commands as people write them to GROUP-request@:
 * in the subject or the first lines, with punctuation, after quoted text;
 * not from a quote or a signature; "set" and what it may change.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "command_parse.h"

static struct command parse(const char *subject, const char *body)
{
	char text[2048];
	struct command c;

	snprintf(text, sizeof(text), "From: Anna <anna@example.org>\r\nSubject: %s\r\n\r\n%s", subject, body);
	command_parse(text, strlen(text), &c);
	return c;
}

static void subject_or_first_lines(void)
{
	CHECK(parse("subscribe", "").verb == COMMAND_SUBSCRIBE);
	CHECK(parse("Re: Unsubscribe.", "").verb == COMMAND_UNSUBSCRIBE);
	CHECK(parse("", "\r\n\r\n  STATUS\r\n").verb == COMMAND_STATUS);
	CHECK(parse("Vraag", "Hallo,\r\nwho\r\n").verb == COMMAND_WHO);
	CHECK(parse("subscribers?", "").verb == COMMAND_NONE); /* a word that only starts like one */
	CHECK(parse("Vraag", "1\r\n2\r\n3\r\n4\r\n5\r\nhelp\r\n").verb == COMMAND_NONE); /* past the first lines */
}

static void quotes_and_signatures_are_not_read(void)
{
	CHECK(parse("Re: Hulp", "> unsubscribe\r\n>> set nomail\r\n\r\nstatus\r\n").verb == COMMAND_STATUS);
	CHECK(parse("Re: Hulp", "Dank!\r\n-- \r\nunsubscribe\r\n").verb == COMMAND_NONE);
	CHECK(parse("Re: Hulp", "--\r\nset digest\r\n").verb == COMMAND_NONE);
}

static void set_and_what_it_changes(void)
{
	struct command c = parse("set digest", "");
	CHECK(c.verb == COMMAND_SET && strcmp(c.change, "mode=digest") == 0);
	c = parse("", "Set Mode NoMail\r\n");
	CHECK(c.verb == COMMAND_SET && strcmp(c.change, "mode=nomail") == 0);
	c = parse("Re: set follow-line on", "");
	CHECK(c.verb == COMMAND_SET && strcmp(c.change, "follow-line=on") == 0);
	c = parse("", "set follow-line OFF\r\n");
	CHECK(c.verb == COMMAND_SET && strcmp(c.change, "follow-line=off") == 0);
	CHECK(parse("set weekly", "").verb == COMMAND_SET_INVALID);
	CHECK(parse("set follow-line maybe", "").verb == COMMAND_SET_INVALID);
	CHECK(parse("set digest please", "").verb == COMMAND_SET_INVALID);
	CHECK(parse("set", "").verb == COMMAND_SET_INVALID);
}

static const struct check_case cases[] = {
	{ "subject_or_first_lines", subject_or_first_lines },
	{ "quotes_and_signatures_are_not_read", quotes_and_signatures_are_not_read },
	{ "set_and_what_it_changes", set_and_what_it_changes },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
