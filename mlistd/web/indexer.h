/*
 * indexer: fills the web archive's search index from the archive, a few
 * posts at a time between requests, so a page never waits for it.  The
 * index holds a post's subject, its author and its text as the thread
 * page shows it (post_view.h); a post whose archive file is gone is
 * indexed with its subject and author only, so it is not tried again.
 * forget and retention empty the index (store_web_index_clear), and it
 * is filled again here from what the archive holds now.
 */
#ifndef MLIST_WEB_INDEXER_H
#define MLIST_WEB_INDEXER_H

struct web;

/* Indexes up to limit posts not indexed yet, in one transaction: how many, or -1 (store; logged). */
int web_index_some(struct web *w, int limit);

#endif
