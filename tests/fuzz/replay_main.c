/*
 * replay_main: runs a fuzz target on each file named on the command line
 * (or each file in each folder named), for builds without libFuzzer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "sbuf.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf data = SBUF_INIT;
	char buf[65536];
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&data, buf, n);
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)data.buf, data.len);
	sbuf_release(&data);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			while (d && (de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				failed |= replay_file(path);
				count++;
			}
			if (d)
				closedir(d);
		} else {
			failed |= replay_file(argv[i]);
			count++;
		}
	}
	printf("replayed %d input(s)\n", count);
	return failed || count == 0;
}
