/*
 * log: one line per event, to stderr in the foreground and to syslog
 * otherwise.  Shared by mlistd and mlistctl (which always logs to stderr).
 */
#ifndef MLIST_LOG_H
#define MLIST_LOG_H

#include <syslog.h>

/*
 * Chooses the destination; ident names the program in every line.  In
 * syslog every process of the daemon is "mlistd" (a helper's lines then
 * start with its own name, as on stderr), so `journalctl -t mlistd`
 * shows a post's whole way.
 */
void log_init(const char *ident, int to_stderr);
/* Writes one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs at LOG_ERR and exits 1: only at start-up or on a broken invariant. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
