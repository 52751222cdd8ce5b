/*
 * moderator_reply: a moderator's reply to a held post's notice; see moderator_reply.h.
 */
#include "moderator_reply.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "held.h"
#include "message.h"
#include "sbuf.h"
#include "store.h"
#include "store_notice.h"

/*
 * The decision in a reply: the first word of its subject (after Re: and
 * tags) or of its first line of text that is not quoted.  rest gets what
 * follows the word on that line (a reason).
 */
static const char *decision(const char *text, size_t len, struct sbuf *rest)
{
	static const char *const words[] = { "approve", "reject", "discard", NULL };
	struct message_info info;
	struct sbuf candidates = SBUF_INIT;
	const char *found = NULL;

	message_parse(text, len, &info);
	char *subject = message_base_subject(info.subject);
	sbuf_addf(&candidates, "%s\n", subject);
	free(subject);
	for (size_t i = info.header_len; i < len;) {
		const char *eol = memchr(text + i, '\n', len - i);
		size_t n = eol ? (size_t)(eol - (text + i)) : len - i;
		const char *line = text + i;
		size_t skip = 0;
		while (skip < n && isspace((unsigned char)line[skip]))
			skip++;
		if (skip < n && line[skip] != '>') {
			sbuf_add(&candidates, line + skip, n - skip);
			sbuf_addch(&candidates, '\n');
			break;
		}
		i += n + (eol ? 1 : 0);
	}
	for (char *line = strtok(candidates.buf, "\n"); line && !found; line = strtok(NULL, "\n")) {
		while (*line == ' ')
			line++;
		for (int k = 0; words[k]; k++) {
			size_t w = strlen(words[k]);
			if (strncasecmp(line, words[k], w) == 0 && !isalpha((unsigned char)line[w])) {
				found = words[k];
				const char *r = line + w;
				while (*r == ' ' || *r == ':' || *r == '\r')
					r++;
				sbuf_addstr(rest, r);
				while (rest->len && (rest->buf[rest->len - 1] == '\r' || rest->buf[rest->len - 1] == ' '))
					rest->buf[--rest->len] = '\0';
				break;
			}
		}
	}
	message_info_release(&info);
	sbuf_release(&candidates);
	return found;
}

int moderator_reply(const struct config *cfg, struct store *st, struct spool *sp, const char *token,
		     const char *sender, const char *text, size_t len, int automatic, struct sbuf *note)
{
	long long held = 0, now = time(NULL);
	const char *why = NULL;

	if (automatic) {
		sbuf_addf(note, "confirm: an automatic reply from %s for token %.8s... ignored", sender, token);
		return 0;
	}
	int valid = store_token_check(st, token, now, &held, &why);
	if (valid < 0)
		return -1;
	if (!valid) {
		sbuf_addf(note, "confirm: reply from %s with token %.8s... ignored: %s", sender, token, why);
		return 0;
	}
	int moderator = store_token_moderator(st, held, sender);
	if (moderator < 0)
		return -1;
	struct held_ctx hc = { cfg, st, sp };
	struct sbuf what = SBUF_INIT, reason = SBUF_INIT;
	held_describe(&hc, held, &what);
	if (!moderator) {
		sbuf_addf(note, "confirm: reply from %s for %s ignored: not one of its moderators", sender, what.buf);
		sbuf_release(&what);
		return 0;
	}
	const char *word = decision(text, len, &reason);
	if (!word) {
		sbuf_addf(note, "confirm: reply from %s for %s ignored: no approve, reject or discard in it",
			  sender, what.buf);
		sbuf_release(&reason);
		sbuf_release(&what);
		return 0;
	}
	int r = store_token_use(st, token);
	if (r == 0 && strcmp(word, "approve") == 0) {
		/* "approve trust": the author's first-post moderation ends too */
		int trust = strncasecmp(reason.buf ? reason.buf : "", "trust", 5) == 0;
		long long copies = held_approve(&hc, held, now, trust);
		if (copies == HELD_UNSORTED)
			sbuf_addf(note, "confirm: %s approved %s, which fits no group yet: "
				  "it stays held until mlistctl held assign", sender, what.buf);
		else if (copies < 0)
			r = -1;
		else
			sbuf_addf(note, "confirm: %s approved %s: %lld copies queued%s", sender, what.buf, copies,
				  trust ? "; its author is trusted" : "");
	} else if (r == 0) {
		int reject = strcmp(word, "reject") == 0;
		r = reject ? held_reject(&hc, held, reason.buf) : held_discard(&hc, held);
		if (r == 0)
			sbuf_addf(note, "confirm: %s %s %s", sender, reject ? "rejected" : "discarded", what.buf);
	}
	sbuf_release(&what);
	sbuf_release(&reason);
	return r;
}
