#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ptys, accept4, pipe2, M_PI: also when built without the Makefile's flags */
#endif
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../payload/payload.h"
#include "../util/err.h"
#include "model-private.h"

/* ---- Deterministic noise -------------------------------------------------
 * Everything random is a hash of (site key, param key, integer index), so any
 * instant can be computed directly: no state, no sequence to replay. */

/* splitmix64's finaliser: a cheap bijective mix with good avalanche. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t param_key(const struct wwtp_sim_site *s, const char *name, uint64_t salt)
{
	return mix64(s->key ^ mix64(hash_str(name) + salt));
}

/* Uniform in [-1, 1] for index n of stream k. */
static double unoise(uint64_t k, int64_t n)
{
	uint64_t h = mix64(k ^ mix64((uint64_t)n + 0x9e3779b97f4a7c15ULL));
	return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* Uniform in [0, 1). */
static double unoise01(uint64_t k, int64_t n)
{
	return (unoise(k, n) + 1.0) * 0.5 * (1.0 - 1e-12);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

WWTP_PRIVATE int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Value noise: lattice points every `period` seconds joined smoothly. In [-1, 1]. */
static double smooth_noise(uint64_t k, int64_t t, int64_t period)
{
	int64_t i = floor_div(t, period);
	double f = (double)(t - i * period) / (double)period;
	double a = unoise(k, i), b = unoise(k, i + 1);
	f = f * f * (3.0 - 2.0 * f);
	return a + (b - a) * f;
}

/* The slow drift of a concentration: hours-long swings plus shorter ones,
 * bounded to [-1, 1] by construction, so the value stays in its band
 * without clamping (a random walk would need a reflecting wall and the
 * whole history to compute one instant). */
static double drift(uint64_t k, int64_t t)
{
	return 0.65 * smooth_noise(k, t, 6 * HOUR_S) + 0.35 * smooth_noise(mix64(k + 1), t, 5400);
}

/* ---- Daily pattern --------------------------------------------------------*/

WWTP_PRIVATE double local_hour(int64_t t)
{
	return (double)floor_mod(t + WWTP_SIM_UTC_OFFSET_S, DAY_S) / HOUR_S;
}

/* 0 = Sunday. 1970-01-01 was a Thursday. */
WWTP_PRIVATE int local_weekday(int64_t t)
{
	return (int)floor_mod(floor_div(t + WWTP_SIM_UTC_OFFSET_S, DAY_S) + 4, 7);
}

static double bump(double h, double centre, double width)
{
	double d = fabs(h - centre);
	if (d > 12.0)
		d = 24.0 - d; /* the day wraps around */
	return exp(-d * d / (2.0 * width * width));
}

/* Mean of raw_load() over a day, so that load() averages to 1. Computed by
 * hand from the gaussian integrals: 0.5 + (0.8 + 0.75) * 1.8 * sqrt(2 pi) / 24
 * + 0.2 * 1.5 * sqrt(2 pi) / 24. Checked by the unit test. */
#define LOAD_MEAN 0.8227

/* Production load of the cluster by local hour: low at night, a morning peak
 * around 10:00, a lunch dip, an afternoon peak around 15:00 and an evening
 * shoulder as the last shifts wash down. */
static double raw_load(double h)
{
	return 0.5 + 0.8 * bump(h, 10.0, 1.8) + 0.75 * bump(h, 15.0, 1.8) +
	       0.2 * bump(h, 19.5, 1.5);
}

WWTP_PRIVATE double load(int64_t t)
{
	return raw_load(local_hour(t)) / LOAD_MEAN;
}

/* Weekly factor: most factories in the clusters work Saturdays; Sunday is quiet. */
static double week_factor(int64_t t)
{
	return local_weekday(t) == 0 ? 0.55 : 0.8;
}

/* Daily pattern mapped to [-1, 1] for concentrations: +1 at the peaks. */
static double daily_unit(int64_t t)
{
	double x = (load(t) - 1.0) / 0.6;
	return x > 1.0 ? 1.0 : x < -1.0 ? -1.0 : x;
}

/* ---- Param table ----------------------------------------------------------*/

WWTP_PRIVATE int is_flag_shape(enum shape sh)
{
	return sh == SHAPE_STATE || sh == SHAPE_PUMP || sh == SHAPE_SLUDGE || sh == SHAPE_DOSING;
}

#define FX_A WWTP_SIM_FX_AERATION
#define FX_O WWTP_SIM_FX_OVERLOAD
#define FX_N WWTP_SIM_FX_NITROGEN
#define FX_S WWTP_SIM_FX_SOLIDS
#define FX_C WWTP_SIM_FX_COLOUR

/* Healthy bands are typical of a working industrial-cluster plant (within
 * QCVN 40:2011 column B: COD 150, BOD5 50, TSS 100, NH4 10, TN 40, TP 6 mg/L,
 * colour 150 Pt/Co; x Kq 0.9 for the shipped stations). The other bands are
 * what each effect does to the effluent:
 *  - failed aeration: no oxidation, no nitrification, sludge carried over;
 *  - hydraulic overload: half the retention time: solids wash out, COD and
 *    NH4 partly over, DO drawn down, the tank high;
 *  - no nitrogen removal: NH4 and TN high while COD is removed (nitrifiers
 *    inhibited or washed out);
 *  - poor settling: TSS and turbidity high;
 *  - high colour: dyes and lacquer the process does not remove.
 * Inlet quality is the same in every scenario. Excursions (healthy only):
 * COD, TSS and NH4 rise over the limit for an hour or two, now and then. */
/* clang-format off */
WWTP_PRIVATE const struct param_def params[] = {
	{"temp", SHAPE_TEMP, {26, 32}, {{0}}, 0.72, 0.24, 0.02, 0, 1, NULL, {0, 0}},
	{"ph", SHAPE_LEVEL, {6.8, 7.6}, {{0}}, 0.0, 0.9, 0.05, 0, 1, NULL, {0, 0}},
	{"tss", SHAPE_LEVEL, {15, 40}, {{FX_A, 90, 140}, {FX_O, 85, 150}, {FX_S, 85, 160}},
	 0.15, 0.65, 0.2, 3 * HOUR_S, 60, NULL, {105, 140}},
	{"cod", SHAPE_LEVEL, {30, 80}, {{FX_A, 150, 260}, {FX_O, 90, 170}},
	 0.2, 0.6, 0.15, 3 * HOUR_S, 60, NULL, {155, 200}},
	{"bod5", SHAPE_LEVEL, {10, 30}, {{FX_A, 60, 110}, {FX_O, 30, 60}},
	 0.2, 0.6, 0.15, 3 * HOUR_S, 60, "cod", {0, 0}},
	{"nh4", SHAPE_LEVEL, {1, 6}, {{FX_A, 18, 35}, {FX_O, 4, 12}, {FX_N, 20, 38}},
	 0.2, 0.6, 0.15, 3 * HOUR_S, 60, NULL, {11, 16}},
	{"tn", SHAPE_LEVEL, {10, 25}, {{FX_A, 28, 45}, {FX_O, 15, 32}, {FX_N, 32, 50}},
	 0.15, 0.65, 0.1, 3 * HOUR_S, 300, "nh4", {0, 0}},
	{"tp", SHAPE_LEVEL, {1, 3}, {{FX_A, 2.5, 5}}, 0.15, 0.65, 0.1, 3 * HOUR_S, 300, NULL, {0, 0}},
	{"color", SHAPE_LEVEL, {20, 60}, {{FX_A, 60, 140}, {FX_C, 130, 260}},
	 0.1, 0.7, 0.15, 3 * HOUR_S, 60, NULL, {0, 0}},
	{"do", SHAPE_LEVEL, {1.5, 3.5}, {{FX_A, 0.0, 0.4}, {FX_O, 0.5, 1.5}},
	 -0.3, 0.6, 0.08, 0, 1, NULL, {0, 0}},
	{"turbidity", SHAPE_LEVEL, {5, 20}, {{FX_A, 40, 90}, {FX_O, 35, 90}, {FX_S, 40, 100}},
	 0.15, 0.7, 0.1, 3 * HOUR_S, 1, "tss", {0, 0}},
	{"cod_in", SHAPE_LEVEL, {300, 800}, {{0}}, 0.35, 0.5, 0.15, 0, 60, NULL, {0, 0}},
	{"nh4_in", SHAPE_LEVEL, {30, 60}, {{0}}, 0.3, 0.5, 0.15, 0, 60, NULL, {0, 0}},
	{"flow_in", SHAPE_FLOW_IN, {0, 0}, {{0}}, 0, 0.10, 0.04, 0, 1, NULL, {0, 0}},
	{"flow_out", SHAPE_FLOW_OUT, {0, 0}, {{0}}, 0, 0.06, 0.02, 2 * HOUR_S, 1, "flow_in", {0, 0}},
	{"tank_level", SHAPE_LEVEL, {1.5, 4.0}, {{FX_O, 3.2, 4.6}}, 0.6, 0.3, 0.02, 2 * HOUR_S, 1, NULL, {0, 0}},
	{"volume_in", SHAPE_TOTAL_IN, {0, 0}, {{0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"volume_out", SHAPE_TOTAL_OUT, {0, 0}, {{0}}, 0, 0, 0, 2 * HOUR_S, 1, NULL, {0, 0}},
	{"blower_hours", SHAPE_HOURS, {0, 0}, {{0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"blower_run", SHAPE_STATE, {1, 1}, {{FX_A, 0, 0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"auto_mode", SHAPE_STATE, {1, 1}, {{FX_A, 0, 0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	/* The alarm: the blower tripped, or the tank at its high level. */
	{"plc_alarm", SHAPE_STATE, {0, 0}, {{FX_A, 1, 1}, {FX_O, 1, 1}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"pump_run", SHAPE_PUMP, {0, 1}, {{0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"sludge_pump_run", SHAPE_SLUDGE, {0, 1}, {{0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
	{"dosing_run", SHAPE_DOSING, {0, 1}, {{0}}, 0, 0, 0, 0, 1, NULL, {0, 0}},
};
/* clang-format on */

/* The band of p under scenario sc: the first effect of sc that moves it,
 * else the healthy band. Returns 1 for the healthy band. */
WWTP_PRIVATE int band_of(const struct param_def *p, unsigned sc, double *lo, double *hi)
{
	/* Cheating first: what the analyzer is fed hides what the plant does.
	 * Clean water reads a low COD and NH4 that move by less than the
	 * analyzers' last digit (0.1 and 0.01 mg/L: docs/plausibility.md); a
	 * frozen transmitter, exactly the same pH. */
	if ((sc & WWTP_SIM_FX_DILUTED) && strcmp(p->name, "cod") == 0) {
		*lo = 12.2;
		*hi = 12.28;
		return 0;
	}
	if ((sc & WWTP_SIM_FX_DILUTED) && strcmp(p->name, "nh4") == 0) {
		*lo = 0.4;
		*hi = 0.408;
		return 0;
	}
	if ((sc & WWTP_SIM_FX_FROZEN_PH) && strcmp(p->name, "ph") == 0) {
		*lo = *hi = 7.0;
		return 0;
	}
	for (size_t i = 0; i < ALT_MAX && p->alt[i].fx; i++) {
		if (sc & p->alt[i].fx) {
			*lo = p->alt[i].lo;
			*hi = p->alt[i].hi;
			return 0;
		}
	}
	*lo = p->band[0];
	*hi = p->band[1];
	return 1;
}

/* Hydraulic overload: 1.6 times the usual flow, 122 % of design on average
 * over a week (the healthy plant runs at 76 %). */
#define OVERLOAD_FACTOR 1.6

static double flow_factor(unsigned sc)
{
	return (sc & WWTP_SIM_FX_OVERLOAD) ? OVERLOAD_FACTOR : 1.0;
}

/* Unknown params: 10 + 2 sin(hourly) + 0.3 noise. */
#define UNKNOWN_MID 10.0
#define UNKNOWN_AMP 2.0
#define UNKNOWN_NOISE 0.3

WWTP_PRIVATE const struct param_def *find_param(const char *name)
{
	for (size_t i = 0; i < NELEM(params); i++)
		if (strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

static const struct {
	unsigned fx;
	const char *name;
} effect_names[] = {
    {WWTP_SIM_FX_AERATION, "failed-aeration"},
    {WWTP_SIM_FX_OVERLOAD, "hydraulic-overload"},
    {WWTP_SIM_FX_NITROGEN, "no-nitrogen-removal"},
    {WWTP_SIM_FX_ANALYZERS, "analyzer-faults"},
    {WWTP_SIM_FX_SOLIDS, "poor-settling"},
    {WWTP_SIM_FX_COLOUR, "high-colour"},
    {WWTP_SIM_FX_DILUTED, "diluted-analyzer"},
    {WWTP_SIM_FX_FROZEN_PH, "frozen-ph"},
    {WWTP_SIM_FX_SPIKES, "spikes"},
};

int wwtp_sim_scenario_parse(const char *s, unsigned *out)
{
	unsigned sc = 0;

	if (strcmp(s, "healthy") == 0) {
		*out = WWTP_SIM_HEALTHY;
		return 0;
	}
	if (strcmp(s, "degraded") == 0) {
		*out = WWTP_SIM_DEGRADED;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(s, "+");
		size_t i;
		for (i = 0; i < NELEM(effect_names); i++)
			if (strlen(effect_names[i].name) == n &&
			    strncmp(effect_names[i].name, s, n) == 0)
				break;
		if (i == NELEM(effect_names) || (sc & effect_names[i].fx))
			return WWTP_ERR_INVAL; /* unknown, empty, or twice */
		sc |= effect_names[i].fx;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	*out = sc;
	return 0;
}

const char *wwtp_sim_scenario_format(unsigned sc, char *out, size_t n)
{
	size_t used = 0;

	if (n == 0)
		return out;
	out[0] = '\0';
	if (sc == WWTP_SIM_HEALTHY) {
		snprintf(out, n, "healthy");
		return out;
	}
	for (size_t i = 0; i < NELEM(effect_names); i++) {
		if (!(sc & effect_names[i].fx))
			continue;
		int w =
		    snprintf(out + used, n - used, "%s%s", used ? "+" : "", effect_names[i].name);
		if (w < 0 || (size_t)w >= n - used) {
			out[used] = '\0'; /* whole names only */
			break;
		}
		used += (size_t)w;
	}
	return out;
}

void wwtp_sim_site_init(struct wwtp_sim_site *s, uint64_t seed, const char *station,
			double design_flow_m3d, unsigned sc)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	snprintf(s->station, sizeof(s->station), "%s", station);
	s->design_flow_m3d = design_flow_m3d > 0 ? design_flow_m3d : WWTP_SIM_DEFAULT_DESIGN_M3D;
	s->scenario = sc;
	s->key = mix64(mix64(seed) ^ hash_str(s->station));
}

int wwtp_sim_model_knows(const char *param)
{
	return find_param(param) != NULL;
}

/* The usual mean inflow, m3/h, before the weekly factor: the design flow
 * spread over the day, times 1.6 in a hydraulic overload. */
static double mean_flow_h(const struct wwtp_sim_site *s)
{
	return s->design_flow_m3d / 24.0 * flow_factor(s->scenario);
}

static double flow_at(const struct wwtp_sim_site *s, const struct param_def *p, int64_t t)
{
	const char *dk = p->drift_key ? p->drift_key : p->name;
	int64_t tl = t - p->lag_s;
	double base = mean_flow_h(s) * week_factor(tl);
	double shape;

	if (p->shape == SHAPE_FLOW_OUT) {
		/* The equalisation tank averages the last two hours of inflow. */
		shape = 0.0;
		for (int i = 0; i < 5; i++)
			shape += load(tl - i * 1800);
		shape = shape / 5.0 * 0.97;
	} else {
		shape = load(tl);
	}
	return base * shape *
	       (1.0 + p->w_drift * drift(param_key(s, dk, 1), tl) +
		p->w_noise * unoise(param_key(s, p->name, 2), t));
}

static int pump_on(const struct wwtp_sim_site *s, int64_t t)
{
	/* Lift pump: 20-minute level cycles, running longer while more comes in. */
	const int64_t period = 1200;
	uint64_t k = param_key(s, "pump_run", 3);
	int64_t offset = (int64_t)(unoise01(k, 0) * (double)period);
	double duty = 0.25 + 0.6 * (load(t) - 0.6);
	duty = duty < 0.2 ? 0.2 : duty > 0.95 ? 0.95 : duty;
	return (double)floor_mod(t + offset, period) < duty * (double)period;
}

/* Counters (totalisers, running hours) start at local midnight, 2020-01-01:
 * meters that have been running for years, as on a real plant. */
#define COUNTER_EPOCH 1577811600LL
#define TOTAL_STEP_S 300

/* Integral of load() from local midnight of t's day to t, in hours (load x
 * h), by the midpoint rule in TOTAL_STEP_S steps; within the last step the
 * rate is that step's, so the total grows continuously and never goes back. */
static double load_hours_today(int64_t t)
{
	int64_t day0 = t - floor_mod(t + WWTP_SIM_UTC_OFFSET_S, DAY_S);
	double sum = 0.0;
	int64_t u = day0;

	for (; u + TOTAL_STEP_S <= t; u += TOTAL_STEP_S)
		sum += load(u + TOTAL_STEP_S / 2) * TOTAL_STEP_S;
	sum += load(u + TOTAL_STEP_S / 2) * (double)(t - u);
	return sum / HOUR_S;
}

/* m3 through the inlet meter from COUNTER_EPOCH to t: whole days (each its
 * week factor times the same midpoint sum over a full day) plus today. */
static double total_in(const struct wwtp_sim_site *s, int64_t t)
{
	if (t <= COUNTER_EPOCH)
		return 0.0;
	int64_t days = floor_div(t - COUNTER_EPOCH, DAY_S);
	int first_sunday = (7 - local_weekday(COUNTER_EPOCH)) % 7;
	int64_t sundays = days > first_sunday ? (days - first_sunday - 1) / 7 + 1 : 0;
	double full_day = load_hours_today(COUNTER_EPOCH + DAY_S - 1) +
			  load(COUNTER_EPOCH + DAY_S - TOTAL_STEP_S / 2) / HOUR_S;
	double factor_days = 0.8 * (double)(days - sundays) + 0.55 * (double)sundays;
	double v0 = 50000.0 * unoise01(param_key(s, "volume_in", 4), 0);

	return v0 +
	       mean_flow_h(s) * (factor_days * full_day + week_factor(t) * load_hours_today(t));
}

/* ---- Excursions of a healthy plant -----------------------------------------
 * Only a healthy plant has them (a degraded one is off its bands already).
 * In each 2-day slot (local time) a param with an excursion band has, with
 * probability EXC_P, one excursion: 60 to 120 minutes during which the value
 * rises, over 15 minutes, to a peak drawn from the band, stays, and comes
 * back. A spill of concentrated wastewater from a factory, a short blower
 * trip: the hourly average goes over the limit for an hour or two, about
 * once in four days, far below what flags a plant (docs/flags.md). */
#define EXC_SLOT_S (2 * DAY_S)
#define EXC_P 0.5
#define EXC_MIN_S 3600
#define EXC_MAX_S 7200
#define EXC_RAMP_S 900

/* How far into an excursion t is, 0 (none) .. 1 (at the peak), and the
 * peak of the slot's excursion. */
WWTP_PRIVATE double excursion(const struct wwtp_sim_site *s, const struct param_def *p, int64_t t,
			      double *peak)
{
	if (p->exc[1] <= 0.0)
		return 0.0;
	uint64_t k = param_key(s, p->name, 200);
	int64_t tl = t + WWTP_SIM_UTC_OFFSET_S;
	int64_t slot = floor_div(tl, EXC_SLOT_S);
	if (unoise01(k, 4 * slot) >= EXC_P)
		return 0.0;
	double dur = EXC_MIN_S + unoise01(k, 4 * slot + 1) * (EXC_MAX_S - EXC_MIN_S);
	double start = unoise01(k, 4 * slot + 2) * ((double)EXC_SLOT_S - dur);
	double into = (double)(tl - slot * EXC_SLOT_S) - start;
	if (into < 0.0 || into >= dur)
		return 0.0;
	*peak = p->exc[0] + unoise01(k, 4 * slot + 3) * (p->exc[1] - p->exc[0]);
	double e = fmin(1.0, fmin(into, dur - into) / EXC_RAMP_S);
	return e * e * (3.0 - 2.0 * e);
}

#define SPIKE_P (1.0 / 300.0)

static int is_spiky(const struct param_def *p)
{
	return strcmp(p->name, "cod") == 0 || strcmp(p->name, "nh4") == 0 ||
	       strcmp(p->name, "tss") == 0 || strcmp(p->name, "ph") == 0;
}

double wwtp_sim_model_value(const struct wwtp_sim_site *s, const char *param, int64_t t)
{
	const struct param_def *p = find_param(param);
	unsigned sc = s->scenario;

	if (!p) {
		uint64_t k = param_key(s, param, 0);
		double phase = unoise01(k, -1) * 2.0 * M_PI;
		return UNKNOWN_MID + UNKNOWN_AMP * sin(2.0 * M_PI * (double)t / HOUR_S + phase) +
		       UNKNOWN_NOISE * unoise(k, t);
	}

	/* Analyzers that update slowly hold their last result. */
	int64_t th = t - floor_mod(t, p->hold_s);
	const char *dk = p->drift_key ? p->drift_key : p->name;
	double lo, hi;
	band_of(p, sc, &lo, &hi);
	double mid = (lo + hi) / 2.0, half = (hi - lo) / 2.0, x, v, peak = 0.0;

	switch (p->shape) {
	case SHAPE_FLOW_IN:
	case SHAPE_FLOW_OUT:
		return flow_at(s, p, th);
	case SHAPE_TOTAL_IN:
		return total_in(s, th);
	case SHAPE_TOTAL_OUT:
		return 0.97 * total_in(s, th - p->lag_s);
	case SHAPE_HOURS: {
		/* Runs all the time when healthy; stopped (the counter frozen at
		 * its value of 2025-01-01) when aeration has failed. */
		int64_t until = (sc & WWTP_SIM_FX_AERATION) ? 1735664400LL : th;
		double h0 = 5000.0 * unoise01(param_key(s, p->name, 4), 0);
		return until > COUNTER_EPOCH ? h0 + (double)((until - COUNTER_EPOCH) / HOUR_S) : h0;
	}
	case SHAPE_STATE:
		return lo;
	case SHAPE_PUMP:
		return pump_on(s, th) ? 1.0 : 0.0;
	case SHAPE_SLUDGE: {
		int64_t off = (int64_t)(unoise01(param_key(s, p->name, 3), 0) * HOUR_S);
		return floor_mod(th + off, HOUR_S) < 600 ? 1.0 : 0.0;
	}
	case SHAPE_DOSING:
		return load(th) > 1.0 ? 1.0 : 0.0;
	case SHAPE_TEMP:
		x = p->w_daily * cos(2.0 * M_PI * (local_hour(th) - 15.0) / 24.0);
		break;
	default:
		x = p->w_daily * daily_unit(th - p->lag_s);
		break;
	}
	x += p->w_drift * drift(param_key(s, dk, 1), th) +
	     p->w_noise * unoise(param_key(s, p->name, 2), th);
	v = mid + half * x;
	/* The weights keep |x| <= 1; the clamp only guards rounding. */
	v = v < lo ? lo : v > hi ? hi : v;
	if (sc == WWTP_SIM_HEALTHY) {
		double e = excursion(s, p, th, &peak);
		if (e > 0.0)
			v += e * (peak - v);
	}
	/* Spikes: one analyzer update in about 300 far off (an air bubble, a
	 * probe lifted out, electrical noise), 25 bands above the band. */
	if ((sc & WWTP_SIM_FX_SPIKES) && is_spiky(p) &&
	    unoise01(param_key(s, p->name, 7), th / (p->hold_s > 60 ? p->hold_s : 60)) < SPIKE_P)
		v = lo + 25.0 * (hi - lo);
	return v;
}

int wwtp_sim_model_band(const struct wwtp_sim_site *s, const char *param, double *lo, double *hi)
{
	const struct param_def *p = find_param(param);

	if (!p) {
		*lo = UNKNOWN_MID - UNKNOWN_AMP - UNKNOWN_NOISE;
		*hi = UNKNOWN_MID + UNKNOWN_AMP + UNKNOWN_NOISE;
		return WWTP_ERR_NOTFOUND;
	}
	if (p->shape == SHAPE_FLOW_IN || p->shape == SHAPE_FLOW_OUT) {
		/* Sunday night trough to weekday peak, with drift and noise. */
		*lo = 0.2 * mean_flow_h(s);
		*hi = 2.0 * mean_flow_h(s);
	} else if (p->shape == SHAPE_TOTAL_IN || p->shape == SHAPE_TOTAL_OUT ||
		   p->shape == SHAPE_HOURS) {
		/* Counters only grow; the band says no more than that. */
		*lo = 0.0;
		*hi = 1e12;
	} else if (band_of(p, s->scenario, lo, hi) && s->scenario == WWTP_SIM_HEALTHY &&
		   p->exc[1] > *hi) {
		*hi = p->exc[1];
	}
	return 0;
}

int wwtp_sim_model_flag(const struct wwtp_sim_site *s, const char *param, int64_t t)
{
	const struct param_def *p = find_param(param);
	double v = wwtp_sim_model_value(s, param, t), lo, hi;

	if (p && is_flag_shape(p->shape))
		return v != 0.0;
	wwtp_sim_model_band(s, param, &lo, &hi);
	return v > (lo + hi) / 2.0;
}

/* ---- Analyzer status ------------------------------------------------------
 * When an analyzer is not "ok". Each rule opens one window per period, at a
 * pseudo-random start (per analyzer and per period) between `earliest` and
 * `latest` seconds into the period, counted in local time. Fault wins over
 * calibrating when both hold. */
/* clang-format off */
static const struct status_rule {
	unsigned fx; /* the effect it belongs to */
	int status;
	int64_t period_s, window_s, earliest_s, latest_s;
} status_rules[] = {
	/* Failed aeration: fouled or starved analyzers, a 10-minute fault in
	 * every 2 hours (8 % of the time)... */
	{WWTP_SIM_FX_AERATION, WWTP_READING_FAULT, 2 * HOUR_S, 600, 0, 2 * HOUR_S - 600},
	/* ... and the daily automatic calibration: 15 minutes, starting 08:00-09:00. */
	{WWTP_SIM_FX_AERATION, WWTP_READING_CALIBRATING, DAY_S, 900, 8 * HOUR_S, 9 * HOUR_S},
	/* Analyzers nobody maintains: a 45-minute fault in every 2 hours
	 * (37.5 % of the time), and the daily calibration. */
	{WWTP_SIM_FX_ANALYZERS, WWTP_READING_FAULT, 2 * HOUR_S, 2700, 0, 2 * HOUR_S - 2700},
	{WWTP_SIM_FX_ANALYZERS, WWTP_READING_CALIBRATING, DAY_S, 900, 8 * HOUR_S, 9 * HOUR_S},
};
/* clang-format on */

int wwtp_sim_model_status(const struct wwtp_sim_site *s, const char *analyzer, int64_t t)
{
	int status = WWTP_READING_OK;
	int64_t tl = t + WWTP_SIM_UTC_OFFSET_S;

	for (size_t i = 0; i < NELEM(status_rules); i++) {
		const struct status_rule *r = &status_rules[i];
		if (!(s->scenario & r->fx))
			continue;
		int64_t slot = floor_div(tl, r->period_s);
		uint64_t k = param_key(s, analyzer, 100 + i);
		int64_t start = r->earliest_s + (int64_t)(unoise01(k, slot) *
							  (double)(r->latest_s - r->earliest_s));
		int64_t into = tl - slot * r->period_s;
		if (into >= start && into < start + r->window_s) {
			if (r->status == WWTP_READING_FAULT)
				return WWTP_READING_FAULT;
			status = r->status;
		}
	}
	return status;
}
