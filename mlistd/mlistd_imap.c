/*
 * mlistd-imap: the poller of one IMAP mailbox, started and watched by
 * mlistd (one process per `imap` entry).
 *
 *   mlistd-imap -c FILE --mailbox USER@HOST/FOLDER [--foreground]
 *
 * Standard input is a pipe from mlistd: its first line is the mailbox's
 * password (read by mlistd from password_file while it was still root);
 * its end means stop.  Spooled messages ring the sorter's doorbell
 * (spool.h).  See imap_poll.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "helper.h"
#include "imap_poll.h"
#include "log.h"
#include "names.h"
#include "sbuf.h"

/* Reads the password line from the control pipe, byte by byte so nothing after it is taken. */
static char *read_password(int fd)
{
	struct sbuf sb = SBUF_INIT;
	char c;

	while (read(fd, &c, 1) == 1 && c != '\n') {
		if (sb.len > 4096)
			fatal("the password line from mlistd is too long");
		sbuf_addch(&sb, c);
	}
	return sbuf_detach(&sb);
}

int main(int argc, char **argv)
{
	struct helper h;

	helper_start(&h, "mlistd-imap", argc, argv);
	/*
	 * By name, never by place in the list: a reordered config must not hand
	 * this mailbox's password (read by mlistd at its start) to another server.
	 */
	const struct config_imap *entry = NULL;
	for (size_t i = 0; h.mailbox && i < h.cfg->n_imap && !entry; i++) {
		char *name = imap_mailbox_name(h.cfg->imap[i].url, h.cfg->imap[i].user);
		if (strcmp(name, h.mailbox) == 0)
			entry = &h.cfg->imap[i];
		free(name);
	}
	if (!entry)
		fatal("%s has no imap entry for the mailbox %s (it needs mlistd restarted to be polled)", h.config_path,
		      h.mailbox ? h.mailbox : "(none given)");
	char *password = read_password(STDIN_FILENO);
	imap_poll_loop(h.cfg, entry, password, h.st, h.sp, STDIN_FILENO);
	explicit_bzero(password, strlen(password));
	free(password);
	helper_end(&h);
	return 0;
}
