/*
 * fuzz_message_text: a message's readable text (libetpan's MIME parser,
 * transfer encodings, charsets) on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "message_text.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT;
	int found = message_text((const char *)data, size, &out);

	if (found != 0 && found != 1)
		abort();
	sbuf_release(&out);
	return 0;
}
