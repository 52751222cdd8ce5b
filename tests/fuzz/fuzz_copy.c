/*
 * fuzz_copy: composing the outgoing copy (header rewriting, subject
 * prefix, MIME-aware footer, DMARC munging, the author's fallback) of arbitrary bytes.  The
 * first byte picks the options.
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "copy.h"
#include "fuzz.h"
#include "message.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct message_info info;
	struct sbuf out = SBUF_INIT;

	if (size == 0)
		return 0;
	cfg.domain = "lists.example.org";
	cfg.copies.subject_prefix = data[0] & 1;
	cfg.copies.dmarc = data[0] & 2 ? DMARC_MUNGE : DMARC_NONE;
	cfg.copies.footer = data[0] & 4 ? "-- \nvoet \xc3\xa9" : NULL;
	message_parse((const char *)data + 1, size - 1, &info);
	struct copy_params p = { &cfg, "g", data[0] & 8 ? "Titel \xc3\xa9" : "",
				 info.message_id ? info.message_id : "mlist.1@lists.example.org",
				 data[0] & 16 ? "" : "env@example.org", 1700000000, data[0] & 32, NULL };
	struct copy_look look = { data[0] & 128 ? "" : "[PGA]", data[0] & 128 ? "Groep \xc3\xa9\n" : "",
				  (enum reply_to_mode)(data[0] % 3) };
	if (data[0] & 64)
		p.look = &look;
	copy_compose(&p, (const char *)data + 1, size - 1, &out);
	sbuf_release(&out);
	message_info_release(&info);
	return 0;
}
