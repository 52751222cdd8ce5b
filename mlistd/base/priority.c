/*
 * priority: background work yields the CPU; see priority.h.
 */
#define _GNU_SOURCE /* gettid */
#include "priority.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"

#define BACKGROUND_NICE 10 /* added to the thread's nice value */

void priority_background(const char *who)
{
	/* On Linux a thread id as PRIO_PROCESS sets that thread alone (setpriority(2), BUGS): the keeper is one thread of mlistd-deliver. */
	id_t self = (id_t)gettid();

	errno = 0;
	int now = getpriority(PRIO_PROCESS, self);
	if ((now == -1 && errno) || setpriority(PRIO_PROCESS, self, now + BACKGROUND_NICE) < 0)
		log_msg(LOG_WARNING, "%s: cannot lower its CPU priority: %s", who, strerror(errno));
}
