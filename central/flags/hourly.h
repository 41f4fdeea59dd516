/* hourly.h - one station's hourly aggregates over the flag window, and what
 * they add up to.
 *
 * Per parameter and per clock hour (UTC hours are also Hanoi's: UTC+7), the
 * readings InfluxDB holds: how many polls, how many ok with a value and
 * their mean, how many in fault. The central side fills these from InfluxDB
 * (monitor.c) and keeps a ring of window_h + 2 hours per parameter, so that
 * memory is fixed (18 stations x 20 params x 170 hours is under 2 MB).
 *
 * Pure: no clock, no I/O. */
#ifndef WWTP_CENTRAL_HOURLY_H
#define WWTP_CENTRAL_HOURLY_H

#include <stddef.h>
#include <stdint.h>

#include "../../compliance/period.h" /* WWTP_HOUR_MS */
#include "../../model/station.h"

/* A parameter of a station, as the flag rules see it. */
struct wwtp_flag_param {
	char name[WWTP_ID_MAX];
	char unit[WWTP_UNIT_MAX];
	char device[WWTP_ID_MAX];
	int has_limit;		   /* judged against the station's effective limits */
	int is_range;		   /* has a lower bound (pH) */
	double cmax_min, cmax_max; /* NaN when none */
};

struct wwtp_hour_cell {
	int64_t hour;	  /* epoch hours (ms / 3600000); -1: empty */
	uint32_t polls;	  /* readings of any status */
	uint32_t ok;	  /* ok readings with a value, suspect ones left out */
	uint32_t fault;	  /* fault readings */
	uint32_t suspect; /* ok readings marked suspect (docs/plausibility.md) */
	uint32_t flat;	  /* of them, marked "flatline" */
	double mean;	  /* of the ok values that are not suspect; NaN without */
};

struct wwtp_hourly {
	size_t nparams, nhours;
	struct wwtp_hour_cell *cells; /* [param * nhours + hour % nhours] */
};

/* 0, or WWTP_ERR_NOMEM / WWTP_ERR_INVAL (nhours 0). */
int wwtp_hourly_init(struct wwtp_hourly *h, size_t nparams, size_t nhours);
void wwtp_hourly_free(struct wwtp_hourly *h);

/* Empties hours [from, to) of every parameter (before new numbers for
 * them: an hour InfluxDB no longer returns has no readings). */
void wwtp_hourly_clear(struct wwtp_hourly *h, int64_t from, int64_t to);
/* The cell of (param, hour), emptied first if it held an older hour. */
struct wwtp_hour_cell *wwtp_hourly_cell(struct wwtp_hourly *h, size_t param, int64_t hour);
/* The cell of (param, hour), or NULL when the ring does not hold it. */
const struct wwtp_hour_cell *wwtp_hourly_get(const struct wwtp_hourly *h, size_t param,
					     int64_t hour);

/* What a window of hours shows for one parameter. */
struct wwtp_param_summary {
	int covered;	    /* hours with any reading */
	int judged;	    /* hours with a valid average: ok readings, at least min_ok of them */
	int within;	    /* judged hours whose average is within the limit */
	double fault_share; /* mean over covered hours of fault / polls; NaN when none */
	double mean;	    /* mean of the judged hourly averages; NaN when none */
	/* Hours where at least half the readings were marked suspect, and the
	 * longest run of consecutive hours mostly marked "flatline". */
	int suspect_hours;
	int flat_run;
};

/* What the window shows for a station. */
struct wwtp_station_summary {
	int64_t first_hour; /* the first hour of the window with a reading; -1 none */
	int hours;	    /* complete hours from first_hour to the end of the window */
	struct wwtp_param_summary *params; /* nparams, the caller's */
	/* Removal efficiency: hours where inlet and outlet were both judged. */
	int cod_hours, nh4_hours;
	double cod_in, cod_out; /* means over those hours; NaN without */
	double nh4_in, nh4_out;
	/* Hydraulic load: judged hourly averages of the outlet flow (else the
	 * inlet's), m3/h. */
	int flow_param; /* index, -1 when the station measures no flow */
	int flow_hours;
	double flow_m3h; /* NaN without */
};

/* Summarises hours [end - window_h, end) (end excluded: the hour under way
 * is not complete). An hour is judged when ok >= 1 and ok >= min_ok x polls.
 * params[i] describes parameter i of h. out->params must have room for
 * h->nparams. */
void wwtp_hourly_summarise(const struct wwtp_hourly *h, const struct wwtp_flag_param *params,
			   int64_t end, int window_h, double min_ok,
			   struct wwtp_station_summary *out);

/* Index of parameter name, or -1. */
int wwtp_flag_param_find(const struct wwtp_flag_param *params, size_t n, const char *name);

#endif
