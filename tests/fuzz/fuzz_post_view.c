/*
 * fuzz_post_view: what the web archive shows of a post (web/post_view.h)
 * on arbitrary bytes: its text and its attachments, and each of the
 * first attachments fetched by number.  Every attachment has a name to
 * offer as a download, and the one fetched by number is the one listed
 * under that number.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "post_view.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct post_view v;

	post_view_read(msg, size, &v);
	if (!v.text.buf)
		abort();
	if (v.n_attachments && !v.attachments)
		abort();
	for (size_t i = 0; i < v.n_attachments; i++)
		if (!v.attachments[i].name || !*v.attachments[i].name ||
		    !memchr(v.attachments[i].type, '\0', sizeof(v.attachments[i].type)))
			abort();

	for (long long n = 1; n <= 3; n++) {
		struct sbuf content = SBUF_INIT;
		struct post_attachment a;
		int found = post_view_attachment(msg, size, n, &content, &a);
		if (found != ((size_t)n <= v.n_attachments))
			abort();
		if (found) {
			const struct post_attachment *listed = &v.attachments[n - 1];
			if (!a.name || !*a.name)
				abort();
			if (strcmp(a.name, listed->name) != 0 || strcmp(a.type, listed->type) != 0 ||
			    a.size != listed->size || content.len != a.size)
				abort();
		} else if (a.name || content.len) {
			abort();
		}
		free(a.name);
		sbuf_release(&content);
	}
	if (post_view_attachment(msg, size, 0, NULL, &(struct post_attachment){ 0 }))
		abort();
	post_view_free(&v);
	return 0;
}
