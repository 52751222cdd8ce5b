/*
 * transport: the smtp (libcurl) and maildir transports; see transport.h.
 */
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "sbuf.h"
#include "spool.h"

/*
 * smtp drives curl by its socket interface (curl_multi_socket_action)
 * rather than curl_multi_perform: perform runs every transfer's state
 * machine, and each polls its own socket, on every reply that comes in;
 * a fan-out's sending thread spent more time in those polls than in
 * sending.  With the socket interface only the connection that had news
 * is looked at: the sockets curl wants watched are in an epoll set, and
 * curl's own timeouts are kept as a deadline.
 */
struct transport {
	const struct config *cfg;
	CURLM *multi;         /* smtp: keeps connections open between runs */
	int epoll;            /* smtp: the sockets curl watches, and wake_fd */
	int wake_fd;          /* smtp: an eventfd, written when a report returned (a job may start) */
	long long deadline;   /* smtp: when curl wants its timeout handled (CLOCK_MONOTONIC ms), or -1 */
};

/* curl's CURLMOPT_SOCKETFUNCTION: watch socket s for what it asks, or no more. */
static int watch_socket(CURL *easy, curl_socket_t s, int what, void *ctx, void *socketp)
{
	struct transport *t = ctx;
	struct epoll_event ev = { 0 };

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(t->epoll, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = s;
	if (epoll_ctl(t->epoll, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(t->epoll, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

/* curl's CURLMOPT_TIMERFUNCTION: handle its timeout in timeout_ms (-1: none). */
static int set_deadline(CURLM *multi, long timeout_ms, void *ctx)
{
	struct transport *t = ctx;

	(void)multi;
	t->deadline = timeout_ms < 0 ? -1 : clock_monotonic_ms() + timeout_ms;
	return 0;
}

struct transport *transport_new(const struct config *cfg)
{
	struct transport *t = xcalloc(1, sizeof(*t));

	t->cfg = cfg;
	t->epoll = t->wake_fd = -1;
	t->deadline = -1;
	if (cfg->delivery.transport == TRANSPORT_SMTP) {
		struct epoll_event ev = { .events = EPOLLIN };
		t->multi = curl_multi_init();
		t->epoll = epoll_create1(EPOLL_CLOEXEC);
		t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ev.data.fd = t->wake_fd;
		if (!t->multi || t->epoll < 0 || t->wake_fd < 0 || epoll_ctl(t->epoll, EPOLL_CTL_ADD, t->wake_fd, &ev) < 0)
			fatal("cannot set up the smtp transport: %s", t->multi ? strerror(errno) : "curl_multi_init failed");
		curl_multi_setopt(t->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->delivery.connections);
		curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)cfg->delivery.connections);
		curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, watch_socket);
		curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
		curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, set_deadline);
		curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
	}
	return t;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	if (t->multi)
		curl_multi_cleanup(t->multi);
	if (t->epoll >= 0)
		close(t->epoll);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	free(t);
}

static void set_result(struct transport_result *r, int code, const char *text)
{
	r->code = code;
	snprintf(r->text, sizeof(r->text), "%s", text);
}

/* The maildir of one recipient: MAILDIR/ADDRESS, with '/' (legal in an address, not in a name) replaced. */
static char *recipient_maildir(const struct config *cfg, const char *addr)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s/", cfg->delivery.maildir);
	if (addr[0] == '.')
		sbuf_addch(&sb, '_');
	for (const char *p = addr; *p; p++)
		sbuf_addch(&sb, *p == '/' ? '_' : *p);
	return sbuf_detach(&sb);
}

/* Writes every copy, makes them durable together, then reports all jobs at once. */
static void run_maildir(struct transport *t, struct transport_job *jobs, int n_jobs, transport_done_fn done,
			void *ctx)
{
	struct maildir_batch *b = maildir_batch_new();
	int *index = NULL, n = 0;

	/* The root of the per-recipient maildirs is made on first use, like the spool. */
	mkdir_private(t->cfg->delivery.maildir);

	for (int j = 0; j < n_jobs; j++) {
		for (int i = 0; i < jobs[j].n_rcpt; i++) {
			char *dir = recipient_maildir(t->cfg, jobs[j].rcpt[i]);
			struct sbuf copy = SBUF_INIT;
			index = xrealloc(index, (size_t)(n + 1) * sizeof(*index));
			/* Written before a crash and confirmed by its rename: not written twice. */
			if (maildir_has(dir, jobs[j].name)) {
				set_result(&jobs[j].results[i], 250, "2.0.0 already in the maildir");
				index[n++] = -1;
			} else {
				sbuf_addf(&copy, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", jobs[j].from, jobs[j].rcpt[i]);
				if (jobs[j].prefix_len)
					sbuf_add(&copy, jobs[j].prefix, jobs[j].prefix_len);
				sbuf_add(&copy, jobs[j].data, jobs[j].len);
				index[n] = maildir_batch_add(b, dir, jobs[j].name, copy.buf, copy.len);
				if (index[n++] < 0) {
					struct sbuf why = SBUF_INIT;
					sbuf_addf(&why, "4.3.0 cannot write to %s: %s", dir, strerror(errno));
					set_result(&jobs[j].results[i], 451, why.buf);
					sbuf_release(&why);
				}
			}
			sbuf_release(&copy);
			free(dir);
		}
	}
	maildir_batch_commit(b);
	n = 0;
	for (int j = 0; j < n_jobs; j++) {
		for (int i = 0; i < jobs[j].n_rcpt; i++, n++) {
			if (index[n] < 0)
				continue; /* decided above: there already, or not writable */
			if (maildir_batch_ok(b, index[n]))
				set_result(&jobs[j].results[i], 250, "2.0.0 written to the maildir");
			else
				set_result(&jobs[j].results[i], 451, "4.3.0 cannot write to the maildir");
		}
	}
	free(index);
	maildir_batch_free(b);
	struct transport_job **all = xcalloc((size_t)n_jobs, sizeof(*all));
	for (int j = 0; j < n_jobs; j++)
		all[j] = &jobs[j];
	done(all, n_jobs, ctx);
	free(all);
}

/* What one curl transfer needs besides the job. */
struct transfer {
	struct transport_job *job;
	CURL *easy;
	struct curl_slist *rcpts;
	size_t sent;       /* bytes of the copy handed to curl */
	int rcpt_at;       /* index of the RCPT whose reply is awaited, or -1 */
	int rcpts_sent;    /* RCPT commands seen so far */
};

/*
 * TLS to the smarthost.  Opportunistic is what MTAs do between themselves
 * (Postfix's "may"): STARTTLS when offered, the certificate not checked,
 * since an unchecked TLS still beats clear text.  Required insists on
 * STARTTLS (or smtps://) with a certificate that checks out against the
 * system's or ca_file's authorities: otherwise nothing is sent and the
 * copy waits, with curl's reason in the queue.
 */
static void set_tls(CURL *easy, const struct config_delivery *dc)
{
	switch (dc->tls) {
	case SMARTHOST_TLS_REQUIRED:
		curl_easy_setopt(easy, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		if (dc->ca_file)
			curl_easy_setopt(easy, CURLOPT_CAINFO, dc->ca_file);
		break;
	case SMARTHOST_TLS_OPPORTUNISTIC:
		curl_easy_setopt(easy, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
		break;
	case SMARTHOST_TLS_NONE:
		curl_easy_setopt(easy, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		break;
	}
}

static size_t read_copy(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct transfer *tr = ctx;
	const struct transport_job *job = tr->job;
	size_t room = size * nitems, done = 0;

	/* The recipient's own fields first, then the shared text. */
	while (done < room && tr->sent < job->prefix_len + job->len) {
		const char *from = tr->sent < job->prefix_len ? job->prefix + tr->sent : job->data + (tr->sent - job->prefix_len);
		size_t left = tr->sent < job->prefix_len ? job->prefix_len - tr->sent : job->prefix_len + job->len - tr->sent;
		size_t n = left < room - done ? left : room - done;
		memcpy(buf + done, from, n);
		done += n;
		tr->sent += n;
	}
	return done;
}

/*
 * Watches the SMTP dialogue to learn each RCPT's own reply: libcurl goes
 * on past refused recipients (MAIL_RCPT_ALLOWFAILS) but reports only the
 * transaction's outcome.  RCPT commands go one at a time, each answered
 * before the next, so replies pair with commands in order.
 */
static int watch_dialogue(CURL *easy, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct transfer *tr = ctx;

	(void)easy;
	if (type == CURLINFO_HEADER_OUT) {
		tr->rcpt_at = size > 8 && strncasecmp(data, "RCPT TO:", 8) == 0 && tr->rcpts_sent < tr->job->n_rcpt
				      ? tr->rcpts_sent++ : -1;
	} else if (type == CURLINFO_HEADER_IN && tr->rcpt_at >= 0 && size >= 4 && data[3] != '-') {
		char line[200];
		size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
		memcpy(line, data, n);
		while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
			n--;
		line[n] = '\0';
		set_result(&tr->job->results[tr->rcpt_at], atoi(line), line + (n > 4 ? 4 : n));
		tr->rcpt_at = -1;
	}
	return 0;
}

static void start_transfer(struct transport *t, struct transfer *tr, struct transport_job *job)
{
	struct sbuf from = SBUF_INIT;

	memset(tr, 0, sizeof(*tr));
	tr->job = job;
	tr->rcpt_at = -1;
	for (int i = 0; i < job->n_rcpt; i++) {
		struct sbuf r = SBUF_INIT;
		sbuf_addf(&r, "<%s>", job->rcpt[i]);
		tr->rcpts = curl_slist_append(tr->rcpts, r.buf);
		sbuf_release(&r);
	}
	sbuf_addf(&from, "<%s>", job->from);
	tr->easy = curl_easy_init();
	if (!tr->easy)
		fatal("curl_easy_init failed");
	curl_easy_setopt(tr->easy, CURLOPT_URL, t->cfg->delivery.smarthost);
	set_tls(tr->easy, &t->cfg->delivery);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_FROM, from.buf);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_RCPT, tr->rcpts);
	curl_easy_setopt(tr->easy, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_READFUNCTION, read_copy);
	curl_easy_setopt(tr->easy, CURLOPT_READDATA, tr);
	curl_easy_setopt(tr->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(job->prefix_len + job->len));
	curl_easy_setopt(tr->easy, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_DEBUGFUNCTION, watch_dialogue);
	curl_easy_setopt(tr->easy, CURLOPT_DEBUGDATA, tr);
	curl_easy_setopt(tr->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(tr->easy, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(tr->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(tr->easy, CURLOPT_PRIVATE, tr);
	curl_multi_add_handle(t->multi, tr->easy);
	sbuf_release(&from);
}

/* The transaction ended: recipients without a verdict of their own get the transaction's. */
static void finish_transfer(struct transport *t, struct transfer *tr, CURLcode rc)
{
	long code = 0;
	struct sbuf text = SBUF_INIT;

	curl_easy_getinfo(tr->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		sbuf_addf(&text, "accepted by %s", t->cfg->delivery.smarthost);
	} else if (code >= 400) {
		sbuf_addf(&text, "%s (%s)", curl_easy_strerror(rc), t->cfg->delivery.smarthost);
	} else {
		code = 451; /* no answer at all: the smarthost is down or unreachable; try again */
		sbuf_addf(&text, "4.4.1 %s: %s", t->cfg->delivery.smarthost, curl_easy_strerror(rc));
	}
	for (int i = 0; i < tr->job->n_rcpt; i++) {
		struct transport_result *r = &tr->job->results[i];
		if (r->code == 0 || (r->code >= 200 && r->code < 300))
			set_result(r, rc == CURLE_OK ? 250 : (int)code, text.buf);
	}
	curl_multi_remove_handle(t->multi, tr->easy);
	curl_easy_cleanup(tr->easy);
	curl_slist_free_all(tr->rcpts);
	sbuf_release(&text);
}

/*
 * Waits up to 1 s for news (a socket curl watches, curl's deadline, or a
 * report that returned) and lets curl act on it; then ends what finished,
 * adding their jobs to ended[*n_ended].
 */
static void advance(struct transport *t, struct transport_job **ended, int *n_ended)
{
	struct epoll_event evs[16];
	CURLMsg *m;
	int running, left;
	long long wait = t->deadline < 0 ? 1000 : t->deadline - clock_monotonic_ms();

	int n = epoll_wait(t->epoll, evs, 16, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.fd == t->wake_fd) {
			uint64_t count;
			if (read(t->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				log_msg(LOG_WARNING, "deliver: reading the transport's wake-up: %s", strerror(errno));
			continue;
		}
		int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) | (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(t->multi, evs[i].data.fd, flags, &running);
	}
	if (t->deadline >= 0 && clock_monotonic_ms() >= t->deadline)
		curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	while ((m = curl_multi_info_read(t->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct transfer *tr;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&tr);
		finish_transfer(t, tr, m->data.result);
		ended[(*n_ended)++] = tr->job;
	}
}

/*
 * The reports of a smtp run, made by a thread of their own so that the
 * other connections go on while one report is being recorded.
 */
struct reporter {
	pthread_mutex_t lock;         /* guards the fields below but done, ctx and wake_fd */
	pthread_cond_t wake;          /* jobs were queued, or none will come any more */
	struct transport_job **queue; /* ended and not reported yet (room for every job) */
	int queued;                   /* how many are in queue */
	int reported;                 /* jobs done() has returned for */
	int closing;                  /* every job has ended: stop once the queue is empty */
	transport_done_fn done;       /* the caller's, with its ctx */
	void *ctx;
	int wake_fd;                  /* the transport's, written after each report: a job may start */
};

/* The reporting thread: hands whatever ended meanwhile to done(), one call at a time. */
static void *report_loop(void *arg)
{
	struct reporter *r = arg;
	struct transport_job **batch = NULL;
	int room = 0;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->queued && !r->closing)
			pthread_cond_wait(&r->wake, &r->lock);
		int n = r->queued;
		if (n == 0)
			break;
		if (n > room)
			batch = xrealloc(batch, (size_t)(room = n) * sizeof(*batch));
		memcpy(batch, r->queue, (size_t)n * sizeof(*batch));
		r->queued = 0;
		pthread_mutex_unlock(&r->lock);
		r->done(batch, n, r->ctx);
		pthread_mutex_lock(&r->lock);
		r->reported += n;
		uint64_t one = 1;
		if (write(r->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_msg(LOG_WARNING, "deliver: waking the transport: %s", strerror(errno));
	}
	pthread_mutex_unlock(&r->lock);
	free(batch);
	return NULL;
}

/* Jobs reported so far. */
static int reported(struct reporter *r)
{
	pthread_mutex_lock(&r->lock);
	int n = r->reported;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Hands ended jobs to the reporting thread. */
static void report(struct reporter *r, struct transport_job **ended, int n)
{
	pthread_mutex_lock(&r->lock);
	memcpy(r->queue + r->queued, ended, (size_t)n * sizeof(*ended));
	r->queued += n;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/*
 * Runs the jobs over at most `connections` connections.  A job counts as
 * open from its start until done() has returned for it, and no more than
 * `connections` are open at once: each connection carries at most one
 * transaction that the smarthost may have taken and the caller not yet
 * recorded.
 */
static void run_smtp(struct transport *t, struct transport_job *jobs, int n_jobs, transport_done_fn done, void *ctx)
{
	struct transfer *trs = xcalloc((size_t)n_jobs, sizeof(*trs));
	struct transport_job **ended = xcalloc((size_t)n_jobs, sizeof(*ended));
	struct reporter r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			      xcalloc((size_t)n_jobs, sizeof(*r.queue)), 0, 0, 0, done, ctx, t->wake_fd };
	pthread_t thread;
	int started = 0, finished = 0;

	/* Nothing is sent yet: mlistd starts the process again, and the round with it. */
	if (pthread_create(&thread, NULL, report_loop, &r) != 0)
		fatal("cannot start the reporting thread");
	while (finished < n_jobs) {
		int open_limit = reported(&r) + t->cfg->delivery.connections;
		while (started < n_jobs && started < open_limit) {
			start_transfer(t, &trs[started], &jobs[started]);
			started++;
		}
		int n_ended = 0;
		advance(t, ended, &n_ended);
		if (n_ended) {
			report(&r, ended, n_ended);
			finished += n_ended;
		}
	}
	pthread_mutex_lock(&r.lock);
	r.closing = 1;
	pthread_cond_signal(&r.wake);
	pthread_mutex_unlock(&r.lock);
	pthread_join(thread, NULL);
	free(r.queue);
	free(ended);
	free(trs);
}

void transport_run(struct transport *t, struct transport_job *jobs, int n_jobs, transport_done_fn done, void *ctx)
{
	if (n_jobs == 0)
		return;
	if (t->cfg->delivery.transport == TRANSPORT_SMTP)
		run_smtp(t, jobs, n_jobs, done, ctx);
	else
		run_maildir(t, jobs, n_jobs, done, ctx);
}
