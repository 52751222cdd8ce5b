/*
 * config: libconfig file -> struct config.
 *
 * The accepted settings are described by tables (one per group) rather
 * than by code, so that "unknown setting", "wrong type" and "missing
 * setting" are checked the same way everywhere and a new setting is one
 * table row.  Each row says where in the target struct the value goes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "install_dirs.h"
#include "names.h"
#include "sbuf.h"
#include "texts.h"

enum field_kind {
	FIELD_STRING, /* char *, copied */
	FIELD_PATH,   /* char *, made absolute against the config's folder */
	FIELD_INT,    /* int within [min, max] */
	FIELD_SIZE,   /* long long within [min, max] */
	FIELD_ENUM,   /* int: index of the value in choices */
	FIELD_BOOL,   /* int: 0 or 1 */
	FIELD_GROUP,  /* nested group described by its own table */
	FIELD_LIST,   /* list of groups, each described by the same table */
	FIELD_NETWORKS, /* array of "ADDRESS/PREFIX" strings -> struct network array + size_t count */
	FIELD_ADDRESSES, /* array of mail addresses -> char * array + size_t count */
	FIELD_REGEX,    /* struct config_regex: a POSIX extended regular expression, compiled */
};

struct field {
	const char *name;
	enum field_kind kind;
	int required;
	size_t offset;                /* of the value in the struct being filled */
	long long min, max;           /* FIELD_INT, FIELD_SIZE */
	const char *const *choices;   /* FIELD_ENUM: NULL-terminated */
	const struct field *fields;   /* FIELD_GROUP, FIELD_LIST: the nested table */
	size_t elem_size;             /* FIELD_LIST: size of one element */
	size_t count_offset;          /* FIELD_LIST, FIELD_NETWORKS, FIELD_ADDRESSES: offset of the size_t count */
};

static const char *const protocol_names[] = { "smtp", "lmtp", NULL };
static const char *const transport_names[] = { "maildir", "smtp", NULL };
static const char *const dmarc_names[] = { "none", "munge", NULL };
static const char *const tls_names[] = { "opportunistic", "required", "none", NULL };

#define END_FIELDS { NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, 0 }

static const struct field listen_fields[] = {
	{ "address", FIELD_STRING, 1, offsetof(struct config_listen, address), 0, 0, NULL, NULL, 0, 0 },
	{ "port", FIELD_INT, 1, offsetof(struct config_listen, port), 1, 65535, NULL, NULL, 0, 0 },
	{ "protocol", FIELD_ENUM, 0, offsetof(struct config_listen, protocol), 0, 0, protocol_names, NULL, 0, 0 },
	{ "tls_certificate", FIELD_PATH, 0, offsetof(struct config_listen, tls_certificate), 0, 0, NULL, NULL, 0, 0 },
	{ "tls_key", FIELD_PATH, 0, offsetof(struct config_listen, tls_key), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field delivery_fields[] = {
	{ "transport", FIELD_ENUM, 1, offsetof(struct config_delivery, transport), 0, 0, transport_names, NULL, 0, 0 },
	{ "maildir", FIELD_PATH, 0, offsetof(struct config_delivery, maildir), 0, 0, NULL, NULL, 0, 0 },
	{ "smarthost", FIELD_STRING, 0, offsetof(struct config_delivery, smarthost), 0, 0, NULL, NULL, 0, 0 },
	{ "max_recipients", FIELD_INT, 0, offsetof(struct config_delivery, max_recipients), 1, 10000, NULL, NULL, 0, 0 },
	{ "connections", FIELD_INT, 0, offsetof(struct config_delivery, connections), 1, 64, NULL, NULL, 0, 0 },
	{ "retry_base", FIELD_INT, 0, offsetof(struct config_delivery, retry_base), 1, 86400, NULL, NULL, 0, 0 },
	{ "retry_lifetime", FIELD_INT, 0, offsetof(struct config_delivery, retry_lifetime), 1, 30 * 86400,
	  NULL, NULL, 0, 0 },
	{ "verp", FIELD_BOOL, 0, offsetof(struct config_delivery, verp), 0, 0, NULL, NULL, 0, 0 },
	{ "bounce_disable", FIELD_INT, 0, offsetof(struct config_delivery, bounce_disable), 1, 1000, NULL, NULL, 0, 0 },
	{ "bounce_reset_days", FIELD_INT, 0, offsetof(struct config_delivery, bounce_reset_days), 1, 3650, NULL, NULL, 0,
	  0 },
	{ "tls", FIELD_ENUM, 0, offsetof(struct config_delivery, tls), 0, 0, tls_names, NULL, 0, 0 },
	{ "ca_file", FIELD_PATH, 0, offsetof(struct config_delivery, ca_file), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field copies_fields[] = {
	{ "subject_prefix", FIELD_BOOL, 0, offsetof(struct config_copies, subject_prefix), 0, 0, NULL, NULL, 0, 0 },
	{ "footer", FIELD_STRING, 0, offsetof(struct config_copies, footer), 0, 0, NULL, NULL, 0, 0 },
	{ "dmarc", FIELD_ENUM, 0, offsetof(struct config_copies, dmarc), 0, 0, dmarc_names, NULL, 0, 0 },
	{ "archive_url", FIELD_STRING, 0, offsetof(struct config_copies, archive_url), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field limits_fields[] = {
	{ "max_message_size", FIELD_SIZE, 0, offsetof(struct config_limits, max_message_size), 1024, 1LL << 31, NULL, NULL, 0, 0 },
	{ "max_recipients", FIELD_INT, 0, offsetof(struct config_limits, max_recipients), 1, 100000, NULL, NULL, 0, 0 },
	{ "max_connections", FIELD_INT, 0, offsetof(struct config_limits, max_connections), 1, 100000, NULL, NULL, 0, 0 },
	{ "max_connections_per_client", FIELD_INT, 0, offsetof(struct config_limits, max_connections_per_client),
	  1, 100000, NULL, NULL, 0, 0 },
	{ "timeout", FIELD_INT, 0, offsetof(struct config_limits, timeout), 1, 3600, NULL, NULL, 0, 0 },
	{ "min_data_rate", FIELD_INT, 0, offsetof(struct config_limits, min_data_rate), 1, 1 << 30, NULL, NULL, 0, 0 },
	{ "stress_timeout", FIELD_INT, 0, offsetof(struct config_limits, stress_timeout), 1, 3600, NULL, NULL, 0, 0 },
	{ "spool_reserve", FIELD_SIZE, 0, offsetof(struct config_limits, spool_reserve), 0, 1LL << 60, NULL, NULL, 0, 0 },
	{ "bare_lf_networks", FIELD_NETWORKS, 0, offsetof(struct config_limits, bare_lf_networks), 0, 0, NULL, NULL,
	  0, offsetof(struct config_limits, n_bare_lf_networks) },
	{ "max_posts_per_hour", FIELD_INT, 0, offsetof(struct config_limits, max_posts_per_hour), 0, 100000, NULL, NULL,
	  0, 0 },
	END_FIELDS
};

static const struct field imap_fields[] = {
	{ "url", FIELD_STRING, 1, offsetof(struct config_imap, url), 0, 0, NULL, NULL, 0, 0 },
	{ "user", FIELD_STRING, 1, offsetof(struct config_imap, user), 0, 0, NULL, NULL, 0, 0 },
	{ "password_file", FIELD_PATH, 1, offsetof(struct config_imap, password_file), 0, 0, NULL, NULL, 0, 0 },
	{ "default_group", FIELD_STRING, 1, offsetof(struct config_imap, default_group), 0, 0, NULL, NULL, 0, 0 },
	{ "done_folder", FIELD_STRING, 0, offsetof(struct config_imap, done_folder), 0, 0, NULL, NULL, 0, 0 },
	{ "interval", FIELD_INT, 0, offsetof(struct config_imap, interval), 1, 86400, NULL, NULL, 0, 0 },
	{ "ca_file", FIELD_PATH, 0, offsetof(struct config_imap, ca_file), 0, 0, NULL, NULL, 0, 0 },
	{ "plaintext", FIELD_BOOL, 0, offsetof(struct config_imap, plaintext), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field rule_fields[] = {
	{ "header", FIELD_STRING, 1, offsetof(struct config_rule, header), 0, 0, NULL, NULL, 0, 0 },
	{ "contains", FIELD_STRING, 1, offsetof(struct config_rule, contains), 0, 0, NULL, NULL, 0, 0 },
	{ "group", FIELD_STRING, 1, offsetof(struct config_rule, group), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field header_rule_fields[] = {
	{ "header", FIELD_STRING, 1, offsetof(struct config_header_rule, header), 0, 0, NULL, NULL, 0, 0 },
	{ "match", FIELD_REGEX, 1, offsetof(struct config_header_rule, match), 0, 0, NULL, NULL, 0, 0 },
	{ "action", FIELD_ENUM, 1, offsetof(struct config_header_rule, action), 0, 0, header_actions, NULL, 0, 0 },
	END_FIELDS
};

static const struct field content_fields[] = {
	{ "attachments", FIELD_ENUM, 0, offsetof(struct config_content, attachments), 0, 0, attachment_policies, NULL,
	  0, 0 },
	{ "html", FIELD_ENUM, 0, offsetof(struct config_content, html), 0, 0, html_policies, NULL, 0, 0 },
	{ "header_rules", FIELD_LIST, 0, offsetof(struct config_content, header_rules), 0, 0, NULL, header_rule_fields,
	  sizeof(struct config_header_rule), offsetof(struct config_content, n_header_rules) },
	END_FIELDS
};

static const struct field moderation_fields[] = {
	{ "self_subscribe", FIELD_BOOL, 0, offsetof(struct config_moderation, self_subscribe), 0, 0, NULL, NULL, 0, 0 },
	{ "hold_lifetime", FIELD_INT, 0, offsetof(struct config_moderation, hold_lifetime), 1, 365 * 86400,
	  NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field digest_fields[] = {
	{ "hour", FIELD_INT, 0, offsetof(struct config_digest, hour), 0, 23, NULL, NULL, 0, 0 },
	{ "max_size", FIELD_INT, 0, offsetof(struct config_digest, max_size), 1024, 100 * 1024 * 1024, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field web_fields[] = {
	{ "listen", FIELD_STRING, 1, offsetof(struct config_web, listen), 0, 0, NULL, NULL, 0, 0 },
	{ "url", FIELD_STRING, 1, offsetof(struct config_web, url), 0, 0, NULL, NULL, 0, 0 },
	{ "certificate", FIELD_PATH, 0, offsetof(struct config_web, certificate), 0, 0, NULL, NULL, 0, 0 },
	{ "key", FIELD_PATH, 0, offsetof(struct config_web, key), 0, 0, NULL, NULL, 0, 0 },
	{ "secret_file", FIELD_PATH, 0, offsetof(struct config_web, secret_file), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

static const struct field top_fields[] = {
	{ "domain", FIELD_STRING, 1, offsetof(struct config, domain), 0, 0, NULL, NULL, 0, 0 },
	{ "spool", FIELD_PATH, 1, offsetof(struct config, spool), 0, 0, NULL, NULL, 0, 0 },
	{ "store", FIELD_PATH, 1, offsetof(struct config, store), 0, 0, NULL, NULL, 0, 0 },
	{ "user", FIELD_STRING, 0, offsetof(struct config, user), 0, 0, NULL, NULL, 0, 0 },
	{ "listen", FIELD_LIST, 0, offsetof(struct config, listen), 0, 0, NULL, listen_fields,
	  sizeof(struct config_listen), offsetof(struct config, n_listen) },
	{ "delivery", FIELD_GROUP, 0, offsetof(struct config, delivery), 0, 0, NULL, delivery_fields, 0, 0 },
	{ "limits", FIELD_GROUP, 0, offsetof(struct config, limits), 0, 0, NULL, limits_fields, 0, 0 },
	{ "copies", FIELD_GROUP, 0, offsetof(struct config, copies), 0, 0, NULL, copies_fields, 0, 0 },
	{ "moderation", FIELD_GROUP, 0, offsetof(struct config, moderation), 0, 0, NULL, moderation_fields, 0, 0 },
	{ "digest", FIELD_GROUP, 0, offsetof(struct config, digest), 0, 0, NULL, digest_fields, 0, 0 },
	{ "content", FIELD_GROUP, 0, offsetof(struct config, content), 0, 0, NULL, content_fields, 0, 0 },
	{ "web", FIELD_GROUP, 0, offsetof(struct config, web), 0, 0, NULL, web_fields, 0, 0 },
	{ "sort_rules", FIELD_LIST, 0, offsetof(struct config, rules), 0, 0, NULL, rule_fields,
	  sizeof(struct config_rule), offsetof(struct config, n_rules) },
	{ "imap", FIELD_LIST, 0, offsetof(struct config, imap), 0, 0, NULL, imap_fields,
	  sizeof(struct config_imap), offsetof(struct config, n_imap) },
	{ "admins", FIELD_ADDRESSES, 0, offsetof(struct config, admins), 0, 0, NULL, NULL, 0,
	  offsetof(struct config, n_admins) },
	{ "language", FIELD_STRING, 0, offsetof(struct config, language), 0, 0, NULL, NULL, 0, 0 },
	{ "templates", FIELD_PATH, 0, offsetof(struct config, templates), 0, 0, NULL, NULL, 0, 0 },
	END_FIELDS
};

/* What one load needs to know to report errors and resolve paths. */
struct loader {
	const char *file;   /* the config path, for messages */
	const char *dir;    /* absolute folder of the file */
	struct sbuf *err; /* where the first error goes */
};

static int fail_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records "FILE:LINE: message" for setting s; always returns -1. */
static int fail_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	unsigned line = s ? config_setting_source_line(s) : 0;
	va_list ap;

	/* The root group has no line of its own: name just the file then. */
	if (line)
		sbuf_addf(ld->err, "%s:%u: ", file ? file : ld->file, line);
	else
		sbuf_addf(ld->err, "%s: ", file ? file : ld->file);
	va_start(ap, fmt);
	sbuf_vaddf(ld->err, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "a number";
	case CONFIG_TYPE_FLOAT: return "a decimal number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true or false";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "something else";
	}
}

static int expected_type(enum field_kind kind)
{
	switch (kind) {
	case FIELD_STRING:
	case FIELD_PATH:
	case FIELD_REGEX:
	case FIELD_ENUM: return CONFIG_TYPE_STRING;
	case FIELD_INT:
	case FIELD_SIZE: return CONFIG_TYPE_INT64;
	case FIELD_BOOL: return CONFIG_TYPE_BOOL;
	case FIELD_GROUP: return CONFIG_TYPE_GROUP;
	case FIELD_LIST: return CONFIG_TYPE_LIST;
	case FIELD_NETWORKS:
	case FIELD_ADDRESSES: return CONFIG_TYPE_ARRAY;
	}
	return CONFIG_TYPE_NONE;
}

static char *absolute_path(const struct loader *ld, const char *path)
{
	struct sbuf sb = SBUF_INIT;

	if (path[0] != '/')
		sbuf_addf(&sb, "%s/", ld->dir);
	sbuf_addstr(&sb, path);
	return sbuf_detach(&sb);
}

static int load_group(struct loader *ld, const config_setting_t *group,
		      const struct field *fields, void *target, const char *where);

/* Loads the list setting s of groups into a freshly allocated array. */
static int load_list(struct loader *ld, const config_setting_t *s, const struct field *f, void *target)
{
	int n = config_setting_length(s);
	char *array = xcalloc((size_t)n, f->elem_size);

	*(void **)((char *)target + f->offset) = array;
	*(size_t *)((char *)target + f->count_offset) = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *elem = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(elem) != CONFIG_TYPE_GROUP)
			return fail_at(ld, elem, "each entry of '%s' must be a group { ... }", f->name);
		if (load_group(ld, elem, f->fields, array + (size_t)i * f->elem_size, f->name) < 0)
			return -1;
	}
	return 0;
}

/* Loads an array of network strings ("10.0.0.0/8", "::1") into a freshly allocated array. */
static int load_networks(struct loader *ld, const config_setting_t *s, const struct field *f, void *target)
{
	int n = config_setting_length(s);
	struct network *nets = xcalloc((size_t)(n ? n : 1), sizeof(*nets));

	*(struct network **)((char *)target + f->offset) = nets;
	*(size_t *)((char *)target + f->count_offset) = (size_t)n;
	for (int i = 0; i < n; i++) {
		const char *text = config_setting_get_string_elem(s, i);
		if (!text)
			return fail_at(ld, s, "'%s' must be an array of strings such as [ \"192.0.2.0/24\" ]", f->name);
		if (network_parse(text, &nets[i]) < 0)
			return fail_at(ld, s, "'%s': \"%s\" is not a network (ADDRESS or ADDRESS/PREFIX)", f->name, text);
	}
	return 0;
}

/* Loads an array of mail addresses ("root@example.org") into a freshly allocated array. */
static int load_addresses(struct loader *ld, const config_setting_t *s, const struct field *f, void *target)
{
	int n = config_setting_length(s);
	char **list = xcalloc((size_t)(n ? n : 1), sizeof(*list));

	*(char ***)((char *)target + f->offset) = list;
	*(size_t *)((char *)target + f->count_offset) = (size_t)n;
	for (int i = 0; i < n; i++) {
		const char *text = config_setting_get_string_elem(s, i);
		struct sbuf why = SBUF_INIT;
		if (!text || address_check(text, &why) < 0) {
			int r = fail_at(ld, s, "'%s' must be an array of mail addresses such as [ \"root@example.org\" ]%s%s",
					f->name, why.len ? ": " : "", why.buf);
			sbuf_release(&why);
			return r;
		}
		list[i] = xstrdup(text);
	}
	return 0;
}

/* Checks one setting against its table row and stores the value. */
static int load_field(struct loader *ld, const config_setting_t *s, const struct field *f, void *target)
{
	void *slot = (char *)target + f->offset;
	int type = config_setting_type(s);
	int want = expected_type(f->kind);

	if (type == CONFIG_TYPE_INT)
		type = CONFIG_TYPE_INT64;
	if (type != want)
		return fail_at(ld, s, "'%s' must be %s, not %s", f->name, type_name(want), type_name(type));

	switch (f->kind) {
	case FIELD_STRING:
	case FIELD_PATH: {
		const char *v = config_setting_get_string(s);
		if (!*v)
			return fail_at(ld, s, "'%s' must not be empty", f->name);
		*(char **)slot = f->kind == FIELD_PATH ? absolute_path(ld, v) : xstrdup(v);
		return 0;
	}
	case FIELD_INT:
	case FIELD_SIZE: {
		long long v = config_setting_get_int64(s);
		if (v < f->min || v > f->max)
			return fail_at(ld, s, "'%s' must be between %lld and %lld, not %lld",
				       f->name, f->min, f->max, v);
		if (f->kind == FIELD_INT)
			*(int *)slot = (int)v;
		else
			*(long long *)slot = v;
		return 0;
	}
	case FIELD_REGEX: {
		struct config_regex *rx = slot;
		const char *v = config_setting_get_string(s);
		int e = regcomp(&rx->re, v, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (e != 0) {
			char why[200];
			regerror(e, &rx->re, why, sizeof(why));
			return fail_at(ld, s, "'%s': \"%s\" is not a regular expression: %s", f->name, v, why);
		}
		rx->pattern = xstrdup(v);
		rx->compiled = 1;
		return 0;
	}
	case FIELD_ENUM: {
		const char *v = config_setting_get_string(s);
		for (int i = 0; f->choices[i]; i++) {
			if (strcmp(v, f->choices[i]) == 0) {
				*(int *)slot = i;
				return 0;
			}
		}
		char *all = name_choices(f->choices);
		fail_at(ld, s, "'%s' must be %s, not \"%s\"", f->name, all, v);
		free(all);
		return -1;
	}
	case FIELD_BOOL:
		*(int *)slot = config_setting_get_bool(s);
		return 0;
	case FIELD_GROUP:
		return load_group(ld, s, f->fields, slot, f->name);
	case FIELD_LIST:
		return load_list(ld, s, f, target);
	case FIELD_NETWORKS:
		return load_networks(ld, s, f, target);
	case FIELD_ADDRESSES:
		return load_addresses(ld, s, f, target);
	}
	return -1;
}

/* Loads every setting of group against fields; where names the group in messages. */
static int load_group(struct loader *ld, const config_setting_t *group,
		      const struct field *fields, void *target, const char *where)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct field *f = fields;
		while (f->name && strcmp(f->name, name) != 0)
			f++;
		if (!f->name) {
			if (where)
				return fail_at(ld, s, "unknown setting '%s' in '%s'", name, where);
			return fail_at(ld, s, "unknown setting '%s'", name);
		}
		if (load_field(ld, s, f, target) < 0)
			return -1;
	}
	for (const struct field *f = fields; f->name; f++) {
		if (f->required && !config_setting_get_member(group, f->name)) {
			if (where)
				return fail_at(ld, group, "missing setting '%s' in '%s'", f->name, where);
			return fail_at(ld, group, "missing required setting '%s'", f->name);
		}
	}
	return 0;
}

/* Sets the defaults that apply when a setting is left out. */
static void set_defaults(struct config *cfg)
{
	cfg->delivery.transport = TRANSPORT_MAILDIR;
	cfg->delivery.max_recipients = 100;
	cfg->delivery.connections = 4;
	cfg->delivery.retry_base = 60;
	cfg->delivery.retry_lifetime = 5 * 86400;
	cfg->delivery.bounce_disable = 5;
	cfg->delivery.bounce_reset_days = 7;
	cfg->copies.subject_prefix = 1;
	cfg->moderation.self_subscribe = 1;
	cfg->moderation.hold_lifetime = 7 * 86400;
	cfg->digest.hour = 7;
	cfg->digest.max_size = 100 * 1024;
	cfg->limits.max_message_size = 10 * 1024 * 1024;
	cfg->limits.max_recipients = 100;
	cfg->limits.max_connections = 200;
	cfg->limits.max_connections_per_client = 20;
	cfg->limits.timeout = 300; /* RFC 5321 4.5.3.2 asks for at least 5 minutes */
	cfg->limits.min_data_rate = 500;  /* Postfix's smtpd_min_data_rate */
	cfg->limits.stress_timeout = 10;  /* Postfix's stress-mode smtpd_timeout */
	cfg->limits.spool_reserve = 64LL << 20;
	cfg->limits.max_posts_per_hour = 20;
}

/*
 * The web section: its listen address split ("127.0.0.1:8080",
 * "[::1]:8080"), its URL checked and ending in "/", the certificate and
 * key together, the secret's default place.
 */
static int finish_web(struct loader *ld, struct config *cfg, const config_setting_t *root)
{
	struct config_web *w = &cfg->web;
	const config_setting_t *web = config_setting_get_member(root, "web");

	if (!w->listen)
		return 0;
	const char *colon = strrchr(w->listen, ':'), *host = w->listen, *host_end = colon;
	if (*host == '[') {
		host++;
		host_end = colon && colon > host && colon[-1] == ']' ? colon - 1 : NULL;
	}
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	unsigned char probe[16];
	char *addr = NULL;
	if (host_end) {
		struct sbuf a = SBUF_INIT;
		sbuf_add(&a, host, (size_t)(host_end - host));
		addr = sbuf_detach(&a);
	}
	if (!addr || !end || *end || colon[1] == '\0' || port < 1 || port > 65535 ||
	    inet_pton(*w->listen == '[' ? AF_INET6 : AF_INET, addr, probe) != 1) {
		free(addr);
		return fail_at(ld, config_setting_get_member(web, "listen"),
			       "'listen' must be ADDRESS:PORT with a numeric address, such as \"127.0.0.1:8080\" or \"[::1]:8080\"");
	}
	w->address = addr;
	w->port = (int)port;
	if (strncmp(w->url, "https://", 8) != 0 && strncmp(w->url, "http://", 7) != 0)
		return fail_at(ld, config_setting_get_member(web, "url"),
			       "'url' must start with https:// (or http:// for a test on this machine)");
	for (const char *p = w->url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || (unsigned char)*p >= 0x7f)
			return fail_at(ld, config_setting_get_member(web, "url"), "'url' may not hold blanks, quotes or <>");
	}
	if (w->url[strlen(w->url) - 1] != '/') {
		struct sbuf sb = SBUF_INIT;
		sbuf_addf(&sb, "%s/", w->url);
		free(w->url);
		w->url = sbuf_detach(&sb);
	}
	if (!w->certificate != !w->key)
		return fail_at(ld, web, "'certificate' and 'key' go together");
	if (!w->secret_file) {
		struct sbuf sb = SBUF_INIT;
		sbuf_addf(&sb, "%s/web.secret", cfg->spool);
		w->secret_file = sbuf_detach(&sb);
	}
	return 0;
}

/* Defaults that depend on other settings, and checks across settings. */
static int finish(struct loader *ld, struct config *cfg, const config_setting_t *root)
{
	if (cfg->delivery.transport == TRANSPORT_MAILDIR && !cfg->delivery.maildir) {
		struct sbuf sb = SBUF_INIT;
		sbuf_addf(&sb, "%s/outbox", cfg->spool);
		cfg->delivery.maildir = sbuf_detach(&sb);
	}
	if (cfg->delivery.transport == TRANSPORT_SMTP && !cfg->delivery.smarthost)
		return fail_at(ld, config_setting_get_member(root, "delivery"),
			       "missing setting 'smarthost' in 'delivery' (needed by transport \"smtp\")");
	for (size_t i = 0; i < cfg->n_listen; i++) {
		if (!cfg->listen[i].tls_certificate != !cfg->listen[i].tls_key)
			return fail_at(ld, config_setting_get_elem(config_setting_get_member(root, "listen"), (unsigned)i),
				       "'tls_certificate' and 'tls_key' go together");
	}
	for (size_t i = 0; i < cfg->n_imap; i++) {
		const config_setting_t *entry = config_setting_get_elem(config_setting_get_member(root, "imap"), (unsigned)i);
		struct config_imap *m = &cfg->imap[i];
		if (m->interval == 0)
			m->interval = 60;
		if (strncmp(m->url, "imaps://", 8) != 0 && strncmp(m->url, "imap://", 7) != 0)
			return fail_at(ld, entry, "'url' must start with imaps:// (TLS) or imap:// (STARTTLS)");
		if (m->plaintext && strncmp(m->url, "imap://127.", 11) != 0 && strncmp(m->url, "imap://localhost", 16) != 0 &&
		    strncmp(m->url, "imap://[::1]", 12) != 0)
			return fail_at(ld, entry, "'plaintext' is for a server on this machine (imap://127.0.0.1/...) only");
	}
	for (size_t i = 0; i < cfg->n_admins; i++) {
		const char *at = strrchr(cfg->admins[i], '@');
		/* postmaster@ and abuse@ are forwarded to the admins: one of ours among them would loop. */
		if (at && strcasecmp(at + 1, cfg->domain) == 0)
			return fail_at(ld, config_setting_get_member(root, "admins"),
				       "'admins': %s is an address of %s itself; mail to postmaster@ would loop", cfg->admins[i],
				       cfg->domain);
	}
	if (finish_web(ld, cfg, root) < 0)
		return -1;
	if (!cfg->templates) {
		struct sbuf sb = SBUF_INIT;
		sbuf_addf(&sb, "%s/templates", cfg->dir);
		cfg->templates = sbuf_detach(&sb);
	}
	/* The texts are part of the config: an error in a template stops a start or a reload the same way. */
	if (!(cfg->texts = texts_load(cfg->templates, ld->err)))
		return -1;
	if (!cfg->language)
		cfg->language = xstrdup("nl");
	if (!texts_has_language(cfg->texts, cfg->language)) {
		struct sbuf langs = SBUF_INIT;
		texts_languages(cfg->texts, &langs);
		int r = fail_at(ld, config_setting_get_member(root, "language"), "'language': no texts in \"%s\" (there are: %s)",
				cfg->language, langs.buf);
		sbuf_release(&langs);
		return r;
	}
	for (const char *p = cfg->domain; *p; p++) {
		if (!(*p == '.' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return fail_at(ld, config_setting_get_member(root, "domain"),
				       "'domain' must be a domain name such as lists.example.org");
	}
	return 0;
}

/* The absolute folder holding path. */
static char *folder_of(const char *path)
{
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	struct sbuf sb = SBUF_INIT;

	if (slash == copy) {
		sbuf_addstr(&sb, "/");
	} else if (slash) {
		*slash = '\0';
		char *real = realpath(copy, NULL);
		sbuf_addstr(&sb, real ? real : copy);
		free(real);
	} else {
		char *cwd = getcwd(NULL, 0);
		sbuf_addstr(&sb, cwd ? cwd : ".");
		free(cwd);
	}
	free(copy);
	return sbuf_detach(&sb);
}

struct config *config_load(const char *path, struct sbuf *err)
{
	config_t lc;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct loader ld = { path, NULL, err };

	cfg->file = xstrdup(path);
	cfg->dir = folder_of(path);
	ld.dir = cfg->dir;
	set_defaults(cfg);

	config_init(&lc);
	config_set_include_dir(&lc, cfg->dir);
	if (access(path, R_OK) != 0) {
		sbuf_addf(err, "%s: cannot read the config file: %m", path);
		goto fail;
	}
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		const char *file = config_error_file(&lc);
		sbuf_addf(err, "%s:%d: %s", file ? file : path, config_error_line(&lc),
			    config_error_text(&lc));
		goto fail;
	}
	const config_setting_t *root = config_root_setting(&lc);
	if (load_group(&ld, root, top_fields, cfg, NULL) < 0 || finish(&ld, cfg, root) < 0)
		goto fail;
	config_destroy(&lc);
	return cfg;
fail:
	config_destroy(&lc);
	config_free(cfg);
	return NULL;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		free(cfg->listen[i].address);
		free(cfg->listen[i].tls_certificate);
		free(cfg->listen[i].tls_key);
	}
	free(cfg->listen);
	for (size_t i = 0; i < cfg->n_imap; i++) {
		struct config_imap *m = &cfg->imap[i];
		free(m->url);
		free(m->user);
		free(m->password_file);
		free(m->default_group);
		free(m->done_folder);
		free(m->ca_file);
	}
	free(cfg->imap);
	for (size_t i = 0; i < cfg->n_rules; i++) {
		free(cfg->rules[i].header);
		free(cfg->rules[i].contains);
		free(cfg->rules[i].group);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->content.n_header_rules; i++) {
		struct config_header_rule *r = &cfg->content.header_rules[i];
		free(r->header);
		free(r->match.pattern);
		if (r->match.compiled)
			regfree(&r->match.re);
	}
	free(cfg->content.header_rules);
	free(cfg->limits.bare_lf_networks);
	for (size_t i = 0; i < cfg->n_admins; i++)
		free(cfg->admins[i]);
	free(cfg->admins);
	free(cfg->language);
	free(cfg->templates);
	texts_free(cfg->texts);
	free(cfg->delivery.maildir);
	free(cfg->delivery.smarthost);
	free(cfg->delivery.ca_file);
	free(cfg->copies.footer);
	free(cfg->copies.archive_url);
	free(cfg->web.listen);
	free(cfg->web.address);
	free(cfg->web.url);
	free(cfg->web.certificate);
	free(cfg->web.key);
	free(cfg->web.secret_file);
	free(cfg->file);
	free(cfg->dir);
	free(cfg->domain);
	free(cfg->spool);
	free(cfg->store);
	free(cfg->user);
	free(cfg);
}

/*
 * The installed config, when this program runs from a folder it is
 * installed in (sbindir, bindir, libexecdir/mlist; install_dirs.h): the
 * config as installed beside it, under the same root, so a copy staged
 * under DESTDIR reads the staged config.  NULL when it runs from anywhere
 * else (the build tree).
 */
static const char *installed_config(void)
{
	static const char *const dirs[] = { MLIST_INSTALL_SBINDIR, MLIST_INSTALL_BINDIR, MLIST_INSTALL_HELPERDIR };
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t len = strlen(exe), dlen = strlen(dirs[i]);
		if (dlen > len || strcmp(exe + len - dlen, dirs[i]) != 0 || dirs[i][0] != '/')
			continue;
		/* exe = ROOT + dir: ROOT is "" when installed, DESTDIR when staged. */
		exe[len - dlen] = '\0';
		if (snprintf(path, sizeof(path), "%s%s", exe, MLIST_INSTALL_CONF) >= (int)sizeof(path))
			return NULL;
		return path;
	}
	return NULL;
}

const char *config_default_path(void)
{
	const char *env = getenv("MLIST_CONF");
	const char *installed;

	if (env && *env)
		return env;
	/* From the build tree: the shipped config, from the current folder (the source root). */
	installed = installed_config();
	return installed ? installed : "conf/mlistd.conf";
}
