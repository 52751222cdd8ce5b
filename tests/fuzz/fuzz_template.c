/*
 * fuzz_template: checking and filling a template (placeholders, braces
 * that are none, lines left out) on arbitrary text, with values that
 * look like placeholders themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sbuf.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "group", "address", "reason", NULL };
	struct template_var vars[] = { { "group", "{address}" }, { "address", "a@b" }, { "reason", "" } };
	struct sbuf out = SBUF_INIT, bad = SBUF_INIT;
	char *text = xcalloc(size + 1, 1);

	memcpy(text, data, size);
	int line = template_check(text, names, &bad);
	if (line < 0 || (line > 0 && bad.len == 0))
		abort();
	template_render(text, vars, 3, &out);
	/* filling only ever drops lines or adds values: never more than the text plus its values */
	if (out.len > strlen(text) * 10 + 16)
		abort();
	sbuf_release(&out);
	sbuf_release(&bad);
	free(text);
	return 0;
}
