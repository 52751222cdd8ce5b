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

#define SYSLOG_IDENT "mlistd"

void log_init(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(SYSLOG_IDENT, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/*
 * One write per line: mlistd and its helpers share one stderr, and a
 * line written in pieces could be cut by another process's line.
 */
static void write_line(const char *text, size_t len)
{
	char *line = NULL;
	int n = asprintf(&line, "%s: %.*s\n", log_ident, (int)len, text);

	for (size_t off = 0; n > 0 && off < (size_t)n;) {
		ssize_t w = write(STDERR_FILENO, line + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

/* One event, to stderr or syslog; in syslog a helper's line starts with its name. */
static void log_line(int priority, const char *line, size_t len)
{
	if (log_to_stderr)
		write_line(line, len);
	else if (strcmp(log_ident, SYSLOG_IDENT) == 0)
		syslog(priority, "%.*s", (int)len, line);
	else
		syslog(priority, "%s: %.*s", log_ident, (int)len, line);
}

/*
 * A note of several lines (a sorter's batch, expired posts) becomes as
 * many log lines, each with the program's name: grep and journalctl see
 * every line whole.
 */
static void log_vmsg(int priority, const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return;
	for (const char *line = text, *end;; line = end + 1) {
		end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* a trailing newline, or a blank line between, is no event */
		if (len > 0 || line == text)
			log_line(priority, line, len);
		if (!end)
			break;
	}
	free(text);
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
