/*
 * mlistctl: the administrators' tool.  Parses "NOUN VERB [ARGS]
 * [--options]" (or a one-word command such as "init") against the command
 * table, loads the config, opens the store the way the command's row says
 * and runs the command's handler.  Only `mlistctl init` creates or
 * migrates the store, and `mlistctl restore` replaces it (opening it
 * itself: store_backup.h); every other command refuses a missing one.
 *
 * Exit status: 0 done, 1 refused or failed (one-line reason on stderr),
 * 2 usage error (with the usage text on stderr).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "address.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "sbuf.h"

/*
 * Every command: its words, how it opens the store (STORE_READ_ONLY for
 * those that only read), its argument counts, options, usage and handler.
 */
static const struct command commands[] = {
	{ "init", NULL, STORE_CREATE, 0, 0, "", "", cmd_init },
	{ "group", "add", STORE_READ_WRITE, 1, 1, "kind= title= policy=",
	  "NAME --kind change-line|project|general [--title T] [--policy open|members|moderated|announce]",
	  cmd_group_add },
	{ "group", "remove", STORE_READ_WRITE, 1, 1, "force keep-archive", "NAME [--force] [--keep-archive]",
	  cmd_group_remove },
	{ "group", "set", STORE_READ_WRITE, 1, 1,
	  "title= policy= language= owner-notices= prefix= footer= reply-to= max-size= self-copy= archive= emergency= "
	  "moderate-new-members no-moderate-new-members keep-days= attachments= html= web-history=",
	  "NAME [--title T] [--policy P] [--language nl|en|default] [--owner-notices on|off] [--prefix P|none|default] "
	  "[--footer TEXT|none|default] [--reply-to as-sent|group|author] [--max-size OCTETS|default] [--self-copy on|off] "
	  "[--archive on|off] [--emergency on|off] [--[no-]moderate-new-members] [--keep-days N|forever] "
	  "[--attachments allow|hold|strip|default] [--html keep|text|default] [--web-history on|off]",
	  cmd_group_set },
	{ "group", "list", STORE_READ_ONLY, 0, 0, "kind=", "[--kind K] [--json]", cmd_group_list },
	{ "group", "show", STORE_READ_ONLY, 1, 1, "", "NAME [--json]", cmd_group_show },
	{ "group", "link", STORE_READ_WRITE, 2, 2, "", "PROJECT CHANGE-LINE", cmd_group_link },
	{ "group", "unlink", STORE_READ_WRITE, 2, 2, "", "PROJECT CHANGE-LINE", cmd_group_unlink },
	{ "group", "tree", STORE_READ_ONLY, 0, 0, "", "[--json]", cmd_group_tree },
	{ "member", "add", STORE_READ_WRITE, 2, 2, "name= mode= follow-line no-self-copy welcome",
	  "GROUP ADDR [--name N] [--mode each|digest|nomail] [--follow-line] [--no-self-copy] [--welcome]",
	  cmd_member_add },
	{ "member", "remove", STORE_READ_WRITE, 2, 2, "goodbye", "GROUP ADDR [--goodbye]", cmd_member_remove },
	{ "member", "enable", STORE_READ_WRITE, 2, 2, "", "GROUP ADDR", cmd_member_enable },
	{ "member", "set", STORE_READ_WRITE, 2, 2, "mode= digest-format= follow-line no-follow-line self-copy no-self-copy",
	  "GROUP ADDR [--mode each|digest|nomail] [--digest-format mime|text] [--[no-]follow-line] [--[no-]self-copy]",
	  cmd_member_set },
	{ "member", "rename", STORE_READ_WRITE, 2, 2, "", "OLD-ADDR NEW-ADDR", cmd_member_rename },
	{ "member", "find", STORE_READ_ONLY, 1, 1, "", "ADDR [--json]", cmd_member_find },
	{ "member", "list", STORE_READ_ONLY, 1, 1, "", "GROUP [--json]", cmd_member_list },
	{ "member", "import", STORE_READ_WRITE, 2, 2, "mode=", "GROUP FILE.csv [--mode each|digest|nomail]",
	  cmd_member_import },
	{ "member", "export", STORE_READ_ONLY, 1, 1, "", "ADDR", cmd_member_export },
	{ "member", "forget", STORE_READ_WRITE, 1, 1, "with-posts", "ADDR [--with-posts]", cmd_member_forget },
	{ "moderator", "add", STORE_READ_WRITE, 2, 2, "", "GROUP ADDR", cmd_moderator_add },
	{ "moderator", "remove", STORE_READ_WRITE, 2, 2, "", "GROUP ADDR", cmd_moderator_remove },
	{ "moderator", "list", STORE_READ_ONLY, 1, 1, "", "GROUP [--json]", cmd_moderator_list },
	{ "thread", "list", STORE_READ_ONLY, 1, 1, "", "GROUP [--json]", cmd_thread_list },
	{ "message", "show", STORE_READ_ONLY, 1, 1, "", "MESSAGE-ID [--json]", cmd_message_show },
	{ "queue", "list", STORE_READ_ONLY, 0, 0, "", "[--json]", cmd_queue_list },
	{ "queue", "retry", STORE_READ_WRITE, 0, 0, "", "", cmd_queue_retry },
	{ "archive", "export", STORE_READ_ONLY, 1, 2, "", "GROUP [FILE.mbox]", cmd_archive_export },
	{ "archive", "remove", STORE_READ_WRITE, 1, 1, "", "MESSAGE-ID", cmd_archive_remove },
	{ "archive", "purge", STORE_READ_WRITE, 1, 1, "before=", "GROUP --before YYYY-MM-DD", cmd_archive_purge },
	{ "digest", "send", STORE_READ_WRITE, 0, 1, "", "[GROUP]", cmd_digest_send },
	{ "digest", "show", STORE_READ_ONLY, 1, 1, "format= follow-line", "GROUP [--format mime|text] [--follow-line]",
	  cmd_digest_show },
	{ "imap", "status", STORE_READ_ONLY, 0, 0, "", "[--json]", cmd_imap_status },
	{ "held", "list", STORE_READ_ONLY, 0, 1, "", "[GROUP] [--json]", cmd_held_list },
	{ "held", "show", STORE_READ_ONLY, 1, 1, "", "ID", cmd_held_show },
	{ "held", "approve", STORE_READ_WRITE, 1, 1, "trust", "ID [--trust]", cmd_held_approve },
	{ "held", "reject", STORE_READ_WRITE, 1, 1, "reason=", "ID [--reason R]", cmd_held_reject },
	{ "held", "discard", STORE_READ_WRITE, 1, 1, "", "ID", cmd_held_discard },
	{ "held", "assign", STORE_READ_WRITE, 2, 2, "", "ID GROUP", cmd_held_assign },
	{ "web", "sessions", STORE_READ_ONLY, 0, 1, "", "[ADDR] [--json]", cmd_web_sessions },
	{ "web", "revoke", STORE_READ_WRITE, 1, 1, "", "ADDR", cmd_web_revoke },
	{ "stats", NULL, STORE_READ_ONLY, 0, 0, "", "[--json]", cmd_stats },
	{ "check", NULL, STORE_READ_ONLY, 0, 0, "", "", cmd_check },
	{ "backup", NULL, STORE_READ_ONLY, 1, 1, "", "FILE", cmd_backup },
	{ "restore", NULL, CLI_OWN_STORE, 1, 1, "", "FILE", cmd_restore },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *cli_opt(const struct cli *c, const char *name)
{
	for (int i = 0; i < c->n_opts; i++) {
		if (strcmp(c->opt_name[i], name) == 0)
			return c->opt_value[i];
	}
	return NULL;
}

/* Prints "mlistctl: " and the message as one line on stderr. */
static void complain(const char *fmt, va_list ap)
{
	fputs("mlistctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	return 1;
}

int cli_store_fail(const struct cli *c)
{
	return cli_fail("%s", store_error(c->store));
}

int cli_check_address(const char *addr)
{
	struct sbuf why = SBUF_INIT;
	int r = address_check(addr, &why) < 0 ? cli_fail("'%s' is not a valid address: %s", addr, why.buf) : 0;

	sbuf_release(&why);
	return r;
}

/* The command's words as typed: "group add", or "init" (in a buffer the next call reuses). */
static const char *command_name(const struct command *cmd)
{
	static char name[64];

	snprintf(name, sizeof(name), "%s%s%s", cmd->noun, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
	return name;
}

/* Prints the usage of every command, or of those with the same first word as only. */
static void print_usage(FILE *to, const struct command *only)
{
	fputs("usage: mlistctl [-c FILE] COMMAND [ARGS] [--json]\n", to);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];
		if (!only || strcmp(only->noun, cmd->noun) == 0)
			fprintf(to, "       mlistctl %s%s%s\n", command_name(cmd), *cmd->usage ? " " : "", cmd->usage);
	}
}

/* Reports a usage error and returns exit status 2. */
static int usage_error(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	complain(fmt, ap);
	va_end(ap);
	print_usage(stderr, cmd);
	return 2;
}

/*
 * Whether cmd knows option name; *takes_value says if it needs a value.
 * Options are matched as whole words of cmd->options.
 */
static int known_option(const struct command *cmd, const char *name, size_t len, int *takes_value)
{
	const char *p = cmd->options;

	while (*p) {
		size_t n = strcspn(p, " =");
		if (n == len && strncmp(p, name, len) == 0) {
			*takes_value = p[n] == '=';
			return 1;
		}
		p += n;
		p += strspn(p, " =");
	}
	return 0;
}

/* The command named by noun and verb; verb NULL finds a one-word command. */
static const struct command *find_command(const char *noun, const char *verb)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];
		if (strcmp(cmd->noun, noun) == 0 &&
		    (cmd->verb && verb ? strcmp(cmd->verb, verb) == 0 : cmd->verb == verb))
			return cmd;
	}
	return NULL;
}

/* The first command whose first word is noun, for the usage of that noun's commands. */
static const struct command *find_noun(const char *noun)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].noun, noun) == 0)
			return &commands[i];
	}
	return NULL;
}

/*
 * Takes a global option at argv[*i] (-c FILE, --config FILE, --json,
 * --help), advancing *i past its value.  Returns 1 if it was one, 0 if
 * not, 2 for a usage error (reported), 3 for help.
 */
static int global_option(int argc, char **argv, int *i, struct cli *c, const char **config_path)
{
	const char *a = argv[*i];

	if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
		if (++*i >= argc)
			return usage_error(NULL, "%s needs a file name", a);
		*config_path = argv[*i];
	} else if (strncmp(a, "--config=", 9) == 0) {
		*config_path = a + 9;
	} else if (strcmp(a, "--json") == 0) {
		c->json = 1;
	} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		return 3;
	} else {
		return 0;
	}
	return 1;
}

/* Takes one command option at argv[*i] (with its value, "--x v" or "--x=v"). */
static int command_option(int argc, char **argv, int *i, const struct command *cmd, struct cli *c)
{
	const char *a = argv[*i];

	if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
		return usage_error(cmd, "unknown option '%s'", a);
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int takes_value;
	if (len >= sizeof(c->opt_name[0]) || !known_option(cmd, name, len, &takes_value))
		return usage_error(cmd, "unknown option '--%.*s' for '%s'", (int)len, name, command_name(cmd));
	const char *value = "";
	if (takes_value && eq)
		value = eq + 1;
	else if (takes_value && ++*i < argc)
		value = argv[*i];
	else if (takes_value)
		return usage_error(cmd, "--%.*s needs a value", (int)len, name);
	else if (eq)
		return usage_error(cmd, "--%.*s takes no value", (int)len, name);
	for (int j = 0; j < c->n_opts; j++) {
		if (strlen(c->opt_name[j]) == len && strncmp(c->opt_name[j], name, len) == 0)
			return usage_error(cmd, "--%.*s given twice", (int)len, name);
	}
	if (c->n_opts == CLI_MAX_OPTIONS)
		return usage_error(cmd, "too many options");
	snprintf(c->opt_name[c->n_opts], sizeof(c->opt_name[0]), "%.*s", (int)len, name);
	c->opt_value[c->n_opts++] = value;
	return 0;
}

/*
 * Reports command words that name no command (none, an unknown first
 * word, a noun without its verb, an unknown verb), with the usage of the
 * noun's commands when the noun is known.  Returns 2.
 */
static int unknown_command(const char *const *word, int n_word)
{
	const struct command *noun = n_word ? find_noun(word[0]) : NULL;

	if (n_word == 0)
		return usage_error(NULL, "which command?");
	if (!noun)
		return usage_error(NULL, "unknown command '%s'", word[0]);
	if (n_word == 1)
		return usage_error(noun, "which command?");
	return usage_error(noun, "unknown command '%s %s'", word[0], word[1]);
}

/*
 * Parses "[global options] COMMAND [ARGS and options]", COMMAND being
 * NOUN VERB or one word.  Global options may also stand among the
 * arguments.  Returns 0, 2 for a usage error (already reported), or 3
 * when help was asked for.
 */
static int parse_args(int argc, char **argv, struct cli *c, const struct command **cmd_out,
		      const char **config_path)
{
	const char *word[2] = { NULL, NULL };
	int n_word = 0, n_wanted = 2, i = 1, r;

	for (; i < argc && n_word < n_wanted; i++) {
		if ((r = global_option(argc, argv, &i, c, config_path)) > 1)
			return r;
		if (r == 1)
			continue;
		if (argv[i][0] == '-')
			return usage_error(NULL, "unknown option '%s' (the command comes first)", argv[i]);
		word[n_word++] = argv[i];
		/* A one-word command ends the command words: what follows are its arguments. */
		if (n_word == 1 && find_command(word[0], NULL))
			n_wanted = 1;
	}
	const struct command *cmd = n_word == n_wanted ? find_command(word[0], word[1]) : NULL;
	if (!cmd)
		return unknown_command(word, n_word);

	for (; i < argc; i++) {
		if ((r = global_option(argc, argv, &i, c, config_path)) > 1)
			return r;
		if (r == 1)
			continue;
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			if (command_option(argc, argv, &i, cmd, c))
				return 2;
		} else if (c->n_args == cmd->max_args) {
			return usage_error(cmd, "too many arguments for '%s'", command_name(cmd));
		} else {
			c->arg[c->n_args++] = argv[i];
		}
	}
	if (c->n_args < cmd->min_args)
		return usage_error(cmd, "'%s' needs more arguments", command_name(cmd));
	*cmd_out = cmd;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { .out = stdout };
	const struct command *cmd = NULL;
	const char *config_path = config_default_path();
	struct sbuf err = SBUF_INIT;

	/* Files mlistctl creates (the store, with init) hold member data. */
	umask(077);
	log_init("mlistctl", 1);
	int r = parse_args(argc, argv, &c, &cmd, &config_path);
	if (r == 3) {
		print_usage(stdout, NULL);
		return 0;
	}
	if (r)
		return r;

	struct config *cfg = config_load(config_path, &err);
	if (!cfg) {
		fprintf(stderr, "mlistctl: %s\n", err.buf);
		sbuf_release(&err);
		return 1;
	}
	c.cfg = cfg;
	if (cmd->store != CLI_OWN_STORE && !(c.store = store_open(cfg->store, (enum store_mode)cmd->store, &err))) {
		fprintf(stderr, "mlistctl: %s\n", err.buf);
		sbuf_release(&err);
		config_free(cfg);
		return 1;
	}
	r = cmd->run(&c);
	if (fflush(stdout) != 0 && r == 0)
		r = cli_fail("cannot write the output");
	store_close(c.store);
	config_free(cfg);
	sbuf_release(&err);
	return r;
}
