/*
 * cli: what every mlistctl command handler gets, and the command table.
 *
 * mlistctl is "NOUN VERB [ARGS] [--options]", or a one-word command
 * ("init").  Each command is one row of the table in mlistctl.c: its
 * words, how it opens the store, how many arguments it takes, which
 * options it knows, its usage line and its handler.  The parser checks
 * all of that before a handler runs, so handlers only do the work.
 * Handlers return the exit status: 0 done, 1 refused or failed (after
 * printing a one-line reason with cli_fail).  Usage errors (exit 2) never
 * reach a handler.
 */
#ifndef MLIST_CLI_H
#define MLIST_CLI_H

#include <stdio.h>

#include "store.h"

struct config;

#define CLI_MAX_ARGS 4
#define CLI_MAX_OPTIONS 6

struct cli {
	const char *arg[CLI_MAX_ARGS];    /* positional arguments after NOUN VERB */
	int n_args;
	char opt_name[CLI_MAX_OPTIONS][32];     /* options given, without "--" */
	const char *opt_value[CLI_MAX_OPTIONS]; /* their values; "" for flags */
	int n_opts;
	int json;                         /* --json: machine-readable output */
	const struct config *cfg;         /* the loaded config */
	struct store *store;              /* the open store */
	FILE *out;                        /* where results go (stdout) */
};

/* A command table's store column: the handler opens the store its own way (restore); c->store is NULL. */
#define CLI_OWN_STORE (-1)

struct command {
	const char *noun;      /* the first word */
	const char *verb;      /* the second word; NULL for a one-word command */
	int store;             /* an enum store_mode: STORE_READ_ONLY for a command that only reads, so it works
				  on a store the user may not write; STORE_READ_WRITE to change it; STORE_CREATE
				  for init.  Or CLI_OWN_STORE. */
	int min_args, max_args;
	const char *options; /* space-separated; "name=" takes a value, "name" is a flag */
	const char *usage;   /* arguments and options, for the usage text */
	int (*run)(struct cli *c);
};

/* What a listing's row callbacks share: where to write, and how many rows so far (for JSON commas). */
struct lister {
	struct cli *c;
	int count;
};

/* The value of option name, or NULL if it was not given ("" for a given flag). */
const char *cli_opt(const struct cli *c, const char *name);
/* Prints "mlistctl: reason" on stderr; returns 1, the "refused or failed" status. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_fail with the store's last error. */
int cli_store_fail(const struct cli *c);

/* Refuses (returns 1, reason printed) an address that address_check rejects; else 0. */
int cli_check_address(const char *addr);

/* A post being removed (archive remove, member forget --with-posts): where it was archived. */
struct post_removal {
	char *spool_id; /* its archive files' name */
	char **groups;  /* the groups it was archived in */
	int n;
};
/*
 * Takes the post with this Message-ID (without <>) out of the store and
 * the archive, in the caller's transaction: the one owner of "archive
 * remove".  Returns 0, or 1 with the reason printed (roll back then).
 */
int cli_post_remove(struct cli *c, const char *message_id, struct post_removal *x);
void cli_post_removal_release(struct post_removal *x);
/*
 * The spool's journal around an erasure (spool.h, spool_journal_settle),
 * so that it never puts back what the command erased: cli_journal_settle
 * before it erases, cli_journal_wait after.  Each returns 0, or 1 with
 * the reason printed.
 */
struct journal_settling {
	int running;  /* mlistd runs: its next checkpoint zeroes the records */
	int put_back; /* files a crash had taken, put back so that the command erases them too */
};
int cli_journal_settle(struct cli *c, struct journal_settling *js);
int cli_journal_wait(struct cli *c, const struct journal_settling *js);

/* The handlers, grouped by noun in cmd_*.c. */
int cmd_init(struct cli *c);
int cmd_group_add(struct cli *c);
int cmd_group_remove(struct cli *c);
int cmd_group_set(struct cli *c);
int cmd_group_list(struct cli *c);
int cmd_group_show(struct cli *c);
int cmd_group_link(struct cli *c);
int cmd_group_unlink(struct cli *c);
int cmd_group_tree(struct cli *c);
int cmd_member_add(struct cli *c);
int cmd_member_remove(struct cli *c);
int cmd_member_enable(struct cli *c);
int cmd_member_set(struct cli *c);
int cmd_member_rename(struct cli *c);
int cmd_member_find(struct cli *c);
int cmd_member_list(struct cli *c);
int cmd_member_import(struct cli *c);
int cmd_member_export(struct cli *c);
int cmd_member_forget(struct cli *c);
int cmd_moderator_add(struct cli *c);
int cmd_moderator_remove(struct cli *c);
int cmd_moderator_list(struct cli *c);
int cmd_thread_list(struct cli *c);
int cmd_message_show(struct cli *c);
int cmd_queue_list(struct cli *c);
int cmd_queue_retry(struct cli *c);
int cmd_archive_export(struct cli *c);
int cmd_archive_remove(struct cli *c);
int cmd_archive_purge(struct cli *c);
int cmd_digest_send(struct cli *c);
int cmd_digest_show(struct cli *c);
int cmd_imap_status(struct cli *c);
int cmd_held_list(struct cli *c);
int cmd_held_show(struct cli *c);
int cmd_held_approve(struct cli *c);
int cmd_held_reject(struct cli *c);
int cmd_held_discard(struct cli *c);
int cmd_held_assign(struct cli *c);
/* One mailbox's state as a JSON object (imap status and stats write the same). */
struct imap_status_row;
void imap_status_json(FILE *out, const struct imap_status_row *r);
int cmd_web_sessions(struct cli *c);
int cmd_web_revoke(struct cli *c);
int cmd_backup(struct cli *c);
int cmd_restore(struct cli *c);
int cmd_check(struct cli *c);
int cmd_stats(struct cli *c);

#endif
