/*
 * fuzz_command: reading a command from mail to GROUP-request@ (subject,
 * quoted lines, signatures, "set" and its words) on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command_parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct command c;

	command_parse((const char *)data, size, &c);
	if (c.verb > COMMAND_SET_INVALID || memchr(c.change, '\0', sizeof(c.change)) == NULL)
		abort();
	if (c.verb == COMMAND_SET && strncmp(c.change, "mode=", 5) != 0 && strncmp(c.change, "follow-line=", 12) != 0)
		abort();
	return 0;
}
