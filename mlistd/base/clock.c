/*
 * clock: the schedules' time and the monotonic clock; see clock.h.
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

long long clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
