/* model.h - the simulated plant: what each instrument of a station reads at
 * a given instant. Pure: no I/O, no clocks, no global state.
 *
 * A value depends only on (seed, station id, design flow, scenario, param,
 * t): the same inputs give the same value, bit for bit, in any order and on
 * any thread. That is what makes simulator runs repeatable and lets the
 * tests sample a week in milliseconds. t is UTC epoch seconds; daily
 * patterns follow Hanoi local time (UTC+7, no daylight saving).
 *
 * Each known param has a band per scenario (wwtp_sim_model_band) that its
 * value never leaves; inside it the value is the sum of a daily pattern
 * (factories work by day), a slow drift (a smooth pseudo-random curve over
 * hours, the closed form of a random walk held in a band) and a little
 * noise, held between analyzer updates where real analyzers update slowly.
 * A healthy plant also has rare excursions: now and then, for an hour or
 * two, COD, TSS or NH4 rises over the usual limit and comes back.
 * docs/simulator.md lists the numbers. */
#ifndef WWTP_SIM_MODEL_H
#define WWTP_SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../model/station.h"

/* What is wrong with a simulated plant: a set of effects, one bit each.
 * A scenario is an unsigned mask of them; 0 is a healthy plant. The effects
 * are the ways such plants degrade (docs/simulator.md, "Scenarios"). When
 * two effects both move a param, the first in this order wins. */
enum wwtp_sim_effect {
	WWTP_SIM_FX_AERATION = 1u << 0,	 /* failed aeration: blower stopped, DO ~ 0, COD, NH4,
					    TSS over column B, analyzers in some trouble */
	WWTP_SIM_FX_OVERLOAD = 1u << 1,	 /* hydraulic overload: flow 1.6 x the usual, TSS washed
					    out, COD and NH4 partly over */
	WWTP_SIM_FX_NITROGEN = 1u << 2,	 /* no nitrogen removal: NH4 and TN high, COD fine */
	WWTP_SIM_FX_ANALYZERS = 1u << 3, /* analyzers in fault much of the time (37 %) */
	WWTP_SIM_FX_SOLIDS = 1u << 4,	 /* poor settling: TSS and turbidity high */
	WWTP_SIM_FX_COLOUR = 1u << 5,	 /* colour not removed (dyes, lacquer) */
	/* A plant that fakes its data (docs/simulator.md, "Cheating"): these
	 * move the instruments, not the effluent, and come before the others. */
	WWTP_SIM_FX_DILUTED = 1u << 6,	 /* outlet COD and NH4 analyzers fed clean water: flat
					    and low while flow and the other instruments vary */
	WWTP_SIM_FX_FROZEN_PH = 1u << 7, /* pH transmitter frozen at exactly 7.00 */
	WWTP_SIM_FX_SPIKES = 1u << 8,	 /* now and then one reading of COD, NH4, TSS, pH far off */
};
#define WWTP_SIM_FX_ALL 0x1ffu
#define WWTP_SIM_HEALTHY 0u
/* The "degraded" scenario of earlier versions: a failed aeration. */
#define WWTP_SIM_DEGRADED WWTP_SIM_FX_AERATION
#define WWTP_SIM_SCENARIO_MAX 192 /* bytes of a formatted scenario, NUL included */

/* "healthy", "degraded" (= failed-aeration), or effect names joined with
 * '+': failed-aeration, hydraulic-overload, no-nitrogen-removal,
 * analyzer-faults, poor-settling, high-colour, diluted-analyzer, frozen-ph, spikes
 * ("analyzer-faults+high-colour").
 * Returns 0 and *out, or WWTP_ERR_INVAL (unknown name, empty part, a name
 * twice). */
int wwtp_sim_scenario_parse(const char *s, unsigned *out);
/* The mask as text: "healthy" or the effect names joined with '+', in the
 * order of enum wwtp_sim_effect. Returns out (always NUL-terminated). */
const char *wwtp_sim_scenario_format(unsigned sc, char *out, size_t n);

/* Hanoi local time offset: the plant's day follows it. */
#define WWTP_SIM_UTC_OFFSET_S (7 * 3600)
/* Design flow assumed when a station file gives none (m3/day). */
#define WWTP_SIM_DEFAULT_DESIGN_M3D 2000.0

/* One simulated plant. Plain data; fill with wwtp_sim_site_init. */
struct wwtp_sim_site {
	uint64_t seed;
	char station[WWTP_ID_MAX];
	double design_flow_m3d; /* > 0 */
	unsigned scenario;	/* mask of enum wwtp_sim_effect */
	uint64_t key;		/* derived from seed and station: decorrelates plants */
};

/* design_flow_m3d <= 0 selects WWTP_SIM_DEFAULT_DESIGN_M3D. */
void wwtp_sim_site_init(struct wwtp_sim_site *s, uint64_t seed, const char *station,
			double design_flow_m3d, unsigned scenario);

/* Whether the model knows param (one of the names listed in
 * docs/simulator.md: quality, flows, totalisers, PLC states). Unknown
 * params still get a value: a slow sine around 10 with noise. */
int wwtp_sim_model_knows(const char *param);

/* The value of param at t (UTC epoch seconds), in the param's usual unit
 * (m3/h, degC, mg/L, Pt/Co, NTU; 0/1 for equipment states). */
double wwtp_sim_model_value(const struct wwtp_sim_site *s, const char *param, int64_t t);

/* param as a bit: equipment states (blower_run, pump_run) as they are;
 * anything else is 1 while its value is above the middle of its band, so a
 * bit point bound to an unexpected param still changes now and then. */
int wwtp_sim_model_flag(const struct wwtp_sim_site *s, const char *param, int64_t t);

/* The band [lo, hi] that param's value stays in for the site's scenario
 * (for a param with excursions, hi is the highest an excursion reaches).
 * Returns 0, or WWTP_ERR_NOTFOUND for an unknown param (whose sine still
 * has a band: 10 +- 2.3, given anyway). */
int wwtp_sim_model_band(const struct wwtp_sim_site *s, const char *param, double *lo, double *hi);

/* Status of the analyzer named `analyzer` (a point's param, or a device
 * name for a device-wide status register) at t: WWTP_READING_OK,
 * WWTP_READING_CALIBRATING or WWTP_READING_FAULT (payload/payload.h). In
 * the healthy scenario always OK; the windows of failed aeration and of
 * analyzer faults are the table status_rules in model.c. */
int wwtp_sim_model_status(const struct wwtp_sim_site *s, const char *analyzer, int64_t t);

#endif
