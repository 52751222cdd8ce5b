/*
 * store_schema: the schema, as a list of migration steps.
 *
 * Names compare case-insensitively (COLLATE NOCASE) because group names
 * and addresses are matched that way in mail.  Deleting a group or a
 * person cascades to what hangs off it, so "member forget" and "group
 * remove --force" leave nothing behind.
 */
#include "store_schema.h"

const char *const store_migrations[] = {
	/* 1: groups, change-line links, people, subscriptions, moderators */
	"CREATE TABLE groups ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  kind TEXT NOT NULL CHECK (kind IN ('change-line', 'project', 'general')),"
	"  title TEXT NOT NULL DEFAULT '',"
	"  policy TEXT NOT NULL DEFAULT 'members'"
	"    CHECK (policy IN ('open', 'members', 'moderated', 'announce')),"
	"  created INTEGER NOT NULL"
	");"
	/* project -> change line; the kinds are checked by triggers below */
	"CREATE TABLE group_links ("
	"  project_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  line_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (project_id, line_id)"
	");"
	"CREATE INDEX group_links_line ON group_links(line_id);"
	"CREATE TRIGGER group_links_kinds BEFORE INSERT ON group_links BEGIN"
	"  SELECT RAISE(ABORT, 'only a project can be linked to a change line')"
	"    WHERE (SELECT kind FROM groups WHERE id = NEW.project_id) <> 'project'"
	"       OR (SELECT kind FROM groups WHERE id = NEW.line_id) <> 'change-line';"
	"END;"
	/* a person, whatever groups they are in */
	"CREATE TABLE members ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE subscriptions ("
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  mode TEXT NOT NULL DEFAULT 'each' CHECK (mode IN ('each', 'digest', 'nomail')),"
	"  follow_line INTEGER NOT NULL DEFAULT 0 CHECK (follow_line IN (0, 1)),"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (member_id, group_id)"
	");"
	"CREATE INDEX subscriptions_group ON subscriptions(group_id);"
	"CREATE TABLE moderators ("
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (member_id, group_id)"
	");"
	"CREATE INDEX moderators_group ON moderators(group_id);",

	/* 2: messages, threads and the groups each message was sorted into */
	"CREATE TABLE threads ("
	"  id INTEGER PRIMARY KEY,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  root TEXT NOT NULL,"                      /* Message-ID of the first message */
	"  subject TEXT NOT NULL DEFAULT '',"        /* its subject without Re: and tags */
	"  started INTEGER NOT NULL,"
	"  last_activity INTEGER NOT NULL,"
	"  messages INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX threads_group ON threads(group_id, last_activity);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id TEXT NOT NULL UNIQUE,"         /* without <>; ours if the message had none */
	"  generated_id INTEGER NOT NULL DEFAULT 0," /* 1: mlist made the Message-ID up */
	"  spool_id TEXT NOT NULL UNIQUE,"           /* the spool file; makes sorting idempotent */
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'unsorted', 'service')),"
	"  envelope_from TEXT NOT NULL DEFAULT '',"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  from_name TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  date INTEGER NOT NULL DEFAULT 0,"
	"  received INTEGER NOT NULL,"
	"  size INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE message_groups ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,"
	"  sorted_by TEXT NOT NULL CHECK (sorted_by IN ('thread', 'address', 'tag', 'rule')),"
	"  PRIMARY KEY (message_id, group_id)"
	");"
	"CREATE INDEX message_groups_thread ON message_groups(thread_id);",

	/* 3: the delivery queue with per-recipient state, bounces, archiving */
	"ALTER TABLE members ADD COLUMN self_copy INTEGER NOT NULL DEFAULT 1;"  /* 0: not sent their own posts */
	"ALTER TABLE members ADD COLUMN bounce_score INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"  /* whose headers the copy gets */
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'bounced')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  done INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (message_id, member_id)"           /* one copy per person per message */
	");"
	"CREATE INDEX deliveries_due ON deliveries(state, next_attempt);"
	"CREATE INDEX deliveries_member ON deliveries(member_id);"
	"CREATE TABLE bounces ("
	"  id INTEGER PRIMARY KEY,"
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,"
	"  at INTEGER NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT ''"
	");",

	/* 4: IMAP polling: per-mailbox state, the UIDs taken, and the mailbox's default group as a way of sorting */
	"CREATE TABLE imap_status ("
	"  mailbox TEXT PRIMARY KEY,"                 /* user@host/folder */
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  last_uid INTEGER NOT NULL DEFAULT 0,"      /* every UID up to here is taken */
	"  last_poll INTEGER NOT NULL DEFAULT 0,"
	"  taken INTEGER NOT NULL DEFAULT 0,"         /* messages taken in all */
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  last_error_at INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE imap_seen ("
	"  mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,"
	"  spool_id TEXT NOT NULL, taken INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox, uidvalidity, uid)"
	");"
	"ALTER TABLE messages ADD COLUMN imap_key TEXT;"     /* mailbox/UIDVALIDITY/UID of a polled message */
	"CREATE UNIQUE INDEX messages_imap_key ON messages(imap_key) WHERE imap_key IS NOT NULL;"
	"CREATE TABLE message_groups_v4 ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,"
	"  sorted_by TEXT NOT NULL CHECK (sorted_by IN ('thread', 'address', 'tag', 'rule', 'default')),"
	"  PRIMARY KEY (message_id, group_id)"
	");"
	"INSERT INTO message_groups_v4 SELECT message_id, group_id, thread_id, sorted_by FROM message_groups ORDER BY rowid;"
	"DROP TABLE message_groups;"
	"ALTER TABLE message_groups_v4 RENAME TO message_groups;"
	"CREATE INDEX message_groups_thread ON message_groups(thread_id);",

	/* 5: the held queue: posts waiting for a moderator, and where they go once approved */
	"CREATE TABLE held ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,"
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE held_places ("
	"  held_id INTEGER NOT NULL REFERENCES held(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  thread_id INTEGER NOT NULL DEFAULT 0,"   /* the thread a reply joins; 0: a new thread */
	"  sorted_by TEXT NOT NULL,"
	"  PRIMARY KEY (held_id, group_id)"
	");"
	"ALTER TABLE messages ADD COLUMN decision TEXT NOT NULL DEFAULT '';" /* approved, rejected, discarded */
	/* a moderator's "held assign" is a way of sorting too */
	"CREATE TABLE message_groups_v5 ("
	"  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,"
	"  sorted_by TEXT NOT NULL CHECK (sorted_by IN ('thread', 'address', 'tag', 'rule', 'default', 'moderator')),"
	"  PRIMARY KEY (message_id, group_id)"
	");"
	"INSERT INTO message_groups_v5 SELECT message_id, group_id, thread_id, sorted_by FROM message_groups ORDER BY rowid;"
	"DROP TABLE message_groups;"
	"ALTER TABLE message_groups_v5 RENAME TO message_groups;"
	"CREATE INDEX message_groups_thread ON message_groups(thread_id);",

	/* 6: mlist's own mail (notices), confirmation tokens, and when an author was last told */
	"CREATE TABLE notices ("
	"  id INTEGER PRIMARY KEY,"
	"  spool_id TEXT NOT NULL,"                  /* spool/notices/ID */
	"  envelope_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'bounced')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX notices_due ON notices(state, next_attempt);"
	"CREATE TABLE tokens ("
	"  token TEXT PRIMARY KEY,"                  /* 128 random bits, hex */
	"  kind TEXT NOT NULL CHECK (kind IN ('moderate')),"
	"  held_id INTEGER REFERENCES held(id) ON DELETE SET NULL,"   /* NULL once the post is decided */
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE author_notices (address TEXT PRIMARY KEY COLLATE NOCASE, last INTEGER NOT NULL);",

	/* 7: tokens also confirm subscribing and unsubscribing (double opt-in) */
	"CREATE TABLE tokens_v7 ("
	"  token TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('moderate', 'subscribe', 'unsubscribe')),"
	"  held_id INTEGER REFERENCES held(id) ON DELETE SET NULL,"
	"  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"  /* subscribe, unsubscribe */
	"  address TEXT NOT NULL DEFAULT '',"                          /* subscribe, unsubscribe */
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO tokens_v7 (token, kind, held_id, created, expires, used)"
	" SELECT token, kind, held_id, created, expires, used FROM tokens;"
	"DROP TABLE tokens;"
	"ALTER TABLE tokens_v7 RENAME TO tokens;",

	/*
	 * 8: the queue's index holds only what waits: a copy that is sent
	 * leaves it (one delete) instead of moving within it, which halves the
	 * index work of recording a fan-out, and finding what is due reads no
	 * finished rows.
	 */
	"DROP INDEX deliveries_due;"
	"CREATE INDEX deliveries_due ON deliveries(next_attempt) WHERE state = 'pending';"
	"DROP INDEX notices_due;"
	"CREATE INDEX notices_due ON notices(next_attempt) WHERE state = 'pending';",

	/*
	 * 9: bounces read from DSNs too: each with its kind (only permanent
	 * ones count), its RFC 3463 status code, and the group whose copy it
	 * was; reason keeps the diagnostic.
	 */
	"ALTER TABLE bounces ADD COLUMN kind TEXT NOT NULL DEFAULT 'permanent'"
	"  CHECK (kind IN ('permanent', 'transient', 'policy'));"
	"ALTER TABLE bounces ADD COLUMN status TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bounces ADD COLUMN group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL;"
	"CREATE INDEX bounces_member ON bounces(member_id, at);",

	/*
	 * 10: a group's own settings; NULL is the config's.  language: the
	 * texts its members and moderators get (texts.h).
	 */
	"ALTER TABLE groups ADD COLUMN language TEXT;",

	/*
	 * 11: a member changes their own settings by mail (GROUP-request@
	 * "set digest"): a change not sent from the subscribed address waits
	 * for a confirmation token of kind 'set', whose change says what
	 * ("mode=digest", "follow-line=on").  owner_notices: the group's
	 * moderators hear of each subscribe and unsubscribe by mail.
	 */
	"CREATE TABLE tokens_v11 ("
	"  token TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('moderate', 'subscribe', 'unsubscribe', 'set')),"
	"  held_id INTEGER REFERENCES held(id) ON DELETE SET NULL,"
	"  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL DEFAULT '',"
	"  change TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO tokens_v11 (token, kind, held_id, group_id, address, created, expires, used)"
	" SELECT token, kind, held_id, group_id, address, created, expires, used FROM tokens;"
	"DROP TABLE tokens;"
	"ALTER TABLE tokens_v11 RENAME TO tokens;"
	"ALTER TABLE groups ADD COLUMN owner_notices INTEGER NOT NULL DEFAULT 1;",

	/*
	 * 12: digests.  A group's digest covers its placements (message_groups
	 * rows, whose rowids only grow) after digest_state.upto; building one
	 * moves upto in the same transaction that queues it, so no post is in
	 * two digests and none is left out.  A new group starts after the
	 * placements made before it existed, its first digest due at the
	 * first digest hour after it (the trigger).  A digest is a
	 * message of mlist's own (digest_of: its group), delivered through the
	 * queue like a post.  digest_format: each digest member's own.
	 */
	"CREATE TABLE digest_state ("
	"  group_id INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,"
	"  upto INTEGER NOT NULL,"                 /* the last placement (message_groups rowid) covered */
	"  last_built INTEGER NOT NULL DEFAULT 0," /* unix time of its last digest (at first: of its start) */
	"  number INTEGER NOT NULL DEFAULT 0"      /* how many digests it has had */
	");"
	"INSERT INTO digest_state (group_id, upto, last_built)"
	" SELECT id, (SELECT coalesce(max(rowid), 0) FROM message_groups), CAST(strftime('%s', 'now') AS INTEGER)"
	" FROM groups;"
	"CREATE TRIGGER groups_digest_state AFTER INSERT ON groups BEGIN"
	" INSERT INTO digest_state (group_id, upto, last_built)"
	"  VALUES (new.id, (SELECT coalesce(max(rowid), 0) FROM message_groups), CAST(strftime('%s', 'now') AS INTEGER));"
	" END;"
	"ALTER TABLE messages ADD COLUMN digest_of INTEGER REFERENCES groups(id) ON DELETE CASCADE;"
	"ALTER TABLE subscriptions ADD COLUMN digest_format TEXT NOT NULL DEFAULT 'mime'"
	"  CHECK (digest_format IN ('mime', 'text'));",

	/*
	 * 13: more of a group's own settings (NULL: the config's).
	 * subject_prefix and footer: "" for none; reply_to: where replies go;
	 * max_size: octets over which a post is held (0: only the SMTP limit);
	 * self_copy: authors get their own posts back (unless they said no).
	 */
	"ALTER TABLE groups ADD COLUMN subject_prefix TEXT;"
	"ALTER TABLE groups ADD COLUMN footer TEXT;"
	"ALTER TABLE groups ADD COLUMN reply_to TEXT NOT NULL DEFAULT 'as-sent'"
	"  CHECK (reply_to IN ('as-sent', 'group', 'author'));"
	"ALTER TABLE groups ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE groups ADD COLUMN self_copy INTEGER NOT NULL DEFAULT 1;",

	/*
	 * 14: archive off: a group whose posts are not kept.  They are still
	 * archived at first (a digest is built from the archive once a post's
	 * spool file is gone) and removed once every digest that could hold
	 * them has passed them; digest_state.pruned is how far that went.
	 */
	"ALTER TABLE groups ADD COLUMN archive INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE digest_state ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;",

	/*
	 * 15: brakes against a compromised or runaway sender.  emergency: every
	 * post waits for a moderator, theirs too.  moderate_new: a member who
	 * joins is "moderated" until a moderator approves a post of theirs
	 * with trust.
	 */
	"ALTER TABLE groups ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE groups ADD COLUMN moderate_new INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE subscriptions ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;",

	/* 16: a sender's posts of the last hour are counted for each new one (limits.max_posts_per_hour). */
	"CREATE INDEX messages_sender ON messages(from_addr COLLATE NOCASE, received);",

	/* 17: retention: a group's posts older than keep_days leave its archive and threads (0: kept). */
	"ALTER TABLE groups ADD COLUMN keep_days INTEGER NOT NULL DEFAULT 0;",

	/*
	 * 18: the queue in the order delivery takes it (by post, group and
	 * copy), so that a round reads its 20,000 rows off the index and stops,
	 * instead of sorting every waiting copy each round: a 100,000-recipient
	 * fan-out sorted 100,000 rows for its first round, 80,000 for the
	 * second, and so on.  Copies deferred to later are passed over in it.
	 */
	"CREATE INDEX deliveries_in_order ON deliveries(message_id, group_id, id) WHERE state = 'pending';",

	/* 19: a group's own content policy (content.h); NULL: the config's content.attachments and content.html. */
	"ALTER TABLE groups ADD COLUMN attachments TEXT CHECK (attachments IN ('allow', 'hold', 'strip'));"
	"ALTER TABLE groups ADD COLUMN html TEXT CHECK (html IN ('keep', 'text'));",

	/*
	 * 20: the web archive (web/).  web_history: members may also read what
	 * was posted before they joined.  Logins and sessions keep only the
	 * SHA-256 of their secrets, so a copy of the store opens no session.
	 * web_seen: when a person last looked at a group (unread counts).
	 * web_search: the full-text index of archived posts (rowid = messages.id),
	 * filled by mlistd-web from the archive; a post that leaves the store
	 * or its last group leaves the index with it (the triggers), and
	 * whatever rewrites an archived post (forget) empties the index, which
	 * mlistd-web then fills again from the rewritten files.
	 */
	"ALTER TABLE groups ADD COLUMN web_history INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE web_logins ("
	"  token_hash TEXT PRIMARY KEY,"
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE web_sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL,"                       /* the token every form of this session carries */
	"  created INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX web_sessions_member ON web_sessions(member_id);"
	"CREATE TABLE web_seen ("
	"  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
	"  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
	"  seen INTEGER NOT NULL,"
	"  PRIMARY KEY (member_id, group_id)"
	");"
	"CREATE VIRTUAL TABLE web_search USING fts5(subject, author, body, tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_leave_search AFTER DELETE ON messages BEGIN"
	"  DELETE FROM web_search WHERE rowid = old.id;"
	" END;"
	"CREATE TRIGGER message_groups_leave_search AFTER DELETE ON message_groups"
	"  WHEN NOT EXISTS (SELECT 1 FROM message_groups WHERE message_id = old.message_id) BEGIN"
	"  DELETE FROM web_search WHERE rowid = old.message_id;"
	" END;"
	"CREATE INDEX message_groups_group ON message_groups(group_id, message_id);",

	/*
	 * 21: the posts mlistd-web has still to index.  A post enters when it
	 * is archived in a group that keeps an archive (the trigger) and
	 * leaves when indexed or gone, so the indexer reads only these rather
	 * than the whole archive against the whole index every two seconds.
	 * web_indexable is the one answer to "which posts belong in the
	 * index": the trigger, this first fill and a refill (forget) ask it.
	 */
	"CREATE VIEW web_indexable (message_id) AS SELECT m.id FROM messages m"
	"  WHERE m.archived = 1 AND m.digest_of IS NULL AND EXISTS (SELECT 1 FROM message_groups mg"
	"   JOIN groups g ON g.id = mg.group_id WHERE mg.message_id = m.id AND g.archive = 1);"
	"CREATE TABLE web_unindexed ("
	"  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE"
	");"
	"CREATE TRIGGER messages_to_index AFTER UPDATE OF archived ON messages"
	"  WHEN new.archived = 1 AND EXISTS (SELECT 1 FROM web_indexable WHERE message_id = new.id) BEGIN"
	"  INSERT OR IGNORE INTO web_unindexed (message_id) VALUES (new.id);"
	" END;"
	"INSERT INTO web_unindexed (message_id) SELECT v.message_id FROM web_indexable v"
	"  WHERE NOT EXISTS (SELECT 1 FROM web_search w WHERE w.rowid = v.message_id);",

	/*
	 * 22: the posts still to archive, for the keeper's every round
	 * (store_delivery_unarchived), which otherwise reads every post ever
	 * kept: 15% of its time under bench/intake at 7,500 posts, and
	 * growing with the archive.
	 */
	"CREATE INDEX messages_unarchived ON messages(id) WHERE state = 'queued' AND archived = 0;",
};

const int store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
