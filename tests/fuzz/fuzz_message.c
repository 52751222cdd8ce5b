/*
 * fuzz_message: the message parser (header facts through libetpan, RFC 2047
 * decoding, header lookup, subject clean-up) on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message_info info;

	message_parse((const char *)data, size, &info);
	free(message_base_subject(info.subject));
	free(message_header((const char *)data, size, "X-Project"));
	message_info_release(&info);
	return 0;
}
