/* test_evaluator.c - rolling windows, availability, alerts with hysteresis,
 * and Vietnam local-time periods.
 *
 * Expected values are worked out by hand in the comments next to them;
 * limits are typed into a table here (COD max 100, pH 5.5-9), so these
 * tests do not depend on the regulation files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../compliance/evaluator.h"
#include "../../compliance/period.h"
#include "../../payload/payload.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "../../util/timeutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS 60000LL

#define OK WWTP_READING_OK
#define CAL WWTP_READING_CALIBRATING
#define FAULT WWTP_READING_FAULT
#define OFF WWTP_READING_OFFLINE

/* ---- fixtures ---- */

static struct wwtp_limit rows[2];
static struct wwtp_limits_table table;

static void make_table(void)
{
	memset(rows, 0, sizeof rows);
	snprintf(rows[0].param, sizeof rows[0].param, "cod");
	snprintf(rows[0].unit, sizeof rows[0].unit, "mg/L");
	rows[0].has_limit = 1;
	rows[0].cmax_min = NAN;
	rows[0].cmax_max = 100.0;
	snprintf(rows[1].param, sizeof rows[1].param, "ph");
	snprintf(rows[1].unit, sizeof rows[1].unit, "-");
	rows[1].has_limit = 1;
	rows[1].is_range = 1;
	rows[1].cmax_min = 5.5;
	rows[1].cmax_max = 9.0;
	memset(&table, 0, sizeof table);
	table.rows = rows;
	table.n = 2;
}

static int64_t utc(const char *s)
{
	int64_t ms;
	if (wwtp_parse_utc(s, &ms) != 0)
		fail_msg("bad time literal %s", s);
	return ms;
}

/* 2026-01-31T17:00:00Z = 2026-02-01 00:00 in Hanoi: minute-aligned. */
static int64_t base;
static int64_t at_min(double m)
{
	return base + (int64_t)(m * MIN_MS);
}

/* Every event produced by a test, in order. */
static struct wwtp_alert_event log_ev[4096];
static size_t nlog;

/* Only events of `focus` (NULL: every parameter) are counted. */
static const char *focus;

static int match(const struct wwtp_alert_event *e, int kind, int edge)
{
	return e->kind == kind && e->edge == edge && (!focus || strcmp(e->param, focus) == 0);
}

static int count(int kind, int edge)
{
	int n = 0;
	for (size_t i = 0; i < nlog; i++)
		if (match(&log_ev[i], kind, edge))
			n++;
	return n;
}

static const struct wwtp_alert_event *last_of(int kind, int edge)
{
	for (size_t i = nlog; i-- > 0;)
		if (match(&log_ev[i], kind, edge))
			return &log_ev[i];
	return NULL;
}

static void append(const struct wwtp_alert_event *e, int n)
{
	for (int i = 0; i < n; i++) {
		if (nlog >= NELEM(log_ev))
			fail_msg("event log full");
		log_ev[nlog++] = e[i];
	}
}

static void feed(struct wwtp_eval *ev, const char *param, int64_t ts, int status, int has, double v)
{
	struct wwtp_alert_event out[WWTP_EVAL_FEED_EVENTS_MAX];
	int n = wwtp_eval_feed(ev, param, ts, status, has, v, out, NELEM(out));
	if (n < 0)
		fail_msg("feed %s at %lld: %s", param, (long long)ts, wwtp_strerror(n));
	append(out, n);
}

static void tick(struct wwtp_eval *ev, int64_t now)
{
	struct wwtp_alert_event out[8 * WWTP_EVAL_FEED_EVENTS_MAX];
	assert_true(wwtp_eval_tick_events_max(ev) <= NELEM(out));
	int n = wwtp_eval_tick(ev, now, out, NELEM(out));
	if (n < 0)
		fail_msg("tick: %s", wwtp_strerror(n));
	append(out, n);
}

/* An evaluator over cod, ph and flow_out (no limit), all polled every
 * interval_ms, with windows `w` (NULL: the defaults). */
static struct wwtp_eval *make(int64_t interval_ms, const int *w, size_t nw,
			      void (*tweak)(struct wwtp_eval_config *))
{
	struct wwtp_eval_config cfg;
	struct wwtp_eval *ev = NULL;
	const struct wwtp_eval_param ps[] = {
	    {"cod", interval_ms}, {"ph", interval_ms}, {"flow_out", interval_ms}};
	wwtp_eval_config_default(&cfg);
	if (w) {
		cfg.nwindows = nw;
		for (size_t i = 0; i < nw; i++)
			cfg.windows_s[i] = w[i];
	}
	if (tweak)
		tweak(&cfg);
	make_table();
	int rc = wwtp_eval_new("st1", &table, &cfg, ps, NELEM(ps), &ev);
	if (rc)
		fail_msg("wwtp_eval_new: %s", wwtp_strerror(rc));
	nlog = 0;
	focus = "cod"; /* most tests watch cod; others set it */
	return ev;
}

static struct wwtp_verdict verdict(const struct wwtp_eval *ev, const char *param)
{
	struct wwtp_verdict v;
	assert_int_equal(wwtp_eval_get(ev, param, &v), 0);
	return v;
}

static void near(double got, double want, const char *what)
{
	if (!(fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1)))
		fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

static int setup(void **state)
{
	(void)state;
	base = utc("2026-01-31T17:00:00.000Z");
	return 0;
}

/* ---- averages and availability ---- */

static void test_average_of_ok_only(void **state)
{
	(void)state;
	static const int w[] = {3600};
	struct wwtp_eval *ev = make(60000, w, 1, NULL);

	/* Minutes 0-59: 45 ok readings alternating 40 and 60 (average 50), and
	 * 15 that must not count although they carry large values: 5
	 * calibrating, 5 fault, 5 offline. */
	for (int m = 0; m < 60; m++) {
		if (m >= 10 && m < 15)
			feed(ev, "cod", at_min(m), CAL, 1, 1000.0);
		else if (m >= 30 && m < 35)
			feed(ev, "cod", at_min(m), FAULT, 1, 2000.0);
		else if (m >= 50 && m < 55)
			feed(ev, "cod", at_min(m), OFF, 0, 0);
		else
			feed(ev, "cod", at_min(m), OK, 1, m % 2 ? 60.0 : 40.0);
	}
	/* The ok minutes are 0-9, 15-29, 35-49 and 55-59: 10+15+15+5 = 45.
	 * Their mean, from the same minutes (even 40, odd 60): */
	double sum = 0;
	int n = 0;
	for (int m = 0; m < 60; m++) {
		if ((m >= 10 && m < 15) || (m >= 30 && m < 35) || (m >= 50 && m < 55))
			continue;
		sum += m % 2 ? 60.0 : 40.0;
		n++;
	}
	assert_int_equal(n, 45);
	struct wwtp_verdict v = verdict(ev, "cod");
	assert_int_equal(v.nwindows, 1);
	assert_int_equal(v.windows[0].window_s, 3600);
	assert_int_equal(v.windows[0].count, 45);
	near(v.windows[0].average, sum / 45.0, "average of ok readings");
	near(v.windows[0].expected, 60.0, "expected readings in 1 h at 60 s");
	near(v.windows[0].availability, 0.75, "availability 45/60");
	assert_int_equal(v.windows[0].judged, 1);
	assert_int_equal(v.windows[0].exceeds, 0);
	near(v.windows[0].ratio, (sum / 45.0) / 100.0, "ratio = average / Cmax");
	assert_true(v.instant == 60.0 || v.instant == 40.0);
	assert_int_equal(v.last_status, OK);
	assert_true(v.has_limit && v.cmax_max == 100.0 && isnan(v.cmax_min));
	assert_string_equal(v.unit, "mg/L");
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 0);
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 0);
	wwtp_eval_free(ev);
}

/* cod at 120 (above 100) for the first k minutes, then silence until
 * minute 59, when a tick looks at the 1-hour window. */
static void run_availability(int k, int *judged, int *exceed_raised, int *avail_raised,
			     double *availability)
{
	static const int w[] = {3600};
	struct wwtp_eval *ev = make(60000, w, 1, NULL);
	for (int m = 0; m < k; m++)
		feed(ev, "cod", at_min(m), OK, 1, 120.0);
	tick(ev, at_min(58.99)); /* window not yet wholly after the start */
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 0);
	tick(ev, at_min(59));
	struct wwtp_verdict v = verdict(ev, "cod");
	*judged = v.windows[0].judged;
	*availability = v.windows[0].availability;
	*exceed_raised = count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED);
	*avail_raised = count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED);
	if (*avail_raised) {
		const struct wwtp_alert_event *e =
		    last_of(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED);
		assert_int_equal(e->window_s, 3600);
		near(e->value, 44.0 / 60.0, "availability alert value");
		near(e->limit, 0.75, "availability alert limit");
		near(e->ratio, (44.0 / 60.0) / 0.75, "availability alert ratio");
		assert_int_equal(e->start_ms, at_min(59));
		char id[128];
		snprintf(id, sizeof id, "st1:cod:availability:3600:%lld", (long long)at_min(59));
		assert_string_equal(e->id, id);
	}
	wwtp_eval_free(ev);
}

static void test_availability_threshold(void **state)
{
	(void)state;
	int judged, ex, av;
	double a;

	run_availability(45, &judged, &ex, &av, &a);
	near(a, 0.75, "45 of 60");
	assert_int_equal(judged, 1);
	assert_int_equal(ex, 1);
	assert_int_equal(av, 0);

	run_availability(44, &judged, &ex, &av, &a);
	near(a, 44.0 / 60.0, "44 of 60");
	assert_int_equal(judged, 0);
	assert_int_equal(ex, 0); /* 120 is over the limit but not judged */
	assert_int_equal(av, 1);
}

static void test_availability_capped(void **state)
{
	(void)state;
	static const int w[] = {600};
	/* Polling every 30 s against an expected interval of 60 s would give
	 * 200 %: availability is capped at 1. */
	struct wwtp_eval *ev = make(60000, w, 1, NULL);
	for (int i = 0; i < 20; i++)
		feed(ev, "cod", at_min(i * 0.5), OK, 1, 10.0);
	struct wwtp_verdict v = verdict(ev, "cod");
	assert_int_equal(v.windows[0].count, 20);
	near(v.windows[0].expected, 10.0, "600 s / 60 s");
	near(v.windows[0].availability, 1.0, "capped");
	wwtp_eval_free(ev);
}

/* ---- hysteresis ---- */

static void test_exceedance_hysteresis(void **state)
{
	(void)state;
	/* A 60 s window of 60 s buckets holds one reading: its average is the
	 * reading, so the sequence below is the sequence of averages. */
	static const int w[] = {60};
	struct wwtp_eval *ev = make(60000, w, 1, NULL);
	/* Cmax 100, hysteresis 0.05: raise above 100, clear below 95. */
	static const double seq[] = {90,  99,	100, 101,  99, 100.5, 97,  96,
				     101, 95.5, 95,  94.9, 96, 99,    100, 98};
	for (size_t i = 0; i < NELEM(seq); i++)
		feed(ev, "cod", at_min((double)i), OK, 1, seq[i]);

	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 1);
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED), 1);
	assert_int_equal(nlog, 2);
	const struct wwtp_alert_event *r = &log_ev[0], *c = &log_ev[1];
	char id[128];
	snprintf(id, sizeof id, "st1:cod:exceedance:60:%lld", (long long)at_min(3));
	assert_int_equal(r->edge, WWTP_ALERT_RAISED);
	assert_string_equal(r->id, id);
	assert_string_equal(r->station, "st1");
	assert_string_equal(r->param, "cod");
	assert_string_equal(r->unit, "mg/L");
	assert_string_equal(wwtp_alert_kind_name(r->kind), "exceedance");
	assert_int_equal(r->window_s, 60);
	near(r->value, 101, "raise value");
	near(r->limit, 100, "raise limit");
	near(r->ratio, 1.01, "raise ratio");
	assert_int_equal(r->start_ms, at_min(3));
	assert_int_equal(r->end_ms, 0);
	/* Cleared at 94.9 (index 11), the first value below 95. */
	assert_int_equal(c->edge, WWTP_ALERT_CLEARED);
	assert_string_equal(c->id, id);
	assert_int_equal(c->start_ms, at_min(3));
	assert_int_equal(c->end_ms, at_min(11));
	near(c->value, 94.9, "clear value");

	/* The inspectors' "1.5 times": 150 against 100. */
	feed(ev, "cod", at_min(16), OK, 1, 150.0);
	near(last_of(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED)->ratio, 1.5, "1.5 times");
	wwtp_eval_free(ev);
}

static void hyst_zero(struct wwtp_eval_config *c)
{
	c->hysteresis = 0;
}

static void test_hysteresis_configurable(void **state)
{
	(void)state;
	static const int w[] = {60};
	struct wwtp_eval *ev = make(60000, w, 1, hyst_zero);
	static const double seq[] = {101, 99.9, 101, 99.9};
	for (size_t i = 0; i < NELEM(seq); i++)
		feed(ev, "cod", at_min((double)i), OK, 1, seq[i]);
	/* Without a deadband every crossing counts. */
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 2);
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED), 2);
	wwtp_eval_free(ev);
}

static void test_ph_both_sides(void **state)
{
	(void)state;
	static const int w[] = {60};
	struct wwtp_eval *ev = make(60000, w, 1, NULL);
	focus = "ph";
	/* Range 5.5-9, hysteresis 0.05: below 5.5 raises, clears above
	 * 5.5 x 1.05 = 5.775; above 9 raises, clears below 9 x 0.95 = 8.55. */
	feed(ev, "ph", at_min(0), OK, 1, 7.0);
	feed(ev, "ph", at_min(1), OK, 1, 5.0);
	const struct wwtp_alert_event *e = last_of(WWTP_ALERT_RANGE, WWTP_ALERT_RAISED);
	assert_non_null(e);
	assert_string_equal(wwtp_alert_kind_name(e->kind), "range");
	near(e->limit, 5.5, "lower bound crossed");
	near(e->ratio, 1.1, "5.5 / 5.0");
	feed(ev, "ph", at_min(2), OK, 1, 5.6);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_CLEARED), 0);
	feed(ev, "ph", at_min(3), OK, 1, 5.8);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_CLEARED), 1);

	feed(ev, "ph", at_min(4), OK, 1, 9.5);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_RAISED), 2);
	e = last_of(WWTP_ALERT_RANGE, WWTP_ALERT_RAISED);
	near(e->limit, 9.0, "upper bound crossed");
	near(e->ratio, 9.5 / 9.0, "9.5 / 9");
	feed(ev, "ph", at_min(5), OK, 1, 8.6);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_CLEARED), 1);
	feed(ev, "ph", at_min(6), OK, 1, 8.5);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_CLEARED), 2);
	/* Exactly at the bounds is compliant. */
	feed(ev, "ph", at_min(7), OK, 1, 9.0);
	feed(ev, "ph", at_min(8), OK, 1, 5.5);
	assert_int_equal(count(WWTP_ALERT_RANGE, WWTP_ALERT_RAISED), 2);
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 0);
	struct wwtp_verdict v = verdict(ev, "ph");
	assert_int_equal(v.is_range, 1);
	near(v.windows[0].ratio, 1.0, "5.5 at the lower bound");
	wwtp_eval_free(ev);
}

/* ---- instrument states ---- */

static void test_fault(void **state)
{
	(void)state;
	struct wwtp_eval *ev = make(60000, NULL, 0, NULL);
	feed(ev, "cod", at_min(0), OK, 1, 50);
	feed(ev, "cod", at_min(1), FAULT, 0, 0);
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED), 1);
	const struct wwtp_alert_event *e = last_of(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED);
	assert_true(isnan(e->value) && isnan(e->limit) && isnan(e->ratio));
	assert_int_equal(e->window_s, 0);
	assert_int_equal(e->since_ms, at_min(1));
	char id[128];
	snprintf(id, sizeof id, "st1:cod:fault:0:%lld", (long long)at_min(1));
	assert_string_equal(e->id, id);
	feed(ev, "cod", at_min(2), FAULT, 1, 12.0);
	feed(ev, "cod", at_min(3), CAL, 1, 12.0); /* not repaired yet */
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED), 1);
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_CLEARED), 0);
	assert_int_equal(verdict(ev, "cod").fault_alert, 1);
	feed(ev, "cod", at_min(4), OK, 1, 50);
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_CLEARED), 1);
	assert_int_equal(last_of(WWTP_ALERT_FAULT, WWTP_ALERT_CLEARED)->end_ms, at_min(4));
	assert_int_equal(verdict(ev, "cod").fault_alert, 0);
	wwtp_eval_free(ev);
}

static void fault_after_3(struct wwtp_eval_config *c)
{
	c->fault_after = 3;
}

static void test_fault_after_n(void **state)
{
	(void)state;
	struct wwtp_eval *ev = make(60000, NULL, 0, fault_after_3);
	feed(ev, "cod", at_min(0), FAULT, 0, 0);
	feed(ev, "cod", at_min(1), FAULT, 0, 0);
	feed(ev, "cod", at_min(2), OK, 1, 5); /* breaks the run */
	feed(ev, "cod", at_min(3), FAULT, 0, 0);
	feed(ev, "cod", at_min(4), FAULT, 0, 0);
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED), 0);
	feed(ev, "cod", at_min(5), FAULT, 0, 0);
	assert_int_equal(count(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED), 1);
	const struct wwtp_alert_event *e = last_of(WWTP_ALERT_FAULT, WWTP_ALERT_RAISED);
	assert_int_equal(e->start_ms, at_min(5));
	assert_int_equal(e->since_ms, at_min(3)); /* the run began there */
	wwtp_eval_free(ev);
}

static void test_calibration_too_long(void **state)
{
	(void)state;
	struct wwtp_eval *ev = make(60000, NULL, 0, NULL);
	/* A 30-minute calibration: normal, no alert. */
	for (int m = 0; m <= 30; m++)
		feed(ev, "cod", at_min(m), CAL, 1, 0);
	feed(ev, "cod", at_min(31), OK, 1, 10);
	assert_int_equal(count(WWTP_ALERT_CALIBRATION, WWTP_ALERT_RAISED), 0);

	/* From minute 40: 120 minutes (7200 s) is not more than the default
	 * 7200 s; minute 161 (7260 s) is. */
	for (int m = 40; m <= 160; m++)
		feed(ev, "cod", at_min(m), CAL, 1, 0);
	assert_int_equal(count(WWTP_ALERT_CALIBRATION, WWTP_ALERT_RAISED), 0);
	feed(ev, "cod", at_min(161), CAL, 1, 0);
	assert_int_equal(count(WWTP_ALERT_CALIBRATION, WWTP_ALERT_RAISED), 1);
	const struct wwtp_alert_event *e = last_of(WWTP_ALERT_CALIBRATION, WWTP_ALERT_RAISED);
	near(e->value, 7260, "seconds calibrating");
	near(e->limit, 7200, "calibration_max_s");
	assert_int_equal(e->since_ms, at_min(40));
	assert_int_equal(e->start_ms, at_min(161));
	feed(ev, "cod", at_min(162), CAL, 1, 0);
	assert_int_equal(count(WWTP_ALERT_CALIBRATION, WWTP_ALERT_RAISED), 1);
	feed(ev, "cod", at_min(163), OK, 1, 10);
	assert_int_equal(count(WWTP_ALERT_CALIBRATION, WWTP_ALERT_CLEARED), 1);
	near(last_of(WWTP_ALERT_CALIBRATION, WWTP_ALERT_CLEARED)->value, 123 * 60,
	     "calibrated 123 minutes in all");
	wwtp_eval_free(ev);
}

static void test_offline(void **state)
{
	(void)state;
	/* Interval 60 s: offline_after defaults to 3 x 60 = 180 s. */
	struct wwtp_eval *ev = make(60000, NULL, 0, NULL);
	feed(ev, "cod", at_min(0), OK, 1, 10);
	feed(ev, "cod", at_min(1), OFF, 0, 0);
	feed(ev, "cod", at_min(2), OFF, 0, 0);
	feed(ev, "cod", at_min(3), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 0); /* 120 s */
	feed(ev, "cod", at_min(4), OFF, 0, 0);				   /* 180 s */
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 1);
	const struct wwtp_alert_event *e = last_of(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED);
	near(e->value, 180, "seconds offline");
	near(e->limit, 180, "offline_after");
	assert_int_equal(e->since_ms, at_min(1));
	feed(ev, "cod", at_min(5), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 1);
	assert_int_equal(verdict(ev, "cod").offline_alert, 1);
	feed(ev, "cod", at_min(6), CAL, 1, 0); /* answering again */
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_CLEARED), 1);
	near(last_of(WWTP_ALERT_OFFLINE, WWTP_ALERT_CLEARED)->value, 300, "offline 1 to 6 min");

	/* Silence: no reading at all. ph and flow_out never reported since the
	 * start (minute 0); cod last reported at minute 6. */
	nlog = 0;
	focus = NULL;
	tick(ev, at_min(2.99));
	for (size_t i = 0; i < nlog; i++)
		if (log_ev[i].kind == WWTP_ALERT_OFFLINE)
			fail_msg("offline raised too early for %s", log_ev[i].param);
	tick(ev, at_min(3));
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 2); /* ph, flow_out */
	tick(ev, at_min(9));
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 3); /* and cod */
	e = last_of(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED);
	assert_string_equal(e->param, "cod");
	assert_int_equal(e->since_ms, at_min(6));
	wwtp_eval_free(ev);
}

static void offline_600(struct wwtp_eval_config *c)
{
	c->offline_after_s = 600;
}

static void test_offline_configured(void **state)
{
	(void)state;
	struct wwtp_eval *ev = make(60000, NULL, 0, offline_600);
	feed(ev, "cod", at_min(0), OFF, 0, 0);
	feed(ev, "cod", at_min(9), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 0);
	feed(ev, "cod", at_min(10), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 1);
	wwtp_eval_free(ev);

	/* Polling every 10 s: 3 x 10 s is below the 60 s floor. */
	ev = make(10000, NULL, 0, NULL);
	feed(ev, "cod", at_min(0), OFF, 0, 0);
	feed(ev, "cod", at_min(0.5), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 0);
	feed(ev, "cod", at_min(1), OFF, 0, 0);
	assert_int_equal(count(WWTP_ALERT_OFFLINE, WWTP_ALERT_RAISED), 1);
	wwtp_eval_free(ev);
}

/* ---- windows over missing data ---- */

static void test_window_slides_over_gap(void **state)
{
	(void)state;
	static const int w[] = {3600};
	struct wwtp_eval *ev = make(60000, w, 1, NULL);
	for (int m = 0; m < 60; m++)
		feed(ev, "cod", at_min(m), OK, 1, 120.0);
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 1);

	/* The analyser goes silent. At minute 74 the window (buckets 15-74)
	 * still holds 45 readings (15-59): judged. At minute 75 it holds 44. */
	tick(ev, at_min(74));
	struct wwtp_verdict v = verdict(ev, "cod");
	assert_int_equal(v.windows[0].count, 45);
	assert_int_equal(v.windows[0].judged, 1);
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 0);
	tick(ev, at_min(75));
	v = verdict(ev, "cod");
	assert_int_equal(v.windows[0].count, 44);
	assert_int_equal(v.windows[0].judged, 0);
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 1);
	/* Not judged is not compliant: the exceedance stays open. */
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED), 0);
	assert_int_equal(v.windows[0].alert, 1);
	tick(ev, at_min(119));
	v = verdict(ev, "cod");
	assert_int_equal(v.windows[0].count, 0);
	assert_true(isnan(v.windows[0].average));
	assert_true(isnan(v.windows[0].ratio));

	/* Readings of 50 come back at minute 120. At minute k the window holds
	 * k - 119 of them: 45 at minute 164 (judged, 50 < 95: cleared), 48
	 * (0.80 = 0.75 + margin 0.05) at minute 167 (availability cleared). */
	for (int m = 120; m <= 170; m++) {
		feed(ev, "cod", at_min(m), OK, 1, 50.0);
		if (m == 163)
			assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED), 0);
		if (m == 164)
			assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED), 1);
		if (m == 166)
			assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_CLEARED), 0);
		if (m == 167)
			assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_CLEARED), 1);
	}
	const struct wwtp_alert_event *c = last_of(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_CLEARED);
	assert_int_equal(c->end_ms, at_min(164));
	assert_int_equal(c->start_ms, at_min(44)); /* raised once 45 readings of 120 were in */
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 1);
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 1);
	wwtp_eval_free(ev);
}

static void test_two_windows(void **state)
{
	(void)state;
	/* Default windows 1 h and 24 h. Two hours at 120: the 1-hour window is
	 * judged (60/60); the 24-hour one has 120/1440 and is not. */
	struct wwtp_eval *ev = make(60000, NULL, 0, NULL);
	for (int m = 0; m < 120; m++)
		feed(ev, "cod", at_min(m), OK, 1, 120.0);
	struct wwtp_verdict v = verdict(ev, "cod");
	assert_int_equal(v.nwindows, 2);
	assert_int_equal(v.windows[0].window_s, 3600);
	assert_int_equal(v.windows[1].window_s, 86400);
	assert_int_equal(v.windows[0].judged, 1);
	assert_int_equal(v.windows[0].exceeds, 1);
	near(v.windows[0].ratio, 1.2, "120 / 100");
	assert_int_equal(v.windows[1].count, 120);
	near(v.windows[1].availability, 120.0 / 1440.0, "24 h availability");
	assert_int_equal(v.windows[1].judged, 0);
	assert_int_equal(count(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED), 1);
	assert_int_equal(last_of(WWTP_ALERT_EXCEEDANCE, WWTP_ALERT_RAISED)->window_s, 3600);
	/* No 24-hour availability alert: that window began before the start. */
	assert_int_equal(count(WWTP_ALERT_AVAILABILITY, WWTP_ALERT_RAISED), 0);
	/* flow_out has no limit: tracked, never judged, never alerted on. */
	for (int m = 120; m < 200; m++)
		feed(ev, "flow_out", at_min(m), OK, 1, 1e9);
	v = verdict(ev, "flow_out");
	assert_int_equal(v.has_limit, 0);
	assert_int_equal(v.windows[0].exceeds, 0);
	assert_int_equal(v.windows[0].judged, 1);
	near(v.windows[0].average, 1e9, "flow average still computed");
	assert_int_equal(v.instant_exceeds, 0);
	wwtp_eval_free(ev);
}

static void test_memory_bounded(void **state)
{
	(void)state;
	/* 24 h window at 60 s buckets: 1440 buckets per parameter, whatever
	 * the polling rate. Two days of 10 s polling (17,280 readings of cod)
	 * leave the memory as it was after wwtp_eval_new(). */
	struct wwtp_eval *ev = make(10000, NULL, 0, NULL);
	size_t before = wwtp_eval_memory(ev);
	assert_true(before < 3 * 48 * 1024); /* 3 params, < 48 KiB each */
	int64_t t = base;
	for (int i = 0; i < 2 * 8640; i++, t += 10000)
		feed(ev, "cod", t, OK, 1, 10.0);
	assert_int_equal(wwtp_eval_memory(ev), before);
	struct wwtp_verdict v = verdict(ev, "cod");
	/* The last reading is at 2 days - 10 s: the 24-h window holds the 1440
	 * buckets up to it, 6 readings each. */
	assert_int_equal(v.windows[1].count, 8640);
	near(v.windows[1].availability, 1.0, "full day");
	assert_int_equal(v.windows[0].count, 360);
	wwtp_eval_free(ev);
}

static void test_feed_errors(void **state)
{
	(void)state;
	struct wwtp_eval *ev = make(60000, NULL, 0, NULL);
	struct wwtp_alert_event out[WWTP_EVAL_FEED_EVENTS_MAX];
	assert_int_equal(wwtp_eval_feed(ev, "bod5", base, OK, 1, 1, out, NELEM(out)),
			 WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_eval_feed(ev, "cod", base, OK, 1, 1, out, 3), WWTP_ERR_RANGE);
	assert_int_equal(wwtp_eval_feed(ev, "cod", base, 9, 1, 1, out, NELEM(out)), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_eval_feed(ev, "cod", base, OK, 1, 1, out, NELEM(out)), 0);
	assert_int_equal(wwtp_eval_feed(ev, "cod", base - 1, OK, 1, 1, out, NELEM(out)),
			 WWTP_ERR_INVAL);
	assert_int_equal(wwtp_eval_tick(ev, base, out, 1), WWTP_ERR_RANGE);
	/* A NaN value is no value: not counted. */
	assert_int_equal(wwtp_eval_feed(ev, "cod", base + 1, OK, 1, NAN, out, NELEM(out)), 0);
	assert_int_equal(verdict(ev, "cod").windows[0].count, 1);
	struct wwtp_verdict v;
	assert_int_equal(wwtp_eval_get(ev, "nope", &v), WWTP_ERR_NOTFOUND);
	assert_int_equal(wwtp_eval_nparams(ev), 3);
	assert_string_equal(wwtp_eval_param_name(ev, 2), "flow_out");
	assert_null(wwtp_eval_param_name(ev, 3));
	wwtp_eval_free(ev);

	/* Bad construction. */
	struct wwtp_eval_config cfg;
	const struct wwtp_eval_param dup[] = {{"cod", 1000}, {"cod", 1000}};
	const struct wwtp_eval_param zero[] = {{"cod", 0}};
	wwtp_eval_config_default(&cfg);
	assert_int_equal(wwtp_eval_new("st1", NULL, &cfg, dup, 2, &ev), WWTP_ERR_INVAL);
	assert_int_equal(wwtp_eval_new("st1", NULL, &cfg, zero, 1, &ev), WWTP_ERR_INVAL);
	cfg.windows_s[0] = 3599; /* not a multiple of the 60 s bucket */
	assert_int_equal(wwtp_eval_new("st1", NULL, &cfg, dup, 1, &ev), WWTP_ERR_INVAL);
	wwtp_eval_free(NULL);
}

/* ---- evaluation config ---- */

static int parse_eval(const char *text, struct wwtp_eval_config *c, struct wwtp_diag *d)
{
	config_t cfg;
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		config_destroy(&cfg);
		fail_msg("test text does not parse: %s", text);
	}
	int rc = wwtp_eval_config_parse(config_lookup(&cfg, "evaluation"), "station.cfg", c, d);
	config_destroy(&cfg);
	return rc;
}

static void test_eval_config(void **state)
{
	(void)state;
	struct wwtp_eval_config c;
	struct wwtp_diag *d = wwtp_diag_new();

	assert_int_equal(parse_eval("evaluation = { windows_s = [ 3600, 86400 ]; "
				    "min_availability = 0.75; };",
				    &c, d),
			 0);
	assert_int_equal(c.nwindows, 2);
	assert_int_equal(c.windows_s[0], 3600);
	assert_int_equal(c.windows_s[1], 86400);
	assert_true(c.min_availability == 0.75);
	/* Defaults of the keys not given. */
	assert_true(c.hysteresis == 0.05 && c.availability_margin == 0.05);
	assert_int_equal(c.calibration_max_s, 7200);
	assert_int_equal(c.offline_after_s, 0);
	assert_int_equal(c.fault_after, 1);
	assert_int_equal(c.bucket_s, 60);

	assert_int_equal(parse_eval("evaluation = { windows_s = [ 86400, 900 ]; hysteresis = 0.1; "
				    "calibration_max_s = 3600; offline_after_s = 300; fault_after "
				    "= 2; };",
				    &c, d),
			 0);
	assert_int_equal(c.windows_s[0], 900); /* sorted */
	assert_true(c.hysteresis == 0.1);
	assert_int_equal(c.offline_after_s, 300);
	assert_int_equal(wwtp_diag_count(d), 0);

	/* No group: defaults. */
	assert_int_equal(wwtp_eval_config_parse(NULL, "x.cfg", &c, d), 0);
	assert_int_equal(c.nwindows, 2);
	wwtp_diag_free(d);

	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"evaluation = {\n windows_s = [ 3600 ];\n min_availabilty = 0.8; };",
	     "station.cfg:3: evaluation: unknown key 'min_availabilty'"},
	    {"evaluation = { windows_s = [ 3601 ]; };", "window 3601 s must be a multiple"},
	    {"evaluation = { windows_s = [ 3600, 3600 ]; };", "window 3600 s is listed twice"},
	    {"evaluation = { min_availability = 1.5; };", "min_availability = 1.5 is out of range"},
	    {"evaluation = { windows_s = [ ]; };", "windows_s must have 1 to 8 windows"},
	    {"evaluation = { hysteresis = \"5%\"; };", "hysteresis must be a number"},
	    {"evaluation = { bucket_s = 7; };", "bucket_s 7 does not fit the default window"},
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		d = wwtp_diag_new();
		assert_int_equal(parse_eval(bad[i].text, &c, d), WWTP_ERR_CONFIG);
		int found = 0;
		for (size_t k = 0; wwtp_diag_get(d, k); k++)
			found |= strstr(wwtp_diag_get(d, k), bad[i].msg) != NULL;
		if (!found) {
			for (size_t k = 0; wwtp_diag_get(d, k); k++)
				fprintf(stderr, "  diag: %s\n", wwtp_diag_get(d, k));
			fail_msg("no diagnostic contains \"%s\"", bad[i].msg);
		}
		wwtp_diag_free(d);
	}
}

/* ---- Vietnam local time ---- */

static void test_local_day_boundaries(void **state)
{
	(void)state;
	int y, mo, d, h, mi;

	/* 16:59:59.999Z on 31 Jan is 23:59:59.999 in Hanoi, still 31 Jan. */
	int64_t before = utc("2026-01-31T16:59:59.999Z");
	wwtp_local_civil(before, &y, &mo, &d, &h, &mi);
	assert_true(y == 2026 && mo == 1 && d == 31 && h == 23 && mi == 59);
	assert_int_equal(wwtp_local_day_start(before), utc("2026-01-30T17:00:00.000Z"));
	assert_int_equal(wwtp_local_day_key(before), 20260131);
	assert_int_equal(wwtp_local_hour_start(before), utc("2026-01-31T16:00:00.000Z"));
	assert_int_equal(wwtp_local_month_start(before), utc("2025-12-31T17:00:00.000Z"));

	/* 17:00:00.000Z is 00:00 on 1 Feb: a new day and a new month. */
	int64_t after = utc("2026-01-31T17:00:00.000Z");
	wwtp_local_civil(after, &y, &mo, &d, &h, &mi);
	assert_true(y == 2026 && mo == 2 && d == 1 && h == 0 && mi == 0);
	assert_int_equal(wwtp_local_day_start(after), after);
	assert_int_equal(wwtp_local_day_key(after), 20260201);
	assert_int_equal(wwtp_local_hour_start(after), after);
	assert_int_equal(wwtp_local_month_start(after), after);
	assert_int_equal(wwtp_local_next_month_start(after), utc("2026-02-28T17:00:00.000Z"));
	/* The same instant as a number: 2026-02-01 is day 20485 after
	 * 1970-01-01 (56 years of 365 days = 20440, 14 leap days 1972-2024,
	 * 31 days of January), minus 7 h. */
	assert_int_equal(after, 20485LL * 86400000 - 25200000);

	/* Noon UTC is 19:00 local the same day; 18:30Z is 01:30 the next. */
	assert_int_equal(wwtp_local_day_key(utc("2026-03-10T12:00:00.000Z")), 20260310);
	assert_int_equal(wwtp_local_day_key(utc("2026-03-10T18:30:00.000Z")), 20260311);
	assert_int_equal(wwtp_local_hour_start(utc("2026-03-10T18:30:00.000Z")),
			 utc("2026-03-10T18:00:00.000Z"));

	/* Leap day and year end. */
	assert_int_equal(wwtp_local_day_key(utc("2028-02-28T17:00:00.000Z")), 20280229);
	assert_int_equal(wwtp_local_next_month_start(utc("2028-02-28T17:00:00.000Z")),
			 utc("2028-02-29T17:00:00.000Z"));
	assert_int_equal(wwtp_local_day_key(utc("2025-12-31T16:59:59.999Z")), 20251231);
	assert_int_equal(wwtp_local_day_key(utc("2025-12-31T17:00:00.000Z")), 20260101);
	assert_int_equal(wwtp_local_next_month_start(utc("2025-12-15T00:00:00.000Z")),
			 utc("2025-12-31T17:00:00.000Z"));

	/* Before the epoch: 1 ms before it is 06:59:59.999 local on 1 Jan 1970,
	 * whose local day began at -7 h. */
	assert_int_equal(wwtp_local_day_start(-1), -25200000);
	assert_int_equal(wwtp_local_day_key(-1), 19700101);
	assert_int_equal(wwtp_local_day_start(-25200001), -25200000 - 86400000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_average_of_ok_only),
	    cmocka_unit_test(test_availability_threshold),
	    cmocka_unit_test(test_availability_capped),
	    cmocka_unit_test(test_exceedance_hysteresis),
	    cmocka_unit_test(test_hysteresis_configurable),
	    cmocka_unit_test(test_ph_both_sides),
	    cmocka_unit_test(test_fault),
	    cmocka_unit_test(test_fault_after_n),
	    cmocka_unit_test(test_calibration_too_long),
	    cmocka_unit_test(test_offline),
	    cmocka_unit_test(test_offline_configured),
	    cmocka_unit_test(test_window_slides_over_gap),
	    cmocka_unit_test(test_two_windows),
	    cmocka_unit_test(test_memory_bounded),
	    cmocka_unit_test(test_feed_errors),
	    cmocka_unit_test(test_eval_config),
	    cmocka_unit_test(test_local_day_boundaries),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
