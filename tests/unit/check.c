/*
 * check: the unit-test harness; see check.h.
 */
#define _XOPEN_SOURCE 700
#include "check.h"

#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int check_failures;

static char tmp_root[256];

void check_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	check_failures++;
}

void check_show(const char *text)
{
	fprintf(stderr, "  the text was: %s\n", text);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmp_root(void)
{
	if (tmp_root[0])
		nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *check_tmpdir(void)
{
	static char path[300];
	static int serial;

	if (!tmp_root[0]) {
		snprintf(tmp_root, sizeof(tmp_root), "%s/mlist-unit-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(tmp_root)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(remove_tmp_root);
	}
	snprintf(path, sizeof(path), "%s/%d", tmp_root, serial++);
	if (mkdir(path, 0700) < 0) {
		perror(path);
		exit(1);
	}
	return path;
}

const char *check_write_file(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

int check_main(int argc, char **argv, const struct check_case *cases)
{
	int ran = 0;
	for (const struct check_case *c = cases; c->name; c++) {
		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		int before = check_failures;
		c->fn();
		printf("%s %s\n", check_failures == before ? "ok" : "FAIL", c->name);
		ran++;
	}
	if (ran == 0) {
		fprintf(stderr, "no case named %s\n", argc > 1 ? argv[1] : "(any)");
		return 1;
	}
	return check_failures ? 1 : 0;
}
