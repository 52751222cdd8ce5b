/*
 * fuzz_content: the content policy's look into a post (attachments, file
 * names in every form, zip member names, HTML) and its rewrites (strip,
 * HTML made text) on arbitrary bytes.  A rewrite must itself be a post
 * with nothing left to rewrite: the sorter may meet it again after a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "fuzz.h"
#include "html_text.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct content_facts f;
	struct sbuf out = SBUF_INIT, again = SBUF_INIT, text = SBUF_INIT;

	content_scan((const char *)data, size, &f);
	if (f.attachments < 0 || memchr(f.refused, '\0', sizeof(f.refused)) == NULL)
		abort();
	if (content_rewrite((const char *)data, size, 1, 1, &out)) {
		struct content_facts after;
		content_scan(out.buf, out.len, &after);
		if (after.attachments != 0 || after.html_only)
			abort();
		if (content_rewrite(out.buf, out.len, 1, 1, &again))
			abort();
	}
	html_text((const char *)data, size, &text);
	sbuf_release(&out);
	sbuf_release(&again);
	sbuf_release(&text);
	return 0;
}
