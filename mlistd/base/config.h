/*
 * config: reads mlistd.conf (libconfig syntax) once into a struct that the
 * rest of the program treats as read-only.
 *
 * Every error is reported as "FILE:LINE: what is wrong": syntax errors,
 * unknown settings, wrong types, values out of range, and missing required
 * settings.  Relative paths in the file are taken relative to the folder
 * the file is in, so a config works wherever it is started from.
 */
#ifndef MLIST_CONFIG_H
#define MLIST_CONFIG_H

#include <regex.h>
#include <stddef.h>

#include "network.h"

struct sbuf;
struct texts;

enum listen_protocol { LISTEN_SMTP, LISTEN_LMTP };
enum delivery_transport { TRANSPORT_MAILDIR, TRANSPORT_SMTP };
enum dmarc_mode { DMARC_NONE, DMARC_MUNGE };
/* TLS to the smarthost: STARTTLS when offered (unverified), always (verified, or no copy goes), never. */
enum smarthost_tls { SMARTHOST_TLS_OPPORTUNISTIC, SMARTHOST_TLS_REQUIRED, SMARTHOST_TLS_NONE };

struct config_listen {
	char *address;                 /* numeric IPv4 or IPv6 address to bind */
	int port;                      /* 1..65535 */
	enum listen_protocol protocol; /* ESMTP or LMTP */
	char *tls_certificate;         /* PEM certificate chain for STARTTLS, or NULL (no STARTTLS) */
	char *tls_key;                 /* its PEM private key; set together with tls_certificate */
};

struct config_delivery {
	enum delivery_transport transport;
	char *maildir;      /* maildir transport: root of the per-recipient maildirs (absolute) */
	char *smarthost;    /* smtp transport: libcurl URL such as smtp://127.0.0.1:25 */
	int max_recipients; /* smtp transport: recipients per SMTP transaction */
	int connections;    /* smtp transport: parallel connections */
	int retry_base;     /* seconds before the first retry of a 4xx; doubles each time */
	int retry_lifetime; /* seconds after which a copy still refused with 4xx is given up */
	int verp;           /* envelope sender GROUP-bounces+RECIPIENT@DOMAIN per recipient */
	int bounce_disable; /* permanent failures (5xx) after which an address is disabled */
	int bounce_reset_days; /* days without a counted bounce after which the count starts over */
	enum smarthost_tls tls; /* smtp transport: TLS to the smarthost */
	char *ca_file;      /* smtp transport: PEM certificates to trust for the smarthost, or NULL for the system's */
};

/* How outgoing copies look. */
struct config_copies {
	int subject_prefix;  /* "[group] " before the subject */
	char *footer;        /* text added to every copy, or NULL */
	enum dmarc_mode dmarc; /* none: From kept; munge: "Name via GROUP" <GROUP@DOMAIN> */
	char *archive_url;   /* base URL of the archive for List-Archive, or NULL */
};

struct config_limits {
	long long max_message_size; /* octets; larger messages are refused */
	int max_recipients;         /* RCPT commands accepted per transaction */
	int max_connections;        /* SMTP/LMTP clients served at once */
	int max_connections_per_client; /* ... of them from one address */
	int timeout;                /* seconds a client has for each whole command, and the base of DATA's deadline */
	int min_data_rate;          /* octets/s: each octet of DATA adds 1/rate s to its deadline */
	int stress_timeout;         /* seconds that replace timeout while connections are above 80% of the cap */
	long long spool_reserve;    /* octets the spool's file system keeps free: below it (plus the size) MAIL gets 452 */
	int max_posts_per_hour;     /* posts of one sender to one group in an hour before the next waits; 0: no limit */
	struct network *bare_lf_networks; /* clients whose bare LFs become CRLF instead of being refused */
	size_t n_bare_lf_networks;
};

struct config_imap {
	char *url;           /* imaps://host[:port]/FOLDER or imap://... with STARTTLS */
	char *user;          /* login name */
	char *password_file; /* absolute path of a file holding the password */
	char *default_group; /* group for messages that sort nowhere else */
	char *done_folder;   /* folder to move taken messages to, or NULL to flag \Seen */
	int interval;        /* seconds between polls when the server has no IDLE */
	char *ca_file;       /* PEM certificates to trust for this server, or NULL for the system's */
	int plaintext;       /* imap:// without TLS: allowed for a loopback server only */
};

struct config_rule {
	char *header;   /* header field name, e.g. "X-Project" */
	char *contains; /* text its value must contain (case-insensitive) */
	char *group;    /* the group such a message is sorted into */
};

/* A regular expression from the config: its text and compiled form (POSIX extended, case-insensitive). */
struct config_regex {
	char *pattern;
	regex_t re;
	int compiled;
};

/* A content rule: a post whose header field matches is held, discarded or accepted (verdict.h). */
struct config_header_rule {
	char *header;             /* the field's name, e.g. "X-Spam-Flag" */
	struct config_regex match; /* what its unfolded value must match */
	int action;               /* index into names.h's header_actions: HEADER_HOLD + action is verdict.h's */
};

/* The content policy's defaults (a group's own settings override the first two; content.h). */
struct config_content {
	int attachments; /* enum attachment_policy */
	int html;        /* enum html_policy */
	struct config_header_rule *header_rules; /* tried in order, the first that matches decides */
	size_t n_header_rules;
};

/* The web archive (web/): served by mlistd-web when the config has a web section. */
struct config_web {
	char *listen;      /* "ADDRESS:PORT" as written ("[v6]:PORT" for IPv6); NULL: no web archive */
	char *address;     /* its numeric address */
	int port;
	char *url;         /* the archive's public base URL, ending in "/" (links in mail and pages) */
	char *certificate; /* PEM certificate chain for HTTPS, or NULL (plain HTTP behind a proxy) */
	char *key;         /* its PEM private key; set together with certificate */
	char *secret_file; /* the 0600 file with the key of the unsubscribe links; default SPOOL/web.secret */
};

struct config {
	char *file;           /* the path the config was read from, as given */
	char *dir;            /* absolute folder of that file; base of relative paths */
	char *domain;         /* the mail domain mlist serves, e.g. lists.example.org */
	char *spool;          /* absolute path of the spool folder */
	char *store;          /* absolute path of the sqlite store */
	char *user;           /* account mlistd switches to when started as root, or NULL */
	struct config_listen *listen; /* listeners, n_listen of them */
	size_t n_listen;
	struct config_delivery delivery;
	struct config_copies copies;
	struct config_moderation {
		int self_subscribe; /* GROUP-request@ subscribe works (double opt-in); else it goes to the moderators */
		int hold_lifetime;  /* seconds a held post (and its tokens) waits before it is discarded */
	} moderation;
	struct config_digest {
		int hour;     /* local hour (0-23) at which each day's digests go out */
		int max_size; /* octets of posts waiting after which a digest goes out at once */
	} digest;
	struct config_limits limits;
	struct config_content content;
	struct config_web web;
	struct config_rule *rules; /* header rules for sorting, tried in order */
	size_t n_rules;
	struct config_imap *imap; /* mailboxes to poll, n_imap of them */
	size_t n_imap;
	char **admins;            /* who gets mail to postmaster@ and abuse@, n_admins of them */
	size_t n_admins;
	char *language;           /* the texts' language of a group that has chosen none ("nl") */
	char *templates;          /* absolute folder of the templates (texts.h); default: beside the config */
	struct texts *texts;      /* every template, read and checked with the config */
};

/*
 * Reads and checks the file at path.  Returns a config the caller owns
 * (free it with config_free), or NULL with "FILE:LINE: reason" in err.
 */
struct config *config_load(const char *path, struct sbuf *err);
void config_free(struct config *cfg);

/*
 * The config file used when none is named: $MLIST_CONF, else, for a
 * program run from where meson installed it, SYSCONFDIR/mlist/mlistd.conf,
 * else conf/mlistd.conf (the build tree, run from the source root).
 */
const char *config_default_path(void);

#endif
