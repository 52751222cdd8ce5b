/*
 * command_parse: reading a person's command; see command_parse.h.
 */
#include "command_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "sbuf.h"

#define LINES_READ 5 /* lines of text looked at after the subject */
#define MAX_WORDS 4

/* Splits line into at most MAX_WORDS lower-case words of up to 31 octets; returns how many. */
static int words_of(const char *line, size_t n, char words[MAX_WORDS][32])
{
	int count = 0;
	size_t i = 0;

	while (count < MAX_WORDS) {
		while (i < n && isspace((unsigned char)line[i]))
			i++;
		if (i == n)
			break;
		size_t len = 0;
		while (i < n && !isspace((unsigned char)line[i])) {
			if (len < 31)
				words[count][len++] = (char)tolower((unsigned char)line[i]);
			i++;
		}
		words[count++][len] = '\0';
	}
	return count;
}

static int one_of(const char *word, const char *const *choices)
{
	for (int i = 0; choices[i]; i++) {
		if (strcmp(word, choices[i]) == 0)
			return 1;
	}
	return 0;
}

/* The set command's words after "set": fills c. */
static void read_set(char words[MAX_WORDS][32], int n, struct command *c)
{
	static const char *const modes[] = { "each", "digest", "nomail", NULL };
	static const char *const switches[] = { "on", "off", NULL };
	int first = n > 1 && strcmp(words[1], "mode") == 0 ? 2 : 1;

	c->verb = COMMAND_SET_INVALID;
	if (n == first + 1 && one_of(words[first], modes)) {
		c->verb = COMMAND_SET;
		snprintf(c->change, sizeof(c->change), "mode=%s", words[first]);
	} else if (first == 1 && n == 3 && strcmp(words[1], "follow-line") == 0 && one_of(words[2], switches)) {
		c->verb = COMMAND_SET;
		snprintf(c->change, sizeof(c->change), "follow-line=%s", words[2]);
	}
}

/* Whether the line holds a command: c is filled and 1 returned. */
static int read_line(const char *line, size_t n, struct command *c)
{
	static const struct {
		const char *word;
		enum command_verb verb;
	} verbs[] = {
		{ "subscribe", COMMAND_SUBSCRIBE }, { "unsubscribe", COMMAND_UNSUBSCRIBE }, { "help", COMMAND_HELP },
		{ "who", COMMAND_WHO },             { "status", COMMAND_STATUS },           { "set", COMMAND_SET },
	};
	char words[MAX_WORDS][32];
	int count = words_of(line, n, words);

	if (count == 0)
		return 0;
	/* "subscribe," or "help." as people write it */
	size_t w = strlen(words[0]);
	while (w > 0 && (words[0][w - 1] == '.' || words[0][w - 1] == ',' || words[0][w - 1] == ':'))
		words[0][--w] = '\0';
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(words[0], verbs[i].word) != 0)
			continue;
		c->verb = verbs[i].verb;
		if (c->verb == COMMAND_SET)
			read_set(words, count, c);
		return 1;
	}
	return 0;
}

void command_parse(const char *text, size_t len, struct command *c)
{
	struct message_info info;

	memset(c, 0, sizeof(*c));
	message_parse(text, len, &info);
	char *subject = message_base_subject(info.subject);
	int found = read_line(subject, strlen(subject), c);
	free(subject);
	int taken = 0;
	for (size_t i = info.header_len; !found && i < len && taken < LINES_READ;) {
		const char *eol = memchr(text + i, '\n', len - i);
		size_t n = eol ? (size_t)(eol - (text + i)) : len - i;
		const char *line = text + i;
		size_t text_n = n && line[n - 1] == '\r' ? n - 1 : n;
		i += n + (eol ? 1 : 0);
		if ((text_n == 3 && memcmp(line, "-- ", 3) == 0) || (text_n == 2 && memcmp(line, "--", 2) == 0))
			break; /* the signature */
		size_t start = 0;
		while (start < text_n && isspace((unsigned char)line[start]))
			start++;
		if (start == text_n || line[start] == '>')
			continue;
		taken++;
		found = read_line(line, text_n, c);
	}
	message_info_release(&info);
}
