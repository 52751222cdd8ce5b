/*
 * json_out: writing JSON for mlistctl --json.  Strings are escaped per
 * RFC 8259 (quotes, backslashes, control characters); everything else is
 * the caller's structure, written with plain fprintf.
 */
#ifndef MLIST_JSON_OUT_H
#define MLIST_JSON_OUT_H

#include <stdio.h>

/* Writes s as a JSON string literal, quotes included. */
void json_string(FILE *out, const char *s);
/* Writes "key": "value" with both escaped. */
void json_pair(FILE *out, const char *key, const char *value);
/* Writes a unix time in UTC with a strftime format (for people: "%Y-%m-%d %H:%M"). */
void write_utc(FILE *out, long long t, const char *format);
/* Writes a unix time as a JSON string in ISO 8601 UTC ("2026-11-24T17:00:00Z"). */
void json_time(FILE *out, long long t);

#endif
