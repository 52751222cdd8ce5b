/*
 * texts_embedded: the shipped templates (conf/templates/LANG/NAME.txt),
 * built into the programs by embed_texts.py; texts.c uses one where the
 * templates folder has no file of that name.
 */
#ifndef MLIST_TEXTS_EMBEDDED_H
#define MLIST_TEXTS_EMBEDDED_H

struct embedded_text {
	const char *lang, *name, *text;
};

/* Ends with an entry whose lang is NULL. */
extern const struct embedded_text texts_embedded[];

#endif
