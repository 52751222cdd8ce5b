/*
 * check: the unit-test harness.
 *
 * Each test program lists its cases in a table and calls check_main.
 * Run with a case name it runs that case; with no arguments, every case.
 * meson registers each case as a test of its own (tests/list_cases.py
 * reads the names from the table), so a failure is named and cases run in
 * parallel.
 */
#ifndef MLIST_CHECK_H
#define MLIST_CHECK_H

#include <string.h>

struct check_case {
	const char *name;
	void (*fn)(void);
};

extern int check_failures;

void check_fail(const char *file, int line, const char *what);

/* Fails the case (and returns from it) unless cond holds. */
#define CHECK(cond) do { \
	if (!(cond)) { check_fail(__FILE__, __LINE__, #cond); return; } \
} while (0)
/* Fails unless the string haystack contains needle. */
#define CHECK_CONTAINS(haystack, needle) do { \
	if (!strstr((haystack), (needle))) { \
		check_fail(__FILE__, __LINE__, "\"" needle "\" in text"); \
		check_show(haystack); return; } \
} while (0)

void check_show(const char *text);
/* A new empty folder, removed with everything in it when the program exits. */
const char *check_tmpdir(void);
/* Writes text to dir/name; returns the path (static buffer, copy it to keep). */
const char *check_write_file(const char *dir, const char *name, const char *text);

int check_main(int argc, char **argv, const struct check_case *cases);

#endif
