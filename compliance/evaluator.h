/* evaluator.h - judging a station's readings against its effective limits.
 *
 * Pure: no I/O and no clock. Time comes in with the readings (wwtp_eval_feed)
 * and with wwtp_eval_tick (the caller's "now", to notice silence). The same
 * inputs always give the same verdicts and events, so the central side can
 * replay history through it.
 *
 * Per tracked parameter the evaluator keeps:
 *  - the instant value (last reading);
 *  - rolling averages over each configured window (default 1 h and 24 h) of
 *    `ok` readings only, from per-bucket sums and counts (bucket_s, default
 *    60 s): memory is window/bucket buckets per parameter whatever the
 *    polling rate (24 h at 60 s buckets = 1440 buckets, ~34 KiB), and the
 *    price is that a window's oldest edge moves in whole buckets: at time t
 *    the window holds the bucket of t and the n-1 buckets before it
 *    (n = window/bucket), i.e. between window - bucket and window of data;
 *  - per window the availability: ok readings in the window / expected
 *    readings (window / the parameter's interval), capped at 1. An average is
 *    judged only when availability >= min_availability;
 *  - alert state with hysteresis (see docs/compliance.md):
 *      exceedance / range  judged average above Cmax (or outside a range);
 *                          cleared when back below Cmax x (1 - hysteresis)
 *                          (and above min x (1 + hysteresis) for a range);
 *      availability        availability < min_availability, once the window
 *                          lies wholly after the evaluator's first input
 *                          (a gap before the collector started is not
 *                          something the edge can tell apart from the
 *                          collector being off); cleared at
 *                          >= min_availability + availability_margin;
 *                          only for parameters that have a limit;
 *      fault               fault_after consecutive fault readings; cleared
 *                          by the next ok reading;
 *      calibration         calibrating for longer than calibration_max_s;
 *                          cleared by the next reading that is not
 *                          calibrating;
 *      offline             offline readings (or no reading at all) for
 *                          offline_after_s or more; cleared by the next
 *                          reading that is not offline;
 *      suspect_data        WWTP_EVAL_SUSPECT_AFTER consecutive ok readings
 *                          that failed a plausibility check (given by the
 *                          caller, compliance/plausibility.h); cleared by
 *                          the next ok reading that passed. A suspect
 *                          reading never counts in an average: it lowers
 *                          the availability instead.
 *
 * Event fields that do not apply are NaN (value, limit, ratio) or 0
 * (window_s, end_ms). */
#ifndef WWTP_EVALUATOR_H
#define WWTP_EVALUATOR_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"
#include "../util/diag.h"
#include "limits.h"

#define WWTP_EVAL_WINDOWS_MAX 8
#define WWTP_EVAL_BUCKETS_MAX 10080 /* per parameter: 7 days of 1-minute buckets */
/* Most events one wwtp_eval_feed() can produce: per window an exceedance and
 * an availability edge, plus fault, calibration and offline. */
#define WWTP_EVAL_FEED_EVENTS_MAX (2 * WWTP_EVAL_WINDOWS_MAX + 4)
/* Suspect readings in a row that raise suspect_data: one spike is not news,
 * a value that stays implausible is. */
#define WWTP_EVAL_SUSPECT_AFTER 3
#define WWTP_ALERT_ID_MAX 192

/* Defaults of the `evaluation` group. None of them is a regulation value:
 * the regulation notes found no mandated availability, averaging or
 * calibration rule (docs/compliance.md says why each was chosen). */
#define WWTP_EVAL_DEFAULT_MIN_AVAILABILITY 0.75
#define WWTP_EVAL_DEFAULT_AVAILABILITY_MARGIN 0.05
#define WWTP_EVAL_DEFAULT_HYSTERESIS 0.05
#define WWTP_EVAL_DEFAULT_CALIBRATION_MAX_S 7200
#define WWTP_EVAL_DEFAULT_FAULT_AFTER 1
#define WWTP_EVAL_DEFAULT_BUCKET_S 60
#define WWTP_EVAL_OFFLINE_MIN_S 60 /* automatic offline_after_s: max(3 x interval, this) */

/* What a station file's `evaluation` group says. */
struct wwtp_eval_config {
	int windows_s[WWTP_EVAL_WINDOWS_MAX]; /* ascending, distinct, multiples of bucket_s */
	size_t nwindows;
	double min_availability;    /* judge an average only at or above this share */
	double availability_margin; /* availability alert clears at min + margin */
	double hysteresis;	    /* exceedance clears below Cmax x (1 - hysteresis) */
	int calibration_max_s;	    /* calibrating longer than this raises an alert */
	int offline_after_s;	    /* 0: max(3 x the parameter's interval, 60 s) */
	int fault_after;	    /* consecutive fault readings that raise an alert */
	int bucket_s;		    /* width of the averaging buckets */
};

/* The defaults: windows 3600 and 86400 s, and the WWTP_EVAL_DEFAULT_* values. */
void wwtp_eval_config_default(struct wwtp_eval_config *cfg);
/* Checks a config built in code; 0 or WWTP_ERR_INVAL. */
int wwtp_eval_config_check(const struct wwtp_eval_config *cfg);

/* Parses an `evaluation = { windows_s = [...]; min_availability = 0.75; ... }`
 * group (descriptor table, unknown keys refused; keys in docs/compliance.md).
 * grp may be NULL: *out gets the defaults. file names the station file in
 * messages. Returns 0 or WWTP_ERR_CONFIG with FILE:LINE problems in diag.
 * (Implemented in eval_config.c, so that evaluator.c stays free of libconfig.) */
int wwtp_eval_config_parse(const config_setting_t *grp, const char *file,
			   struct wwtp_eval_config *out, struct wwtp_diag *diag);

/* A parameter the station measures and how often a reading is expected
 * (normally its device's poll interval). */
struct wwtp_eval_param {
	const char *param;
	int64_t interval_ms;
};

enum wwtp_alert_kind {
	WWTP_ALERT_EXCEEDANCE = 0, /* judged average above Cmax */
	WWTP_ALERT_RANGE,	   /* judged average outside a range (pH) */
	WWTP_ALERT_FAULT,	   /* instrument reports a fault */
	WWTP_ALERT_CALIBRATION,	   /* calibrating for too long */
	WWTP_ALERT_OFFLINE,	   /* device does not answer */
	WWTP_ALERT_AVAILABILITY,   /* too few valid readings in a window */
	WWTP_ALERT_SUSPECT,	   /* readings that cannot be true (docs/plausibility.md) */
	WWTP_ALERT_KINDS	   /* how many there are: the one list of kinds */
};
/* "exceedance", "range", "fault", "calibration", "offline", "availability",
 * "suspect_data". */
const char *wwtp_alert_kind_name(int kind);
/* What a kind asks of an inspector (ISA-18.2's priorities, docs/alerts.md):
 * "high" (exceedance, range: a judged average over its limit), "medium"
 * (availability, offline, suspect_data), "low" (fault, calibration); "medium" for a kind
 * out of range. */
const char *wwtp_alert_kind_priority(int kind);

enum wwtp_alert_edge { WWTP_ALERT_RAISED = 1, WWTP_ALERT_CLEARED = 2 };
const char *wwtp_alert_edge_name(int edge); /* "raised", "cleared" */

/* One raise or clear. A clear repeats the id, start and since of its raise.
 *
 *  kind           value                    limit                ratio
 *  exceedance     window average           Cmax                 value / Cmax
 *  range          window average           bound crossed        see below
 *  availability   availability (0..1)      min_availability     value / limit
 *  calibration    seconds calibrating      calibration_max_s    value / limit
 *  offline        seconds offline          offline_after_s      value / limit
 *  fault          reading value or NaN     NaN                  NaN
 *  suspect_data   the reading's value      NaN                  NaN
 *                 (and `suspect`: which check it failed)
 *
 * Ratio against a range: above the range avg / max, below it min / avg
 * (so 1.5 means "1.5 times outside" on either side; NaN when avg <= 0). */
struct wwtp_alert_event {
	int edge; /* enum wwtp_alert_edge */
	int kind; /* enum wwtp_alert_kind */
	/* "<station>:<param>:<kind>:<window_s>:<start_ms>": deterministic, unique
	 * per station (one alert of a kind and window is active at a time). */
	char id[WWTP_ALERT_ID_MAX];
	char station[WWTP_ID_MAX];
	char param[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	int window_s; /* 0 for fault, calibration, offline */
	double value, limit, ratio;
	int64_t start_ms; /* when the alert was raised */
	int64_t end_ms;	  /* 0 on a raise; when it cleared on a clear */
	int64_t since_ms; /* when the condition began (first fault, calibrating or
			     offline reading; equals start_ms for window alerts) */
	int suspect;	  /* suspect_data: enum wwtp_suspect of the raising reading */
};

struct wwtp_window_verdict {
	int window_s;
	double average;	     /* of ok readings; NaN when there are none */
	uint32_t count;	     /* ok readings in the window */
	double expected;     /* window / interval */
	double availability; /* min(1, count / expected) */
	int judged;	     /* availability >= min_availability (and count > 0) */
	int exceeds;	     /* judged and outside the limits */
	double ratio;	     /* see struct wwtp_alert_event; NaN when not judged or no limit */
	int alert;	     /* an exceedance/range alert of this window is active */
	int availability_alert;
};

struct wwtp_verdict {
	char param[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	int has_limit;
	int is_range;
	double cmax_min, cmax_max; /* NaN when none */
	int64_t ts_ms;		   /* time of the evaluation (last feed or tick) */
	int64_t last_reading_ms;   /* 0 if none yet */
	int last_status;	   /* enum wwtp_reading_status of the last reading; -1 none */
	int has_instant;
	double instant;	     /* last reading's value (any status); NaN without one */
	int instant_exceeds; /* last reading ok and outside the limits (not an alert) */
	size_t nwindows;
	struct wwtp_window_verdict windows[WWTP_EVAL_WINDOWS_MAX];
	int fault_alert, calibration_alert, offline_alert, suspect_alert;
	int last_suspect; /* enum wwtp_suspect of the last reading (0: plausible) */
};

struct wwtp_eval;

/* Makes an evaluator for station `station` (its id, used in alert ids), the
 * effective limits (may be NULL: nothing has a limit; copied, need not
 * outlive the evaluator), a config (NULL: defaults) and the n parameters it
 * measures (unique, interval_ms > 0). Parameters without a row in limits, or
 * whose row has no limit, are tracked but not judged. Returns 0 and *out, or
 * WWTP_ERR_INVAL / WWTP_ERR_NOMEM. */
int wwtp_eval_new(const char *station, const struct wwtp_limits_table *limits,
		  const struct wwtp_eval_config *cfg, const struct wwtp_eval_param *params,
		  size_t n, struct wwtp_eval **out);
void wwtp_eval_free(struct wwtp_eval *ev); /* accepts NULL */

/* Feeds one reading (status: enum wwtp_reading_status; a value counts only
 * when has_value and finite). Readings of one parameter must come in time
 * order (equal times allowed). Writes the events it causes into out[] and
 * returns their number (>= 0), or: WWTP_ERR_NOTFOUND (param not tracked),
 * WWTP_ERR_RANGE (max < WWTP_EVAL_FEED_EVENTS_MAX), WWTP_ERR_INVAL (reading
 * older than the parameter's last one, or unknown status); on error nothing
 * changes. */
int wwtp_eval_feed(struct wwtp_eval *ev, const char *param, int64_t ts_ms, int status,
		   int has_value, double value, struct wwtp_alert_event *out, size_t max);
/* The same, for a reading whose value failed plausibility check `suspect`
 * (enum wwtp_suspect; 0 = passed, as wwtp_eval_feed): its value is not
 * counted, and suspect_data is raised and cleared as described above. */
int wwtp_eval_feed_checked(struct wwtp_eval *ev, const char *param, int64_t ts_ms, int status,
			   int has_value, double value, int suspect, struct wwtp_alert_event *out,
			   size_t max);

/* Re-evaluates every parameter at now_ms without a reading: windows slide
 * (averages lose old buckets, availability drops), and silence becomes an
 * offline alert. Parameters whose last reading is after now_ms are left
 * alone. Returns the number of events or WWTP_ERR_RANGE when
 * max < wwtp_eval_tick_events_max(ev). */
int wwtp_eval_tick(struct wwtp_eval *ev, int64_t now_ms, struct wwtp_alert_event *out, size_t max);
size_t wwtp_eval_tick_events_max(const struct wwtp_eval *ev);

/* The verdict of param as of its last evaluation. 0 or WWTP_ERR_NOTFOUND. */
int wwtp_eval_get(const struct wwtp_eval *ev, const char *param, struct wwtp_verdict *out);

size_t wwtp_eval_nparams(const struct wwtp_eval *ev);
const char *wwtp_eval_param_name(const struct wwtp_eval *ev, size_t i); /* NULL past end */
/* Bytes the evaluator holds: fixed after wwtp_eval_new (it never allocates
 * again), so a long run cannot grow it. */
size_t wwtp_eval_memory(const struct wwtp_eval *ev);

#endif
