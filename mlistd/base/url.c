/*
 * url: percent-encoding for URLs; see url.h.
 */
#include "url.h"

#include "sbuf.h"

void url_escape(struct sbuf *out, const char *s)
{
	static const char digits[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~' || *p == '@') {
			sbuf_addch(out, (char)*p);
		} else {
			sbuf_addch(out, '%');
			sbuf_addch(out, digits[*p >> 4]);
			sbuf_addch(out, digits[*p & 15]);
		}
	}
}
