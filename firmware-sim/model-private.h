/* model-private.h - the insides of model.c (the param table and the
 * time helpers), for it and its unit test (util/unittest.h); nothing else
 * includes this. */
#ifndef WWTP_SIM_MODEL_PRIVATE_H
#define WWTP_SIM_MODEL_PRIVATE_H

#include <stdint.h>

#include "../util/unittest.h"
#include "model.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_S 86400
#define HOUR_S 3600

/* ---- Param table ----------------------------------------------------------*/

enum shape {
	SHAPE_LEVEL,	 /* band mid + half * (daily + drift + noise) */
	SHAPE_TEMP,	 /* like LEVEL but the daily part is the sun, peaking at 15:00 */
	SHAPE_FLOW_IN,	 /* m3/h from design flow, load and week */
	SHAPE_FLOW_OUT,	 /* the inflow 2 h later, smoothed by the equalisation tank */
	SHAPE_TOTAL_IN,	 /* m3 since the meter was fitted: the integral of the inflow's pattern */
	SHAPE_TOTAL_OUT, /* the same for the outflow (2 h later, x 0.97) */
	SHAPE_HOURS,	 /* running-hours counter of equipment that runs when healthy */
	SHAPE_STATE,	 /* 0/1 fixed per scenario: band[scenario][0] */
	SHAPE_PUMP,	 /* lift pump cycling on level, duty following the load */
	SHAPE_SLUDGE,	 /* sludge pump: 10 minutes every hour */
	SHAPE_DOSING,	 /* chemical dosing: runs while the load is above average */
};

/* A band a param moves to while an effect holds. */
struct alt_band {
	unsigned fx; /* enum wwtp_sim_effect; 0 ends the list */
	double lo, hi;
};
#define ALT_MAX 3

struct param_def {
	const char *name;
	enum shape shape;
	double band[2];			  /* healthy [lo, hi]; a STATE's value is lo */
	struct alt_band alt[ALT_MAX];	  /* under effects, in the order of enum wwtp_sim_effect */
	double w_daily, w_drift, w_noise; /* shares of the half band; |sum| <= 1 */
	int lag_s;			  /* effluent lags the inlet (retention time) */
	int hold_s;			  /* analyzer update period; value held between */
	const char *drift_key;		  /* params that move together; NULL: own */
	double exc[2];			  /* a healthy excursion peaks in [lo, hi]; {0, 0}: none */
};

#ifdef WWTP_UNITTEST
/* The params the model knows (a definition of another length is a
 * compile error in the unit test's build). */
#define PARAMS_N 25
extern const struct param_def params[PARAMS_N];
const struct param_def *find_param(const char *name); /* NULL: unknown */
/* The band of p under scenario sc; 1 for the healthy band. */
int band_of(const struct param_def *p, unsigned sc, double *lo, double *hi);
int is_flag_shape(enum shape sh);
int64_t floor_mod(int64_t a, int64_t b); /* a mod b in [0, b) */
double local_hour(int64_t t);		 /* Hanoi's hour of day, fractional */
int local_weekday(int64_t t);		 /* 0 Sunday .. 6 Saturday, Hanoi */
double load(int64_t t);			 /* the plant's load, averaging 1 */
/* How far into an excursion of p t is, 0 (none) .. 1 (at the peak), and
 * the peak of the slot's excursion. */
double excursion(const struct wwtp_sim_site *s, const struct param_def *p, int64_t t, double *peak);
#endif

#endif
