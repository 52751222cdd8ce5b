/*
 * mlistd: the list server daemon.
 *
 *   mlistd [-c FILE] [--foreground] [-n]
 *
 * Loads the config, opens and migrates the store, and runs until SIGTERM
 * (drain and stop) or SIGINT; SIGHUP re-reads the config, keeping the old
 * one if the new one has an error.  -n checks the config and exits.
 * Prints "mlistd ready" once it is serving.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "privileges.h"
#include "store.h"
#include "sbuf.h"

static void usage(FILE *to)
{
	fputs("usage: mlistd [-c FILE] [--foreground] [-n]\n"
	      "  -c, --config FILE  the config file (default $MLIST_CONF or conf/mlistd.conf)\n"
	      "  -f, --foreground   stay in the foreground and log to stderr\n"
	      "  -n, --check        check the config and exit\n", to);
}

static struct config *load_config_or_die(const char *path)
{
	struct sbuf err = SBUF_INIT;
	struct config *cfg = config_load(path, &err);

	if (!cfg)
		fatal("%s", err.buf);
	sbuf_release(&err);
	return cfg;
}

/* Makes the spool folder if it is missing: a fresh checkout has only its README. */
static void ensure_spool(const struct config *cfg)
{
	if (mkdir(cfg->spool, 0700) < 0 && errno != EEXIST)
		fatal("%s: cannot create the spool folder: %s", cfg->spool, strerror(errno));
	/* It holds mail and member data: only mlistd's account may look in. */
	if (chmod(cfg->spool, 0700) < 0)
		fatal("%s: cannot make the spool folder private: %s", cfg->spool, strerror(errno));
}

/*
 * Waits for signals; returns on SIGTERM or SIGINT.  The signals are
 * blocked and taken with sigwaitinfo, so no handler runs at an awkward
 * moment.
 */
static void serve(struct config **cfg, const char *path, const sigset_t *signals)
{
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(signals, &info);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fatal("sigwaitinfo: %s", strerror(errno));
		}
		if (sig == SIGHUP) {
			struct sbuf err = SBUF_INIT;
			struct config *fresh = config_load(path, &err);
			if (fresh) {
				config_free(*cfg);
				*cfg = fresh;
				log_msg(LOG_INFO, "reloaded %s", path);
			} else {
				log_msg(LOG_ERR, "reload refused, keeping the running config: %s", err.buf);
			}
			sbuf_release(&err);
			continue;
		}
		log_msg(LOG_INFO, "%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = config_default_path();
	int foreground = 0, check_only = 0, opt;

	while ((opt = getopt_long(argc, argv, "c:fnh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check_only = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mlistd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Everything mlistd writes (store, spool) holds member data or mail. */
	umask(077);
	log_init("mlistd", foreground || check_only);

	struct config *cfg = load_config_or_die(path);
	if (check_only) {
		printf("%s: config is fine\n", path);
		config_free(cfg);
		return 0;
	}

	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	ensure_spool(cfg);
	if (privileges_drop(cfg) < 0)
		return 1;
	if (!foreground && daemon(0, 0) < 0)
		fatal("cannot go to the background: %s", strerror(errno));

	struct sbuf err = SBUF_INIT;
	struct store *st = store_open(cfg->store, &err);
	if (!st)
		fatal("%s", err.buf);
	log_msg(LOG_INFO, "store %s at schema version %d", cfg->store, store_schema_version(st));
	log_msg(LOG_INFO, "mlistd ready");
	serve(&cfg, path, &signals);

	store_close(st);
	config_free(cfg);
	sbuf_release(&err);
	return 0;
}
