/* outbox.h - the notifications' folders on disk, with the spool's
 * discipline: a file counts once it is written, fsynced and renamed into
 * place (and the folder fsynced); a crash leaves either the old state or
 * the new, plus at most a temporary file (".tmp-*") removed at the next
 * listing. A file that cannot be read back as what it should be is moved
 * to bad/ (set aside, never deleted) by the caller.
 *
 *   DIR/ev/     one file per alert edge taken (notify.c)
 *   DIR/out/    one file per message to send: NAME.msg, NAME.sending
 *   DIR/st/     one small file per recipient (its cursor and clock)
 *   DIR/bad/    what was set aside
 *
 * Not thread-safe: one thread (or a lock) per outbox. */
#ifndef WWTP_NOTIFY_NBOX_H
#define WWTP_NOTIFY_NBOX_H

#include <stddef.h>

#include "../../util/buf.h"

enum wwtp_ob_dir { WWTP_OB_EV = 0, WWTP_OB_OUT, WWTP_OB_ST, WWTP_OB_BAD, WWTP_OB_NDIRS };

/* Longest file name in the outbox. */
#define WWTP_OB_NAME_MAX 128

struct wwtp_nbox;

/* Makes DIR and its folders if needed (mode 0700). 0, or WWTP_ERR_ERRNO
 * (logged) or NOMEM. */
int wwtp_nbox_open(const char *dir, struct wwtp_nbox **out);
void wwtp_nbox_close(struct wwtp_nbox *ob); /* accepts NULL */

/* Writes name in folder d durably (replacing it). 0 or WWTP_ERR_ERRNO. */
int wwtp_nbox_put(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name, const void *data,
		  size_t len);
/* Reads name into out (appended). 0, WWTP_ERR_NOTFOUND, WWTP_ERR_RANGE
 * (larger than max bytes), WWTP_ERR_ERRNO, NOMEM. */
int wwtp_nbox_get(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name, size_t max,
		  struct wwtp_buf *out);
/* Renames within d, then fsyncs d. 0 or WWTP_ERR_ERRNO. */
int wwtp_nbox_move(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *from, const char *to);
/* Removes, then fsyncs d. 0 (also when it was not there) or ERRNO. */
int wwtp_nbox_del(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name);
/* Moves name of d to bad/ (as "<d>-<name>"). 0 or ERRNO. */
int wwtp_nbox_set_aside(struct wwtp_nbox *ob, enum wwtp_ob_dir d, const char *name);
/* The names in d, sorted, temporary files removed on the way. *names is
 * one allocation (free() it); 0 or NOMEM/ERRNO. */
int wwtp_nbox_list(struct wwtp_nbox *ob, enum wwtp_ob_dir d, char (**names)[WWTP_OB_NAME_MAX],
		   size_t *n);

#endif
