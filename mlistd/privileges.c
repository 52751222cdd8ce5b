/*
 * privileges: switching from root to the configured account.
 */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sbuf.h"

/* Gives path to the account; a missing file is fine (it is created later, as that account). */
static int hand_over(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT) {
		log_msg(LOG_ERR, "%s: cannot hand it to the mlistd account: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int privileges_drop(const struct config *cfg)
{
	static const char *const store_suffixes[] = { "", "-wal", "-shm" };

	if (geteuid() != 0)
		return 0;
	if (!cfg->user) {
		log_msg(LOG_ERR, "%s: mlistd does not run as root; set user = \"...\" to the account it "
			"should switch to (e.g. one made with: useradd --system mlist)", cfg->file);
		return -1;
	}
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw || pw->pw_uid == 0) {
		log_msg(LOG_ERR, "%s: user \"%s\" %s", cfg->file, cfg->user,
			pw ? "is root; name an unprivileged account" : "does not exist on this machine");
		return -1;
	}
	if (hand_over(cfg->spool, pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(store_suffixes) / sizeof(store_suffixes[0]); i++) {
		struct sbuf path = SBUF_INIT;
		sbuf_addf(&path, "%s%s", cfg->store, store_suffixes[i]);
		int r = hand_over(path.buf, pw->pw_uid, pw->pw_gid);
		sbuf_release(&path);
		if (r < 0)
			return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_msg(LOG_ERR, "cannot switch to user \"%s\": %s", cfg->user, strerror(errno));
		return -1;
	}
	/* Make sure there is no way back. */
	if (setuid(0) == 0) {
		log_msg(LOG_ERR, "switching to user \"%s\" did not drop root", cfg->user);
		return -1;
	}
	log_msg(LOG_INFO, "running as user %s", cfg->user);
	return 0;
}
