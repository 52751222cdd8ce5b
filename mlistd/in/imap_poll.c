/*
 * imap_poll: one mailbox's poller; see imap_poll.h.
 */
#include "imap_poll.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "header.h"
#include "helper.h"
#include "log.h"
#include "names.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_imap.h"

#define MAX_BACKOFF 300     /* seconds between reconnection attempts at most */
#define IDLE_MAX 1500       /* seconds in one IDLE before it is renewed (RFC 2177: under 29 minutes) */
#define BATCH 50            /* UIDs fetched, spooled and recorded per round */

enum tls_mode { TLS_IMPLICIT, TLS_STARTTLS, TLS_NONE };

struct poller {
	const struct config *cfg;
	const struct config_imap *m;
	const char *password;
	struct store *st;
	struct spool *sp;
	int control_fd;
	int stop;                 /* the control pipe ended */
	char *name;               /* user@host/folder */
	char host[256];
	int port;
	char folder[512];
	enum tls_mode tls;
	mailimap *imap;
	long long uidvalidity;
};

/* Takes imap[s]://host[:port]/FOLDER apart. */
static int parse_url(struct poller *p)
{
	const char *url = p->m->url;
	const char *rest = strstr(url, "://") + 3;
	const char *slash = strchr(rest, '/');
	size_t hostlen = slash ? (size_t)(slash - rest) : strlen(rest);

	p->tls = strncmp(url, "imaps://", 8) == 0 ? TLS_IMPLICIT : p->m->plaintext ? TLS_NONE : TLS_STARTTLS;
	p->port = p->tls == TLS_IMPLICIT ? 993 : 143;
	if (hostlen == 0 || hostlen >= sizeof(p->host))
		return -1;
	snprintf(p->host, sizeof(p->host), "%.*s", (int)hostlen, rest);
	char *colon = strrchr(p->host, ':');
	if (colon && !strchr(p->host, ']')) {
		p->port = atoi(colon + 1);
		*colon = '\0';
	}
	snprintf(p->folder, sizeof(p->folder), "%s", slash && slash[1] ? slash + 1 : "INBOX");
	return p->port > 0 && p->port < 65536 ? 0 : -1;
}

/* The server's last words, for error messages. */
static const char *server_said(struct poller *p)
{
	return p->imap && p->imap->imap_response ? p->imap->imap_response : "no answer";
}

/*
 * Checks the server's certificate: signed by an authority we trust (the
 * entry's ca_file, else the system's) and made out to the host we asked for.
 */
static int verify_certificate(struct poller *p, struct sbuf *err)
{
	unsigned char *der = NULL;
	ssize_t len = mailstream_ssl_get_certificate(p->imap->imap_stream, &der);
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_trust_list_t trust = NULL;
	unsigned status = 1;
	int ok = 0;

	if (len <= 0) {
		sbuf_addstr(err, "the server showed no certificate");
		return -1;
	}
	gnutls_datum_t d = { der, (unsigned)len };
	if (gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_trust_list_init(&trust, 0) == 0) {
		int loaded = p->m->ca_file
				     ? gnutls_x509_trust_list_add_trust_file(trust, p->m->ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0)
				     : gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
		if (loaded > 0 && gnutls_x509_trust_list_verify_crt(trust, &crt, 1, 0, &status, NULL) == 0 &&
		    status == 0)
			ok = gnutls_x509_crt_check_hostname(crt, p->host) != 0;
		if (!ok)
			sbuf_addf(err, "the certificate of %s is not trusted%s", p->host,
				  status == 0 ? " (it is made out to another host)" : "");
	} else {
		sbuf_addstr(err, "the server's certificate cannot be read");
	}
	if (trust)
		gnutls_x509_trust_list_deinit(trust, 1);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	free(der);
	return ok ? 0 : -1;
}

static void disconnect(struct poller *p)
{
	if (p->imap) {
		mailimap_logout(p->imap);
		mailimap_free(p->imap);
		p->imap = NULL;
	}
}

/* Connects, secures, logs in and selects the folder.  Returns 0, or -1 with the reason in err. */
static int session_open(struct poller *p, struct sbuf *err)
{
	int r;

	p->imap = mailimap_new(0, NULL);
	mailimap_set_timeout(p->imap, 60);
	r = p->tls == TLS_IMPLICIT ? mailimap_ssl_connect(p->imap, p->host, (uint16_t)p->port)
				   : mailimap_socket_connect(p->imap, p->host, (uint16_t)p->port);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		sbuf_addf(err, "cannot connect to %s port %d (libetpan error %d)", p->host, p->port, r);
		return -1;
	}
	if (p->tls == TLS_STARTTLS && mailimap_socket_starttls(p->imap) != MAILIMAP_NO_ERROR) {
		/* Never go on in plain text when TLS was asked for. */
		sbuf_addf(err, "STARTTLS failed at %s: %s", p->host, server_said(p));
		return -1;
	}
	if (p->tls != TLS_NONE && verify_certificate(p, err) < 0)
		return -1;
	/* What the server said before TLS is not trusted after it: ask again. */
	struct mailimap_capability_data *cap = NULL;
	if (mailimap_capability(p->imap, &cap) == MAILIMAP_NO_ERROR && cap)
		mailimap_capability_data_free(cap);
	if (mailimap_login(p->imap, p->m->user, p->password) != MAILIMAP_NO_ERROR) {
		sbuf_addf(err, "login as %s refused: %s", p->m->user, server_said(p));
		return -1;
	}
	if (mailimap_select(p->imap, p->folder) != MAILIMAP_NO_ERROR || !p->imap->imap_selection_info) {
		sbuf_addf(err, "cannot select folder %s: %s", p->folder, server_said(p));
		return -1;
	}
	p->uidvalidity = p->imap->imap_selection_info->sel_uidvalidity;
	return 0;
}

/* Flags a taken message \Seen, or moves it to the done folder. */
static int finish_uid(struct poller *p, uint32_t uid, struct sbuf *err)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	int r;

	if (p->m->done_folder && mailimap_has_extension(p->imap, "MOVE")) {
		r = mailimap_uid_move(p->imap, set, p->m->done_folder);
	} else {
		r = p->m->done_folder ? mailimap_uid_copy(p->imap, set, p->m->done_folder) : MAILIMAP_NO_ERROR;
		if (r == MAILIMAP_NO_ERROR) {
			struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
			mailimap_flag_list_add(flags, p->m->done_folder ? mailimap_flag_new_deleted() : mailimap_flag_new_seen());
			struct mailimap_store_att_flags *att = mailimap_store_att_flags_new_add_flags_silent(flags);
			r = mailimap_uid_store(p->imap, set, att);
			mailimap_store_att_flags_free(att);
		}
		if (r == MAILIMAP_NO_ERROR && p->m->done_folder)
			r = mailimap_has_uidplus(p->imap) ? mailimap_uid_expunge(p->imap, set) : mailimap_expunge(p->imap);
	}
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		sbuf_addf(err, "cannot %s UID %u: %s", p->m->done_folder ? "move" : "flag", uid, server_said(p));
	return r == MAILIMAP_NO_ERROR ? 0 : -1;
}

/* The size and body of one message; body NULL when it was not fetched. */
struct fetched {
	uint32_t size;
	const char *body;
	size_t len;
};

static void read_fetch(clist *result, struct fetched *f)
{
	memset(f, 0, sizeof(*f));
	for (clistiter *it = result ? clist_begin(result) : NULL; it; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		for (clistiter *i = clist_begin(att->att_list); i; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				f->size = st->att_data.att_rfc822_size;
			else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION && st->att_data.att_body_section) {
				f->body = st->att_data.att_body_section->sec_body_part;
				f->len = st->att_data.att_body_section->sec_length;
			}
		}
	}
}

/* UID FETCH of one message: its size, and with body also BODY.PEEK[]. */
static int fetch(struct poller *p, uint32_t uid, int body, clist **result)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	if (body)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	int r = mailimap_uid_fetch(p->imap, set, ft, result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return r == MAILIMAP_NO_ERROR ? 0 : -1;
}

/* Spools one message and records its UID; *taken says whether a post came of it. */
static int take_uid(struct poller *p, uint32_t uid, int *taken, struct sbuf *err)
{
	clist *result = NULL;
	struct fetched f;
	long long now = time(NULL);

	*taken = 0;
	if (fetch(p, uid, 0, &result) < 0) {
		sbuf_addf(err, "cannot fetch UID %u: %s", uid, server_said(p));
		return -1;
	}
	read_fetch(result, &f);
	mailimap_fetch_list_free(result);
	result = NULL;
	/* Bound what is read: an oversized message stays in the mailbox. */
	if (f.size > (unsigned long long)p->cfg->limits.max_message_size) {
		log_msg(LOG_WARNING, "imap %s: UID %u is %u octets, over the limit of %lld; left in the mailbox",
			p->name, uid, f.size, p->cfg->limits.max_message_size);
		return store_imap_take(p->st, p->name, p->uidvalidity, uid, "too-large", now);
	}
	if (fetch(p, uid, 1, &result) < 0) {
		sbuf_addf(err, "cannot fetch UID %u: %s", uid, server_said(p));
		return -1;
	}
	read_fetch(result, &f);
	struct envelope env;
	struct sbuf id = SBUF_INIT;
	envelope_init(&env);
	env.proto = "imap";
	snprintf(env.client, sizeof(env.client), "%s", p->host);
	snprintf(env.default_group, sizeof(env.default_group), "%s", p->m->default_group);
	snprintf(env.imap_key, sizeof(env.imap_key), "%s/%lld/%u", p->name, p->uidvalidity, uid);
	const char *body = f.body ? f.body : "";
	/* A leading mbox "From " line (a message appended from an mbox) is no part of the message. */
	size_t skip = header_mbox_from(body, f.body ? f.len : 0);
	int r = spool_put(p->sp, &env, body + skip, (f.body ? f.len : 0) - skip, &id);
	mailimap_fetch_list_free(result);
	if (r < 0)
		sbuf_addf(err, "cannot spool UID %u: %s", uid, strerror(errno));
	else if ((r = store_imap_take(p->st, p->name, p->uidvalidity, uid, id.buf, now)) < 0)
		sbuf_addf(err, "cannot record UID %u: %s", uid, store_error(p->st));
	else {
		/* the spool id the sorter's and delivery's lines carry */
		log_msg(LOG_INFO, "imap %s: UID %u taken as %s", p->name, uid, id.buf);
		*taken = 1;
	}
	envelope_release(&env);
	sbuf_release(&id);
	return r;
}

static int by_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Takes every message above the last UID taken.  Returns 0, or -1 (reconnect) with the reason in err. */
static int take_new(struct poller *p, struct sbuf *err)
{
	long long known_validity, last_uid;
	clist *found = NULL;

	if (store_imap_position(p->st, p->name, &known_validity, &last_uid) < 0)
		return -1;
	if (known_validity != p->uidvalidity) {
		if (known_validity)
			log_msg(LOG_WARNING, "imap %s: UIDVALIDITY changed from %lld to %lld; taking the mailbox again "
				"(Message-IDs already seen are not posted twice)", p->name, known_validity, p->uidvalidity);
		if (store_imap_reset(p->st, p->name, p->uidvalidity, time(NULL)) < 0)
			return -1;
		last_uid = 0;
	}
	struct mailimap_search_key *key =
		mailimap_search_key_new_uid(mailimap_set_new_interval((uint32_t)last_uid + 1, 0));
	int r = mailimap_uid_search(p->imap, NULL, key, &found);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		sbuf_addf(err, "UID SEARCH failed: %s", server_said(p));
		return -1;
	}
	/* "n:*" also matches the highest UID when it is below n: keep only the new ones. */
	uint32_t *uids = NULL;
	size_t n = 0;
	for (clistiter *it = clist_begin(found); it; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);
		if (uid > (uint32_t)last_uid) {
			uids = xrealloc(uids, (n + 1) * sizeof(*uids));
			uids[n++] = uid;
		}
	}
	mailimap_search_result_free(found);
	if (n)
		qsort(uids, n, sizeof(*uids), by_uid);
	int spooled = 0;
	for (size_t i = 0; i < n && !p->stop && r == 0; i++) {
		int seen = store_imap_taken(p->st, p->name, p->uidvalidity, uids[i]), taken = 0;
		if (seen < 0)
			r = -1;
		else if (!seen)
			r = take_uid(p, uids[i], &taken, err);
		/* Only what is recorded is flagged or moved. */
		if (r == 0)
			r = finish_uid(p, uids[i], err);
		spooled += taken;
		if (spooled && ((i + 1) % BATCH == 0 || i + 1 == n || r < 0)) {
			/* Something to sort. */
			spool_doorbell_ring(p->sp, SPOOL_BELL_SORT);
			spooled = 0;
		}
	}
	free(uids);
	if (n)
		log_msg(LOG_INFO, "imap %s: took %zu message(s)", p->name, n);
	store_imap_polled(p->st, p->name, NULL, time(NULL));
	return r;
}

/* Reads from the control pipe; its end means stop. */
static void check_control(struct poller *p)
{
	char buf[64];
	ssize_t n = read(p->control_fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		p->stop = 1;
}

/*
 * A SIGHUP ends the poller (cleanly, between two messages): mlistd starts
 * it again, and the new one reads the config afresh and finds its mailbox
 * there by name.  Reconnecting costs a login, and a mailbox whose url or
 * settings changed gets them all at once.
 */
static void check_reload(struct poller *p)
{
	if (helper_reload_asked()) {
		log_msg(LOG_INFO, "imap %s: SIGHUP: stopping, to start again with the config as it is now", p->name);
		p->stop = 1;
	}
}

/* Waits up to seconds for the control pipe or a SIGHUP; returns when either came or time is up. */
static void sleep_unless_stopped(struct poller *p, int seconds)
{
	struct pollfd pfd = { p->control_fd, POLLIN, 0 };

	if (helper_poll(&pfd, 1, seconds * 1000) > 0)
		check_control(p);
	check_reload(p);
}

/* Waits for news: IDLE where the server has it, else the interval.  Returns -1 to reconnect. */
static int wait_for_news(struct poller *p, struct sbuf *err)
{
	if (!mailimap_has_idle(p->imap)) {
		sleep_unless_stopped(p, p->m->interval);
		return 0;
	}
	if (mailimap_idle(p->imap) != MAILIMAP_NO_ERROR) {
		sbuf_addf(err, "IDLE failed: %s", server_said(p));
		return -1;
	}
	/*
	 * A message that arrived between the last search and the IDLE
	 * command may not be announced: look again after `interval` at the
	 * latest, IDLE or not.
	 */
	struct pollfd pfd[2] = { { mailimap_idle_get_fd(p->imap), POLLIN, 0 }, { p->control_fd, POLLIN, 0 } };
	int wait = p->m->interval < IDLE_MAX ? p->m->interval : IDLE_MAX;
	if (helper_poll(pfd, 2, wait * 1000) > 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
		check_control(p);
	check_reload(p);
	if (mailimap_idle_done(p->imap) != MAILIMAP_NO_ERROR) {
		sbuf_addf(err, "ending IDLE failed: %s", server_said(p));
		return -1;
	}
	return 0;
}

void imap_poll_loop(const struct config *cfg, const struct config_imap *mailbox, const char *password,
		    struct store *st, struct spool *sp, int control_fd)
{
	struct poller p = { cfg, mailbox, password, st, sp, control_fd, 0, NULL,
			    "", 0, "", TLS_STARTTLS, NULL, 0 };
	int backoff = 1;

	p.name = imap_mailbox_name(p.m->url, p.m->user);
	if (parse_url(&p) < 0) {
		log_msg(LOG_ERR, "imap %s: cannot read the url %s", p.name, p.m->url);
		free(p.name);
		return;
	}
	while (!p.stop) {
		struct sbuf err = SBUF_INIT;
		if (session_open(&p, &err) == 0) {
			log_msg(LOG_INFO, "imap %s: logged in, folder %s, UIDVALIDITY %lld", p.name, p.folder, p.uidvalidity);
			backoff = 1;
			while (!p.stop && take_new(&p, &err) == 0 && wait_for_news(&p, &err) == 0)
				;
		}
		disconnect(&p);
		if (err.len) {
			log_msg(LOG_ERR, "imap %s: %s; trying again in %d s", p.name, err.buf, backoff);
			store_imap_polled(st, p.name, err.buf, time(NULL));
			sleep_unless_stopped(&p, backoff);
			backoff = backoff * 2 > MAX_BACKOFF ? MAX_BACKOFF : backoff * 2;
		}
		sbuf_release(&err);
	}
	free(p.name);
}
