/*
 * store_internal: helpers shared by the store*.c files and by nothing
 * else.  They wrap sqlite3's prepare/bind/step so that each query is one
 * call with its parameters described by a small type string.
 */
#ifndef MLIST_STORE_INTERNAL_H
#define MLIST_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"
#include "sbuf.h"

#define STORE_CACHE 64

/* A prepared statement kept for reuse, found by the address of its SQL text. */
struct cached_stmt {
	const char *sql;    /* a string literal: its address identifies it */
	sqlite3_stmt *stmt;
	int in_use;         /* handed out and not yet given back with store_done */
};

struct store {
	sqlite3 *db;        /* the open connection */
	struct sbuf err;    /* the last failure's reason */
	int created;        /* this open made the file (STORE_CREATE) */
	int found_version;  /* the schema version the file was at when opened */
	struct cached_stmt cache[STORE_CACHE]; /* statements prepared once, reset between uses */
	int busy_wait_ms;   /* how long a statement waits for another connection's lock before it fails */
};


/*
 * Prepares sql (once: statements are cached by the address of their text,
 * which must be a string literal) and binds one argument per character of types:
 * 's' const char * (NULL binds SQL NULL), 'i' long long.
 * Returns NULL (with the reason recorded) on failure.
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql, const char *types, ...);

/*
 * Steps a statement that returns no rows to its end and finalizes it.
 * Returns 0, or -1 with sqlite's reason recorded; a constraint violation
 * returns -2 so callers can turn it into their own message.
 */
int store_run(struct store *st, sqlite3_stmt *stmt);

/* Gives a statement back: a cached one is reset for its next use, any other finalized. */
void store_done(struct store *st, sqlite3_stmt *stmt);

/* Steps a query once: 1 for a row, 0 at the end, -1 on error (recorded). */
int store_row(struct store *st, sqlite3_stmt *stmt);

/*
 * Runs a one-row, one-column integer query; *out gets the value.
 * Returns 1 if a row came back, 0 if none, -1 on error.
 */
int store_int(struct store *st, long long *out, const char *sql, const char *types, ...);

/* A column as a C string, "" for NULL. */
const char *store_col_text(sqlite3_stmt *stmt, int col);

/*
 * The current row's column called name (its "AS name" in the SELECT), so
 * that rows are read by name: a SELECT whose columns are reordered still
 * fills the right fields.  A name the statement does not have is a broken
 * invariant, and fatal.  Text is "" for NULL, valid until the next step.
 */
long long store_get_int(sqlite3_stmt *stmt, const char *name);
const char *store_get_text(sqlite3_stmt *stmt, const char *name);

#endif
