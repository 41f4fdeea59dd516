/* report_stats.h - the numbers of a monthly report (pure: no clock, no I/O).
 *
 * In: for each parameter of a station, one cell per clock hour of the
 * month (readings of any status, ok readings with a value, their mean, min
 * and max, fault readings: what InfluxDB's GROUP BY time(1h) gives, or
 * wwtp_report_hours_from_samples() from raw readings), the parameter's
 * effective limit, and the station's exceedance alerts as the edge raised
 * and cleared them. Out: per parameter the statistics of docs/report.md,
 * the plant's flag over the month (the rules of flags.h, over the month's
 * hours) and whether it met the regulation.
 *
 * Definitions (docs/report.md has the reasons):
 *  - an hour is judged as the flags judge it (hourly.h): ok >= 1 and
 *    ok >= hour_min_ok x readings; its average is the mean of its ok values;
 *  - a day is a local day (00:00-24:00 UTC+7); it is judged when at least
 *    min_availability x 24 of its hours are; its average is the mean of the
 *    day's ok values;
 *  - an average exceeds when above Cmax or, for a range (pH), outside it;
 *    exactly at Cmax is within; the ratio is the evaluator's (avg / max,
 *    or min / avg below a lower bound);
 *  - availability: judged hours / hours of the period (the month, or up to
 *    the last complete hour when the month is under way);
 *  - a station met the regulation when every limited parameter has no
 *    judged daily average outside its limit and an availability of at
 *    least min_availability; it did not when some daily average was
 *    outside; otherwise its data is insufficient to say. */
#ifndef WWTP_CENTRAL_REPORT_STATS_H
#define WWTP_CENTRAL_REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../flags/flags.h"
#include "../flags/hourly.h"

/* A year is the longest period. */
#define WWTP_REPORT_DAYS_MAX 366
#define WWTP_REPORT_HOURS_MAX (WWTP_REPORT_DAYS_MAX * 24)

enum wwtp_report_kind {
	WWTP_PERIOD_MONTH = 0, /* "2026-10" */
	WWTP_PERIOD_QUARTER,   /* "2026-Q4" */
	WWTP_PERIOD_YEAR,      /* "2026" */
};

/* A month, a quarter or a year in Hanoi time. */
struct wwtp_report_period {
	int kind;	  /* enum wwtp_report_kind */
	int year, month;  /* 2026, 10: the first month of the period */
	int quarter;	  /* 1..4 for a quarter, else 0 */
	char id[8];	  /* "2026-10", "2026-Q4", "2026": file names and the CSV */
	int64_t start_ms; /* 00:00 UTC+7 on the 1st */
	int64_t end_ms;	  /* 00:00 UTC+7 on the 1st of the next month */
	int64_t until_ms; /* end of what is judged: end_ms, or the last complete hour */
	size_t nhours;	  /* hours of the period (672 ... 8784) */
	size_t hours;	  /* hours judged on: (until - start) / 1 h */
	size_t ndays;	  /* days of the month */
	size_t days;	  /* complete days up to until_ms */
};

/* Parses "YYYY-MM", "YYYY-Qn" or "YYYY" (year 2000-2199) into *p, as of
 * now_ms (a period under way is judged up to its last complete hour; a
 * future one on nothing). 0 or WWTP_ERR_INVAL. */
int wwtp_report_period_parse(const char *s, int64_t now_ms, struct wwtp_report_period *p);

struct wwtp_report_hour {
	uint32_t polls;	       /* readings of any status */
	uint32_t ok;	       /* ok readings with a value */
	uint32_t fault;	       /* fault readings */
	double mean, min, max; /* of the ok values; NaN without */
};

/* An empty hour (NaN mean, min, max). */
void wwtp_report_hour_init(struct wwtp_report_hour *h);

/* A raw reading, for tests and tools (enum wwtp_reading_status). */
struct wwtp_report_sample {
	int64_t ts_ms;
	int status;
	int has_value;
	double value;
};

/* Adds samples[0..n) of one parameter into hours[0..nhours) of the period
 * starting at start_ms, as InfluxDB's hourly aggregates would count them
 * (samples outside are ignored; a NaN value counts as none). Pure. */
void wwtp_report_hours_add(struct wwtp_report_hour *hours, size_t nhours, int64_t start_ms,
			   const struct wwtp_report_sample *samples, size_t n);

/* An exceedance or range alert of the edge (the `alert` measurement). */
struct wwtp_report_alert {
	char param[WWTP_ID_MAX];
	int64_t start_ms; /* raised */
	int64_t end_ms;	  /* cleared; 0 while open */
	int window_s;
	double ratio; /* at the raise */
};

struct wwtp_report_pstats {
	uint64_t samples, valid, faults; /* readings, ok with a value, in fault */
	size_t hours_covered;		 /* hours with any reading */
	size_t hours_judged, hours_exceeding;
	double availability;	      /* hours_judged / period hours; NaN for 0 hours */
	double hours_exceeding_share; /* of hours_judged; NaN without */
	double mean, min, max;	      /* of every ok value of the period; NaN without */
	size_t days_judged, days_exceeding;
	double days_exceeding_share;
	double max_ratio;	/* largest ratio of a judged hourly average; NaN */
	double max_daily_ratio; /* of a judged daily average; NaN */
	double alert_hours;	/* hours with an exceedance alert open (union of
				   windows), within the period */
	size_t alerts_raised;	/* raised within the period */
	double max_alert_ratio; /* largest ratio of those raised within; NaN */
	/* Hours of the period not judged, once each by why: no reading at all
	 * (station, link or collector down), readings mostly in fault, the
	 * rest (calibration, maintenance, the instrument said offline, too
	 * few valid readings). lost = nodata + fault + other. */
	size_t hours_lost, lost_nodata, lost_fault, lost_other;
	double daily[WWTP_REPORT_DAYS_MAX]; /* daily averages; NaN when none */
	unsigned char day_judged[WWTP_REPORT_DAYS_MAX];
};

enum wwtp_report_verdict {
	WWTP_REPORT_MET = 0,
	WWTP_REPORT_NOT_MET,	  /* a judged daily average outside a limit */
	WWTP_REPORT_INSUFFICIENT, /* no exceedance, but too little data to show it */
	WWTP_REPORT_NOT_JUDGED,	  /* no limits configured */
};
/* "met", "not_met", "insufficient_data", "not_judged". */
const char *wwtp_report_verdict_name(int v);

/* How the period's volume was found. */
enum wwtp_report_vol_method {
	WWTP_VOL_NONE = 0,  /* neither a totaliser nor a flow in m3/h with data */
	WWTP_VOL_TOTALISER, /* the counter's increase (resets skipped) */
	WWTP_VOL_INTEGRAL,  /* the sum of hourly mean flows x 1 h over the hours with data */
};

struct wwtp_report_volume {
	int method;	     /* enum wwtp_report_vol_method */
	double m3;	     /* NaN with WWTP_VOL_NONE */
	size_t hours;	     /* hours with data behind it */
	size_t resets;	     /* totaliser: times the counter went back (skipped) */
	double per_day;	     /* m3 per day: totaliser over the period's hours, integral
				over its hours with data; NaN */
	double capacity_use; /* per_day / design flow; NaN without a design flow */
};

struct wwtp_report_result {
	struct wwtp_report_pstats *p; /* nparams, the caller's */
	int verdict;
	size_t params_limited, params_not_met, params_insufficient;
	double worst_availability; /* of the limited params; NaN without */
	size_t nreasons;	   /* the month's flag: 0 not flagged */
	struct wwtp_flag_reason reasons[WWTP_FLAG_REASONS_MAX];
	struct wwtp_flag_checks checks;
	struct wwtp_report_volume vol_out, vol_in; /* discharged, received */
};

/* The volume of one direction over the period: from the totaliser
 * (total_param, m3) when it has valid data, else from the flow (flow_param,
 * m3/h). hours is [param * nhours + hour] as for wwtp_report_compute(). */
void wwtp_report_volume(const struct wwtp_report_period *per, const struct wwtp_flag_param *params,
			size_t nparams, const struct wwtp_report_hour *hours,
			const char *total_param, const char *flow_param, double design_m3d,
			struct wwtp_report_volume *out);

/* Computes the month of one station with nparams parameters: hours is
 * [param * period->nhours + hour of the month], alerts any order (those of
 * params not in params are ignored). fcfg gives hour_min_ok, min_hours and
 * the flag thresholds; min_availability the station's evaluation setting;
 * design_m3d its design flow (0: unknown). out->p must have room for
 * nparams. 0, or WWTP_ERR_NOMEM (the flags' hour ring), WWTP_ERR_INVAL. */
int wwtp_report_compute(const struct wwtp_report_period *period, const struct wwtp_flag_cfg *fcfg,
			double min_availability, const struct wwtp_flag_param *params,
			size_t nparams, double design_m3d, const struct wwtp_report_hour *hours,
			const struct wwtp_report_alert *alerts, size_t nalerts,
			struct wwtp_report_result *out);

/* Whether avg is outside p's limits, and its ratio (NaN without a limit). */
int wwtp_report_outside(const struct wwtp_flag_param *p, double avg);
double wwtp_report_ratio(const struct wwtp_flag_param *p, double avg);

#endif
