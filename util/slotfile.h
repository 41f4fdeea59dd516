/* slotfile.h - a small record kept durable in a file of its own: two
 * fixed slots written in turn (magic, generation, payload, CRC-32), each
 * write synced, so that a write torn by a power cut leaves the other slot
 * and the valid slot with the higher generation wins. Rewriting a slot
 * needs no new blocks, so it works on a full file system. The collector's
 * chain head (collector/chain.c) lives in one; the seq mark
 * (collector/seqmark.c) is the same idea, written before this module. */
#ifndef WWTP_SLOTFILE_H
#define WWTP_SLOTFILE_H

#include <stddef.h>

/* Most payload bytes of a record. */
#define WWTP_SLOTFILE_MAX 64

struct wwtp_slotfile;

/* Opens or creates path (mode 0640). payload (n bytes, at most
 * WWTP_SLOTFILE_MAX) gets the newest whole record with this magic, or
 * zeros; *found is 1 when there was one, 0 for a new file, -1 for a file
 * that holds bytes but no whole record. 0, or WWTP_ERR_ERRNO (errno set,
 * nothing logged: the caller says what the file is for) / WWTP_ERR_NOMEM /
 * WWTP_ERR_INVAL (n too large). */
int wwtp_slotfile_open(const char *path, const char magic[8], void *payload, size_t n,
		       struct wwtp_slotfile **out, int *found);
/* Writes payload (the n bytes of open) as the newest record and syncs it.
 * 0 or WWTP_ERR_ERRNO (errno set; the previous record stays the newest). */
int wwtp_slotfile_write(struct wwtp_slotfile *f, const void *payload);
void wwtp_slotfile_close(struct wwtp_slotfile *f); /* accepts NULL */

#endif
