/*
 * page_settings: a person's own subscriptions (how they get each
 * group's posts, leaving one), and the one-click unsubscribe of every
 * copy's List-Unsubscribe (RFC 8058).
 *
 * Changes go through the owners every other way uses: the store's
 * subscription settings, and membership_leave for leaving (the goodbye
 * and the moderators' notice, as for a mail command).  The settings
 * forms carry the session's csrf token.  The one-click POST has none:
 * the token in its address is the proof (an HMAC over the member and
 * the group, web_token.h), and a mail client posts it without a session.
 * Its GET only shows a button, so a scanner following the link changes
 * nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "html.h"
#include "log.h"
#include "membership.h"
#include "notice.h"
#include "spool.h"
#include "store.h"
#include "store_member.h"
#include "web.h"
#include "words.h"

/* The change lines among the person's groups (follow_line is theirs only). */
struct lines {
	char **names;
	size_t n;
};

static int take_line(const struct web_group_row *g, void *ctx)
{
	struct lines *l = ctx;

	if (strcmp(g->kind, "change-line") == 0) {
		l->names = xrealloc(l->names, (l->n + 1) * sizeof(*l->names));
		l->names[l->n++] = xstrdup(g->name);
	}
	return 0;
}

static int is_line(const struct lines *l, const char *group)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], group) == 0)
			return 1;
	return 0;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

struct settings {
	struct web_request *rq;
	const struct lines *lines;
	int rows;
};

static void mode_option(struct sbuf *out, const char *value, const char *label, const char *current)
{
	sbuf_addf(out, "<option value=\"%s\"%s>%s</option>", value, strcmp(value, current) == 0 ? " selected" : "",
		  label);
}

static int subscription_form(const struct subscription_row *s, void *ctx)
{
	struct settings *set = ctx;
	struct web_request *rq = set->rq;
	const struct web_words *w = rq->words;
	struct sbuf *out = &rq->out;

	set->rows++;
	sbuf_addstr(out, "<form method=\"post\" action=\"/settings\" class=\"subscription\">\n<h2>");
	html_str(out, s->group);
	sbuf_addstr(out, "</h2>\n");
	html_csrf(out, rq->person.csrf);
	sbuf_addstr(out, "<input type=\"hidden\" name=\"group\" value=\"");
	html_str(out, s->group);
	sbuf_addf(out, "\">\n<p><label>%s <select name=\"mode\">", w->mode);
	mode_option(out, "each", w->mode_each, s->mode);
	mode_option(out, "digest", w->mode_digest, s->mode);
	mode_option(out, "nomail", w->mode_nomail, s->mode);
	sbuf_addstr(out, "</select></label></p>\n");
	if (is_line(set->lines, s->group))
		sbuf_addf(out, "<p><label><input type=\"checkbox\" name=\"follow_line\" value=\"1\"%s> %s</label></p>\n",
			  s->follow_line ? " checked" : "", w->follow_line);
	sbuf_addf(out, "<p><button type=\"submit\" name=\"action\" value=\"save\">%s</button> "
		  "<button type=\"submit\" name=\"action\" value=\"leave\">%s</button></p>\n</form>\n", w->save, w->leave);
	return 0;
}

static void settings_page(struct web_request *rq, const struct lines *lines)
{
	const struct web_words *w = rq->words;
	struct settings set = { rq, lines, 0 };
	struct sbuf done = SBUF_INIT;

	html_page_start(&rq->out, w, w->settings, rq->person.address, rq->person.csrf);
	if (web_field(rq->route.query, strlen(rq->route.query), "done", &done) == 1 &&
	    (strcmp(done.buf, "saved") == 0 || strcmp(done.buf, "left") == 0))
		sbuf_addf(&rq->out, "<p class=\"note\">%s</p>\n", strcmp(done.buf, "saved") == 0 ? w->saved : w->left);
	sbuf_release(&done);
	sbuf_addf(&rq->out, "<p>%s</p>\n", w->settings_intro);
	if (store_person_subscriptions(rq->w->st, rq->person.address, subscription_form, &set) < 0) {
		web_store_failed(rq);
		return;
	}
	if (!set.rows)
		sbuf_addf(&rq->out, "<p>%s</p>\n", w->no_groups);
	html_page_end(&rq->out);
}

/* Leaves group (with its goodbye) or changes how its posts come; 1 done, 0 refused (answered), -1 store. */
static int settings_change(struct web_request *rq, const struct lines *lines, const char *group, const char *action)
{
	struct web *w = rq->w;
	const char *who = rq->person.address;
	struct sbuf mode = SBUF_INIT, follow = SBUF_INIT;
	int subscribed = store_is_subscribed(w->st, group, who), r = -1;

	if (subscribed <= 0) {
		if (subscribed == 0)
			web_error(rq, 404, rq->words->not_found);
		return subscribed;
	}
	if (strcmp(action, "leave") == 0) {
		if (store_begin(w->st) < 0)
			return -1;
		if (membership_leave(w->cfg, w->st, w->sp, group, who) < 0 || notice_commit(w->st, w->sp) < 0) {
			notice_rollback(w->st, w->sp);
			return -1;
		}
		log_msg(LOG_INFO, "web: %s left %s", who, group);
		spool_doorbell_ring(w->sp, SPOOL_BELL_DELIVER);
		web_redirect(rq, "/settings?done=left");
		return 1;
	}
	if (strcmp(action, "save") != 0 || web_form(rq, "mode", &mode) != 1 ||
	    (strcmp(mode.buf, "each") != 0 && strcmp(mode.buf, "digest") != 0 && strcmp(mode.buf, "nomail") != 0) ||
	    web_form(rq, "follow_line", &follow) < 0) {
		web_error(rq, 400, rq->words->bad_request);
		r = 0;
		goto out;
	}
	struct subscription_settings set = { mode.buf, is_line(lines, group) ? follow.len > 0 : -1, NULL };
	if (store_subscription_set(w->st, group, who, &set) < 0)
		goto out;
	log_msg(LOG_INFO, "web: %s now gets %s as %s%s", who, group, mode.buf,
		set.follow_line == 1 ? ", with its projects" : "");
	web_redirect(rq, "/settings?done=saved");
	r = 1;
out:
	sbuf_release(&mode);
	sbuf_release(&follow);
	return r;
}

void page_settings(struct web_request *rq)
{
	struct lines lines = { NULL, 0 };
	struct sbuf group = SBUF_INIT, action = SBUF_INIT;

	if (store_web_groups(rq->w->st, rq->person.id, take_line, &lines) < 0) {
		web_store_failed(rq);
		goto out;
	}
	if (!rq->post) {
		settings_page(rq, &lines);
		goto out;
	}
	if (!web_csrf_ok(rq))
		goto out;
	if (web_form(rq, "group", &group) != 1 || web_form(rq, "action", &action) != 1) {
		web_error(rq, 400, rq->words->bad_request);
		goto out;
	}
	if (settings_change(rq, &lines, group.buf, action.buf) < 0)
		web_store_failed(rq);
out:
	lines_free(&lines);
	sbuf_release(&group);
	sbuf_release(&action);
}

/*
 * Takes the token's person out of its group: their subscription, or the
 * followed change lines that bring them this project's posts.  Returns
 * 1 (something changed or nothing was left to change), -1 (store).
 */
static int unsubscribe(struct web_request *rq, long long member_id, long long group_id, const char *address,
		       const char *group)
{
	struct web *w = rq->w;
	int subscribed, lines = 0;

	if (store_begin(w->st) < 0)
		return -1;
	subscribed = store_is_subscribed(w->st, group, address);
	if (subscribed > 0 && membership_leave(w->cfg, w->st, w->sp, group, address) < 0)
		subscribed = -1;
	if (subscribed == 0)
		lines = store_web_unfollow(w->st, member_id, group_id);
	if (subscribed < 0 || lines < 0 || notice_commit(w->st, w->sp) < 0) {
		notice_rollback(w->st, w->sp);
		return -1;
	}
	if (subscribed)
		log_msg(LOG_INFO, "web: %s unsubscribed from %s (one-click)", address, group);
	if (lines)
		log_msg(LOG_INFO, "web: %s no longer follows the change line(s) bringing %s (one-click)", address, group);
	if (subscribed)
		spool_doorbell_ring(w->sp, SPOOL_BELL_DELIVER);
	return 1;
}

void page_unsubscribe(struct web_request *rq)
{
	const struct web_words *w = rq->words;
	long long member_id, group_id;
	char *address = NULL, *group = NULL;
	int r = 0;

	if (web_unsubscribe_parse(rq->route.arg, &member_id, &group_id) == 0 &&
	    (r = store_web_unsubscribe_target(rq->w->st, member_id, group_id, &address, &group)) == 1)
		r = web_unsubscribe_valid(rq->w->key, rq->route.arg, member_id, group_id, address, group);
	if (r < 0) {
		web_store_failed(rq);
	} else if (r == 0) {
		web_error(rq, 404, w->unsubscribe_dead);
	} else if (!rq->post) {
		html_page_start(&rq->out, w, w->unsubscribe_title, NULL, NULL);
		sbuf_addstr(&rq->out, "<p>");
		html_str(&rq->out, w->unsubscribe_confirm);
		sbuf_addstr(&rq->out, "</p>\n<p><strong>");
		html_str(&rq->out, group);
		sbuf_addstr(&rq->out, "</strong></p>\n<form method=\"post\" action=\"\">"
			    "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">");
		sbuf_addf(&rq->out, "<p><button type=\"submit\">%s</button></p></form>\n", w->unsubscribe_button);
		html_page_end(&rq->out);
	} else if (unsubscribe(rq, member_id, group_id, address, group) < 0) {
		web_store_failed(rq);
	} else {
		html_page_start(&rq->out, w, w->unsubscribe_title, NULL, NULL);
		sbuf_addf(&rq->out, "<p class=\"note\">%s</p>\n", w->unsubscribed);
		html_page_end(&rq->out);
	}
	free(address);
	free(group);
}
