/*
 * fuzz_dsn: the delivery status notification reader (libetpan's MIME
 * parser, the status blocks, RFC 3463 codes) and the SMTP reply reader
 * on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "fuzz.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsn d;
	char status[16];

	if (dsn_read((const char *)data, size, &d) == 0) {
		for (int i = 0; i < d.n; i++) {
			if (strlen(d.rcpt[i].status) >= sizeof(status) || dsn_kind_name(d.rcpt[i].kind) == NULL)
				abort();
		}
	}
	dsn_release(&d);
	char *text = xcalloc(size + 1, 1);
	memcpy(text, data, size);
	dsn_status_of_reply(size ? 400 + data[0] % 200 : 550, text, status);
	free(text);
	return 0;
}
