/*
 * texts: the templates of every text mlist sends a person; see texts.h.
 */
#include "texts.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sbuf.h"
#include "template.h"
#include "texts_embedded.h"

#define MAX_TEMPLATE (64 * 1024)

/* Each text's name and the placeholders it has besides the common ones. */
static const struct {
	const char *name;
	const char *vars[8];
} catalog[TEXT_COUNT] = {
	[TEXT_HELD] = { "held", { "held_id", "from", "subject", "reason", "confirm_address", "post_start" } },
	[TEXT_HELD_UNSORTED] = { "held-unsorted",
				 { "held_id", "from", "subject", "reason", "confirm_address", "post_start" } },
	[TEXT_HELD_AUTHOR] = { "held-author", { "subject", "reason" } },
	[TEXT_POST_REFUSED] = { "post-refused", { "subject", "reason" } },
	[TEXT_POST_EXPIRED] = { "post-expired", { "subject" } },
	[TEXT_BOUNCE_DISABLED] = { "bounce-disabled", { "address", "count", "status", "diagnostic" } },
	[TEXT_BOUNCE_DISABLED_MODERATORS] = { "bounce-disabled-moderators",
					      { "address", "count", "status", "diagnostic" } },
	[TEXT_BOUNCE_POLICY] = { "bounce-policy", { "address", "status", "diagnostic" } },
	[TEXT_HELP] = { "help", { "address" } },
	[TEXT_ROSTER_PRIVATE] = { "roster-private", { "address" } },
	[TEXT_ALREADY_SUBSCRIBED] = { "already-subscribed", { "address" } },
	[TEXT_NOT_SUBSCRIBED] = { "not-subscribed", { "address" } },
	[TEXT_SUBSCRIBE_TO_MODERATORS] = { "subscribe-to-moderators", { "address" } },
	[TEXT_CONFIRM_SUBSCRIBE] = { "confirm-subscribe", { "address", "confirm_address" } },
	[TEXT_CONFIRM_UNSUBSCRIBE] = { "confirm-unsubscribe", { "address", "confirm_address" } },
	[TEXT_WELCOME] = { "welcome", { "address" } },
	[TEXT_GOODBYE] = { "goodbye", { "address" } },
	[TEXT_STATUS] = { "status", { "address", "subscriptions" } },
	[TEXT_CONFIRM_SET] = { "confirm-set", { "address", "change", "confirm_address" } },
	[TEXT_SET_DONE] = { "set-done", { "address", "change", "subscriptions" } },
	[TEXT_OWNER_SUBSCRIBED] = { "owner-subscribed", { "address" } },
	[TEXT_OWNER_UNSUBSCRIBED] = { "owner-unsubscribed", { "address" } },
	[TEXT_DIGEST] = { "digest", { "number", "date", "count", "contents" } },
	[TEXT_WEB_LOGIN] = { "web-login", { "address", "link", "minutes" } },
};

static const char *const common_vars[] = { "group", "group_title", "domain", "post_address", "request_address",
					   "owner_address" };
#define N_COMMON (sizeof(common_vars) / sizeof(common_vars[0]))

struct text {
	char *lang;  /* NULL for a group's own */
	char *group; /* NULL for a language's */
	enum text_id id;
	char *body;  /* the whole template */
};

struct texts {
	struct text *list;
	size_t n;
	char **langs;
	size_t n_langs;
};

int texts_check_footer(const char *text, struct sbuf *bad)
{
	const char *names[N_COMMON + 1];

	for (size_t i = 0; i < N_COMMON; i++)
		names[i] = common_vars[i];
	names[N_COMMON] = NULL;
	return template_check(text, names, bad);
}

const char *texts_name(enum text_id id)
{
	return catalog[id].name;
}

static int id_of(const char *name, size_t len)
{
	for (int i = 0; i < TEXT_COUNT; i++) {
		if (strlen(catalog[i].name) == len && memcmp(catalog[i].name, name, len) == 0)
			return i;
	}
	return -1;
}

/* Checks a template's shape and placeholders; where names it in errors. */
static int check(const char *where, enum text_id id, const char *text, struct sbuf *err)
{
	const char *names[N_COMMON + 9];
	size_t k = 0;
	struct sbuf bad = SBUF_INIT;

	if (strncmp(text, "Subject: ", 9) != 0) {
		sbuf_addf(err, "%s:1: the first line must be the subject, \"Subject: ...\"", where);
		return -1;
	}
	const char *eol = strchr(text, '\n');
	if (!eol || (eol[1] != '\n' && !(eol[1] == '\r' && eol[2] == '\n'))) {
		sbuf_addf(err, "%s:2: an empty line must follow the subject", where);
		return -1;
	}
	for (size_t i = 0; i < N_COMMON; i++)
		names[k++] = common_vars[i];
	for (int i = 0; catalog[id].vars[i]; i++)
		names[k++] = catalog[id].vars[i];
	names[k] = NULL;
	int line = template_check(text, names, &bad);
	if (line) {
		sbuf_addf(err, "%s:%d: unknown placeholder {%s} in %s (it knows", where, line, bad.buf, catalog[id].name);
		for (size_t i = 0; names[i]; i++)
			sbuf_addf(err, " {%s}", names[i]);
		sbuf_addch(err, ')');
	}
	sbuf_release(&bad);
	return line ? -1 : 0;
}

static void add(struct texts *t, const char *lang, const char *group, enum text_id id, char *body)
{
	t->list = xrealloc(t->list, (t->n + 1) * sizeof(*t->list));
	t->list[t->n++] = (struct text){ lang ? xstrdup(lang) : NULL, group ? xstrdup(group) : NULL, id, body };
}

int texts_has_language(const struct texts *t, const char *lang)
{
	for (size_t i = 0; i < t->n_langs; i++) {
		if (strcmp(t->langs[i], lang) == 0)
			return 1;
	}
	return 0;
}

void texts_languages(const struct texts *t, struct sbuf *out)
{
	for (size_t i = 0; i < t->n_langs; i++)
		sbuf_addf(out, "%s%s", i ? ", " : "", t->langs[i]);
}

/* Reads path whole: 1 and *out set, 0 when there is no such file, -1 (err set) when it cannot be read. */
static int read_file(const char *path, char **out, struct sbuf *err)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		sbuf_addf(err, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= MAX_TEMPLATE)
		sbuf_add(&sb, buf, n);
	int failed = ferror(f);
	fclose(f);
	if (failed || sb.len > MAX_TEMPLATE || memchr(sb.buf ? sb.buf : "", '\0', sb.len)) {
		sbuf_addf(err, "%s: %s", path, failed ? "cannot read" : "not a text of at most 64 KiB");
		sbuf_release(&sb);
		return -1;
	}
	*out = sbuf_detach(&sb);
	if (!*out)
		*out = xstrdup("");
	return 1;
}

/* Whether name ("nl", "en-gb") can be a language folder. */
static int language_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 8 || !islower((unsigned char)name[0]))
		return 0;
	for (const char *p = name; *p; p++) {
		if (!islower((unsigned char)*p) && *p != '-')
			return 0;
	}
	return 1;
}

/* Every file in folder must be NAME.txt of a known text: a misspelt name would be ignored without a word. */
static int check_names(const char *folder, struct sbuf *err)
{
	DIR *d = opendir(folder);
	struct dirent *e;
	int r = 0;

	if (!d)
		return 0;
	while (r == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0 || id_of(e->d_name, n - 4) < 0) {
			sbuf_addf(err, "%s/%s: no text is called that (the names are", folder, e->d_name);
			for (int i = 0; i < TEXT_COUNT; i++)
				sbuf_addf(err, " %s.txt", catalog[i].name);
			sbuf_addch(err, ')');
			r = -1;
		}
	}
	closedir(d);
	return r;
}

/* The languages: the built-in ones and each language folder under dir. */
static int find_languages(struct texts *t, const char *dir, struct sbuf *err)
{
	for (const struct embedded_text *e = texts_embedded; e->lang; e++) {
		if (!texts_has_language(t, e->lang)) {
			t->langs = xrealloc(t->langs, (t->n_langs + 1) * sizeof(char *));
			t->langs[t->n_langs++] = xstrdup(e->lang);
		}
	}
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return 0;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		struct stat sb;
		struct sbuf path = SBUF_INIT;
		sbuf_addf(&path, "%s/%s", dir, e->d_name);
		int is_dir = stat(path.buf, &sb) == 0 && S_ISDIR(sb.st_mode);
		sbuf_release(&path);
		/* files beside the folders (a README) are no texts */
		if (e->d_name[0] == '.' || strcmp(e->d_name, "groups") == 0 || !is_dir)
			continue;
		if (!language_name(e->d_name)) {
			sbuf_addf(err, "%s/%s: not a language folder (such as nl or en) nor groups", dir, e->d_name);
			r = -1;
		} else if (!texts_has_language(t, e->d_name)) {
			t->langs = xrealloc(t->langs, (t->n_langs + 1) * sizeof(char *));
			t->langs[t->n_langs++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	return r;
}

static const char *embedded(const char *lang, enum text_id id)
{
	for (const struct embedded_text *e = texts_embedded; e->lang; e++) {
		if (strcmp(e->lang, lang) == 0 && strcmp(e->name, catalog[id].name) == 0)
			return e->text;
	}
	return NULL;
}

/* Loads one text from path, or the built-in one (when builtin is not NULL) when there is no file. */
static int load_one(struct texts *t, const char *path, const char *lang, const char *group, enum text_id id,
		    const char *builtin, struct sbuf *err)
{
	char *body = NULL;
	int found = read_file(path, &body, err);

	if (found < 0)
		return -1;
	if (!found && !builtin)
		return group ? 0 : (sbuf_addf(err, "%s: missing: every text is needed in each language", path), -1);
	if (!found) {
		struct sbuf where = SBUF_INIT;
		sbuf_addf(&where, "built-in %s/%s.txt", lang, catalog[id].name);
		int r = check(where.buf, id, builtin, err);
		sbuf_release(&where);
		if (r < 0)
			return -1;
		body = xstrdup(builtin);
	} else if (check(path, id, body, err) < 0) {
		free(body);
		return -1;
	}
	add(t, group ? NULL : lang, group, id, body);
	return 0;
}

static int load_groups(struct texts *t, const char *dir, struct sbuf *err)
{
	struct sbuf folder = SBUF_INIT;
	sbuf_addf(&folder, "%s/groups", dir);
	DIR *d = opendir(folder.buf);
	struct dirent *e;
	int r = 0;

	while (d && r == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct sbuf sub = SBUF_INIT;
		sbuf_addf(&sub, "%s/%s", folder.buf, e->d_name);
		r = check_names(sub.buf, err);
		for (int id = 0; r == 0 && id < TEXT_COUNT; id++) {
			struct sbuf path = SBUF_INIT;
			sbuf_addf(&path, "%s/%s.txt", sub.buf, catalog[id].name);
			r = load_one(t, path.buf, NULL, e->d_name, id, NULL, err);
			sbuf_release(&path);
		}
		sbuf_release(&sub);
	}
	if (d)
		closedir(d);
	sbuf_release(&folder);
	return r;
}

struct texts *texts_load(const char *dir, struct sbuf *err)
{
	struct texts *t = xcalloc(1, sizeof(*t));
	int r = find_languages(t, dir, err);

	for (size_t l = 0; r == 0 && l < t->n_langs; l++) {
		struct sbuf folder = SBUF_INIT;
		sbuf_addf(&folder, "%s/%s", dir, t->langs[l]);
		r = check_names(folder.buf, err);
		for (int id = 0; r == 0 && id < TEXT_COUNT; id++) {
			struct sbuf path = SBUF_INIT;
			sbuf_addf(&path, "%s/%s.txt", folder.buf, catalog[id].name);
			r = load_one(t, path.buf, t->langs[l], NULL, id, embedded(t->langs[l], id), err);
			sbuf_release(&path);
		}
		sbuf_release(&folder);
	}
	if (r == 0)
		r = load_groups(t, dir, err);
	if (r < 0) {
		texts_free(t);
		return NULL;
	}
	return t;
}

void texts_free(struct texts *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->list[i].lang);
		free(t->list[i].group);
		free(t->list[i].body);
	}
	for (size_t i = 0; i < t->n_langs; i++)
		free(t->langs[i]);
	free(t->list);
	free(t->langs);
	free(t);
}

static const char *find(const struct texts *t, const char *lang, const char *group, enum text_id id)
{
	for (size_t i = 0; group && i < t->n; i++) {
		if (t->list[i].group && t->list[i].id == id && strcmp(t->list[i].group, group) == 0)
			return t->list[i].body;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->list[i].lang && t->list[i].id == id && strcmp(t->list[i].lang, lang) == 0)
			return t->list[i].body;
	}
	return NULL;
}

void texts_render(const struct texts *t, const char *lang, const char *group, enum text_id id,
		  const struct template_var *vars, size_t n, struct sbuf *subject, struct sbuf *body)
{
	const char *text = find(t, lang, group, id);
	struct sbuf all = SBUF_INIT;

	/* A language the texts no longer have (a folder removed since the group chose it): the first one. */
	if (!text)
		text = find(t, t->langs[0], NULL, id);
	template_render(text, vars, n, &all);
	const char *eol = strchr(all.buf, '\n');
	/* template_render keeps the first line: the subject was checked to have text before any placeholder. */
	size_t len = eol ? (size_t)(eol - all.buf) : all.len;
	while (len > 9 && (all.buf[len - 1] == '\r' || all.buf[len - 1] == ' '))
		len--;
	sbuf_add(subject, all.buf + 9, len > 9 ? len - 9 : 0);
	const char *rest = eol ? eol + 1 : all.buf + all.len;
	while (*rest == '\r' || *rest == '\n')
		rest++;
	sbuf_addstr(body, rest);
	sbuf_release(&all);
}
