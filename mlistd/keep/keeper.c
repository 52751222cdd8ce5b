/*
 * keeper: archiving, letting go of finished spool files, checkpoints; see keeper.h.
 */
#include "keeper.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "log.h"
#include "priority.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"
#include "store_delivery.h"

struct keeper {
	char *spool_dir;      /* the spool, for the archive's folders */
	struct store *st;     /* the keeper's own connection */
	struct spool *sp;     /* its own handle on the spool */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* signalled at stop */
	int stop;
};

/* One round of archiving: the posts found, their messages and spool ids. */
struct archiving {
	struct keeper *k;
	struct maildir_batch *batch;
	long long *messages;   /* archived in this round, with their spool ids */
	char **spool_ids;
	int n;
	struct spool_message *msg; /* the message being archived */
	const char *spool_id;
};

static int archive_into(const char *group, void *ctx)
{
	struct archiving *a = ctx;

	archive_add(a->batch, a->k->spool_dir, group, a->spool_id, a->msg->raw.buf + a->msg->body_offset,
		    a->msg->body_len);
	return 0;
}

static int archive_one(long long message, const char *spool_id, void *ctx)
{
	struct archiving *a = ctx;
	struct spool_message msg;
	struct sbuf err = SBUF_INIT;

	if (spool_read_sorted(a->k->sp, spool_id, &msg, &err) == 0) {
		a->msg = &msg;
		a->spool_id = spool_id;
		/* A nested query on the same connection: fine in sqlite. */
		store_message_groups(a->k->st, message, archive_into, a);
		a->messages = xrealloc(a->messages, (size_t)(a->n + 1) * sizeof(long long));
		a->spool_ids = xrealloc(a->spool_ids, (size_t)(a->n + 1) * sizeof(char *));
		a->messages[a->n] = message;
		a->spool_ids[a->n++] = xstrdup(spool_id);
	} else {
		log_msg(LOG_ERR, "archive: %s", err.buf);
	}
	spool_message_release(&msg);
	sbuf_release(&err);
	return 0;
}

static void archive_round(struct keeper *k)
{
	struct archiving a = { k, maildir_batch_new(), NULL, NULL, 0, NULL, NULL };

	if (store_delivery_unarchived(k->st, archive_one, &a) == 0 && a.n && maildir_batch_commit(a.batch) == 0) {
		if (store_begin(k->st) == 0) {
			int ok = 1;
			for (int i = 0; ok && i < a.n; i++)
				ok = store_delivery_set_archived(k->st, a.messages[i]) == 0;
			if (ok && store_commit(k->st) == 0) {
				/* A post nobody receives is done once archived. */
				for (int i = 0; i < a.n; i++) {
					if (store_delivery_finished(k->st, a.messages[i]) == 1)
						spool_remove(k->sp, "queue", a.spool_ids[i]);
				}
			} else {
				store_rollback(k->st);
			}
		}
	}
	maildir_batch_free(a.batch);
	for (int i = 0; i < a.n; i++)
		free(a.spool_ids[i]);
	free(a.spool_ids);
	free(a.messages);
}

/* Every KEEPER_EVERY_MS until stopped, and once more then: archive, release, checkpoint. */
static void *keeper_loop(void *arg)
{
	struct keeper *k = arg;
	int stop = 0;

	priority_background("deliver: keeper");

	while (!stop) {
		archive_round(k);
		if (store_checkpoint(k->st) < 0)
			log_msg(LOG_WARNING, "keeper: %s", store_error(k->st));
		pthread_mutex_lock(&k->lock);
		if (!k->stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += KEEPER_EVERY_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&k->wake, &k->lock, &until);
		}
		stop = k->stop;
		pthread_mutex_unlock(&k->lock);
	}
	archive_round(k);
	return NULL;
}

/* Frees what keeper_start made (the thread has ended, or never began). */
static void keeper_free(struct keeper *k)
{
	store_close(k->st);
	spool_close(k->sp);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	free(k->spool_dir);
	free(k);
}

struct keeper *keeper_start(const char *spool_dir, const char *store_path)
{
	struct keeper *k = xcalloc(1, sizeof(*k));
	struct sbuf err = SBUF_INIT;

	k->spool_dir = xstrdup(spool_dir);
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	if (!(k->st = store_open(store_path, STORE_READ_WRITE, &err)) || !(k->sp = spool_attach(spool_dir, &err)) ||
	    (errno = pthread_create(&k->thread, NULL, keeper_loop, k)) != 0) {
		log_msg(LOG_ERR, "keeper: cannot start: %s", err.len ? err.buf : strerror(errno));
		sbuf_release(&err);
		keeper_free(k);
		return NULL;
	}
	sbuf_release(&err);
	return k;
}

void keeper_stop(struct keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	keeper_free(k);
}
