/*
 * clock: the time of day that schedules act on (the daily digests), and
 * the monotonic milliseconds that timeouts and intervals are measured in.
 * MLIST_CLOCK_OFFSET=SECONDS in the environment moves the first, so a test can
 * run mlist at 06:59 or 07:01 of another day without waiting for it; it
 * is read once, and nothing else in mlist (time stamps, timeouts, token
 * lifetimes) follows it.
 */
#ifndef MLIST_CLOCK_H
#define MLIST_CLOCK_H

/* Unix time, moved by MLIST_CLOCK_OFFSET when that is set. */
long long clock_now(void);

/* Milliseconds on the monotonic clock, for timeouts and intervals (never moved). */
long long clock_monotonic_ms(void);

#endif
