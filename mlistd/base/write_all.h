/*
 * write_all: all of a buffer into a file at an offset, however the
 * kernel splits the write.  The spool's fresh files (written from 0) and
 * its journal (records written over blocks already there) share it.
 */
#ifndef MLIST_WRITE_ALL_H
#define MLIST_WRITE_ALL_H

#include <stddef.h>
#include <sys/types.h>

/* Writes len octets of data to fd at offset at (pwrite, retried on short writes and EINTR); returns 0, or -1 (errno set). */
int write_all(int fd, const void *data, size_t len, off_t at);

#endif
