/* monitor.h - what the central side knows about each station beyond the
 * raw data: whether its collector is online and when it was last heard
 * from, its alerts, its hourly aggregates over the flag window and whether
 * the data says it is degraded (flags.h), and why.
 *
 * InfluxDB is the one source of truth for the flags. The MQTT path
 * (wwtp_monitor_ingest) only notes which hours of which station received
 * readings; a thread then asks InfluxDB for those hours' aggregates, once
 * the writer has written every point accepted before the note (so that a
 * reading is counted once however often it arrives, and history replayed
 * weeks late counts in its own hours), and re-evaluates every station each
 * refresh_s as the window slides. At start every hour of the window is
 * asked for, and the stations' last state and their alerts are read back,
 * so a restart loses nothing the flags depend on.
 *
 * Threads: ingest from Paho's thread, the views from the HTTP threads, the
 * refresh on the monitor's own; one mutex. */
#ifndef WWTP_CENTRAL_MONITOR_H
#define WWTP_CENTRAL_MONITOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../../model/station.h"
#include "alerts.h"
#include "episodes.h"
#include "../config/config.h"
#include "../ingest/decode.h"
#include "../flags/flags.h"

/* A collector is "silent" after this long without telemetry. */
#define WWTP_MONITOR_SILENT_MS (5 * 60 * 1000LL)
/* Alerts kept in memory, per station, and read back at start. */
#define WWTP_MONITOR_ALERTS_PER_STATION 20000
#define WWTP_MONITOR_ALERTS_DAYS 30

struct wwtp_monitor;

/* How far the writer is: points that entered the spool this run (those of
 * an earlier run included) and points done with (written or dropped). A
 * note made when entered was E is safe to query once done >= E. */
typedef void (*wwtp_monitor_progress_fn)(void *ctx, uint64_t *entered, uint64_t *done);

/* Copies what it needs of stations[0..n) (ids, names, params, limits,
 * design flow). cfg is copied. Returns 0 and *out, or WWTP_ERR_NOMEM. */
int wwtp_monitor_new(struct wwtp_station *const *stations, size_t n,
		     const struct wwtp_flag_cfg *cfg, struct wwtp_monitor **out);
/* Starts the refresh thread, reading from InfluxDB as influx says.
 * progress may be NULL (every note is queried at once). 0 or an error. */
int wwtp_monitor_start(struct wwtp_monitor *m, const struct wwtp_central_influx *influx,
		       wwtp_monitor_progress_fn progress, void *ctx);
/* Stops the thread (if started) and frees. Accepts NULL. */
void wwtp_monitor_free(struct wwtp_monitor *m);

/* An accepted message (after it was handed to the writer). now_ms: the
 * wall clock. */
void wwtp_monitor_ingest(struct wwtp_monitor *m, const struct wwtp_in_msg *msg, int64_t now_ms);

/* For tests: the hourly numbers of (station, param, hour) as InfluxDB would
 * give them, then a re-evaluation at now_ms. 0 or WWTP_ERR_NOTFOUND. */
int wwtp_monitor_set_hour(struct wwtp_monitor *m, const char *station, const char *param,
			  int64_t hour, uint32_t polls, uint32_t ok, uint32_t fault, double mean);
void wwtp_monitor_evaluate(struct wwtp_monitor *m, int64_t now_ms);

/* ---- views (JSON built under the lock; the caller owns the result) ---- */

/* The stations (all, or the one with id only_id: NULL when unknown), as
 * docs/api.md describes /api/stations. */
json_t *wwtp_monitor_stations_json(struct wwtp_monitor *m, const char *only_id, int64_t now_ms);
/* The inspector's alerts (episodes.h) matching f, in f->order, as
 * docs/api.md describes /api/alerts; *total gets how many matched before
 * the limit. NULL on NOMEM. */
json_t *wwtp_monitor_alerts_json(struct wwtp_monitor *m, const struct wwtp_alert_filter *f,
				 size_t *total);
/* Whether station id is known, and (param not NULL) whether it measures
 * param; the param's unit into unit[n] (may be NULL). 0 or
 * WWTP_ERR_NOTFOUND. */
int wwtp_monitor_has(struct wwtp_monitor *m, const char *id, const char *param, char *unit,
		     size_t n);
/* The station's flag history (history.h), newest first, as docs/api.md
 * describes /api/stations/{id}/flags (NULL when unknown or out of memory:
 * *found says which). */
json_t *wwtp_monitor_flags_json(struct wwtp_monitor *m, const char *id, int64_t now_ms, int *found);
/* The station's params as a JSON array of names (NULL when unknown). */
json_t *wwtp_monitor_params_json(struct wwtp_monitor *m, const char *id);
/* The station's params with their units and effective limits, as docs/api.md
 * describes /api/stations/{id}/params (NULL when unknown). */
json_t *wwtp_monitor_limits_json(struct wwtp_monitor *m, const char *id);

/* The on-delay, off-delay and re-arm of each kind (episodes.h; central.cfg's
 * alarms group); the defaults until called. 0 or WWTP_ERR_INVAL. */
int wwtp_monitor_set_alarms(struct wwtp_monitor *m, const struct wwtp_alarm_policies *p);
/* The alert rates of the raised alerts that started in [from, to), as
 * docs/api.md describes /api/alerts/rates (NULL on NOMEM). */
json_t *wwtp_monitor_rates_json(struct wwtp_monitor *m, int64_t from_ms, int64_t to_ms,
				int64_t now_ms);

struct wwtp_monitor_health {
	int recovered;	      /* the start-up read-back from InfluxDB is done */
	int queries_ok;	      /* the last InfluxDB query succeeded */
	int64_t refreshed_ms; /* last evaluation; 0 never */
	size_t stations, flagged;
	size_t alerts, open_alerts;
};
void wwtp_monitor_health(struct wwtp_monitor *m, struct wwtp_monitor_health *out);

#endif
