/*
 * deliver_child: starting and watching mlistd-deliver; see deliver_child.h.
 */
#define _GNU_SOURCE
#include "deliver_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sbuf.h"

#define QUICK_DEATH 2  /* seconds: dying sooner than this counts as failing at start-up */
#define MAX_QUICK_DEATHS 5

struct deliver_child {
	char *exe;         /* path of mlistd-deliver */
	char *config;      /* absolute path of the config */
	int foreground;
	pid_t pid;         /* 0 when not running */
	int pipe_fd;       /* write end of its standard input */
	time_t started;
	int quick_deaths;  /* deaths in a row soon after starting */
};

/* mlistd-deliver lives beside mlistd (in the build folder and when installed). */
static char *sibling_exe(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct sbuf sb = SBUF_INIT;

	if (n <= 0)
		return xstrdup("mlistd-deliver");
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	sbuf_addf(&sb, "%s/mlistd-deliver", self);
	return sbuf_detach(&sb);
}

static void spawn(struct deliver_child *c)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_msg(LOG_ERR, "cannot start mlistd-deliver: pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "cannot start mlistd-deliver: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		/* The child: the pipe becomes its standard input; signals as a fresh process has them. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(fds[0], STDIN_FILENO);
		char *argv[] = { c->exe, "-c", c->config, c->foreground ? "--foreground" : NULL, NULL };
		execv(c->exe, argv);
		log_msg(LOG_ERR, "cannot run %s: %s", c->exe, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	c->pipe_fd = fds[1];
	c->pid = pid;
	c->started = time(NULL);
	log_msg(LOG_INFO, "started mlistd-deliver (pid %d)", (int)pid);
}

struct deliver_child *deliver_child_start(const char *config_path, int foreground)
{
	struct deliver_child *c = xcalloc(1, sizeof(*c));
	char *abs = realpath(config_path, NULL);

	c->exe = sibling_exe();
	c->config = abs ? abs : xstrdup(config_path);
	c->foreground = foreground;
	c->pipe_fd = -1;
	spawn(c);
	return c;
}

void deliver_child_wake(struct deliver_child *c)
{
	/* A full pipe already says "wake up": nothing is lost by not writing more. */
	if (c->pipe_fd >= 0 && write(c->pipe_fd, "w", 1) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "cannot wake mlistd-deliver: %s", strerror(errno));
}

/* Notes how the child ended; returns 1 if it was ours. */
static int reap(struct deliver_child *c, int options)
{
	int status;
	pid_t pid;
	int ours = 0;

	while ((pid = waitpid(-1, &status, options)) > 0) {
		if (pid != c->pid)
			continue;
		ours = 1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_msg(LOG_INFO, "mlistd-deliver (pid %d) stopped", (int)pid);
		else if (WIFSIGNALED(status))
			log_msg(LOG_ERR, "mlistd-deliver (pid %d) died of signal %d", (int)pid, WTERMSIG(status));
		else
			log_msg(LOG_ERR, "mlistd-deliver (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
		c->pid = 0;
		if (c->pipe_fd >= 0)
			close(c->pipe_fd);
		c->pipe_fd = -1;
		if (options == WNOHANG)
			break;
	}
	return ours;
}

void deliver_child_check(struct deliver_child *c, int retry)
{
	if (c->pid && reap(c, WNOHANG)) {
		c->quick_deaths = time(NULL) - c->started < QUICK_DEATH ? c->quick_deaths + 1 : 0;
	}
	if (c->pid)
		return;
	if (retry)
		c->quick_deaths = 0;
	if (c->quick_deaths >= MAX_QUICK_DEATHS) {
		if (c->quick_deaths++ == MAX_QUICK_DEATHS)
			log_msg(LOG_ERR, "mlistd-deliver keeps failing at start-up; delivery waits for a SIGHUP");
		return;
	}
	spawn(c);
}

pid_t deliver_child_pid(const struct deliver_child *c)
{
	return c->pid;
}

void deliver_child_stop(struct deliver_child *c, int timeout_s)
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
		log_msg(LOG_WARNING, "mlistd-deliver did not stop in %d s; killing it", timeout_s);
		kill(c->pid, SIGKILL);
		reap(c, 0);
	}
	free(c->exe);
	free(c->config);
	free(c);
}
