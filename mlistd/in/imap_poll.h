/*
 * imap_poll: taking posts from one IMAP mailbox at an existing provider,
 * in the process mlistd-imap (one per `imap` entry, so a crash in
 * libetpan's IMAP parser on hostile input, or one broken mailbox, touches
 * nothing else).
 *
 * It logs in over TLS (imaps://, or imap:// with STARTTLS that must
 * succeed; plain text only for a server on this machine, when the config
 * says `plaintext = true`), checks the server's certificate against the
 * system's trusted authorities or the entry's `ca_file`, selects the
 * folder and takes every message with a UID above the last one taken:
 * spooled durably, then recorded as (mailbox, UIDVALIDITY, UID) in the
 * store, and only then flagged \Seen or moved to `done_folder` (MOVE, or
 * COPY + \Deleted + UID EXPUNGE).  A crash between any two steps takes
 * nothing twice: the sorter recognises a second spool file of the same
 * (mailbox, UIDVALIDITY, UID), and a recorded UID is only flagged again.
 * A new UIDVALIDITY starts over, and Message-IDs already seen are not
 * posted again.  Messages larger than limits.max_message_size are left in
 * the mailbox, flagged, and logged.  With IDLE a new message is taken
 * within seconds; without, every `interval` seconds.  Failures are logged
 * and retried with back-off.
 *
 * The IMAP client is libetpan's rather than libcurl's: libetpan speaks
 * IDLE, MOVE and UIDPLUS and hands over UIDVALIDITY and per-message
 * attributes, where libcurl's IMAP is one request per transfer without
 * IDLE.  Its parser's history of crashes on hostile input
 * (CVE-2022-4121) is why it runs in this process of its own.
 */
#ifndef MLIST_IMAP_POLL_H
#define MLIST_IMAP_POLL_H

struct config;
struct config_imap;
struct spool;
struct store;

/*
 * Polls mailbox (an entry of cfg's imap list) until control_fd (a pipe
 * from mlistd) ends or a SIGHUP comes.  Whenever messages were spooled it
 * rings the sorter's doorbell.
 */
void imap_poll_loop(const struct config *cfg, const struct config_imap *mailbox, const char *password,
		    struct store *st, struct spool *sp, int control_fd);

#endif
