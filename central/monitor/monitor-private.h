/* monitor-private.h - the monitor's insides, shared by its files:
 * monitor.c (state, ingest, evaluation, thread), monitor_read.c (reading
 * InfluxDB) and monitor_views.c (JSON). Nothing else includes this. */
#ifndef WWTP_CENTRAL_MONITOR_PRIVATE_H
#define WWTP_CENTRAL_MONITOR_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include "../../compliance/limits.h"
#include "../../util/buf.h"
#include "../../util/log.h"
#include "../flags/flags.h"
#include "../flags/history.h"
#include "../flags/hourly.h"
#include "../ingest/influx.h"
#include "alert_events.h"
#include "alerts.h"
#include "episodes.h"
#include "monitor.h"

#define MON_MOD "flags"
/* Cap of one query's answer: a week of hourly rows of a station is tens of
 * kilobytes; the alerts of a month, a few megabytes. */
#define MON_ANSWER_MAX ((size_t)256 << 20)

struct mon_seen;

/* The regulation a station is judged by, as its file and limits say
 * (compliance/limits.h): named on the station's API answer. */
struct mon_reg {
	int present; /* the station has a limits group */
	char id[WWTP_ID_MAX];
	char code[WWTP_REG_TEXT_MAX];	  /* "QCVN 40:2011/BTNMT"; "" when its file did not load */
	char title_vi[WWTP_REG_TEXT_MAX]; /* the regulation's own title */
	char column[WWTP_REG_COLUMN_MAX];
	double kq, kf;
	char kq_basis[WWTP_LIMIT_SOURCE_MAX], kf_basis[WWTP_LIMIT_SOURCE_MAX];
};

struct mon_station {
	char id[WWTP_ID_MAX];
	char name[WWTP_NAME_MAX];
	char district[WWTP_NAME_MAX];
	char plan[WWTP_ID_MAX];
	int plan_review;
	double design_m3d; /* 0: unknown */
	struct wwtp_flag_param *params;
	size_t nparams;
	struct wwtp_limit *limits; /* per param: its effective limit row (has_limit 0: none) */
	struct mon_reg reg;
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
	int64_t flagged_since_ms; /* 0: not flagged; else the data hour (history.h) */
	int hist_dirty;		  /* hours changed since flagged_since was derived */
	int64_t hist_end;	  /* the hour it was derived at */
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
	struct wwtp_alarm_policies alarms; /* under lock */
	/* The raised alerts as last told to the listener (monitor_alerts.c),
	 * sorted by id; noted: told once since start. The thread's. */
	struct mon_seen *seen;
	size_t nseen;
	int noted;
	int64_t noted_ms;
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

/* monitor_views.c: a time as the API writes it (null for 0), and a number
 * set only when finite. */
json_t *wwtp_mon_time_json(int64_t ms);
void wwtp_mon_set_num(json_t *o, const char *k, double v);

/* monitor_alerts.c, under the lock: the station's open alerts (episodes.h)
 * in the page's order, at most max of them; *nopen gets how many are open. */
json_t *wwtp_mon_open_alerts_json(struct wwtp_monitor *m, const struct mon_station *s,
				  int64_t now_ms, size_t max, size_t *nopen);
/* ... and how many are open at all stations. */
size_t wwtp_mon_open_alerts_locked(struct wwtp_monitor *m, int64_t now_ms);
/* On the monitor's thread, without the lock: tells the listener what
 * changed since the last call (alert_events.h). */
void wwtp_mon_notify(struct wwtp_monitor *m, int64_t now_ms);

#endif
