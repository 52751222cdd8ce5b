/*
 * bounce: failures of mail to members, counted and told; see bounce.h.
 */
#include "bounce.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dsn.h"
#include "held.h"
#include "list_address.h"
#include "moderation.h"
#include "notice.h"
#include "sbuf.h"
#include "store.h"
#include "store_bounce.h"
#include "store_group.h"
#include "template.h"
#include "record.h"

/* The moderators hear of a refusal for policy: it says something about the list or a sender, not the member. */
static int report_policy(const struct bounce_ctx *c, const struct bounce_record *b, const char *addr,
			 const char *group)
{
	struct template_var vars[] = { { "address", addr }, { "status", b->status }, { "diagnostic", b->diagnostic } };

	return moderation_tell_moderators(c->cfg, c->st, c->sp, group, TEXT_BOUNCE_POLICY, vars, 3);
}

/* The member, and the group's moderators unless it turned owner notices off, hear that copies to the member stopped. */
static int tell_disabled(const struct bounce_ctx *c, const struct bounce_record *b, const char *addr,
			 const char *group)
{
	char count[24];

	snprintf(count, sizeof(count), "%lld", b->disable_after);
	struct template_var vars[] = { { "address", addr }, { "count", count }, { "status", b->status },
				       { "diagnostic", b->diagnostic } };
	int tell;
	if (notice_text(c->cfg, c->st, c->sp, group, NULL, NULL, addr, TEXT_BOUNCE_DISABLED, vars, 4) < 0 ||
	    (tell = store_group_owner_notices(c->st, group)) < 0)
		return -1;
	return tell ? moderation_tell_moderators(c->cfg, c->st, c->sp, group, TEXT_BOUNCE_DISABLED_MODERATORS, vars, 4)
		    : 0;
}

int bounce_count(const struct bounce_ctx *c, struct bounce_record *b, const char *addr, const char *group,
		 struct sbuf *note)
{
	b->now = c->now;
	b->disable_after = c->cfg->delivery.bounce_disable;
	b->reset_after = (long long)c->cfg->delivery.bounce_reset_days * 86400;
	int disabled = store_bounce_record(c->st, b);
	if (disabled < 0)
		return -1;
	if (note->len)
		sbuf_addch(note, '\n');
	sbuf_addf(note, "bounce: %s failure (%s) of mail from %s to %s: %s%s", dsn_kind_name(b->kind), b->status, group,
		  addr, b->diagnostic, b->kind == BOUNCE_PERMANENT ? (disabled ? "; delivery disabled" : "; counted")
				       : b->kind == BOUNCE_POLICY ? "; not counted, moderators told"
								  : "; not counted");
	if (b->kind == BOUNCE_POLICY && report_policy(c, b, addr, group) < 0)
		return -1;
	if (disabled && tell_disabled(c, b, addr, group) < 0)
		return -1;
	return 0;
}

/* Holds bounce mail mlist cannot read for a moderator, as unsorted: approving it never posts it by mistake. */
static int hold_unrecognised(const struct bounce_ctx *c, const struct list_address *la, const struct bounce_mail *m,
			     const char *why, struct sbuf *note)
{
	struct held_ctx hc = { c->cfg, c->st, c->sp };
	struct held_post hp = { m->message, m->from_addr, m->from_name, m->subject, m->text, m->len, 1 };
	struct places nowhere = { 0 };
	struct sbuf told = SBUF_INIT;
	long long held = held_hold(&hc, &hp, &nowhere, "unrecognised bounce", c->now, &told);

	if (held >= 0) {
		if (note->len)
			sbuf_addch(note, '\n');
		sbuf_addf(note, "bounce: mail to %s-bounces%s%s is %s; held %lld as unrecognised bounce%s", la->group,
			  la->ext[0] ? "+" : "", la->ext, why, held, told.buf);
	}
	sbuf_release(&told);
	return held < 0 ? -1 : 1;
}

int bounce_mail(const struct bounce_ctx *c, const struct list_address *la, const struct bounce_mail *m,
		struct sbuf *note)
{
	struct dsn d;
	char verp[320];
	int by_verp = la->ext[0] && list_address_verp_member(la->ext, verp, sizeof(verp)) == 0, failures = 0,
	    counted = 0, r = 0;

	if (dsn_read(m->text, m->len, &d) < 0)
		return hold_unrecognised(c, la, m, "no delivery status notification", note);
	long long group_id = store_group_id(c->st, la->group);
	for (int i = 0; i < d.n && r == 0; i++) {
		struct dsn_recipient *rc = &d.rcpt[i];
		if (rc->kind == BOUNCE_NONE)
			continue;
		failures++;
		/* VERP names the member whatever the report says (a forward may have changed the address). */
		const char *addr = by_verp ? verp : *rc->final_recipient ? rc->final_recipient : rc->original_recipient;
		long long member = store_bounce_member(c->st, addr);
		if (member == 0 && !by_verp && *rc->original_recipient) {
			addr = rc->original_recipient;
			member = store_bounce_member(c->st, addr);
		}
		if (member < 0) {
			r = -1;
		} else if (member > 0) {
			struct bounce_record b = { member, group_id > 0 ? group_id : 0, 0, rc->kind, rc->status,
						   rc->diagnostic, 0, 0, 0 };
			r = bounce_count(c, &b, addr, la->group, note);
			counted++;
			if (by_verp)
				break; /* one member per VERP address: its first failure says it */
		}
	}
	if (r == 0 && failures && !counted)
		r = hold_unrecognised(c, la, m, "a report about no member", note);
	else if (r == 0 && !failures)
		sbuf_addf(note, "%sbounce: report to %s-bounces tells of no failure (%s); nothing to do", note->len ? "\n" : "",
			  la->group, d.rcpt[0].action);
	dsn_release(&d);
	return r;
}
