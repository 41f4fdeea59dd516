/* history.h - a station's past, as its gateway's store-and-forward would
 * replay it after a long outage: the telemetry of every device at past
 * times, numbered with seq, and the alerts the collector's evaluator would
 * have raised and cleared over those readings (compliance/evaluator.h, with
 * the station's own limits and evaluation settings).
 *
 * Pure: values and statuses come from the plant model (model.h) for each
 * past instant, payloads from payload/payload.c, exactly the bytes a
 * collector would publish (without the optional "eval" object). No clock, no
 * I/O: the caller says which span to replay and sends the messages.
 *
 * Messages come out in time order, all stations interleaved: every device of
 * every station at one instant, then the next instant, interval_ms later (a
 * coarser grid than the devices' own intervals, to keep weeks of history
 * small: the evaluator is told that interval, so that availability is right).
 * A station's alerts come right after the telemetry that caused them, as the
 * collector sends them. */
#ifndef WWTP_SIM_HISTORY_H
#define WWTP_SIM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "../util/buf.h"
#include "model.h"

struct wwtp_sim_history_opts {
	int64_t from_ms;     /* first instant: rounded up to a multiple of interval_ms */
	int64_t to_ms;	     /* instants before this */
	int64_t interval_ms; /* > 0 */
	int alerts;	     /* run the evaluator and publish its alerts */
};

struct wwtp_sim_history;

/* stations[0..n) and sites[0..n) (sites[i] is the model of stations[i]) must
 * outlive the generator. Returns 0 and *out, WWTP_ERR_INVAL (bad span or
 * interval, n 0) or WWTP_ERR_NOMEM. */
int wwtp_sim_history_new(struct wwtp_station *const *stations, const struct wwtp_sim_site *sites,
			 size_t n, const struct wwtp_sim_history_opts *o,
			 struct wwtp_sim_history **out);
void wwtp_sim_history_free(struct wwtp_sim_history *h); /* accepts NULL */

/* The next message: its topic into topic[0..tn) and its payload into out
 * (reset first). Returns 1, 0 once everything is out, or a negative error
 * (the payload could not be encoded: the generator has moved past it). */
int wwtp_sim_history_next(struct wwtp_sim_history *h, char *topic, size_t tn, struct wwtp_buf *out);

struct wwtp_sim_history_stats {
	uint64_t telemetry;	  /* telemetry messages so far */
	uint64_t telemetry_total; /* telemetry messages in all (known in advance) */
	uint64_t alerts;	  /* alert messages so far */
	int64_t ts_ms;		  /* the instant being replayed */
};
void wwtp_sim_history_get_stats(const struct wwtp_sim_history *h,
				struct wwtp_sim_history_stats *out);

#endif
