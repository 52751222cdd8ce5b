/*
 * message_text: what a person reads of a message, as text: its first
 * text/plain part (the body itself when it says no Content-Type), with
 * the transfer encoding undone and the charset turned into UTF-8.  For a
 * plain-text digest now, and for anything else that shows a post as text.
 */
#ifndef MLIST_MESSAGE_TEXT_H
#define MLIST_MESSAGE_TEXT_H

#include <stddef.h>

struct sbuf;

/* Appends the text of msg[0..len) to out; returns 1, or 0 when it has none (out gets its Content-Type). */
int message_text(const char *msg, size_t len, struct sbuf *out);

#endif
