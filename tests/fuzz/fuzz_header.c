/*
 * fuzz_header: the one header reader on arbitrary bytes: every field's
 * raw and decoded value, every address field read into mailboxes, the
 * mbox "From " line check.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "header.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct header h;

	header_read(msg, size, &h);
	if (h.length > size)
		abort();
	for (size_t i = 0; i < h.n; i++) {
		const struct header_field *f = &h.fields[i];
		if (f->start < msg || f->start + f->len > msg + size || (f->name_len && f->value_start > f->len))
			abort();
		char *value = header_value(f);
		struct message_mailboxes m;
		message_mailboxes_read(value, &m);
		message_mailboxes_release(&m);
		free(value);
		free(header_text(f));
	}
	header_release(&h);
	if (header_mbox_from(msg, size) > size)
		abort();
	return 0;
}
