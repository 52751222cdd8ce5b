/*
 * json_out: JSON string escaping and small writers; see json_out.h.
 */
#include "json_out.h"

#include <time.h>

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_pair(FILE *out, const char *key, const char *value)
{
	json_string(out, key);
	fputs(": ", out);
	json_string(out, value);
}

void write_utc(FILE *out, long long t, const char *format)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), format, &tm);
	fputs(buf, out);
}

void json_time(FILE *out, long long t)
{
	write_utc(out, t, "\"%Y-%m-%dT%H:%M:%SZ\"");
}
