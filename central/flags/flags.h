/* flags.h - is a plant degraded, and why: the rules of docs/flags.md over a
 * station's hourly summary (hourly.h).
 *
 * Pure: a summary and the state of the last evaluation in, the reasons out.
 * Each rule has a threshold where it raises and, past it by `hysteresis`, a
 * point where it clears, so that a plant hovering at a threshold does not
 * flap; the state carries which rules are raised from one evaluation to
 * the next. A station is flagged while any reason holds. A rule that lacks
 * the data to say anything (fewer than min_hours hours behind it) neither
 * raises nor holds a flag. */
#ifndef WWTP_CENTRAL_FLAGS_H
#define WWTP_CENTRAL_FLAGS_H

#include <stddef.h>

#include "hourly.h"

struct wwtp_flag_cfg {
	int window_h;		 /* hours looked at, up to the last complete one */
	int min_hours;		 /* hours of data a rule needs before it judges */
	double hour_min_ok;	 /* an hour is judged when this share of its readings is ok */
	double compliance_min;	 /* share of judged hours within the limit, per param */
	double availability_min; /* share of hours judged, per limited param */
	double fault_max;	 /* share of the time an instrument is in fault */
	double cod_removal_min;	 /* 1 - outlet / inlet */
	double nh4_removal_min;
	double hydraulic_max; /* mean outflow / design flow */
	double suspect_max;   /* share of hours a limited param's data is implausible */
	double hysteresis;    /* a raised rule clears this far on the good side */
	int refresh_s;	      /* how often flags are recomputed */
};

/* The defaults of docs/flags.md. */
void wwtp_flag_cfg_default(struct wwtp_flag_cfg *c);

enum wwtp_flag_rule {
	WWTP_FLAG_COMPLIANCE = 0, /* per limited param */
	WWTP_FLAG_AVAILABILITY,	  /* the worst limited param */
	WWTP_FLAG_FAULTS,	  /* the worst param */
	WWTP_FLAG_COD_REMOVAL,
	WWTP_FLAG_NH4_REMOVAL,
	WWTP_FLAG_HYDRAULIC,
	WWTP_FLAG_SUSPECT, /* per limited param: implausible data (docs/plausibility.md) */
	WWTP_FLAG_RULES
};
/* "compliance", "availability", "faults", "cod_removal", "nh4_removal",
 * "hydraulic_load", "suspect_data"; "?" out of range. */
const char *wwtp_flag_rule_name(int rule);

/* One reason a station is flagged, with the numbers behind it. */
struct wwtp_flag_reason {
	int rule;
	char param[WWTP_ID_MAX]; /* compliance: the param; availability, faults: the worst
				    one; removal: the outlet param; hydraulic: the flow */
	double value;		 /* the share, efficiency or load (0..1, load may pass 1) */
	double threshold;	 /* where it raises */
	double clear_at;	 /* where it clears */
	int hours;		 /* the hours it rests on */
	double limit;		 /* compliance: Cmax (NaN for a range: cmax_min..max below) */
	double cmax_min, cmax_max;
	double inlet, outlet; /* removal: the means; NaN otherwise */
	double mean;	      /* compliance: mean of the judged hourly averages; NaN otherwise */
	double flow_m3d, design_m3d; /* hydraulic; NaN otherwise */
	int count;		     /* faults, availability: params past the threshold */
	int flat_run;		     /* suspect_data: longest run of flat-line hours */
	char text[224];		     /* for people: the rule, the numbers, the threshold */
};

#define WWTP_FLAG_REASONS_MAX 40

/* Which rule instances are raised (rule, and param for compliance). */
struct wwtp_flag_state {
	size_t n;
	struct {
		int rule;
		char param[WWTP_ID_MAX];
	} raised[WWTP_FLAG_REASONS_MAX];
};

/* The station-wide numbers behind every rule, whether or not they flag
 * (for the API: "checks"). NaN where a rule has not enough data. */
struct wwtp_flag_checks {
	int hours;
	double availability; /* the worst limited param's */
	char availability_param[WWTP_ID_MAX];
	double faults; /* the worst param's */
	char faults_param[WWTP_ID_MAX];
	double cod_removal, nh4_removal, hydraulic_load;
};

/* Evaluates the rules for a station with params[0..nparams) and design flow
 * design_m3d (0: unknown, no hydraulic rule) over summary s. state is read
 * and updated (zero it before the first call). Writes the reasons into
 * out[0..max) and returns how many (0: not flagged); checks may be NULL. */
size_t wwtp_flags_evaluate(const struct wwtp_flag_cfg *cfg, const struct wwtp_flag_param *params,
			   size_t nparams, double design_m3d, const struct wwtp_station_summary *s,
			   struct wwtp_flag_state *state, struct wwtp_flag_reason *out, size_t max,
			   struct wwtp_flag_checks *checks);

#endif
