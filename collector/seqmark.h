/* seqmark.h - the highest telemetry seq and alert number ever handed to
 * the broker, in a small file of its own beside the store ("<store>.seq").
 *
 * The store keeps the same numbers with its data, but a store can lose its
 * last commits (a power cut: the WAL is synced only every commit_ms; or
 * garbage in the WAL: SQLite stops reading the log at the first bad frame)
 * or be set aside whole when it is damaged. This file is written after
 * each commit and before any message of that commit is published, so on
 * the next start the collector goes on from the larger of the two
 * numbers: no seq is ever published twice for different polls
 * (docs/reliability.md, guarantee 4).
 *
 * Two records. The slots (two 64-byte slots written in turn: magic,
 * generation, seq, alert number, CRC-32; a write torn by a power cut leaves
 * the other slot) are synced, and reserve numbers ahead: rewritten, AHEAD
 * numbers further, only when a number passes them. The exact record (at
 * 4096, in a block of its own: the numbers and the boot's id) is written
 * after every commit and never synced: a process killed at any moment
 * leaves it in the page cache, so a restart in the same boot goes on from
 * it with no gap; after a power cut (another boot id) the reserved numbers
 * count, and up to AHEAD numbers are skipped (a gap that the floor closes,
 * mqtt.md). A clean stop syncs the exact numbers into the slots. Both
 * records are made at open, so writes need no new blocks: they work on a
 * full file system. */
#ifndef WWTP_SEQMARK_H
#define WWTP_SEQMARK_H

#include <stdint.h>

struct wwtp_seqmark;

/* Opens or creates path; *seq and *aseq get the numbers to go on after (0
 * for a new or unreadable file: an unreadable one is logged): the exact
 * ones (*exact = 1) when this boot wrote them, else those reserved. 0, or
 * WWTP_ERR_ERRNO (logged) / WWTP_ERR_NOMEM. */
int wwtp_seqmark_open(const char *path, struct wwtp_seqmark **out, uint64_t *seq, uint64_t *aseq,
		      int *exact);
/* Records the numbers (the exact record; the slots, synced, when a number
 * passes what they reserve); 0 at once when they are those last written.
 * 0 or WWTP_ERR_ERRNO (logged, rate-limited). */
int wwtp_seqmark_write(struct wwtp_seqmark *m, uint64_t seq, uint64_t aseq);
/* Syncs the exact numbers into the slots (a clean stop), then closes.
 * Accepts NULL. */
void wwtp_seqmark_close(struct wwtp_seqmark *m);

#endif
