/*
 * cmd_digest: mlistctl digest send [GROUP], mlistctl digest show GROUP.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "digest.h"
#include "sbuf.h"
#include "spool.h"
#include "store.h"

int cmd_digest_send(struct cli *c)
{
	struct sbuf err = SBUF_INIT, note = SBUF_INIT;
	struct spool *sp = spool_attach(c->cfg->spool, &err);
	int r;

	if (!sp) {
		r = cli_fail("%s", err.buf);
		sbuf_release(&err);
		return r;
	}
	struct digest_ctx dc = { c->cfg, c->store, sp, clock_now() };
	int built = digest_run(&dc, c->n_args ? c->arg[0] : NULL, 1, &note);
	if (note.len)
		fprintf(c->out, "%s\n", note.buf);
	if (built < 0) {
		r = cli_store_fail(c);
	} else {
		/* what was queued goes out now, not at delivery's next look */
		if (built)
			spool_doorbell_ring(sp, SPOOL_BELL_DELIVER);
		else
			fprintf(c->out, "no digest to send: no posts wait for digest members\n");
		r = 0;
	}
	spool_close(sp);
	sbuf_release(&err);
	sbuf_release(&note);
	return r;
}

int cmd_digest_show(struct cli *c)
{
	const char *format = cli_opt(c, "format");
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	struct spool *sp;
	int r;

	if (format && strcmp(format, "mime") != 0 && strcmp(format, "text") != 0)
		return cli_fail("--format is mime or text, not '%s'", format);
	if (!(sp = spool_attach(c->cfg->spool, &err))) {
		r = cli_fail("%s", err.buf);
		sbuf_release(&err);
		return r;
	}
	struct digest_ctx dc = { c->cfg, c->store, sp, clock_now() };
	int posts = digest_preview(&dc, c->arg[0], format ? format : "text", cli_opt(c, "follow-line") != NULL, &out);
	if (posts < 0) {
		r = cli_store_fail(c);
	} else if (posts == 0) {
		fprintf(c->out, "no posts wait for %s's next digest\n", c->arg[0]);
		r = 0;
	} else {
		/* for a terminal: the message's CRLF line ends as the system's */
		for (size_t i = 0; i < out.len; i++)
			if (out.buf[i] != '\r' || i + 1 == out.len || out.buf[i + 1] != '\n')
				fputc(out.buf[i], c->out);
		r = 0;
	}
	spool_close(sp);
	sbuf_release(&err);
	sbuf_release(&out);
	return r;
}
