/*
 * words: what the web pages say, in Dutch and English.  A person sees
 * the language of their groups (texts' language, as the mail they get);
 * someone not logged in sees the config's language.
 */
#ifndef MLIST_WEB_WORDS_H
#define MLIST_WEB_WORDS_H

struct web_words {
	const char *lang;
	const char *archive, *search, *settings, *logout, *login;
	const char *my_groups, *no_groups, *group, *posts, *unread, *last_activity, *weeks_label;
	const char *threads, *no_threads, *no_archive, *newer, *older, *started;
	const char *thread, *quoted, *signature, *attachments, *html_part;
	const char *results_for, *no_results, *newest_first, *best_first, *search_hint;
	const char *login_intro, *address, *send_link, *link_sent, *link_confirm, *link_button, *link_dead;
	const char *too_many;
	const char *settings_intro, *mode, *mode_each, *mode_digest, *mode_nomail, *follow_line, *save, *leave;
	const char *saved, *left, *not_found, *bad_request, *forbidden;
	const char *unsubscribe_title, *unsubscribe_confirm, *unsubscribe_button, *unsubscribed, *unsubscribe_dead;
};

/* The words of lang ("nl", "en"); Dutch for anything else. */
const struct web_words *web_words(const char *lang);

#endif
