/* writer.h - from accepted messages to InfluxDB: the spool in front, one
 * thread behind it that sends sealed segments oldest first.
 *
 * wwtp_writer_put() (the MQTT thread) appends a message's points to the
 * spool and returns; nothing else happens on that thread. The writer thread
 * seals the open segment once it is batch_max_ms old (or the spool seals it
 * at batch_max_points), sends sealed segments (several at once when they are
 * small, up to batch_max_points) and deletes them once written. When
 * InfluxDB does not answer or answers 5xx, it waits retry_min_ms, doubling
 * to retry_max_ms, then tries the oldest segment again; meanwhile points
 * pile up in the spool (bounded by spool_max_mb) and segments are sealed
 * only when full, the open one being fsynced every batch_max_ms instead.
 * Lines InfluxDB refuses as bad data are isolated (influx.h) and dropped,
 * counted. */
#ifndef WWTP_CENTRAL_WRITER_H
#define WWTP_CENTRAL_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

struct wwtp_writer;

struct wwtp_writer_stats {
	uint64_t points_in;	 /* handed to wwtp_writer_put and spooled */
	uint64_t points_entered; /* points_in plus those found in the spool at start: the
				    spool is a FIFO, so every point that entered before
				    the last (entered - queued) ones is done with */
	uint64_t points_synced;	 /* of points_in, those fsynced in the spool: central
				    may confirm their messages (ackpub.h) */
	uint64_t points_written; /* InfluxDB answered 2xx for them */
	uint64_t points_refused; /* InfluxDB refused them as bad data: dropped */
	uint64_t points_lost;	 /* could not be spooled, or dropped from a full spool */
	uint64_t points_queued;	 /* waiting in the spool now */
	uint64_t segments_queued;
	uint64_t bytes_queued;
	uint64_t requests; /* HTTP write requests */
	uint64_t failures; /* requests that got no answer or a retryable one */
	int influx_ok;	   /* the last request succeeded */
};

/* Opens the spool, makes the InfluxDB client and starts the thread. 0, or
 * WWTP_ERR_CONFIG / WWTP_ERR_ERRNO / WWTP_ERR_NOMEM (logged). */
int wwtp_writer_start(const struct wwtp_central_influx *cfg, struct wwtp_writer **out);
/* Queues `npoints` lines (len bytes, each ending with '\n'). Returns once
 * they are in the spool (0), or WWTP_ERR_FULL / WWTP_ERR_ERRNO when they
 * could not be (counted in points_lost). Thread-safe. */
int wwtp_writer_put(struct wwtp_writer *w, const char *lines, size_t len, size_t npoints);
/* Stops: seals the open segment, keeps sending for up to drain_ms while
 * InfluxDB takes them, then ends the thread and closes; what is left stays
 * in the spool for the next start. The last counters go to *final (may be
 * NULL). Accepts w NULL. */
void wwtp_writer_stop(struct wwtp_writer *w, int drain_ms, struct wwtp_writer_stats *final);
void wwtp_writer_get_stats(struct wwtp_writer *w, struct wwtp_writer_stats *out);

#endif
