/* spool.h - the central side's on-disk queue of line-protocol points, in
 * front of InfluxDB: a bounded FIFO of segment files in one folder.
 *
 * Every accepted MQTT message is appended here before the MQTT callback
 * returns, so a crash or a restart of the process loses nothing that was
 * appended; the writer thread sends sealed segments to InfluxDB oldest
 * first and removes them once InfluxDB has them.
 *
 * Files (docs/central.md):
 *   <seq>.open        the segment being appended to (at most one)
 *   <seq>-<points>.lp sealed segments, plain line protocol, oldest = lowest seq
 *   <seq>-<points>.tmp a rewrite in progress (removed at open)
 *   .lock             flock()ed while open: one process per folder
 * Appends go to the open segment with write(2) (in the kernel once append
 * returns: a process crash loses nothing); wwtp_spool_sync() and sealing
 * fsync it (a power cut loses what was appended since the last of those).
 * Sealing is fsync, then rename, then fsync of the folder.
 *
 * Bounded by max_bytes over all segments: when an append would pass it,
 * the oldest sealed segments are deleted, counted and logged. Thread-safe:
 * appends come from the MQTT thread, the rest from the writer. */
#ifndef WWTP_CENTRAL_SPOOL_H
#define WWTP_CENTRAL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/buf.h"

struct wwtp_spool;

struct wwtp_spool_opts {
	uint64_t max_bytes;   /* bound of all segments together */
	uint32_t seal_points; /* the open segment is sealed at this many points */
	size_t seal_bytes;    /* ... or this many bytes */
};

struct wwtp_spool_stats {
	uint64_t segments;	  /* sealed segments waiting */
	uint64_t bytes;		  /* waiting, the open segment included */
	uint64_t points;	  /* waiting, the open segment included */
	uint64_t appended_points; /* since open */
	uint64_t synced_points;	  /* of those, the ones an fsync has made durable */
	uint64_t consumed_points; /* handed on (wwtp_spool_consume) since open */
	uint64_t dropped_points;  /* deleted to respect max_bytes, or unreadable */
	uint64_t dropped_segments;
	uint64_t refused_points; /* appends refused: larger than the bound, or I/O error */
};

/* Opens (creating it, mode 0750, if needed) the folder `dir`, takes its
 * lock, removes unfinished rewrites, seals a segment left open by a crash
 * (cutting a partial last line) and indexes what is there. Returns 0 and
 * *out, or WWTP_ERR_ERRNO (cannot create, read or lock the folder: logged),
 * WWTP_ERR_INVAL (bad options), WWTP_ERR_NOMEM. */
int wwtp_spool_open(const char *dir, const struct wwtp_spool_opts *o, struct wwtp_spool **out);
/* Seals the open segment and closes. Accepts NULL. */
void wwtp_spool_close(struct wwtp_spool *sp);

/* Appends `npoints` complete lines (len bytes, ending with '\n'). Returns 0
 * once written to the open segment; WWTP_ERR_FULL when it cannot fit even
 * after dropping every old segment it may drop; WWTP_ERR_ERRNO on an I/O
 * error (logged); WWTP_ERR_INVAL for data not ending in a newline. Refused
 * points are counted. */
int wwtp_spool_append(struct wwtp_spool *sp, const char *data, size_t len, uint32_t npoints);
/* Seals the open segment if there is one. 0 or WWTP_ERR_ERRNO (logged). */
int wwtp_spool_seal(struct wwtp_spool *sp);
/* fsyncs the open segment without sealing it. 0 or WWTP_ERR_ERRNO. */
int wwtp_spool_sync(struct wwtp_spool *sp);
/* Milliseconds since the first append to the open segment; -1 if none. */
int64_t wwtp_spool_open_age_ms(struct wwtp_spool *sp);

/* Appends the oldest sealed segments to out (at least one; more while they
 * stay within max_points and max_bytes) and marks them in use: they are not
 * dropped until wwtp_spool_consume. *npoints gets the points read. Returns 0,
 * WWTP_ERR_NOTFOUND when no segment is sealed, WWTP_ERR_INVAL when a peek is
 * already outstanding. Unreadable segments are dropped (counted, logged). */
int wwtp_spool_peek(struct wwtp_spool *sp, uint32_t max_points, size_t max_bytes,
		    struct wwtp_buf *out, uint32_t *npoints);
/* Ends the outstanding peek: the first `done` bytes of what it returned
 * (`peeked`, as returned) are gone: written to InfluxDB or given up. done
 * must fall on a line boundary. Wholly done segments are deleted; a
 * partly done one is rewritten with its remaining lines; the rest stay,
 * first in line. 0, WWTP_ERR_INVAL, or WWTP_ERR_ERRNO (logged). */
int wwtp_spool_consume(struct wwtp_spool *sp, const char *peeked, size_t done);

void wwtp_spool_get_stats(struct wwtp_spool *sp, struct wwtp_spool_stats *out);

#endif
