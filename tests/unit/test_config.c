/*
 * test_config: loading mlistd.conf, and every kind of error it reports
 * as FILE:LINE.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "network.h"
#include "sbuf.h"

/* Loads text as a config file; returns the config or NULL with the error in err. */
static struct config *load_text(const char *text, struct sbuf *err, char *path_out, size_t path_size)
{
	const char *path = check_write_file(check_tmpdir(), "mlistd.conf", text);

	snprintf(path_out, path_size, "%s", path);
	return config_load(path, err);
}

/* Checks that text fails to load with an error that says "FILE:LINE: ..." containing want. */
static int fails_with(const char *text, int line, const char *want)
{
	struct sbuf err = SBUF_INIT, prefix = SBUF_INIT;
	char path[512];
	struct config *cfg = load_text(text, &err, path, sizeof(path));
	int ok = cfg == NULL;

	if (line)
		sbuf_addf(&prefix, "%s:%d: ", path, line);
	else
		sbuf_addf(&prefix, "%s: ", path);
	if (!ok || strncmp(err.buf, prefix.buf, prefix.len) != 0 || !strstr(err.buf, want)) {
		fprintf(stderr, "  wanted \"%s...%s\", got \"%s\"\n", prefix.buf, want, err.buf);
		ok = 0;
	}
	config_free(cfg);
	sbuf_release(&err);
	sbuf_release(&prefix);
	return ok;
}

#define MINIMAL "domain = \"lists.example.org\";\nspool = \"spool\";\nstore = \"spool/mlist.db\";\n"

static void loads_minimal_with_defaults(void)
{
	struct sbuf err = SBUF_INIT;
	char path[512];
	struct config *cfg = load_text(MINIMAL, &err, path, sizeof(path));

	CHECK(cfg != NULL);
	CHECK(strcmp(cfg->domain, "lists.example.org") == 0);
	CHECK(cfg->spool[0] == '/');
	CHECK(strcmp(cfg->spool + strlen(cfg->dir), "/spool") == 0);
	CHECK(strcmp(cfg->store + strlen(cfg->dir), "/spool/mlist.db") == 0);
	CHECK(cfg->delivery.transport == TRANSPORT_MAILDIR);
	CHECK(strcmp(cfg->delivery.maildir + strlen(cfg->dir), "/spool/outbox") == 0);
	CHECK(cfg->limits.max_message_size == 10 * 1024 * 1024);
	CHECK(cfg->limits.max_recipients == 100);
	CHECK(cfg->n_listen == 0 && cfg->n_imap == 0);
	config_free(cfg);
	sbuf_release(&err);
}

static void loads_full(void)
{
	struct sbuf err = SBUF_INIT;
	char path[512];
	struct config *cfg = load_text(
		MINIMAL
		"user = \"mlist\";\n"
		"listen = ( { address = \"127.0.0.1\"; port = 2525; protocol = \"smtp\"; },\n"
		"           { address = \"::1\"; port = 2524; protocol = \"lmtp\"; } );\n"
		"delivery = { transport = \"smtp\"; smarthost = \"smtp://127.0.0.1:25\";\n"
		"             max_recipients = 50; connections = 2; };\n"
		"limits = { max_message_size = 2000000; max_recipients = 20; };\n"
		"imap = ( { url = \"imaps://mail.example.org/INBOX\"; user = \"kk\";\n"
		"           password_file = \"/etc/mlist/imap.secret\"; default_group = \"koersenkansen\";\n"
		"           done_folder = \"Processed\"; } );\n",
		&err, path, sizeof(path));

	CHECK(cfg != NULL);
	CHECK(strcmp(cfg->user, "mlist") == 0);
	CHECK(cfg->n_listen == 2);
	CHECK(cfg->listen[0].port == 2525 && cfg->listen[0].protocol == LISTEN_SMTP);
	CHECK(strcmp(cfg->listen[1].address, "::1") == 0 && cfg->listen[1].protocol == LISTEN_LMTP);
	CHECK(cfg->delivery.transport == TRANSPORT_SMTP);
	CHECK(strcmp(cfg->delivery.smarthost, "smtp://127.0.0.1:25") == 0);
	CHECK(cfg->delivery.max_recipients == 50 && cfg->delivery.connections == 2);
	CHECK(cfg->limits.max_message_size == 2000000 && cfg->limits.max_recipients == 20);
	CHECK(cfg->n_imap == 1);
	CHECK(strcmp(cfg->imap[0].password_file, "/etc/mlist/imap.secret") == 0);
	CHECK(strcmp(cfg->imap[0].done_folder, "Processed") == 0);
	CHECK(cfg->imap[0].interval == 60);
	config_free(cfg);
	sbuf_release(&err);
}

static void shipped_config_loads(void)
{
	struct sbuf err = SBUF_INIT;
	struct sbuf path = SBUF_INIT;

	sbuf_addf(&path, "%s/conf/mlistd.conf", getenv("MLIST_SOURCE_ROOT"));
	struct config *cfg = config_load(path.buf, &err);
	if (!cfg)
		check_show(err.buf);
	CHECK(cfg != NULL);
	CHECK(cfg->n_listen >= 1);
	config_free(cfg);
	sbuf_release(&err);
	sbuf_release(&path);
}

static void syntax_error_names_line(void)
{
	CHECK(fails_with(MINIMAL "limits = { max_recipients = 5 \n};\nbroken = ;\n", 6, "syntax error"));
}

static void unknown_setting(void)
{
	CHECK(fails_with(MINIMAL "\ndomian = \"x\";\n", 5, "unknown setting 'domian'"));
}

static void unknown_setting_in_group(void)
{
	CHECK(fails_with(MINIMAL "limits = {\n  max_size = 5;\n};\n", 5, "unknown setting 'max_size' in 'limits'"));
}

static void wrong_type(void)
{
	CHECK(fails_with(MINIMAL "listen = ( { address = \"127.0.0.1\";\n port = \"25\"; } );\n", 5,
			 "'port' must be a number, not a string"));
}

static void wrong_type_group(void)
{
	CHECK(fails_with(MINIMAL "delivery = \"maildir\";\n", 4, "'delivery' must be a group"));
}

static void missing_required(void)
{
	CHECK(fails_with("spool = \"s\";\nstore = \"s/db\";\n", 0, "missing required setting 'domain'"));
}

static void missing_required_in_list(void)
{
	CHECK(fails_with(MINIMAL "listen = (\n { address = \"127.0.0.1\"; } );\n", 5, "missing setting 'port' in 'listen'"));
}

static void out_of_range(void)
{
	CHECK(fails_with(MINIMAL "listen = ( { address = \"127.0.0.1\"; port = 70000; } );\n", 4,
			 "'port' must be between 1 and 65535"));
}

static void bad_choice(void)
{
	CHECK(fails_with(MINIMAL "listen = ( { address = \"127.0.0.1\"; port = 25; protocol = \"pop3\"; } );\n", 4,
			 "'protocol' must be smtp or lmtp, not \"pop3\""));
}

static void smtp_needs_smarthost(void)
{
	CHECK(fails_with(MINIMAL "delivery = { transport = \"smtp\"; };\n", 4, "missing setting 'smarthost'"));
}

static void bad_domain(void)
{
	CHECK(fails_with("domain = \"lists example\";\nspool = \"s\";\nstore = \"s/db\";\n", 1, "'domain' must be a domain name"));
}

static void empty_string(void)
{
	CHECK(fails_with(MINIMAL "user = \"\";\n", 4, "'user' must not be empty"));
}

static void missing_file(void)
{
	struct sbuf err = SBUF_INIT;
	struct config *cfg = config_load("/nonexistent/mlistd.conf", &err);

	CHECK(cfg == NULL);
	CHECK_CONTAINS(err.buf, "/nonexistent/mlistd.conf: cannot read the config file");
	sbuf_release(&err);
}

static void list_entry_not_group(void)
{
	CHECK(fails_with(MINIMAL "listen = ( 25 );\n", 4, "each entry of 'listen' must be a group"));
}

static void smtp_limits_and_networks(void)
{
	struct sbuf err = SBUF_INIT;
	char path[512];
	struct config *cfg = load_text(MINIMAL "limits = { timeout = 60; min_data_rate = 1000; stress_timeout = 5;\n"
				       " spool_reserve = 1048576;\n"
				       " bare_lf_networks = [ \"192.0.2.0/24\", \"2001:db8::/32\", \"10.1.2.3\" ]; };\n",
				       &err, path, sizeof(path));

	CHECK(cfg != NULL);
	CHECK(cfg->limits.timeout == 60 && cfg->limits.min_data_rate == 1000 && cfg->limits.stress_timeout == 5);
	CHECK(cfg->limits.spool_reserve == 1048576);
	CHECK(cfg->limits.n_bare_lf_networks == 3);
	const struct network *nets = cfg->limits.bare_lf_networks;
	size_t n = cfg->limits.n_bare_lf_networks;
	CHECK(network_contains(nets, n, "192.0.2.200") && !network_contains(nets, n, "192.0.3.1"));
	CHECK(network_contains(nets, n, "2001:db8:1::5") && !network_contains(nets, n, "2001:db9::1"));
	CHECK(network_contains(nets, n, "10.1.2.3") && !network_contains(nets, n, "10.1.2.4"));
	CHECK(!network_contains(nets, n, "not an address"));
	config_free(cfg);
	cfg = load_text(MINIMAL, &err, path, sizeof(path));
	CHECK(cfg->limits.n_bare_lf_networks == 0 && !network_contains(cfg->limits.bare_lf_networks, 0, "127.0.0.1"));
	CHECK(cfg->limits.min_data_rate == 500 && cfg->limits.stress_timeout == 10);
	config_free(cfg);
	sbuf_release(&err);
}

static void network_prefixes(void)
{
	struct network net;

	CHECK(network_parse("127.0.0.0/8", &net) == 0 && net.prefix == 8);
	CHECK(network_parse("0.0.0.0/0", &net) == 0 && network_contains(&net, 1, "203.0.113.9"));
	CHECK(network_parse("10.0.0.0/9", &net) == 0);
	CHECK(network_contains(&net, 1, "10.127.255.255") && !network_contains(&net, 1, "10.128.0.0"));
	CHECK(network_parse("::1", &net) == 0 && net.prefix == 128 && !network_contains(&net, 1, "127.0.0.1"));
	CHECK(network_parse("10.0.0.0/33", &net) < 0);
	CHECK(network_parse("10.0.0.0/", &net) < 0);
	CHECK(network_parse("10.0.0.0/8x", &net) < 0);
	CHECK(network_parse("/8", &net) < 0);
	CHECK(network_parse("lists.example.org", &net) < 0);
}

static void bad_networks(void)
{
	CHECK(fails_with(MINIMAL "limits = { bare_lf_networks = [ \"300.0.0.0/8\" ]; };\n", 4,
			 "'bare_lf_networks': \"300.0.0.0/8\" is not a network"));
	CHECK(fails_with(MINIMAL "limits = { bare_lf_networks = [ 10 ]; };\n", 4,
			 "'bare_lf_networks' must be an array of strings"));
	CHECK(fails_with(MINIMAL "limits = { bare_lf_networks = \"10.0.0.0/8\"; };\n", 4,
			 "'bare_lf_networks' must be an array [ ... ], not a string"));
}

static const struct check_case cases[] = {
	{ "smtp_limits_and_networks", smtp_limits_and_networks },
	{ "network_prefixes", network_prefixes },
	{ "bad_networks", bad_networks },
	{ "loads_minimal_with_defaults", loads_minimal_with_defaults },
	{ "loads_full", loads_full },
	{ "shipped_config_loads", shipped_config_loads },
	{ "syntax_error_names_line", syntax_error_names_line },
	{ "unknown_setting", unknown_setting },
	{ "unknown_setting_in_group", unknown_setting_in_group },
	{ "wrong_type", wrong_type },
	{ "wrong_type_group", wrong_type_group },
	{ "missing_required", missing_required },
	{ "missing_required_in_list", missing_required_in_list },
	{ "out_of_range", out_of_range },
	{ "bad_choice", bad_choice },
	{ "smtp_needs_smarthost", smtp_needs_smarthost },
	{ "bad_domain", bad_domain },
	{ "empty_string", empty_string },
	{ "missing_file", missing_file },
	{ "list_entry_not_group", list_entry_not_group },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
