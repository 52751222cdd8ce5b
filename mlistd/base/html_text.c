/*
 * html_text: HTML -> structured plain text; see html_text.h.
 */
#define _GNU_SOURCE
#include "html_text.h"

#include <libxml/HTMLparser.h>
#include <string.h>
#include <strings.h>

#include "sbuf.h"

struct writer {
	struct sbuf *out;
	size_t start;   /* where the text began in out */
	int blank;      /* a blank is owed before the next word */
	int newlines;   /* line ends at the end of out (0, 1 or 2) */
};

static int is_one_of(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(name, *names) == 0)
			return 1;
	return 0;
}

/* Ends the line, or leaves an empty line after it (paragraph); never at the very start. */
static void line_break(struct writer *w, int want)
{
	w->blank = 0;
	if (w->out->len == w->start)
		return;
	while (w->newlines < want) {
		sbuf_addstr(w->out, "\r\n");
		w->newlines++;
	}
}

static void words(struct writer *w, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			w->blank = 1;
			continue;
		}
		if (w->blank && w->newlines == 0 && w->out->len > w->start)
			sbuf_addch(w->out, ' ');
		w->blank = 0;
		w->newlines = 0;
		sbuf_addch(w->out, *p);
	}
}

static void walk(struct writer *w, xmlNode *n, int depth);

static void element(struct writer *w, xmlNode *n, int depth)
{
	static const char *const skipped[] = { "script", "style", "head", "title", "template", NULL };
	static const char *const paragraphs[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
						  "ul", "ol", "table", "hr", NULL };
	static const char *const lines[] = { "div", "tr", "li", "dt", "dd", "address", "section", "article",
					     "header", "footer", NULL };
	const char *name = (const char *)n->name;

	if (is_one_of(name, skipped))
		return;
	if (strcasecmp(name, "br") == 0) {
		w->newlines = 0; /* a <br><br> is an empty line */
		line_break(w, 1);
		return;
	}
	int para = is_one_of(name, paragraphs), line = is_one_of(name, lines);
	if (para)
		line_break(w, 2);
	else if (line)
		line_break(w, 1);
	if (strcasecmp(name, "li") == 0) {
		sbuf_addstr(w->out, "- ");
		w->newlines = 0;
	}
	if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0)
		w->blank = 1;
	size_t before = w->out->len;
	walk(w, n->children, depth + 1);
	if (strcasecmp(name, "a") == 0) {
		xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
		const char *h = (const char *)href;
		/* a link shows where it goes, unless its text says so already */
		if (h && *h && strncasecmp(h, "javascript:", 11) != 0 && strncmp(h, "#", 1) != 0 &&
		    !memmem(w->out->buf + before, w->out->len - before, strncasecmp(h, "mailto:", 7) == 0 ? h + 7 : h,
			    strlen(strncasecmp(h, "mailto:", 7) == 0 ? h + 7 : h))) {
			sbuf_addf(w->out, "%s<%s>", w->out->len > before ? " " : "", h);
			w->newlines = 0;
			w->blank = 0;
		}
		xmlFree(href);
	}
	if (para)
		line_break(w, 2);
	else if (line)
		line_break(w, 1);
}

static void walk(struct writer *w, xmlNode *n, int depth)
{
	/* the parser nests what it reads; a bound keeps hostile nesting from using the stack up */
	if (depth > 200)
		return;
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			words(w, (const char *)n->content);
		else if (n->type == XML_ELEMENT_NODE)
			element(w, n, depth);
	}
}

void html_text(const char *html, size_t len, struct sbuf *out)
{
	struct writer w = { out, out->len, 0, 0 };
	/* no network, no entities from outside, no complaints on stderr */
	htmlDocPtr doc = len > (size_t)1 << 30 ? NULL
			 : htmlReadMemory(html, (int)len, NULL, "UTF-8",
					  HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						  HTML_PARSE_RECOVER | HTML_PARSE_NOBLANKS);

	if (doc)
		walk(&w, xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	size_t end = out->len;
	while (end > w.start && (out->buf[end - 1] == '\n' || out->buf[end - 1] == '\r'))
		end--;
	if (end < out->len) {
		out->len = end;
		out->buf[end] = '\0';
	}
	sbuf_addstr(out, "\r\n");
}
