/*
 * log: stderr or syslog, one line per event.
 */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident = "mlist";
static int log_to_stderr = 1;

void log_init(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/*
 * One write per line: mlistd and its helpers share one stderr, and a
 * line written in pieces could be cut by another process's line.
 */
static void write_line(const char *fmt, va_list ap)
{
	char *text = NULL;
	int n = vasprintf(&text, fmt, ap);
	char *line = NULL;

	if (n < 0 || asprintf(&line, "%s: %s\n", log_ident, text) < 0) {
		free(text);
		return;
	}
	for (size_t off = 0, len = strlen(line); off < len;) {
		ssize_t w = write(STDERR_FILENO, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(text);
	free(line);
}

static void log_vmsg(int priority, const char *fmt, va_list ap)
{
	if (log_to_stderr)
		write_line(fmt, ap);
	else
		vsyslog(priority, fmt, ap);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
