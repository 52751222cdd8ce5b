/*
 * clock: the schedules' time; see clock.h.
 */
#include "clock.h"

#include <stdlib.h>
#include <time.h>

long long clock_now(void)
{
	static int read;
	static long long offset;

	if (!read) {
		const char *text = getenv("MLIST_CLOCK_OFFSET");
		char *end = NULL;
		long long v = text ? strtoll(text, &end, 10) : 0;
		offset = text && *text && end && !*end ? v : 0;
		read = 1;
	}
	return (long long)time(NULL) + offset;
}
