/*
 * sbuf: the one growable byte buffer used everywhere in mlist.
 *
 * A sbuf always holds a NUL-terminated string (buf[len] == '\0'), so it
 * can be handed to C string functions, but it may also hold NUL bytes in
 * the middle when used for raw message data.  The buffer owns its storage;
 * sbuf_detach() hands that storage to the caller ("you now own it").
 * Allocation failure is fatal: a list server that cannot allocate a few
 * bytes cannot do anything useful, and checking every append would hide
 * the logic that matters.
 *
 * (Not "strbuf": libconfig exports strbuf_release and strbuf_append, and
 * ours would replace them inside libconfig.)
 */
#ifndef MLIST_SBUF_H
#define MLIST_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;    /* the bytes, NUL-terminated; never NULL after init */
	size_t len;   /* bytes in use, not counting the terminating NUL */
	size_t alloc; /* bytes allocated; 0 while buf points at a static "" */
};

#define SBUF_INIT { sbuf_empty, 0, 0 }
extern char sbuf_empty[];

void sbuf_init(struct sbuf *sb);
/* Frees the storage and leaves sb empty and reusable. */
void sbuf_release(struct sbuf *sb);
/* Makes sure at least extra more bytes fit without reallocation. */
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_addstr(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Empties the buffer but keeps its storage. */
void sbuf_reset(struct sbuf *sb);
/* Returns the storage, which the caller now owns and must free(); sb is empty afterwards. */
char *sbuf_detach(struct sbuf *sb);

/* Duplicates s; allocation failure is fatal like everywhere in sbuf. */
char *xstrdup(const char *s);
/* Zeroed allocation; allocation failure is fatal. */
void *xcalloc(size_t n, size_t size);
/* realloc that never returns NULL. */
void *xrealloc(void *p, size_t size);

#endif
