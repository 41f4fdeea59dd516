/* tt10_store.h - the Circular 10/2021 files on local disk.
 *
 *   DIR/<name>                  every file written, kept max_age_days / max_mb
 *   DIR/outbox/<server>/<name>  a hard link per server that has not received it
 *
 * A file is written as DIR/.<name>.tmp, flushed to disk, linked into each
 * server's outbox, then renamed to its name: a reader never sees half a
 * file, and a file is in every outbox before it is anywhere else. An
 * uploader removes its link once the server has the file, so the outbox is
 * the per-server state and survives restarts; the oldest file of an outbox
 * is the next one to send. Not thread-safe by itself: one thread writes and
 * prunes, each uploader only lists and unlinks in its own outbox.
 *
 * Functions return 0 or a negative WWTP_ERR_* (WWTP_ERR_ERRNO: see errno;
 * the path involved is in the message the caller logs). */
#ifndef WWTP_TT10_STORE_H
#define WWTP_TT10_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tt10_format.h"

/* File names of one folder that are ours (wwtp_tt10_name_stamp accepts
 * them, no leading '.'), sorted by stamp, then by name. */
struct wwtp_tt10_names {
	char **v;
	size_t n;
};
void wwtp_tt10_names_free(struct wwtp_tt10_names *l); /* accepts an empty list */

/* Creates DIR and DIR/outbox/<server> for each of the n servers (mode
 * 0750, parents included), and finishes or removes what a crash left: a
 * DIR/.<name>.tmp already linked into an outbox was complete and gets its
 * name; one that was not is removed (that one period may be lost). *recovered
 * and *removed (may be NULL) count them. */
int wwtp_tt10_store_init(const char *dir, const char *const *servers, size_t n, size_t *recovered,
			 size_t *removed);

/* Writes one file as described above. An existing file of that name (the
 * clock went back) is replaced, in DIR and in the outboxes. */
int wwtp_tt10_store_put(const char *dir, const char *const *servers, size_t n, const char *name,
			const char *data, size_t len);

/* Our file names in folder. A missing folder is an empty list. */
int wwtp_tt10_store_list(const char *folder, struct wwtp_tt10_names *out);

/* "DIR/outbox/<server>" into out. 0 or WWTP_ERR_RANGE. */
int wwtp_tt10_outbox_path(const char *dir, const char *server, char *out, size_t n);

struct wwtp_tt10_prune_stats {
	size_t removed_age;  /* files of DIR older than the cutoff */
	size_t removed_size; /* oldest files of DIR removed to stay under max_bytes */
	size_t undelivered;  /* outbox links removed with them: never sent to that server */
	uint64_t bytes;	     /* disk space of the files kept in DIR */
	size_t kept;	     /* files kept in DIR */
};

/* Retention: removes from DIR every file stamped before cutoff (a
 * "yyyyMMddHHmmss" local stamp), then the oldest ones while the disk space
 * of those kept passes max_bytes; the same names go from every outbox (a
 * link would keep the space in use), as do outbox links stamped before
 * cutoff whose file in DIR is already gone. */
int wwtp_tt10_store_prune(const char *dir, const char *const *servers, size_t n, const char *cutoff,
			  uint64_t max_bytes, struct wwtp_tt10_prune_stats *st);

#endif
