/* seqmark.h - the highest telemetry seq and alert number ever handed to
 * the broker, in a small file of its own beside the store ("<store>.seq").
 *
 * The store keeps the same numbers with its data, but a store can lose its
 * last commits (garbage in the WAL after a crash: SQLite stops reading the
 * log at the first bad frame) or be set aside whole when it is damaged.
 * This file is written and synced after each commit and before any message
 * of that commit is published, so on the next start the collector goes on
 * from the larger of the two numbers: no seq is ever published twice for
 * different polls (docs/reliability.md, guarantee 4).
 *
 * Format: two 64-byte slots written in turn (magic, generation, seq, alert
 * number, CRC-32), so a write torn by a power cut leaves the other slot; the
 * valid slot with the higher generation wins. Rewriting a slot needs no new
 * blocks, so it works on a full file system. */
#ifndef WWTP_SEQMARK_H
#define WWTP_SEQMARK_H

#include <stdint.h>

struct wwtp_seqmark;

/* Opens or creates path; *seq and *aseq get the numbers it holds (0 for a
 * new or unreadable file: an unreadable one is logged). 0, or
 * WWTP_ERR_ERRNO (logged) / WWTP_ERR_NOMEM. */
int wwtp_seqmark_open(const char *path, struct wwtp_seqmark **out, uint64_t *seq, uint64_t *aseq);
/* Records the numbers and syncs them; 0 at once when they are those last
 * written. 0 or WWTP_ERR_ERRNO (logged, rate-limited). */
int wwtp_seqmark_write(struct wwtp_seqmark *m, uint64_t seq, uint64_t aseq);
void wwtp_seqmark_close(struct wwtp_seqmark *m); /* accepts NULL */

#endif
