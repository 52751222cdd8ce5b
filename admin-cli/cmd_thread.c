/*
 * cmd_thread: mlistctl thread list GROUP, mlistctl message show MESSAGE-ID.
 */
#include "cli.h"
#include "json_out.h"
#include "store.h"
#include "store_message.h"

static int print_thread(const struct thread_row *t, void *ctx)
{
	struct lister *l = ctx;
	FILE *out = l->c->out;

	if (l->c->json) {
		fputs(l->count ? ",\n  {" : "\n  {", out);
		json_pair(out, "subject", t->subject);
		fputs(", ", out);
		json_pair(out, "root", t->root);
		fprintf(out, ", \"messages\": %lld, \"started\": ", t->messages);
		json_time(out, t->started);
		fputs(", \"last_activity\": ", out);
		json_time(out, t->last_activity);
		fputc('}', out);
	} else {
		write_utc(out, t->last_activity, "%Y-%m-%d %H:%M");
		fprintf(out, "  %4lld  %s\n", t->messages, *t->subject ? t->subject : "(no subject)");
	}
	l->count++;
	return 0;
}

int cmd_thread_list(struct cli *c)
{
	struct lister l = { c, 0 };

	if (c->json)
		fputc('[', c->out);
	else
		fprintf(c->out, "%-16s  %4s  %s\n", "LAST ACTIVITY", "MSGS", "SUBJECT");
	if (store_thread_each(c->store, c->arg[0], print_thread, &l) < 0)
		return cli_store_fail(c);
	if (c->json)
		fputs(l.count ? "\n]\n" : "]\n", c->out);
	return 0;
}

static int print_placement(const struct placement_row *p, void *ctx)
{
	struct lister *l = ctx;

	if (l->c->json) {
		fputs(l->count ? ", {" : "{", l->c->out);
		json_pair(l->c->out, "group", p->group);
		fputs(", ", l->c->out);
		json_pair(l->c->out, "sorted_by", p->sorted_by);
		fprintf(l->c->out, ", \"thread\": %lld}", p->thread_id);
	} else {
		fprintf(l->c->out, "%s%s (by %s)", l->count ? ", " : "", p->group, p->sorted_by);
	}
	l->count++;
	return 0;
}

static int print_message(const struct message_row *m, void *ctx)
{
	struct cli *c = ctx;
	FILE *out = c->out;
	struct lister groups = { c, 0 };

	if (c->json) {
		fputc('{', out);
		json_pair(out, "message_id", m->message_id);
		fprintf(out, ", \"generated_id\": %s, ", m->generated_id ? "true" : "false");
		json_pair(out, "state", m->state);
		fputs(", ", out);
		json_pair(out, "from", m->from_addr);
		fputs(", ", out);
		json_pair(out, "from_name", m->from_name);
		fputs(", ", out);
		json_pair(out, "envelope_from", m->envelope_from);
		fputs(", ", out);
		json_pair(out, "subject", m->subject);
		fputs(", ", out);
		json_pair(out, "spool_id", m->spool_id);
		fprintf(out, ", \"size\": %lld, \"received\": ", m->size);
		json_time(out, m->received);
		fputs(", \"groups\": [", out);
	} else {
		fprintf(out, "message-id: <%s>%s\nstate:      %s\nfrom:       %s%s%s%s\nsubject:    %s\nsize:       %lld\n"
			"received:   ", m->message_id, m->generated_id ? " (given by mlist)" : "", m->state,
			m->from_name, *m->from_name ? " <" : "", m->from_addr, *m->from_name ? ">" : "",
			m->subject, m->size);
		write_utc(out, m->received, "%Y-%m-%d %H:%M");
		fputs("\ngroups:     ", out);
	}
	if (store_message_placements(c->store, m->message_id, print_placement, &groups) < 0)
		return -1;
	fputs(c->json ? "]}\n" : groups.count ? "\n" : "(none)\n", out);
	return 0;
}

int cmd_message_show(struct cli *c)
{
	if (store_message_get(c->store, c->arg[0], print_message, c) < 0)
		return cli_store_fail(c);
	return 0;
}
