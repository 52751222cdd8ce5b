/*
 * privileges: switching from root to the configured account.
 */
#include "privileges.h"

#include <dirent.h>
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

/*
 * Gives the spool to the account: the folder, what is in it, and the
 * files in its working folders.  mlistctl run as root (a digest sent or a
 * post approved before mlistd ever started) makes folders and files the
 * account must read and remove; the archive and the outbox are only ever
 * written by mlistd's own processes, so they are not walked.
 */
static int hand_over_spool(const char *spool, uid_t uid, gid_t gid)
{
	static const char *const working[] = { "tmp", "incoming", "queue", "notices", NULL };
	int r = hand_over(spool, uid, gid);
	DIR *d = r == 0 ? opendir(spool) : NULL;
	struct dirent *de;

	while (d && r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct sbuf path = SBUF_INIT;
		sbuf_addf(&path, "%s/%s", spool, de->d_name);
		r = hand_over(path.buf, uid, gid);
		for (int i = 0; r == 0 && working[i]; i++) {
			if (strcmp(de->d_name, working[i]) != 0)
				continue;
			DIR *w = opendir(path.buf);
			struct dirent *we;
			while (w && r == 0 && (we = readdir(w))) {
				if (we->d_name[0] == '.')
					continue;
				struct sbuf file = SBUF_INIT;
				sbuf_addf(&file, "%s/%s", path.buf, we->d_name);
				r = hand_over(file.buf, uid, gid);
				sbuf_release(&file);
			}
			if (w)
				closedir(w);
		}
		sbuf_release(&path);
	}
	if (d)
		closedir(d);
	return r;
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
	if (hand_over_spool(cfg->spool, pw->pw_uid, pw->pw_gid) < 0)
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
