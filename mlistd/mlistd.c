/*
 * mlistd: the list server daemon.
 *
 *   mlistd [-c FILE] [--foreground] [-n]
 *
 * Loads the config, binds the SMTP/LMTP listeners, drops root, opens and
 * migrates the store, opens the spool, starts its helpers (mlistd-sort,
 * mlistd-deliver, one mlistd-imap per mailbox) and serves every client
 * from one event loop until SIGTERM (drain and stop) or SIGINT; SIGHUP
 * re-reads the config, keeping the old one if the new one has an error,
 * and passes the signal on to the helpers.  -n checks the config and
 * exits.  Logs "mlistd ready" once it is serving.
 *
 * Under systemd (Type=notify, systemd/mlistd.service: $NOTIFY_SOCKET is
 * set) it does not go to the background, as systemd watches the process
 * it started, but logs to syslog as a daemon does; it tells systemd
 * READY=1 when ready, RELOADING=1 and READY=1 around a SIGHUP's reload,
 * and STOPPING=1 (sd_notify; a no-op anywhere else).
 *
 * The loop only accepts, spools, group-commits and answers; its one
 * store access is the RCPT check, a read that WAL never blocks (and that
 * gives up after a moment, answering 451, if it ever were).  Everything
 * after the commit happens in the helpers: the commit wakes mlistd-sort
 * (a byte on its pipe), which rings mlistd-deliver's doorbell once a
 * batch is sorted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config.h"
#include "child.h"
#include "evloop.h"
#include "install_dirs.h"
#include "log.h"
#include "names.h"
#include "privileges.h"
#include "store.h"
#include "sbuf.h"
#include "smtp_server.h"
#include "spool.h"

#define LISTENER_BUSY_WAIT_MS 200 /* the most an RCPT check waits for a store lock before 451 */

static void usage(FILE *to)
{
	fputs("usage: mlistd [-c FILE] [--foreground] [-n]\n"
	      "  -c, --config FILE  the config file (default $MLIST_CONF, else " MLIST_INSTALL_CONF "\n"
	      "                     installed, conf/mlistd.conf from the build tree)\n"
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

/* Everything the running daemon holds, for the signal and after-round handlers. */
struct daemon {
	const char *config_path;
	struct config *cfg;
	struct evloop *loop;
	struct smtp_server *smtp;
	struct spool *spool;
	struct store *store;      /* for the RCPT check only */
	struct child *sorter;     /* mlistd-sort */
	struct child *deliver;    /* mlistd-deliver */
	struct child *web;        /* mlistd-web, when the config has web.listen; else NULL */
	struct child **pollers;   /* one mlistd-imap per imap entry */
	size_t n_pollers;
};

/*
 * SIGHUP: re-reads the config.  Limits and the like take effect at once;
 * listeners, spool and store stay as they were started (they need a
 * restart), and a config with an error is refused as a whole.  The
 * helpers get the signal too and re-read it themselves (see helper.h).
 */
static void reload(struct daemon *d)
{
	struct sbuf err = SBUF_INIT;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading %s\nMONOTONIC_USEC=%llu", d->config_path,
		   (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000);
	struct config *fresh = config_load(d->config_path, &err);
	if (!fresh) {
		log_msg(LOG_ERR, "reload refused, keeping the running config: %s", err.buf);
		/* Still serving, with the old config; the status says why (one line). */
		for (char *p = err.buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		sd_notifyf(0, "READY=1\nSTATUS=reload refused, keeping the running config: %s", err.buf);
		sbuf_release(&err);
		return;
	}
	smtp_server_set_config(d->smtp, fresh);
	config_free(d->cfg);
	d->cfg = fresh;
	log_msg(LOG_INFO, "reloaded %s", d->config_path);
	sd_notifyf(0, "READY=1\nSTATUS=serving, reloaded %s", d->config_path);
	sbuf_release(&err);
}

/*
 * After SIGCHLD or SIGHUP: restarts helpers that died (after SIGHUP even
 * one that kept failing), and passes a SIGHUP on so each reloads too.
 */
static void each_child(struct daemon *d, int hup)
{
	struct child *fixed[] = { d->sorter, d->deliver, d->web };

	for (size_t i = 0; i < d->n_pollers + 3; i++) {
		struct child *c = i < 3 ? fixed[i] : d->pollers[i - 3];
		if (!c)
			continue;
		if (hup)
			child_signal(c, SIGHUP);
		child_check(c, hup);
	}
}

static void on_signal(struct evloop *loop, int fd, unsigned events, void *ctx)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP || si.ssi_signo == SIGCHLD) {
			int retry = si.ssi_signo == SIGHUP;
			if (retry)
				reload(d);
			each_child(d, retry);
			continue;
		}
		log_msg(LOG_INFO, "%s received, stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing what was taken");
		smtp_server_drain(d->smtp);
		evloop_stop(loop);
	}
}



/*
 * Reads each IMAP entry's password while still root.  The file must not
 * be readable by others: a password anyone on the machine can read is
 * refused, naming the file.
 */
static char **read_imap_passwords(const struct config *cfg)
{
	char **passwords = xcalloc(cfg->n_imap ? cfg->n_imap : 1, sizeof(char *));

	for (size_t i = 0; i < cfg->n_imap; i++) {
		const char *file = cfg->imap[i].password_file;
		struct stat st;
		FILE *f = fopen(file, "r");
		if (!f || fstat(fileno(f), &st) < 0)
			fatal("%s: cannot read the IMAP password: %s", file, strerror(errno));
		if (st.st_mode & 077)
			fatal("%s: the IMAP password file is readable by others (mode %03o); chmod 600 %s",
			      file, (unsigned)(st.st_mode & 0777), file);
		char line[4096] = "";
		if (!fgets(line, sizeof(line), f))
			fatal("%s: the IMAP password file is empty", file);
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		passwords[i] = xstrdup(line);
		explicit_bzero(line, sizeof(line));
	}
	return passwords;
}

/*
 * After every round of events: hand what the round finished to the
 * committer thread (one flush for all of it, then the 250s), unless it
 * still flushes the batch before; then that batch's end starts the next.
 * The loop itself never waits for the disk.
 */
static void after_round(struct evloop *loop, void *ctx)
{
	struct daemon *d = ctx;

	(void)loop;
	spool_commit_start(d->spool);
}

/* The committer finished a batch: its senders get their answers, the sorter its work, and the next batch goes. */
static void on_committed(struct evloop *loop, int fd, unsigned events, void *ctx)
{
	struct daemon *d = ctx;

	(void)loop;
	(void)fd;
	(void)events;
	if (spool_commit_reap(d->spool) > 0)
		child_wake(d->sorter);
	spool_commit_start(d->spool);
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
	sigaddset(&signals, SIGCHLD);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct daemon d = { .config_path = path, .cfg = cfg };
	char **passwords = read_imap_passwords(cfg);
	ensure_spool(cfg);
	/* Listeners first: a privileged port needs root, which goes next. */
	d.smtp = smtp_server_bind(cfg);
	if (!d.smtp || privileges_drop(cfg) < 0)
		return 1;
	/* systemd (Type=notify) watches the process it started: that one must stay. */
	int supervised = getenv("NOTIFY_SOCKET") != NULL;
	if (!foreground && !supervised && daemon(0, 0) < 0)
		fatal("cannot go to the background: %s", strerror(errno));

	struct sbuf err = SBUF_INIT;
	d.store = store_open(cfg->store, STORE_CREATE, &err);
	if (!d.store)
		fatal("%s", err.buf);
	log_msg(LOG_INFO, "store %s at schema version %d", cfg->store, store_schema_version(d.store));
	store_set_busy_wait(d.store, LISTENER_BUSY_WAIT_MS);
	d.spool = spool_open(cfg->spool, &err);
	if (!d.spool)
		fatal("%s", err.buf);
	/* Before the helpers start: it puts back what a crash of the machine took from the spool (journal.h). */
	int commit_fd = spool_committer_start(d.spool);
	if (commit_fd < 0)
		fatal("cannot start the spool's committer (see above): %s", strerror(errno));
	char *abs_path = realpath(path, NULL);
	const char *helper_args[] = { "-c", abs_path ? abs_path : path, foreground ? "--foreground" : NULL, NULL };
	/* The sorter first takes what was committed before a crash or stop and not sorted yet. */
	d.sorter = child_start("mlistd-sort", helper_args, NULL);
	/* Delivery resumes from the queue: what is recorded as sent is not sent again. */
	d.deliver = child_start("mlistd-deliver", helper_args, NULL);
	/* The web archive only reads what the others keep, and writes login mails to the notice queue. */
	if (cfg->web.listen)
		d.web = child_start("mlistd-web", helper_args, NULL);
	d.n_pollers = cfg->n_imap;
	d.pollers = xcalloc(cfg->n_imap ? cfg->n_imap : 1, sizeof(*d.pollers));
	for (size_t i = 0; i < cfg->n_imap; i++) {
		char *mailbox = imap_mailbox_name(cfg->imap[i].url, cfg->imap[i].user);
		const char *imap_args[] = { "-c", abs_path ? abs_path : path, "--mailbox", mailbox,
					    foreground ? "--foreground" : NULL, NULL };
		d.pollers[i] = child_start("mlistd-imap", imap_args, passwords[i]);
		free(mailbox);
		explicit_bzero(passwords[i], strlen(passwords[i]));
		free(passwords[i]);
	}
	free(passwords);
	free(abs_path);

	d.loop = evloop_new();
	int sfd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || evloop_watch(d.loop, sfd, EV_READ, on_signal, &d) < 0 ||
	    evloop_watch(d.loop, commit_fd, EV_READ, on_committed, &d) < 0 ||
	    smtp_server_start(d.smtp, d.loop, d.store, d.spool) < 0)
		fatal("cannot start serving: %s", strerror(errno));
	evloop_after(d.loop, after_round, &d);
	log_msg(LOG_INFO, "mlistd ready");
	sd_notify(0, "READY=1\nSTATUS=serving");
	evloop_run(d.loop);

	/* Draining: what was finished is committed; unfinished transactions were never acknowledged. */
	smtp_server_free(d.smtp);
	for (size_t i = 0; i < d.n_pollers; i++)
		child_stop(d.pollers[i], 10);
	free(d.pollers);
	/* The sorter finishes its batch and queues it; delivery then sends what it can before it stops. */
	child_stop(d.sorter, 30);
	child_stop(d.deliver, 30);
	if (d.web)
		child_stop(d.web, 10);
	spool_close(d.spool);
	store_close(d.store);
	evloop_free(d.loop);
	close(sfd);
	config_free(d.cfg);
	sbuf_release(&err);
	return 0;
}
