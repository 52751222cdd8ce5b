/*
 * test_texts: the template renderer (placeholders, values that cannot
 * change the text around them, optional lines) and the texts: every
 * shipped text renders in every language with nothing left unfilled,
 * Dutch is not English, a templates folder overrides and is checked with
 * file and line, a group's own text wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "sbuf.h"
#include "template.h"
#include "texts.h"

static void render_fills_and_copies_values_as_they_are(void)
{
	struct template_var vars[] = { { "name", "Jan {other} 100%s" }, { "other", "NO" } };
	struct sbuf out = SBUF_INIT;

	template_render("Dag {name},\n{not a placeholder} {} {other\n", vars, 2, &out);
	/* a value is never read as a template or a format */
	CHECK(strcmp(out.buf, "Dag Jan {other} 100%s,\n{not a placeholder} {} {other\n") == 0);
	sbuf_release(&out);
}

static void a_line_whose_placeholders_are_all_empty_is_left_out(void)
{
	struct template_var vars[] = { { "subject", "Plan" }, { "reason", "" } };
	struct sbuf out = SBUF_INIT;

	template_render("Uw bericht \"{subject}\".\nReden: {reason}\n\nGroet, {unknown}\nEinde", vars, 2, &out);
	CHECK(strcmp(out.buf, "Uw bericht \"Plan\".\n\nEinde") == 0);
	sbuf_release(&out);
}

static void check_names_the_line_of_an_unknown_placeholder(void)
{
	static const char *const names[] = { "group", "address", NULL };
	struct sbuf bad = SBUF_INIT;

	CHECK(template_check("Subject: {group}\n\n{address} {x-y} {{}}\n", names, &bad) == 0);
	CHECK(template_check("Subject: {group}\n\nHallo\n{adres}\n", names, &bad) == 4);
	CHECK(strcmp(bad.buf, "adres") == 0);
	sbuf_release(&bad);
}

/* Every text in every language, with every placeholder given "@X@". */
static void every_shipped_text_renders_in_every_language(void)
{
	struct sbuf err = SBUF_INIT;
	struct texts *t = texts_load("/nonexistent", &err);
	static const char *const names[] = { "group", "group_title", "domain", "post_address", "request_address",
					     "owner_address", "held_id", "from", "subject", "reason",
					     "confirm_address", "post_start", "address", "count", "status",
					     "diagnostic", "change", "subscriptions", "number", "date", "count",
					     "contents" };
	struct template_var vars[22];

	CHECK(t != NULL);
	for (int i = 0; i < 22; i++)
		vars[i] = (struct template_var){ names[i], "@X@" };
	CHECK(texts_has_language(t, "nl") && texts_has_language(t, "en") && !texts_has_language(t, "de"));
	for (int id = 0; id < TEXT_COUNT; id++) {
		struct sbuf nl_subject = SBUF_INIT, nl_body = SBUF_INIT, en_subject = SBUF_INIT, en_body = SBUF_INIT;
		texts_render(t, "nl", NULL, id, vars, 22, &nl_subject, &nl_body);
		texts_render(t, "en", NULL, id, vars, 22, &en_subject, &en_body);
		if (!nl_subject.len || !nl_body.len || !en_subject.len || !en_body.len ||
		    strchr(nl_subject.buf, '{') || strchr(nl_body.buf, '{') || strchr(en_body.buf, '{') ||
		    strchr(nl_subject.buf, '\n') || strcmp(nl_body.buf, en_body.buf) == 0 ||
		    strcmp(nl_subject.buf, en_subject.buf) == 0) {
			fprintf(stderr, "%s:\n[%s]\n%s\n[%s]\n%s\n", texts_name(id), nl_subject.buf, nl_body.buf,
				en_subject.buf, en_body.buf);
			CHECK(!"each text has a subject and a body in both languages, all filled, and they differ");
		}
		sbuf_release(&nl_subject);
		sbuf_release(&nl_body);
		sbuf_release(&en_subject);
		sbuf_release(&en_body);
	}
	texts_free(t);
	sbuf_release(&err);
}

static const char *mkdirs(const char *dir, const char *sub)
{
	static char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >= (int)sizeof(path))
		abort();
	mkdir(path, 0755);
	return path;
}

static void a_folder_overrides_and_a_group_has_its_own(void)
{
	const char *dir = check_tmpdir();
	struct sbuf err = SBUF_INIT, subject = SBUF_INIT, body = SBUF_INIT;
	struct template_var vars[] = { { "group", "pga" }, { "address", "a@example.org" } };

	mkdirs(dir, "nl");
	mkdirs(dir, "groups");
	char groups[4096];
	if (snprintf(groups, sizeof(groups), "%s/groups", dir) >= (int)sizeof(groups))
		abort();
	mkdirs(groups, "pga");
	check_write_file(mkdirs(dir, "nl"), "help.txt", "Subject: Hulp voor {group}\n\nEigen hulp.\n");
	check_write_file(mkdirs(groups, "pga"), "welcome.txt", "Subject: Fijn dat u er bent\n\nWelkom, {address}.\n");
	check_write_file(dir, "README", "not a language");
	struct texts *t = texts_load(dir, &err);
	CHECK(t != NULL);
	texts_render(t, "nl", "other", TEXT_HELP, vars, 2, &subject, &body);
	CHECK(strcmp(subject.buf, "Hulp voor pga") == 0 && strcmp(body.buf, "Eigen hulp.\n") == 0);
	sbuf_reset(&subject);
	sbuf_reset(&body);
	texts_render(t, "en", "pga", TEXT_WELCOME, vars, 2, &subject, &body);
	CHECK(strcmp(subject.buf, "Fijn dat u er bent") == 0 && strcmp(body.buf, "Welkom, a@example.org.\n") == 0);
	sbuf_reset(&subject);
	sbuf_reset(&body);
	texts_render(t, "en", "other", TEXT_WELCOME, vars, 2, &subject, &body); /* not pga: the built-in one */
	CHECK_CONTAINS(subject.buf, "Welcome");
	texts_free(t);
	sbuf_release(&err);
	sbuf_release(&subject);
	sbuf_release(&body);
}

/* Loads dir after writing text to dir/sub/name; returns the error. */
static const char *load_error(const char *sub, const char *name, const char *text)
{
	static struct sbuf err;
	const char *dir = check_tmpdir();

	sbuf_reset(&err);
	check_write_file(mkdirs(dir, sub), name, text);
	struct texts *t = texts_load(dir, &err);
	texts_free(t);
	return t ? "" : err.buf;
}

static void a_broken_template_is_named_with_its_line(void)
{
	CHECK_CONTAINS(load_error("nl", "help.txt", "Subject: Hulp\n\nStuur {adres} een bericht\n"),
		       "/nl/help.txt:3: unknown placeholder {adres} in help");
	CHECK_CONTAINS(load_error("en", "help.txt", "Help\n\nx\n"), "/en/help.txt:1: the first line must be the subject");
	CHECK_CONTAINS(load_error("en", "help.txt", "Subject: Help\nx\n"), "/en/help.txt:2: an empty line must follow");
	CHECK_CONTAINS(load_error("nl", "welkom.txt", "Subject: x\n\ny\n"), "/nl/welkom.txt: no text is called that");
	/* a language of one's own must be complete */
	CHECK_CONTAINS(load_error("de", "help.txt", "Subject: Hilfe\n\nx\n"), "/de/held.txt: missing: every text is needed");
	CHECK_CONTAINS(load_error("Dutch", "help.txt", "Subject: x\n\ny\n"), "/Dutch: not a language folder");
}

static const struct check_case cases[] = {
	{ "render_fills_and_copies_values_as_they_are", render_fills_and_copies_values_as_they_are },
	{ "a_line_whose_placeholders_are_all_empty_is_left_out", a_line_whose_placeholders_are_all_empty_is_left_out },
	{ "check_names_the_line_of_an_unknown_placeholder", check_names_the_line_of_an_unknown_placeholder },
	{ "every_shipped_text_renders_in_every_language", every_shipped_text_renders_in_every_language },
	{ "a_folder_overrides_and_a_group_has_its_own", a_folder_overrides_and_a_group_has_its_own },
	{ "a_broken_template_is_named_with_its_line", a_broken_template_is_named_with_its_line },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, cases);
}
