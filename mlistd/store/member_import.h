/*
 * member_import: subscribing a CSV member list to a group.
 *
 * Rows are "address,name" (the name may be left out; a first row naming
 * the columns is skipped).  Every row is checked; each bad one is passed
 * to the caller's report function with its line number and skipped.  The
 * good ones are subscribed in one transaction, so a failure half-way
 * changes nothing.  Importing the same list again changes nothing either:
 * existing members keep their subscription (their name is updated when
 * the row has one).
 */
#ifndef MLIST_MEMBER_IMPORT_H
#define MLIST_MEMBER_IMPORT_H

#include <stddef.h>

struct store;

struct import_result {
	int added;   /* new subscriptions */
	int present; /* rows whose address was subscribed already */
	int bad;     /* rows skipped, each reported */
};

/* Called once per bad row: the line it starts on and why it was skipped. */
typedef void (*import_report_fn)(unsigned line, const char *why, void *ctx);

/*
 * Imports the CSV text data[0..len) into group with delivery mode mode.
 * Returns 0 (bad rows do not make it fail), or -1 when nothing was
 * imported because the group, the mode or the store failed
 * (store_error says why).
 */
int member_import(struct store *st, const char *group, const char *data, size_t len,
		  const char *mode, struct import_result *res, import_report_fn report, void *ctx);

#endif
