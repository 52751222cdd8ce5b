/*
 * membership: joining and leaving, with what they say; see membership.h.
 */
#include "membership.h"

#include "config.h"
#include "moderation.h"
#include "notice.h"
#include "sbuf.h"
#include "store_group.h"
#include "store_member.h"
#include "template.h"

static int told(const struct config *cfg, struct store *st, struct spool *sp, const char *group, const char *address,
		int joining, int changed)
{
	struct sbuf from = SBUF_INIT;
	struct template_var who[] = { { "address", address } };
	int r, tell = 0;

	sbuf_addf(&from, "%s-request@%s", group, cfg->domain);
	r = notice_text(cfg, st, sp, group, from.buf, NULL, address, joining ? TEXT_WELCOME : TEXT_GOODBYE, who, 1);
	sbuf_release(&from);
	if (r == 0 && changed && (tell = store_group_owner_notices(st, group)) < 0)
		r = -1;
	if (r == 0 && tell)
		r = moderation_tell_moderators(cfg, st, sp, group,
					       joining ? TEXT_OWNER_SUBSCRIBED : TEXT_OWNER_UNSUBSCRIBED, who, 1);
	return r < 0 ? -1 : changed;
}

int membership_leave(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
		     const char *address)
{
	int member = store_is_subscribed(st, group, address);

	if (member < 0 || (member && store_unsubscribe(st, group, address) < 0))
		return -1;
	return told(cfg, st, sp, group, address, 0, member);
}

int membership_join(const struct config *cfg, struct store *st, struct spool *sp, const char *group,
		    const char *address)
{
	int member = store_is_subscribed(st, group, address);

	if (member < 0 ||
	    (!member && store_subscribe(st, group, address, NULL, "each", 0, SUBSCRIBE_UPDATE) < 0))
		return -1;
	return told(cfg, st, sp, group, address, 1, !member);
}
