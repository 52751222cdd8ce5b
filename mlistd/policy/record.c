/*
 * record: placing a post in its groups' threads and queueing its copies; see record.h.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>

#include "message.h"
#include "sbuf.h"
#include "store_delivery.h"
#include "store_message.h"

void places_add(struct places *pl, long long group, long long thread, const char *name, const char *how)
{
	for (int i = 0; i < pl->n; i++) {
		if (pl->group[i] == group)
			return;
	}
	if (pl->n == MAX_PLACES)
		return;
	pl->group[pl->n] = group;
	pl->thread[pl->n] = thread;
	snprintf(pl->names[pl->n], sizeof(pl->names[0]), "%s", name);
	snprintf(pl->how[pl->n], sizeof(pl->how[0]), "%s", how);
	pl->n++;
}

void places_names(const struct places *pl, struct sbuf *out)
{
	for (int i = 0; i < pl->n; i++)
		sbuf_addf(out, "%s%s", i ? ", " : "", pl->names[i]);
}

long long record_post(struct store *st, const struct record_post *post, const struct places *pl)
{
	char *base = message_base_subject(post->subject);
	long long copies = -1;

	for (int i = 0; i < pl->n; i++) {
		long long thread = pl->thread[i];
		if (!thread && (thread = store_thread_start(st, pl->group[i], post->message_id, base, post->when)) < 0)
			goto out;
		if (store_message_place(st, post->message, pl->group[i], thread, pl->how[i], post->when) < 0)
			goto out;
	}
	/* Who gets a copy is decided now, in the same transaction as the places. */
	copies = store_delivery_expand(st, post->message, post->author, post->when);
out:
	free(base);
	return copies;
}
