/*
 * store_schema: the migration steps that build the store's schema.
 * Step i takes the schema from version i to version i + 1; steps are
 * only ever appended, never edited, once they have shipped.
 */
#ifndef MLIST_STORE_SCHEMA_H
#define MLIST_STORE_SCHEMA_H

extern const char *const store_migrations[];
extern const int store_n_migrations;

#endif
