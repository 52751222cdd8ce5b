/*
 * write_all: see write_all.h.
 */
#include "write_all.h"

#include <errno.h>
#include <unistd.h>

int write_all(int fd, const void *data, size_t len, off_t at)
{
	const char *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}
