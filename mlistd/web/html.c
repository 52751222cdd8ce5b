/*
 * html: escaping and the page frame; see html.h.
 */
#include "html.h"

#include <string.h>
#include <time.h>

#include "sbuf.h"
#include "words.h"

/* The length of the UTF-8 sequence at s (at most n octets), or 0 if it is not one. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void html_escape(struct sbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		switch (c) {
		case '&': sbuf_addstr(out, "&amp;"); i++; continue;
		case '<': sbuf_addstr(out, "&lt;"); i++; continue;
		case '>': sbuf_addstr(out, "&gt;"); i++; continue;
		case '"': sbuf_addstr(out, "&quot;"); i++; continue;
		case '\'': sbuf_addstr(out, "&#39;"); i++; continue;
		case '\n': case '\t': sbuf_addch(out, (char)c); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		size_t n = utf8_length(p + i, len - i);
		if (n == 0) {
			sbuf_addstr(out, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			continue;
		}
		/* C1 controls (U+0080..U+009F) are dropped like C0 ones. */
		if (!(n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0))
			sbuf_add(out, p + i, n);
		i += n;
	}
}

void html_str(struct sbuf *out, const char *s)
{
	html_escape(out, s, strlen(s));
}

void html_date(struct sbuf *out, long long when)
{
	time_t t = (time_t)when;
	struct tm tm;
	char buf[32];

	if (!localtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) == 0)
		return;
	sbuf_addstr(out, buf);
}

void html_size(struct sbuf *out, long long bytes)
{
	if (bytes < 1024)
		sbuf_addf(out, "%lld B", bytes);
	else if (bytes < 1024 * 1024)
		sbuf_addf(out, "%lld kB", (bytes + 1023) / 1024);
	else
		sbuf_addf(out, "%.1f MB", (double)bytes / (1024.0 * 1024.0));
}

void html_csrf(struct sbuf *out, const char *csrf)
{
	sbuf_addstr(out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_str(out, csrf);
	sbuf_addstr(out, "\">");
}

void html_page_start(struct sbuf *out, const struct web_words *w, const char *title, const char *address,
		     const char *csrf)
{
	sbuf_addf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<meta name=\"referrer\" content=\"no-referrer\">\n"
		  "<link rel=\"stylesheet\" href=\"/style.css\">\n<title>", w->lang);
	html_str(out, title);
	sbuf_addstr(out, "</title>\n</head>\n<body>\n<header>\n<a class=\"home\" href=\"/\">");
	html_str(out, w->archive);
	sbuf_addstr(out, "</a>\n");
	if (address) {
		sbuf_addf(out, "<nav>\n<form class=\"search\" method=\"get\" action=\"/search\">"
			  "<input type=\"search\" name=\"q\" aria-label=\"%s\" placeholder=\"%s\">"
			  "<button type=\"submit\">%s</button></form>\n", w->search, w->search, w->search);
		sbuf_addf(out, "<a href=\"/settings\">%s</a>\n<span class=\"who\">", w->settings);
		html_str(out, address);
		sbuf_addstr(out, "</span>\n<form method=\"post\" action=\"/logout\">");
		html_csrf(out, csrf);
		sbuf_addf(out, "<button type=\"submit\">%s</button></form>\n</nav>\n", w->logout);
	}
	sbuf_addstr(out, "</header>\n<main>\n<h1>");
	html_str(out, title);
	sbuf_addstr(out, "</h1>\n");
}

void html_page_end(struct sbuf *out)
{
	sbuf_addstr(out, "</main>\n</body>\n</html>\n");
}

const char html_style[] =
	"body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa;line-height:1.45}\n"
	"header{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;padding:.6em 1em;background:#154273;color:#fff}\n"
	"header a{color:#fff}header .home{font-weight:bold;margin-right:auto}\n"
	"header nav{display:flex;flex-wrap:wrap;gap:.6em;align-items:center}\n"
	"header form{display:inline;margin:0}\n"
	"main{max-width:52em;margin:0 auto;padding:1em}\n"
	"h1{font-size:1.4em;overflow-wrap:anywhere}h2{font-size:1.15em;margin-top:1.6em}\n"
	"a{color:#154273}\n"
	"table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35em .4em;border-bottom:1px solid #ddd;vertical-align:top}\n"
	".num{text-align:right;white-space:nowrap}.unread{font-weight:bold}\n"
	".project td:first-child{padding-left:1.4em}\n"
	"svg.weeks{width:8em;height:1.6em}svg.weeks rect{fill:#4a7fb5}\n"
	"article{background:#fff;border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.6em 1em}\n"
	"article .meta{color:#555;font-size:.9em}\n"
	".body{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;margin:.6em 0}\n"
	"details{color:#555}details summary{cursor:pointer}\n"
	"mark{background:#ffe58a}\n"
	".note{background:#eef3f8;border-left:4px solid #154273;padding:.5em 1em}\n"
	"input,select,button{font:inherit}\n"
	"@media (max-width:40em){main{padding:.5em}header nav{width:100%}td,th{padding:.3em .2em}}\n";
