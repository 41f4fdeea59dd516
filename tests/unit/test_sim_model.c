/* test_sim_model.c - the simulator's plant model, register image and RTU
 * framing: determinism, bands over a simulated week, the daily flow shape,
 * the scenarios and their effects (failed aeration, hydraulic overload, no
 * nitrogen removal, analyzer faults, poor settling, high colour), a healthy
 * plant's rare excursions, analyzer status windows, and agreement with the
 * project's decoder (decode(encode(x)) == x, status registers decoded as
 * the model meant them).
 *
 * White-box (the Makefile's test_sim_model_WHITEBOX, util/unittest.h):
 * the test sees exactly the code wwtp-sim runs, and through
 * model-private.h and image-private.h its static helpers (load(), the param
 * table) as well. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* M_PI, ptys: also when built without the Makefile's flags */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../firmware-sim/image.h"
#include "../../firmware-sim/model.h"
#include "../../firmware-sim/rtu_frame.h"
#include "../../util/err.h"
#include "../../firmware-sim/model-private.h"
#include "../../firmware-sim/image-private.h"
#include "../../drivers/decode.h"
#include "../../payload/payload.h"
#include "../../util/log.h"

#define WEEK_S (7 * DAY_S)
/* 2025-06-02T00:00:00+07:00, a Monday: day boundaries fall on local midnight. */
#define MONDAY_LOCAL_MIDNIGHT (1748797200LL)

static int64_t at_local(int day, double hour)
{
	return MONDAY_LOCAL_MIDNIGHT + (int64_t)day * DAY_S + (int64_t)(hour * HOUR_S);
}

static void test_week_start_is_monday_midnight(void **state)
{
	(void)state;
	assert_int_equal(local_weekday(MONDAY_LOCAL_MIDNIGHT), 1);
	assert_true(local_hour(MONDAY_LOCAL_MIDNIGHT) == 0.0);
	assert_true(fabs(local_hour(at_local(0, 10.5)) - 10.5) < 1e-9);
}

static void test_deterministic(void **state)
{
	struct wwtp_sim_site a, b, other_seed, other_station;
	int differ_seed = 0, differ_station = 0, n = 0;
	(void)state;

	wwtp_sim_site_init(&a, 42, "qd6613-01", 5000, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&b, 42, "qd6613-01", 5000, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&other_seed, 43, "qd6613-01", 5000, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&other_station, 42, "qd6613-02", 5000, WWTP_SIM_HEALTHY);
	/* Backwards in time, then forwards: no hidden state. */
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT + 2 * DAY_S; t >= MONDAY_LOCAL_MIDNIGHT; t -= 3607) {
		for (size_t i = 0; i < NELEM(params); i++) {
			const char *p = params[i].name;
			double va = wwtp_sim_model_value(&a, p, t);
			assert_true(va == wwtp_sim_model_value(&b, p, t));
			assert_true(va == wwtp_sim_model_value(&a, p, t));
			if (is_flag_shape(params[i].shape))
				continue; /* 0/1: equal by chance, or by design (states) */
			differ_seed += va != wwtp_sim_model_value(&other_seed, p, t);
			differ_station += va != wwtp_sim_model_value(&other_station, p, t);
			n++;
		}
		assert_true(wwtp_sim_model_value(&a, "mystery", t) ==
			    wwtp_sim_model_value(&b, "mystery", t));
	}
	/* Every analog value follows its own curves per seed and per station. */
	assert_true(differ_seed > n * 95 / 100);
	assert_true(differ_station > n * 95 / 100);
}

/* The shares of a param's half band add up to at most 1, so the value stays
 * in the band by construction (the clamp in model.c only guards rounding,
 * and would otherwise hide a table mistake as a value stuck at the edge). */
static void test_param_table_weights(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(params); i++) {
		const struct param_def *p = &params[i];
		if (fabs(p->w_daily) + p->w_drift + p->w_noise > 1.0 + 1e-12)
			fail_msg("%s: weights add up to more than 1", p->name);
		assert_true(p->band[0] <= p->band[1]);
		for (size_t a = 0; a < ALT_MAX && p->alt[a].fx; a++) {
			assert_true(p->alt[a].lo <= p->alt[a].hi);
			/* In the order of the effects: the first that applies wins. */
			if (a > 0)
				assert_true(p->alt[a].fx > p->alt[a - 1].fx);
		}
		/* An excursion rises above the healthy band, to its own band. */
		if (p->exc[1] > 0)
			assert_true(p->exc[0] > p->band[1] && p->exc[0] <= p->exc[1]);
		assert_true(p->hold_s >= 1);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(p->name, params[j].name);
	}
}

static void test_load_averages_one(void **state)
{
	double sum = 0;
	int n = 0;
	(void)state;
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + DAY_S; t += 60, n++)
		sum += load(t);
	assert_true(fabs(sum / n - 1.0) < 0.01);
}

/* Every known param, healthy and each effect alone, two seeds, a week at
 * 60 s: inside its band, and not stuck. */
static void test_bands_over_week(void **state)
{
	static const uint64_t seeds[] = {1, 20251126};
	static const unsigned scenarios[] = {
	    WWTP_SIM_HEALTHY,	   WWTP_SIM_FX_AERATION, WWTP_SIM_FX_OVERLOAD, WWTP_SIM_FX_NITROGEN,
	    WWTP_SIM_FX_ANALYZERS, WWTP_SIM_FX_SOLIDS,	 WWTP_SIM_FX_COLOUR};
	char name[WWTP_SIM_SCENARIO_MAX];
	(void)state;

	for (size_t sc = 0; sc < NELEM(scenarios); sc++) {
		for (size_t si = 0; si < NELEM(seeds); si++) {
			struct wwtp_sim_site s;
			wwtp_sim_site_init(&s, seeds[si], "task13-thanh-thuy", 0, scenarios[sc]);
			wwtp_sim_scenario_format(s.scenario, name, sizeof(name));
			for (size_t i = 0; i < NELEM(params); i++) {
				const struct param_def *p = &params[i];
				double lo, hi, mn = INFINITY, mx = -INFINITY;
				assert_int_equal(wwtp_sim_model_band(&s, p->name, &lo, &hi), 0);
				for (int64_t t = MONDAY_LOCAL_MIDNIGHT;
				     t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
					double v = wwtp_sim_model_value(&s, p->name, t);
					if (v < lo || v > hi)
						fail_msg(
						    "%s %s seed %llu: %g outside [%g, %g] at %lld",
						    p->name, name, (unsigned long long)seeds[si], v,
						    lo, hi, (long long)t);
					mn = fmin(mn, v);
					mx = fmax(mx, v);
				}
				if (is_flag_shape(p->shape)) {
					assert_true(mn == 0.0 || mn == 1.0);
					assert_true(mx == 0.0 || mx == 1.0);
				} else if (p->shape == SHAPE_TOTAL_IN ||
					   p->shape == SHAPE_TOTAL_OUT || p->shape == SHAPE_HOURS) {
					/* Counters: checked in test_counters. */
				} else if (mx - mn < 0.25 * (hi - lo)) {
					fail_msg("%s %s: stuck in [%g, %g] of [%g, %g]", p->name,
						 name, mn, mx, lo, hi);
				}
			}
		}
	}
}

/* Whether param is in one of the site's excursions at t. */
static int in_excursion(const struct wwtp_sim_site *s, const char *param, int64_t t)
{
	const struct param_def *p = find_param(param);
	double peak;
	return excursion(s, p, t - floor_mod(t, p->hold_s), &peak) > 0.0;
}

static void test_healthy_typical_values(void **state)
{
	struct wwtp_sim_site s;
	(void)state;
	wwtp_sim_site_init(&s, 7, "qd6613-05", 0, WWTP_SIM_HEALTHY);
	/* The ranges of the brief, checked on the values, not on the table;
	 * outside the rare excursions (test_excursions). */
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 300) {
		double ph = wwtp_sim_model_value(&s, "ph", t);
		double temp = wwtp_sim_model_value(&s, "temp", t);
		double cod = wwtp_sim_model_value(&s, "cod", t);
		double nh4 = wwtp_sim_model_value(&s, "nh4", t);
		double tss = wwtp_sim_model_value(&s, "tss", t);
		assert_true(ph >= 6.8 && ph <= 7.6);
		assert_true(temp >= 26 && temp <= 32);
		assert_true((cod >= 30 && cod <= 80) || in_excursion(&s, "cod", t));
		assert_true((nh4 >= 1 && nh4 <= 6) || in_excursion(&s, "nh4", t));
		assert_true((tss >= 15 && tss <= 40) || in_excursion(&s, "tss", t));
		assert_true(wwtp_sim_model_value(&s, "blower_run", t) == 1.0);
	}
	/* Warmer in the afternoon than before dawn, every day. */
	for (int d = 0; d < 7; d++)
		assert_true(wwtp_sim_model_value(&s, "temp", at_local(d, 15)) >
			    wwtp_sim_model_value(&s, "temp", at_local(d, 4)));
}

static void test_flow_daily_shape(void **state)
{
	struct wwtp_sim_site s;
	double at10 = 0, at03 = 0, weekday = 0, sunday = 0;
	int n10 = 0, n03 = 0, nwd = 0, nsu = 0;
	(void)state;

	wwtp_sim_site_init(&s, 3, "review-yen-nghia", 4800, WWTP_SIM_HEALTHY);
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
		double h = local_hour(t), q = wwtp_sim_model_value(&s, "flow_in", t);
		if (h >= 10 && h < 11)
			at10 += q, n10++;
		if (h >= 3 && h < 4)
			at03 += q, n03++;
		if (local_weekday(t) == 0)
			sunday += q, nsu++;
		else
			weekday += q, nwd++;
	}
	at10 /= n10, at03 /= n03;
	/* Factories at work against night base flow: well apart. */
	assert_true(at10 > 1.8 * at03);
	assert_true(sunday / nsu < weekday / nwd);
	/* A weekday's volume is near 80 % of design (4800 m3/day). */
	assert_true(weekday / nwd * 24 > 0.7 * 4800 && weekday / nwd * 24 < 0.9 * 4800);
	/* The outflow follows, later and smoother: at 10:00 it has not yet
	 * caught up with the morning rise. */
	assert_true(wwtp_sim_model_value(&s, "flow_out", at_local(1, 10)) <
		    wwtp_sim_model_value(&s, "flow_in", at_local(1, 10)));
}

/* Totalisers never go back, and over a week they add up to what the flow
 * readings add up to (within the drift the flow has and the total has not). */
static void test_counters(void **state)
{
	struct wwtp_sim_site s, d;
	double prev_in = 0, prev_out = 0, flow_in_m3 = 0, flow_out_m3 = 0;
	double v_in0, v_out0;
	int64_t t0 = MONDAY_LOCAL_MIDNIGHT, t;
	(void)state;

	wwtp_sim_site_init(&s, 4, "qd6613-04", 2500, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&d, 4, "qd6613-04", 2500, WWTP_SIM_DEGRADED);
	v_in0 = prev_in = wwtp_sim_model_value(&s, "volume_in", t0);
	v_out0 = prev_out = wwtp_sim_model_value(&s, "volume_out", t0);
	/* Years of service already on the meter. */
	assert_true(v_in0 > 5 * 365 * 0.5 * 2500);
	for (t = t0; t < t0 + WEEK_S; t += 60) {
		double vi = wwtp_sim_model_value(&s, "volume_in", t + 60);
		double vo = wwtp_sim_model_value(&s, "volume_out", t + 60);
		assert_true(vi >= prev_in && vo >= prev_out);
		prev_in = vi, prev_out = vo;
		flow_in_m3 += wwtp_sim_model_value(&s, "flow_in", t) / 60.0;
		flow_out_m3 += wwtp_sim_model_value(&s, "flow_out", t) / 60.0;
	}
	assert_true(fabs((prev_in - v_in0) / flow_in_m3 - 1.0) < 0.15);
	assert_true(fabs((prev_out - v_out0) / flow_out_m3 - 1.0) < 0.15);
	/* Across midnight, second by second: continuous and growing. */
	for (t = at_local(2, 0) - 5; t < at_local(2, 0) + 5; t++) {
		double a = wwtp_sim_model_value(&s, "volume_in", t);
		double b = wwtp_sim_model_value(&s, "volume_in", t + 1);
		assert_true(b >= a && b - a < 2500.0 / 24 / 3600 * 2);
	}
	/* Running hours: one an hour when healthy, frozen when aeration failed. */
	assert_true(wwtp_sim_model_value(&s, "blower_hours", t0 + 10 * HOUR_S) -
			wwtp_sim_model_value(&s, "blower_hours", t0) ==
		    10.0);
	assert_true(wwtp_sim_model_value(&d, "blower_hours", t0 + 10 * HOUR_S) ==
		    wwtp_sim_model_value(&d, "blower_hours", t0));
}

static void test_degraded_exceeds_healthy(void **state)
{
	struct wwtp_sim_site h, d;
	double h_cod = 0, h_nh4 = 0, h_tss = 0, d_cod = INFINITY, d_nh4 = INFINITY,
	       d_tss = INFINITY;
	double d_do = 0;
	(void)state;

	wwtp_sim_site_init(&h, 11, "qd6613-11", 0, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&d, 11, "qd6613-11", 0, WWTP_SIM_DEGRADED);
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
		/* A healthy plant's excursions are its exceptions, not its level. */
		if (!in_excursion(&h, "cod", t))
			h_cod = fmax(h_cod, wwtp_sim_model_value(&h, "cod", t));
		if (!in_excursion(&h, "nh4", t))
			h_nh4 = fmax(h_nh4, wwtp_sim_model_value(&h, "nh4", t));
		if (!in_excursion(&h, "tss", t))
			h_tss = fmax(h_tss, wwtp_sim_model_value(&h, "tss", t));
		d_cod = fmin(d_cod, wwtp_sim_model_value(&d, "cod", t));
		d_nh4 = fmin(d_nh4, wwtp_sim_model_value(&d, "nh4", t));
		d_tss = fmin(d_tss, wwtp_sim_model_value(&d, "tss", t));
		d_do = fmax(d_do, wwtp_sim_model_value(&d, "do", t));
		assert_true(wwtp_sim_model_value(&d, "blower_run", t) == 0.0);
		assert_true(wwtp_sim_model_flag(&d, "plc_alarm", t) == 1);
		assert_true(wwtp_sim_model_flag(&h, "plc_alarm", t) == 0);
	}
	assert_true(d_cod > h_cod);
	assert_true(d_nh4 > h_nh4);
	assert_true(d_tss > h_tss);
	/* Over QCVN 40:2011 column B (COD 150, NH4 10, TSS 100 mg/L) all week. */
	assert_true(d_cod >= 150);
	assert_true(d_nh4 >= 18);
	assert_true(d_tss >= 90);
	assert_true(d_do <= 0.4);
}

static void test_unknown_param(void **state)
{
	struct wwtp_sim_site s;
	int seen[2] = {0, 0};
	double lo, hi;
	(void)state;

	wwtp_sim_site_init(&s, 1, "qd6613-01", 0, WWTP_SIM_HEALTHY);
	assert_false(wwtp_sim_model_knows("conductivity"));
	assert_true(wwtp_sim_model_knows("cod"));
	assert_int_equal(wwtp_sim_model_band(&s, "conductivity", &lo, &hi), WWTP_ERR_NOTFOUND);
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + DAY_S; t += 60) {
		double v = wwtp_sim_model_value(&s, "conductivity", t);
		assert_true(v >= lo && v <= hi);
		seen[wwtp_sim_model_flag(&s, "conductivity", t)]++;
	}
	/* As a bit it toggles with the sine: both states, about half each. */
	assert_true(seen[0] > 400 && seen[1] > 400);
	/* The lift pump cycles. */
	seen[0] = seen[1] = 0;
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + DAY_S; t += 60)
		seen[wwtp_sim_model_flag(&s, "pump_run", t)]++;
	assert_true(seen[0] > 100 && seen[1] > 100);
}

static void test_status_windows(void **state)
{
	struct wwtp_sim_site h, d;
	int fault = 0, n = 0, cal_days[7] = {0};
	(void)state;

	wwtp_sim_site_init(&h, 5, "qd6613-03", 0, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&d, 5, "qd6613-03", 0, WWTP_SIM_DEGRADED);
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60, n++) {
		assert_int_equal(wwtp_sim_model_status(&h, "cod", t), WWTP_READING_OK);
		int st = wwtp_sim_model_status(&d, "cod", t);
		if (st == WWTP_READING_FAULT)
			fault++;
		if (st == WWTP_READING_CALIBRATING) {
			double hr = local_hour(t);
			assert_true(hr >= 8.0 && hr < 9.25);
			cal_days[(t - MONDAY_LOCAL_MIDNIGHT) / DAY_S]++;
		}
	}
	/* 10 minutes in every 2 hours: 8.3 % of the time. */
	assert_true(fault > n * 6 / 100 && fault < n * 11 / 100);
	for (int day = 0; day < 7; day++)
		assert_true(cal_days[day] >= 5 && cal_days[day] <= 15);
	/* Analyzers fault independently of each other. */
	int both = 0, cod = 0;
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
		int a = wwtp_sim_model_status(&d, "cod", t) == WWTP_READING_FAULT;
		int b = wwtp_sim_model_status(&d, "nh4", t) == WWTP_READING_FAULT;
		cod += a;
		both += a && b;
	}
	assert_true(both < cod / 2);
}

static struct wwtp_point mkpt(const char *param, enum wwtp_table table, uint16_t address,
			      enum wwtp_type type, enum wwtp_order order, double scale,
			      double offset, int bit);

static void test_scenario_parse_format(void **state)
{
	static const struct {
		const char *text;
		unsigned sc;
		const char *formatted;
	} good[] = {
	    {"healthy", WWTP_SIM_HEALTHY, "healthy"},
	    {"degraded", WWTP_SIM_FX_AERATION, "failed-aeration"},
	    {"failed-aeration", WWTP_SIM_FX_AERATION, "failed-aeration"},
	    {"hydraulic-overload", WWTP_SIM_FX_OVERLOAD, "hydraulic-overload"},
	    {"no-nitrogen-removal", WWTP_SIM_FX_NITROGEN, "no-nitrogen-removal"},
	    {"analyzer-faults+poor-settling+high-colour",
	     WWTP_SIM_FX_ANALYZERS | WWTP_SIM_FX_SOLIDS | WWTP_SIM_FX_COLOUR,
	     "analyzer-faults+poor-settling+high-colour"},
	    /* Any order in, the effects' order out. */
	    {"high-colour+no-nitrogen-removal", WWTP_SIM_FX_NITROGEN | WWTP_SIM_FX_COLOUR,
	     "no-nitrogen-removal+high-colour"},
	};
	static const char *const bad[] = {"",
					  "sick",
					  "Healthy",
					  "failed-aeration+",
					  "+failed-aeration",
					  "failed-aeration++high-colour",
					  "high-colour+high-colour",
					  "healthy+high-colour",
					  "degraded+high-colour",
					  "failed aeration"};
	char buf[WWTP_SIM_SCENARIO_MAX];
	unsigned sc;
	(void)state;

	for (size_t i = 0; i < NELEM(good); i++) {
		sc = 0xdead;
		assert_int_equal(wwtp_sim_scenario_parse(good[i].text, &sc), 0);
		assert_int_equal(sc, good[i].sc);
		assert_string_equal(wwtp_sim_scenario_format(sc, buf, sizeof(buf)),
				    good[i].formatted);
		assert_int_equal(wwtp_sim_scenario_parse(buf, &sc), 0);
		assert_int_equal(sc, good[i].sc);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		sc = 0xdead;
		if (wwtp_sim_scenario_parse(bad[i], &sc) == 0)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(sc, 0xdead);
	}
	/* Every effect has a name that parses back. */
	assert_int_equal(wwtp_sim_scenario_parse(
			     wwtp_sim_scenario_format(WWTP_SIM_FX_ALL, buf, sizeof(buf)), &sc),
			 0);
	assert_int_equal(sc, WWTP_SIM_FX_ALL);
	/* A small buffer is cut, never overrun. */
	assert_string_equal(wwtp_sim_scenario_format(WWTP_SIM_FX_ALL, buf, 8), "");
}

/* What a week of each effect looks like against QCVN 40 column B x Kq 0.9
 * (COD 135, NH4 9, TSS 90 mg/L, colour 150 Pt/Co) and the design flow. */
struct week {
	double flow_load;		     /* mean outflow x 24 / design */
	double cod_over, nh4_over, tss_over; /* share of hourly means over Cmax */
	double colour_mean, cod_mean, do_min;
	double fault_share; /* of the COD analyzer */
	int alarm;	    /* plc_alarm seen */
};

static void week_of(unsigned sc, struct week *w)
{
	struct wwtp_sim_site s;
	double flow = 0, cod_h = 0, nh4_h = 0, tss_h = 0, colour = 0, cod = 0;
	int n = 0, hours = 0, faults = 0;

	memset(w, 0, sizeof(*w));
	w->do_min = INFINITY;
	wwtp_sim_site_init(&s, 3, "qd6613-02", 1000, sc);
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
		flow += wwtp_sim_model_value(&s, "flow_out", t);
		colour += wwtp_sim_model_value(&s, "color", t);
		double c = wwtp_sim_model_value(&s, "cod", t);
		cod += c;
		cod_h += c;
		nh4_h += wwtp_sim_model_value(&s, "nh4", t);
		tss_h += wwtp_sim_model_value(&s, "tss", t);
		w->do_min = fmin(w->do_min, wwtp_sim_model_value(&s, "do", t));
		faults += wwtp_sim_model_status(&s, "cod", t) == WWTP_READING_FAULT;
		w->alarm |= wwtp_sim_model_flag(&s, "plc_alarm", t);
		if (++n % 60 == 0) {
			w->cod_over += cod_h / 60 > 135;
			w->nh4_over += nh4_h / 60 > 9;
			w->tss_over += tss_h / 60 > 90;
			cod_h = nh4_h = tss_h = 0;
			hours++;
		}
	}
	w->flow_load = flow / n * 24 / 1000;
	w->cod_over /= hours;
	w->nh4_over /= hours;
	w->tss_over /= hours;
	w->colour_mean = colour / n;
	w->cod_mean = cod / n;
	w->fault_share = (double)faults / n;
}

static void test_effects(void **state)
{
	struct week h, a, o, nr, af, ps, hc, ao;
	(void)state;

	week_of(WWTP_SIM_HEALTHY, &h);
	week_of(WWTP_SIM_FX_AERATION, &a);
	week_of(WWTP_SIM_FX_OVERLOAD, &o);
	week_of(WWTP_SIM_FX_NITROGEN, &nr);
	week_of(WWTP_SIM_FX_ANALYZERS, &af);
	week_of(WWTP_SIM_FX_SOLIDS, &ps);
	week_of(WWTP_SIM_FX_COLOUR, &hc);
	week_of(WWTP_SIM_FX_AERATION | WWTP_SIM_FX_OVERLOAD, &ao);

	/* Healthy: about 76 % of design, hardly ever over a limit, no faults. */
	assert_true(h.flow_load > 0.65 && h.flow_load < 0.85);
	assert_true(h.cod_over < 0.05 && h.nh4_over < 0.05 && h.tss_over < 0.05);
	assert_true(h.fault_share == 0.0 && !h.alarm && h.do_min >= 1.5);
	/* Failed aeration: COD, NH4, TSS over nearly always, DO gone. */
	assert_true(a.cod_over > 0.95 && a.nh4_over > 0.95 && a.tss_over > 0.9);
	assert_true(a.do_min <= 0.4 && a.alarm);
	assert_true(a.fault_share > 0.06 && a.fault_share < 0.11);
	/* Hydraulic overload: over 110 % of design, TSS washed out, COD and
	 * NH4 over part of the time, the tank's alarm. */
	assert_true(o.flow_load > 1.12 && o.flow_load < 1.35);
	assert_true(o.tss_over > 0.9);
	assert_true(o.cod_over > 0.1 && o.cod_over < 0.9);
	assert_true(o.alarm && o.fault_share == 0.0);
	/* No nitrogen removal: NH4 over, COD as healthy, aeration working. */
	assert_true(nr.nh4_over > 0.95 && nr.cod_over < 0.05 && nr.do_min >= 1.5);
	/* Analyzer faults: a third of the time and more; values healthy. */
	assert_true(af.fault_share > 0.30 && af.fault_share < 0.45);
	assert_true(af.cod_over < 0.05 && af.tss_over < 0.05);
	/* Poor settling: TSS only. High colour: colour only. */
	assert_true(ps.tss_over > 0.9 && ps.cod_over < 0.05 && ps.nh4_over < 0.05);
	assert_true(hc.colour_mean > 150 && hc.cod_over < 0.05 && h.colour_mean < 60);
	/* Two effects on one param: the first wins (aeration's COD), and the
	 * flow is still the overload's. */
	assert_true(fabs(ao.cod_mean - a.cod_mean) < 1e-9);
	assert_true(fabs(ao.flow_load - o.flow_load) < 1e-9);
}

/* A healthy plant's excursions: rare, an hour or two each, over the limit
 * while they last, and never at a degraded plant. */
/* A plant that fakes its data (docs/simulator.md, "Cheating"): the outlet
 * COD and NH4 stay within the analyzers' last digit and pH is exactly 7
 * all week, while BOD5, TN, the flows and the inlet vary as usual; spikes
 * are rare and far off. */
static void test_cheating(void **state)
{
	struct wwtp_sim_site c, h, sp;
	double mn[6], mx[6];
	static const char *const names[6] = {"cod", "nh4", "ph", "bod5", "tn", "cod_in"};
	int spikes = 0, n = 0;
	(void)state;

	wwtp_sim_site_init(&c, 1, "qd6613-07", 0,
			   WWTP_SIM_FX_DILUTED | WWTP_SIM_FX_FROZEN_PH | WWTP_SIM_FX_AERATION);
	wwtp_sim_site_init(&h, 1, "qd6613-07", 0, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&sp, 1, "qd6613-07", 0, WWTP_SIM_FX_SPIKES);
	for (int i = 0; i < 6; i++) {
		mn[i] = INFINITY;
		mx[i] = -INFINITY;
	}
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + WEEK_S; t += 60) {
		for (int i = 0; i < 6; i++) {
			double v = wwtp_sim_model_value(&c, names[i], t);
			mn[i] = fmin(mn[i], v);
			mx[i] = fmax(mx[i], v);
		}
		double v = wwtp_sim_model_value(&sp, "cod", t);
		spikes += v > 300 && wwtp_sim_model_value(&h, "cod", t) < 300;
		n++;
	}
	/* Within the resolution of the flat-line rule (0.1, 0.01 mg/L), and
	 * low: cheating wins over the failed aeration it hides. */
	assert_true(mx[0] - mn[0] <= 0.08 + 1e-9 && mx[0] < 13);
	assert_true(mx[1] - mn[1] <= 0.008 + 1e-9 && mx[1] < 0.5);
	assert_true(mn[2] == 7.0 && mx[2] == 7.0);
	for (int i = 3; i < 6; i++)
		if (mx[i] - mn[i] < 2.0)
			fail_msg("%s does not vary under cheating: [%g, %g]", names[i], mn[i],
				 mx[i]);
	/* One analyzer update in about 300: between 0.1 % and 1 % of minutes. */
	if (spikes * 1000 < n || spikes * 100 > n)
		fail_msg("%d spikes in %d minutes", spikes, n);
	char buf[WWTP_SIM_SCENARIO_MAX];
	unsigned sc;
	assert_int_equal(wwtp_sim_scenario_parse("diluted-analyzer+frozen-ph+spikes", &sc), 0);
	assert_string_equal(wwtp_sim_scenario_format(sc, buf, sizeof(buf)),
			    "diluted-analyzer+frozen-ph+spikes");
}

static void test_excursions(void **state)
{
	static const char *const ps[] = {"cod", "nh4", "tss"};
	static const double cmax[] = {135, 9, 90};
	const int64_t span = 8 * WEEK_S;
	(void)state;

	for (size_t i = 0; i < NELEM(ps); i++) {
		struct wwtp_sim_site s, d;
		const struct param_def *p = find_param(ps[i]);
		int64_t run = 0, in = 0, runs = 0, hours = 0, over = 0;
		double hsum = 0;
		wwtp_sim_site_init(&s, 1, "qd6613-09", 0, WWTP_SIM_HEALTHY);
		wwtp_sim_site_init(&d, 1, "qd6613-09", 0,
				   WWTP_SIM_FX_SOLIDS | WWTP_SIM_FX_NITROGEN);
		for (int64_t t = MONDAY_LOCAL_MIDNIGHT, k = 1; t < MONDAY_LOCAL_MIDNIGHT + span;
		     t += 60, k++) {
			double peak = 0, v = wwtp_sim_model_value(&s, ps[i], t);
			double e = excursion(&s, p, t - floor_mod(t, p->hold_s), &peak);
			if (e > 0) {
				in++;
				run++;
				if (e >= 1.0)
					assert_true(v >= p->exc[0] - 1e-9 && v <= p->exc[1] + 1e-9);
			} else if (run > 0) {
				/* 60..120 minutes, the ramps included */
				if (run < 59 || run > 121)
					fail_msg("%s: an excursion of %lld minutes", ps[i],
						 (long long)run);
				runs++;
				run = 0;
			}
			hsum += v;
			if (k % 60 == 0) {
				over += hsum / 60 > cmax[i];
				hours++;
				hsum = 0;
			}
			/* A degraded plant has no excursions: its band (the
			 * healthy one for a param no effect moves) holds. */
			double dlo, dhi;
			band_of(p, d.scenario, &dlo, &dhi);
			double dv = wwtp_sim_model_value(&d, ps[i], t);
			assert_true(dv >= dlo && dv <= dhi);
		}
		/* About one every four days: 14 in 8 weeks, give or take. */
		assert_true(runs >= 5 && runs <= 28);
		assert_true((double)in / (span / 60) < 0.04);
		/* Over the limit for an hour or two each time: a few % of hours,
		 * far from the 10 % that flags a plant. */
		assert_true(over > 0);
		assert_true((double)over / hours < 0.04);
	}
}

/* What the history replay reads without a register image: the decoded
 * value of each kind of point, and the status source the collector uses. */
static void test_point_value_status(void **state)
{
	struct wwtp_point f32 =
	    mkpt("cod", WWTP_TABLE_INPUT, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_CDAB, 1, 0, -1);
	struct wwtp_point u16 =
	    mkpt("ph", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD, 0.01, 0, -1);
	struct wwtp_point bit =
	    mkpt("blower_run", WWTP_TABLE_HOLDING, 5, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD, 1, 0, 2);
	struct wwtp_point coil =
	    mkpt("pump_run", WWTP_TABLE_COIL, 1, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD, 1, 0, -1);
	struct wwtp_point big =
	    mkpt("cod_in", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_INT16, WWTP_ORDER_ABCD, 0.001, 0, -1);
	struct wwtp_device dev;
	struct wwtp_sim_site s;
	double v;
	int seen_fault = 0;
	(void)state;

	wwtp_sim_site_init(&s, 2, "qd6613-02", 0, WWTP_SIM_FX_ANALYZERS);
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "meter");
	f32.status = (struct wwtp_status_src){WWTP_STATUS_VALUE, WWTP_TABLE_INPUT, 2, 1, 2, 0};
	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + DAY_S; t += 600) {
		assert_int_equal(wwtp_sim_point_value(&s, &f32, t, &v), 0);
		/* float32 precision, given back as its shortest decimal */
		double m = wwtp_sim_model_value(&s, "cod", t);
		assert_true(fabs(v - m) <= fabs(m) * 1e-6);
		assert_int_equal(wwtp_sim_point_value(&s, &u16, t, &v), 0);
		assert_true(fabs(v - wwtp_sim_model_value(&s, "ph", t)) <= 0.005 + 1e-9);
		assert_int_equal(wwtp_sim_point_value(&s, &bit, t, &v), 0);
		assert_true(v == wwtp_sim_model_flag(&s, "blower_run", t));
		assert_int_equal(wwtp_sim_point_value(&s, &coil, t, &v), 0);
		assert_true(v == wwtp_sim_model_flag(&s, "pump_run", t));
		/* The point's own status register: its analyzer. */
		int st = wwtp_sim_point_status(&s, &dev, &f32, t);
		assert_int_equal(st, wwtp_sim_model_status(&s, "cod", t));
		seen_fault |= st == WWTP_READING_FAULT;
		/* None of its own: the device's, or ok without one. */
		assert_int_equal(wwtp_sim_point_status(&s, &dev, &u16, t), WWTP_READING_OK);
		dev.status = f32.status;
		assert_int_equal(wwtp_sim_point_status(&s, &dev, &u16, t),
				 wwtp_sim_model_status(&s, "meter", t));
		dev.status.mode = WWTP_STATUS_NONE;
	}
	assert_true(seen_fault);
	/* 300..800 mg/L does not fit an int16 at 0.001: refused, not wrapped. */
	assert_int_equal(wwtp_sim_point_value(&s, &big, MONDAY_LOCAL_MIDNIGHT, &v), WWTP_ERR_RANGE);
}

/* ---- The register image against the decoder ---- */

static struct wwtp_point mkpt(const char *param, enum wwtp_table table, uint16_t address,
			      enum wwtp_type type, enum wwtp_order order, double scale,
			      double offset, int bit)
{
	struct wwtp_point p;
	memset(&p, 0, sizeof(p));
	snprintf(p.param, sizeof(p.param), "%s", param);
	p.table = table;
	p.address = address;
	p.type = type;
	p.order = order;
	p.scale = scale;
	p.offset = offset;
	p.bit = bit;
	snprintf(p.source, sizeof(p.source), "test");
	return p;
}

static void test_image_roundtrip(void **state)
{
	struct wwtp_point pts[] = {
	    mkpt("cod", WWTP_TABLE_INPUT, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD, 1, 0, -1),
	    mkpt("nh4", WWTP_TABLE_INPUT, 2, WWTP_TYPE_FLOAT32, WWTP_ORDER_CDAB, 1, 0, -1),
	    mkpt("tss", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_INT16, WWTP_ORDER_ABCD, 0.1, 0, -1),
	    mkpt("flow_out", WWTP_TABLE_HOLDING, 1, WWTP_TYPE_UINT32, WWTP_ORDER_CDAB, 0.01, 0, -1),
	    mkpt("temp", WWTP_TABLE_HOLDING, 3, WWTP_TYPE_INT32, WWTP_ORDER_BADC, 0.01, -40, -1),
	    mkpt("color", WWTP_TABLE_HOLDING, 5, WWTP_TYPE_FLOAT64, WWTP_ORDER_DCBA, 1, 0, -1),
	    mkpt("ph", WWTP_TABLE_HOLDING, 9, WWTP_TYPE_UINT16, WWTP_ORDER_BADC, 0.001, 0, -1),
	    mkpt("turbidity", WWTP_TABLE_INPUT, 4, WWTP_TYPE_UINT64, WWTP_ORDER_ABCD, 0.0001, 0,
		 -1),
	    mkpt("pump_run", WWTP_TABLE_HOLDING, 20, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD, 1, 0, 3),
	    mkpt("blower_run", WWTP_TABLE_HOLDING, 20, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD, 1, 0, 4),
	    mkpt("mystery", WWTP_TABLE_COIL, 7, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD, 1, 0, -1),
	    mkpt("pump_run", WWTP_TABLE_DISCRETE, 2, WWTP_TYPE_BOOL, WWTP_ORDER_ABCD, 1, 0, -1),
	};
	struct wwtp_device dev;
	struct wwtp_sim_site s;
	struct wwtp_sim_image *img;
	int checked = 0;
	(void)state;

	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "analyzer");
	dev.points = pts;
	dev.npoints = NELEM(pts);
	img = wwtp_sim_image_new(&dev);
	assert_non_null(img);
	wwtp_sim_site_init(&s, 99, "qd6613-07", 2500, WWTP_SIM_HEALTHY);

	for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + 2 * DAY_S; t += 997) {
		assert_int_equal(wwtp_sim_image_update(img, &s, t), 0);
		for (size_t i = 0; i < NELEM(pts); i++) {
			const struct wwtp_point *p = &pts[i];
			double got, want, tol;
			if (is_bit_table(p->table)) {
				uint8_t bit = 0xFF;
				assert_int_equal(
				    wwtp_sim_image_read_bit(img, p->table, p->address, &bit), 0);
				assert_int_equal(wwtp_decode_bit(p, bit, &got), 0);
				assert_true(got == wwtp_sim_model_flag(&s, p->param, t));
				checked++;
				continue;
			}
			uint16_t regs[4];
			uint16_t n = (uint16_t)wwtp_type_regs(p->type);
			assert_int_equal(
			    wwtp_sim_image_read_regs(img, p->table, p->address, n, regs), 0);
			assert_int_equal(wwtp_decode_regs(p, regs, n, &got), 0);
			if (p->bit >= 0) {
				want = wwtp_sim_model_flag(&s, p->param, t);
				tol = 0;
			} else {
				want = wwtp_sim_model_value(&s, p->param, t);
				tol = p->type == WWTP_TYPE_FLOAT32   ? fabs(want) * 1e-6
				      : p->type == WWTP_TYPE_FLOAT64 ? 0
								     : fabs(p->scale) / 2 + 1e-9;
			}
			if (fabs(got - want) > tol)
				fail_msg("%s (%s %s): decoded %.9g, model %.9g", p->param,
					 wwtp_type_name(p->type), wwtp_order_name(p->order), got,
					 want);
			checked++;
		}
	}
	assert_true(checked > 1000);
	/* Outside what the points use: not in the image (exception 2 on the wire). */
	uint16_t r;
	assert_int_equal(wwtp_sim_image_read_regs(img, WWTP_TABLE_HOLDING, 21, 1, &r),
			 WWTP_ERR_RANGE);
	assert_int_equal(wwtp_sim_image_read_regs(img, WWTP_TABLE_INPUT, 7, 2, &r), WWTP_ERR_RANGE);
	wwtp_sim_image_free(img);
}

/* A value that does not fit the type is refused, logged once, and leaves
 * the register alone; the other points are still written. */
static void test_image_out_of_range(void **state)
{
	struct wwtp_point pts[] = {
	    mkpt("cod_in", WWTP_TABLE_HOLDING, 0, WWTP_TYPE_INT16, WWTP_ORDER_ABCD, 0.001, 0, -1),
	    mkpt("ph", WWTP_TABLE_HOLDING, 1, WWTP_TYPE_UINT16, WWTP_ORDER_ABCD, 0.01, 0, -1),
	};
	struct wwtp_device dev;
	struct wwtp_sim_site s;
	uint16_t regs[2];
	(void)state;

	memset(&dev, 0, sizeof(dev));
	dev.points = pts;
	dev.npoints = NELEM(pts);
	struct wwtp_sim_image *img = wwtp_sim_image_new(&dev);
	assert_non_null(img);
	wwtp_sim_site_init(&s, 1, "x", 0, WWTP_SIM_HEALTHY);
	assert_int_equal(wwtp_sim_image_update(img, &s, MONDAY_LOCAL_MIDNIGHT), 1);
	assert_int_equal(wwtp_sim_image_read_regs(img, WWTP_TABLE_HOLDING, 0, 2, regs), 0);
	assert_int_equal(regs[0], 0);
	assert_true(regs[1] >= 680 && regs[1] <= 760);
	wwtp_sim_image_free(img);
}

static void test_image_status(void **state)
{
	struct wwtp_point pts[] = {
	    mkpt("cod", WWTP_TABLE_INPUT, 0, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD, 1, 0, -1),
	    mkpt("nh4", WWTP_TABLE_INPUT, 2, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD, 1, 0, -1),
	    mkpt("tss", WWTP_TABLE_INPUT, 4, WWTP_TYPE_FLOAT32, WWTP_ORDER_ABCD, 1, 0, -1),
	};
	struct wwtp_device dev;
	struct wwtp_sim_site sites[2];
	int seen[2][3] = {{0}};
	(void)state;

	/* cod and nh4 share one bit-field register (a bit pair each), the
	 * device has a value-mode register where 0 means calibrating, so "ok"
	 * must be written as something else. */
	pts[0].status =
	    (struct wwtp_status_src){WWTP_STATUS_BITS, WWTP_TABLE_INPUT, 10, 0x10, 0x01, 0};
	pts[1].status =
	    (struct wwtp_status_src){WWTP_STATUS_BITS, WWTP_TABLE_INPUT, 10, 0x20, 0x02, 0};
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "multi");
	dev.points = pts;
	dev.npoints = NELEM(pts);
	dev.status = (struct wwtp_status_src){WWTP_STATUS_VALUE, WWTP_TABLE_HOLDING, 100, 0, 1, 0};
	wwtp_sim_site_init(&sites[0], 8, "qd6613-08", 0, WWTP_SIM_HEALTHY);
	wwtp_sim_site_init(&sites[1], 8, "qd6613-08", 0, WWTP_SIM_DEGRADED);

	for (int sc = 0; sc < 2; sc++) {
		struct wwtp_sim_image *img = wwtp_sim_image_new(&dev);
		assert_non_null(img);
		for (int64_t t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + 2 * DAY_S;
		     t += 60) {
			uint16_t bits = 0xFFFF, value = 0xFFFF;
			assert_int_equal(wwtp_sim_image_update(img, &sites[sc], t), 0);
			assert_int_equal(
			    wwtp_sim_image_read_regs(img, WWTP_TABLE_INPUT, 10, 1, &bits), 0);
			assert_int_equal(
			    wwtp_sim_image_read_regs(img, WWTP_TABLE_HOLDING, 100, 1, &value), 0);
			for (int i = 0; i < 2; i++) {
				int want = wwtp_sim_model_status(&sites[sc], pts[i].param, t);
				assert_int_equal(wwtp_decode_status(&pts[i].status, bits), want);
				seen[sc][want]++;
			}
			assert_int_equal(wwtp_decode_status(&dev.status, value),
					 wwtp_sim_model_status(&sites[sc], dev.name, t));
		}
		wwtp_sim_image_free(img);
	}
	assert_int_equal(seen[0][WWTP_READING_FAULT] + seen[0][WWTP_READING_CALIBRATING], 0);
	assert_true(seen[1][WWTP_READING_FAULT] > 0);
	assert_true(seen[1][WWTP_READING_CALIBRATING] > 0);
	assert_true(seen[1][WWTP_READING_OK] > seen[1][WWTP_READING_FAULT]);
}

/* ---- RTU framing ---- */

static void test_crc16(void **state)
{
	/* The specification's own example: 01 03 00 00 00 0A, CRC C5 CD on the wire. */
	uint8_t req[8] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD};
	(void)state;
	assert_int_equal(wwtp_sim_crc16(req, 6), 0xCDC5);
	assert_true(wwtp_sim_rtu_crc_ok(req, 8));
	req[3] ^= 0x01;
	assert_false(wwtp_sim_rtu_crc_ok(req, 8));
	assert_false(wwtp_sim_rtu_crc_ok(req, 3));
}

static void test_request_len(void **state)
{
	uint8_t f[16] = {0x05, 0x10, 0x00, 0x10, 0x00, 0x02, 0x04};
	(void)state;
	assert_int_equal(wwtp_sim_rtu_request_len(f, 1), 0);
	assert_int_equal(wwtp_sim_rtu_request_len(f, 6), 0);  /* byte count not yet in */
	assert_int_equal(wwtp_sim_rtu_request_len(f, 7), 13); /* 7 + 4 data + 2 CRC */
	f[1] = 0x03;
	assert_int_equal(wwtp_sim_rtu_request_len(f, 2), 8);
	f[1] = 0x2B;
	assert_int_equal(wwtp_sim_rtu_request_len(f, 5), -1);
	f[1] = 0x17;
	f[10] = 250;
	assert_true(wwtp_sim_rtu_request_len(f, 11) > WWTP_SIM_RTU_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_week_start_is_monday_midnight),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_param_table_weights),
	    cmocka_unit_test(test_load_averages_one),
	    cmocka_unit_test(test_bands_over_week),
	    cmocka_unit_test(test_healthy_typical_values),
	    cmocka_unit_test(test_flow_daily_shape),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_degraded_exceeds_healthy),
	    cmocka_unit_test(test_unknown_param),
	    cmocka_unit_test(test_status_windows),
	    cmocka_unit_test(test_scenario_parse_format),
	    cmocka_unit_test(test_effects),
	    cmocka_unit_test(test_excursions),
	    cmocka_unit_test(test_cheating),
	    cmocka_unit_test(test_point_value_status),
	    cmocka_unit_test(test_image_roundtrip),
	    cmocka_unit_test(test_image_out_of_range),
	    cmocka_unit_test(test_image_status),
	    cmocka_unit_test(test_crc16),
	    cmocka_unit_test(test_request_len),
	};
	wwtp_log_set_level(WWTP_LOG_ERROR); /* the out-of-range warning is expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
