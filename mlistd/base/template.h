/*
 * template: fills a text's placeholders, {name}, with values, and checks
 * a text before it is ever used.  Values are copied in as they are, never
 * read as a format: whatever a value holds (an author's subject with
 * braces or percent signs), it cannot change the text around it.
 *
 * A placeholder is '{', letters, digits or '_', '}'; any other brace is
 * text.  A line with placeholders that all came out empty is left out,
 * so an optional value (a reason not given) leaves no half line behind.
 */
#ifndef MLIST_TEMPLATE_H
#define MLIST_TEMPLATE_H

#include <stddef.h>

struct sbuf;

struct template_var {
	const char *name;
	const char *value;
};

/* Appends text to out with each placeholder replaced by its var's value (an unknown one by nothing). */
void template_render(const char *text, const struct template_var *vars, size_t n, struct sbuf *out);

/*
 * Checks that every placeholder in text is one of names (NULL-ended).
 * Returns 0, or the line (from 1) of the first that is not, with its
 * name in bad.
 */
int template_check(const char *text, const char *const *names, struct sbuf *bad);

#endif
