/*
 * child: starting and watching mlistd's helper processes; see child.h.
 */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "install_dirs.h"
#include "log.h"
#include "sbuf.h"

#define QUICK_DEATH 2  /* seconds: dying sooner than this counts as failing at start-up */
#define MAX_QUICK_DEATHS 5
#define MAX_ARGS 8

struct child {
	char *name;        /* for the logs */
	char *argv[MAX_ARGS + 2]; /* exe path, the args, NULL */
	char *secret;      /* first line of its input, or NULL */
	pid_t pid;         /* 0 when not running */
	int pipe_fd;       /* write end of its standard input */
	time_t started;
	int quick_deaths;  /* deaths in a row soon after starting */
};

/*
 * Where the helper NAME is: beside mlistd in the build tree; installed, in
 * libexecdir/mlist, found from mlistd's own folder by the relative path
 * meson computed (install_dirs.h), so a copy staged under DESTDIR or a
 * moved prefix runs its own helpers, never another install's.
 */
static char *helper_exe(const char *name)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct sbuf sb = SBUF_INIT;

	if (n <= 0)
		return xstrdup(name);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	sbuf_addf(&sb, "%s/%s", self, name);
	if (access(sb.buf, X_OK) == 0)
		return sbuf_detach(&sb);
	struct sbuf rel = SBUF_INIT;
	sbuf_addf(&rel, "%s/%s", self, MLIST_HELPER_DIR_REL);
	char *dir = realpath(rel.buf, NULL);
	sbuf_release(&rel);
	if (dir) {
		/* Installed: even a helper missing there is reported where it should be. */
		sbuf_release(&sb);
		sbuf_addf(&sb, "%s/%s", dir, name);
		free(dir);
	}
	return sbuf_detach(&sb);
}

static void spawn(struct child *c)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_msg(LOG_ERR, "cannot start %s: pipe: %s", c->name, strerror(errno));
		return;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start %s: fork: %s", c->name, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		/*
		 * The child: the pipe becomes its standard input; signals as a fresh
		 * process has them, but SIGHUP blocked, so one that comes before the
		 * helper is ready to reload waits for it (see helper.h) instead of
		 * killing it.
		 */
		sigset_t hup;
		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		sigprocmask(SIG_SETMASK, &hup, NULL);
		/* Dies with mlistd; and if mlistd is gone already, at once. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(1);
		dup2(fds[0], STDIN_FILENO);
		execv(c->argv[0], c->argv);
		log_msg(LOG_ERR, "cannot run %s: %s", c->argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	c->pipe_fd = fds[1];
	c->pid = pid;
	c->started = time(NULL);
	if (c->secret) {
		/* Fits the pipe's buffer: a line, written before the child reads anything. */
		struct sbuf line = SBUF_INIT;
		sbuf_addf(&line, "%s\n", c->secret);
		if (write(c->pipe_fd, line.buf, line.len) != (ssize_t)line.len)
			log_msg(LOG_ERR, "cannot hand %s its secret: %s", c->name, strerror(errno));
		explicit_bzero(line.buf, line.len);
		sbuf_release(&line);
	}
	fcntl(c->pipe_fd, F_SETFL, O_NONBLOCK);
	log_msg(LOG_INFO, "started %s (pid %d)", c->name, (int)pid);
}

struct child *child_start(const char *name, const char *const *args, const char *secret)
{
	struct child *c = xcalloc(1, sizeof(*c));
	int n = 0;

	c->name = xstrdup(name);
	c->argv[n++] = helper_exe(name);
	for (; args && *args && n <= MAX_ARGS; args++)
		c->argv[n++] = xstrdup(*args);
	c->secret = secret ? xstrdup(secret) : NULL;
	c->pipe_fd = -1;
	spawn(c);
	return c;
}

void child_wake(struct child *c)
{
	/* A full pipe already says "wake up": nothing is lost by not writing more. */
	if (c->pipe_fd >= 0 && write(c->pipe_fd, "w", 1) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "cannot wake %s: %s", c->name, strerror(errno));
}

void child_signal(struct child *c, int sig)
{
	if (c->pid && kill(c->pid, sig) < 0)
		log_msg(LOG_WARNING, "cannot signal %s: %s", c->name, strerror(errno));
}

/* Notes how the child ended, if it did; returns 1 then. */
static int reap(struct child *c, int options)
{
	int status;

	if (!c->pid || waitpid(c->pid, &status, options) != c->pid)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_msg(LOG_INFO, "%s (pid %d) stopped", c->name, (int)c->pid);
	else if (WIFSIGNALED(status))
		log_msg(LOG_ERR, "%s (pid %d) died of signal %d", c->name, (int)c->pid, WTERMSIG(status));
	else
		log_msg(LOG_ERR, "%s (pid %d) exited with status %d", c->name, (int)c->pid, WEXITSTATUS(status));
	c->pid = 0;
	if (c->pipe_fd >= 0)
		close(c->pipe_fd);
	c->pipe_fd = -1;
	return 1;
}

void child_check(struct child *c, int retry)
{
	if (reap(c, WNOHANG))
		c->quick_deaths = time(NULL) - c->started < QUICK_DEATH ? c->quick_deaths + 1 : 0;
	if (c->pid)
		return;
	if (retry)
		c->quick_deaths = 0;
	if (c->quick_deaths >= MAX_QUICK_DEATHS) {
		if (c->quick_deaths++ == MAX_QUICK_DEATHS)
			log_msg(LOG_ERR, "%s keeps failing at start-up; it waits for a SIGHUP", c->name);
		return;
	}
	spawn(c);
}

void child_stop(struct child *c, int timeout_s)
{
	if (!c)
		return;
	if (c->pipe_fd >= 0) {
		close(c->pipe_fd);
		c->pipe_fd = -1;
	}
	for (int i = 0; c->pid && i < timeout_s * 10; i++) {
		if (!reap(c, WNOHANG))
			usleep(100000);
	}
	if (c->pid) {
		log_msg(LOG_WARNING, "%s did not stop in %d s; killing it", c->name, timeout_s);
		kill(c->pid, SIGKILL);
		reap(c, 0);
	}
	for (int i = 0; c->argv[i]; i++)
		free(c->argv[i]);
	if (c->secret) {
		explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
	}
	free(c->name);
	free(c);
}
