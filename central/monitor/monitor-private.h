/* monitor-private.h - the monitor's insides, shared by its files:
 * monitor.c (state, ingest, evaluation, thread), monitor_read.c (reading
 * InfluxDB) and monitor_views.c (JSON). Nothing else includes this. */
#ifndef WWTP_CENTRAL_MONITOR_PRIVATE_H
#define WWTP_CENTRAL_MONITOR_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include "../../util/buf.h"
#include "../../util/log.h"
#include "../flags/flags.h"
#include "../flags/hourly.h"
#include "../ingest/influx.h"
#include "alert_events.h"
#include "alerts.h"
#include "monitor.h"

#define MON_MOD "flags"
/* Cap of one query's answer: a week of hourly rows of a station is tens of
 * kilobytes; the alerts of a month, a few megabytes. */
#define MON_ANSWER_MAX ((size_t)256 << 20)

struct mon_station {
	char id[WWTP_ID_MAX];
	char name[WWTP_NAME_MAX];
	char district[WWTP_NAME_MAX];
	char plan[WWTP_ID_MAX];
	int plan_review;
	double design_m3d; /* 0: unknown */
	struct wwtp_flag_param *params;
	size_t nparams;
	struct wwtp_hourly hourly;
	struct wwtp_param_summary *psum; /* the last summary, nparams */
	/* Liveness, from the messages' own times. */
	int64_t last_seen_ms;	   /* newest message of any kind; 0 never */
	int64_t last_telemetry_ms; /* newest telemetry */
	int64_t status_ms;	   /* time of the newest status message */
	char state[8];		   /* its state; "" none */
	/* Hours [lo, hi] that received readings and are not yet queried
	 * (pend), or being queried (fly); lo -1 when none. */
	int64_t pend_lo, pend_hi, fly_lo, fly_hi;
	int64_t late_ms; /* wall time of the last reading for a past hour (a replay) */
	int backfilling; /* past hours are arriving: flags wait (kept as they were) */
	/* Flags. */
	struct wwtp_flag_state fstate;
	struct wwtp_flag_reason reasons[WWTP_FLAG_REASONS_MAX];
	size_t nreasons;
	struct wwtp_flag_checks checks;
	int64_t flagged_since_ms; /* 0: not flagged */
	int64_t evaluated_ms;	  /* 0: never */
};

struct wwtp_monitor {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int started, stop;
	struct wwtp_flag_cfg cfg;
	struct mon_station *st; /* sorted by id */
	size_t n;
	struct wwtp_alerts *alerts;
	/* The listener of alert_events.h (set before start). */
	wwtp_alert_note_fn note_fn;
	void *note_ctx;
	/* The thread's. */
	struct wwtp_central_influx influx;
	wwtp_monitor_progress_fn progress;
	void *pctx;
	struct wwtp_influx *ix;
	struct wwtp_buf answer;
	int inflight;  /* a snapshot of notes waits for the writer */
	uint64_t mark; /* ... until done reaches this */
	struct wwtp_complain qcomplain;
	/* Under lock. */
	int recovered, queries_ok;
	int64_t refreshed_ms;
};

/* The station of that id (m->st is sorted), or NULL. */
struct mon_station *wwtp_mon_find(const struct wwtp_monitor *m, const char *id);
/* Epoch hours of ms (0 before the epoch). */
int64_t wwtp_mon_hour_of(int64_t ms);

/* monitor_read.c, on the monitor's thread. Reads hours [lo, hi] of station
 * s into its ring: 0, or -1 (logged, rate-limited; asked again later). */
int wwtp_mon_load_hours(struct wwtp_monitor *m, struct mon_station *s, int64_t lo, int64_t hi);
/* What the stations were when the last run stopped: when each was last
 * heard from, its collector's last status, and its alerts. 0 or -1. */
int wwtp_mon_recover(struct wwtp_monitor *m);

#endif
